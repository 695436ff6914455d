//! The `fleetview` command line: the binary edge, where errors become messages and exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use fleetview::feed::FeedConfig;
use fleetview::fleet::FleetConfig;
use fleetview::protocol::{BBox, Subscribe};
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::SimConfig;
use fleetview::ui::{AppConfig, FeedSource, TileSpec};

/// fleetview: a live map of a fleet, fed over WebSocket (protocol v1, see the README).
///
/// With no subcommand it opens the map. Without --url it shows the feed it showed last time or,
/// on a first run (or with --demo), a simulated fleet on the Cairns bus routes served by a feed
/// server it starts in the background.
#[derive(Parser)]
#[command(name = "fleetview", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Feed to show, ws:// or wss://.
    #[arg(long, env = "FLEETVIEW_URL")]
    url: Option<String>,
    /// Viewer token, sent as a bearer header and in the subscribe message.
    #[arg(long, env = "FLEETVIEW_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Extra CA certificates (PEM) to trust for wss:// feeds, beside the system's.
    #[arg(long, env = "FLEETVIEW_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// Map tiles: osm, none, a URL template like https://tiles.example.com/{z}/{x}/{y}.png, or
    /// a raster .pmtiles file for offline use.
    #[arg(long, env = "FLEETVIEW_TILES", default_value = "osm", value_parser = parse_tiles)]
    tiles: TileSpec,
    /// Show the simulated fleet even if an earlier run remembered another feed URL.
    #[arg(long, conflicts_with = "url")]
    demo: bool,
    /// Vehicles in the simulated fleet shown without --url.
    #[arg(long, default_value_t = 250)]
    sim: usize,
    /// Seed of the simulated fleet.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Log filter (tracing's EnvFilter syntax, e.g. "info" or "fleetview=debug"); logs go to stderr.
    #[arg(long, env = "FLEETVIEW_LOG", default_value = "warn", global = true)]
    log: String,
}

#[derive(Subcommand)]
enum Command {
    /// Subscribe to a feed for a while and print what it delivers: vehicles, updates/s,
    /// refusals by reason, reconnects, latency. Exits 1 if it never connected.
    Stats(StatsArgs),
}

#[derive(Args)]
struct StatsArgs {
    /// Feed URL, ws:// or wss://.
    #[arg(env = "FLEETVIEW_URL")]
    url: String,
    /// How long to listen (e.g. 10s, 2m).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Print the report as one JSON object (keys documented in the README).
    #[arg(long)]
    json: bool,
    /// Viewer token, sent as a bearer header and in the subscribe message.
    #[arg(long, env = "FLEETVIEW_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Only vehicles inside west,south,east,north (degrees).
    #[arg(long, value_parser = parse_bbox, allow_hyphen_values = true)]
    bbox: Option<BBox>,
    /// Only these vehicle ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    ids: Vec<String>,
    /// Extra CA certificates (PEM) to trust for wss:// feeds, beside the system's.
    #[arg(long, env = "FLEETVIEW_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,
    /// Largest frame accepted, in bytes.
    #[arg(long, default_value_t = 16 * 1024 * 1024)]
    max_frame_bytes: usize,
    /// Most vehicles held; past it the stalest is evicted.
    #[arg(long, default_value_t = 200_000)]
    max_vehicles: usize,
}

fn parse_tiles(s: &str) -> Result<TileSpec, String> {
    s.parse()
}

fn parse_bbox(s: &str) -> Result<BBox, String> {
    let parts: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{s:?} is not four numbers: {e}"))?;
    let [w, south, e, n] = parts[..] else {
        return Err(format!("{s:?} needs four numbers: west,south,east,north"));
    };
    let bbox = BBox::from([w, south, e, n]);
    if !bbox.is_valid() {
        return Err(format!(
            "{s:?} is not a valid box (latitudes -90..90, longitudes -180..180, south <= north)"
        ));
    }
    Ok(bbox)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fleetview: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Stats(args)) => stats(args),
        None => map(cli),
    }
}

fn map(cli: Cli) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    if let Some(url) = &cli.url
        && !(url.starts_with("ws://") || url.starts_with("wss://"))
    {
        bail!("--url {url:?}: a feed URL starts with ws:// or wss://");
    }
    // The default: the real server and WebSocket path, with a simulated fleet, in-process.
    let (url, embedded) = match cli.url.clone() {
        Some(url) => (url, None),
        None => {
            let server = EmbeddedServer::start(
                ServerConfig::default(),
                Some(SimConfig::new(cli.sim, cli.seed)),
            )
            .context("starting the embedded feed server")?;
            (server.url(), Some(server))
        }
    };
    let config = AppConfig {
        feed: FeedSource::Url {
            url,
            token: cli.token,
            ca_file: cli.ca_file,
        },
        prefer_remembered: cli.url.is_none() && !cli.demo,
        tiles: cli.tiles,
        fleet: FleetConfig::default(),
    };
    fleetview::ui::run(config).map_err(|e| anyhow::anyhow!("the window failed: {e}"))?;
    drop(embedded);
    Ok(ExitCode::SUCCESS)
}

fn stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    let mut feed = FeedConfig::new(args.url);
    feed.token = args.token;
    feed.subscribe = Subscribe {
        bbox: args.bbox,
        ids: (!args.ids.is_empty()).then_some(args.ids),
        token: None,
    };
    feed.limits.max_frame_bytes = args.max_frame_bytes;
    feed.ca_file = args.ca_file;
    let fleet = FleetConfig {
        max_vehicles: args.max_vehicles.max(1),
        ..FleetConfig::default()
    };
    let report = fleetview::stats::run(feed, fleet, args.duration).context("stats")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    let ever_connected = report.connected || report.first_data_ms.is_some();
    Ok(if ever_connected {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
