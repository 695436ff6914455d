//! The `fleetview` command line: the binary edge, where errors become messages and exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use fleetview::feed::{FeedConfig, FeedSpec, config_file};
use fleetview::fleet::FleetConfig;
use fleetview::formats::FeedKind;
use fleetview::protocol::{BBox, Subscribe};
use fleetview::routes::RouteLines;
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::{Network, SimConfig};
use fleetview::ui::{AppConfig, FeedSource, TileSpec};

/// fleetview: a live map of a fleet, fed by fleetview servers, Traccar servers, OwnTracks
/// Recorders, GTFS-Realtime feeds and AIS (raw NMEA or AISStream) (see the README).
///
/// With no subcommand it opens the map. Without --feed or --url it shows the config file's
/// feeds, else the feeds it showed last time or, on a first run (or with --demo), a simulated
/// fleet on the Cairns bus routes served by a feed server it starts in the background.
#[derive(Parser)]
#[command(name = "fleetview", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    feeds: FeedArgs,
    /// Map tiles: osm, none, a URL template like https://tiles.example.com/{z}/{x}/{y}.png, or
    /// a raster .pmtiles file for offline use.
    #[arg(long, env = "FLEETVIEW_TILES", default_value = "osm", value_parser = parse_tiles)]
    tiles: TileSpec,
    /// Show the simulated fleet whatever was configured or remembered.
    #[arg(long, conflicts_with_all = ["url", "feed", "config"])]
    demo: bool,
    /// Vehicles in the simulated fleet shown when no feed is given.
    #[arg(long, default_value_t = 250)]
    sim: usize,
    /// Seed of the simulated fleet.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Geofences for alerts and the map: a GeoJSON file (Polygon, MultiPolygon, or Point with a
    /// radius in metres).
    #[arg(long, value_name = "FILE.geojson")]
    geofences: Option<std::path::PathBuf>,
    /// Alert rules (TOML; every rule is off until enabled there).
    #[arg(long, value_name = "FILE.toml")]
    rules: Option<std::path::PathBuf>,
    /// A static GTFS zip whose routes the map draws (shapes, short names, colours), beside
    /// the simulated fleet's Cairns network. Repeat for several agencies.
    #[arg(long, value_name = "FILE.zip")]
    gtfs: Vec<std::path::PathBuf>,
    /// Play a recording (made with --record, the window's Record button or `fleetview record`)
    /// on the map instead of live feeds, with a timeline to play, pause, speed up and scrub.
    #[arg(long, value_name = "FILE.fvr", conflicts_with_all = ["url", "feed", "config", "demo", "record"])]
    replay: Option<std::path::PathBuf>,
    /// Record every feed the window shows to this file from the start (the Record button
    /// writes here too; without it, to a new file in the data directory's recordings).
    #[arg(long, value_name = "FILE.fvr")]
    record: Option<std::path::PathBuf>,
    /// Log filter (tracing's EnvFilter syntax, e.g. "info" or "fleetview=debug"); logs go to stderr.
    #[arg(long, env = "FLEETVIEW_LOG", default_value = "warn", global = true)]
    log: String,
}

/// Where feeds come from, for the map and for `stats`.
#[derive(Args, Clone)]
struct FeedArgs {
    /// A feed: [NAME=]KIND:URL with KIND fleetview, traccar, owntracks, gtfs-rt, ais or
    /// aisstream, e.g. depot=traccar:https://traccar.example.com,
    /// metro=gtfs-rt:https://agency.example/vehicle-positions.pb, ais:tcp://receiver:10110 or
    /// ais:recording.nmea (a bare ws:// or wss:// URL is a fleetview feed). Repeat for several
    /// feeds. Credentials may ride in the URL (user:password@host, ?token=T, a GTFS-RT
    /// ?api_key=K) but are better in the config file or the environment.
    #[arg(long)]
    feed: Vec<String>,
    /// A fleetview feed to show, ws:// or wss:// (the same as --feed URL).
    #[arg(long, env = "FLEETVIEW_URL")]
    url: Option<String>,
    /// The config file (TOML, a [[feed]] table per feed). Without --feed or --url the default
    /// one is read if it exists (~/.config/fleetview/config.toml on Linux).
    #[arg(long, env = "FLEETVIEW_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Viewer token for fleetview feeds that have none of their own (bearer header and
    /// subscribe message).
    #[arg(long, env = "FLEETVIEW_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Extra CA certificates (PEM) to trust for wss:// and https:// feeds, beside the system's.
    #[arg(long, env = "FLEETVIEW_CA_FILE")]
    ca_file: Option<std::path::PathBuf>,
}

impl FeedArgs {
    /// Whether feeds were named on the command line (or by --config).
    fn explicit(&self) -> bool {
        !self.feed.is_empty() || self.url.is_some() || self.config.is_some()
    }

    /// The config file: the one named, else the default one if it exists.
    fn config_path(&self) -> Option<std::path::PathBuf> {
        self.config
            .clone()
            .or_else(|| config_file::default_path().filter(|p| p.exists()))
    }

    /// The feeds to run (those not disabled in the config file); none is an error.
    fn enabled_specs(&self) -> anyhow::Result<Vec<FeedSpec>> {
        let specs: Vec<FeedSpec> = self.specs()?.into_iter().filter(|s| s.enabled).collect();
        if specs.is_empty() {
            bail!("no feed given: name one (--feed KIND:URL or --config FILE)");
        }
        Ok(specs)
    }

    /// The feeds named by the flags and the config file, with the shared token and CA file
    /// filled in where a feed has none.
    fn specs(&self) -> anyhow::Result<Vec<FeedSpec>> {
        let mut specs = Vec::new();
        for text in self.url.iter().chain(&self.feed) {
            specs.push(FeedSpec::parse(text).with_context(|| format!("--feed {text:?}"))?);
        }
        let config = match &self.config {
            Some(path) => Some(path.clone()),
            None if specs.is_empty() => self.config_path(),
            None => None,
        };
        if let Some(path) = config {
            specs.extend(config_file::load(&path, &|var| std::env::var(var).ok())?);
        }
        for spec in &mut specs {
            if spec.kind == FeedKind::Fleetview && spec.credentials.token.is_none() {
                spec.credentials.token.clone_from(&self.token);
            }
            if spec.ca_file.is_none() {
                spec.ca_file.clone_from(&self.ca_file);
            }
        }
        Ok(specs)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Subscribe to feeds for a while and print what they deliver, per feed and in total:
    /// vehicles, updates/s, refusals by reason, reconnects, latency. Exits 1 if a feed never
    /// connected.
    Stats(StatsArgs),
    /// Watch feeds for alerts (geofences, overspeed, stopped, lost, alarms) without a window:
    /// each alert is one JSON line on stdout (keys in the README), and optionally POSTed to a
    /// webhook.
    Alerts(AlertsArgs),
    /// Record feeds to a file without a window (replay it with `fleetview --replay FILE`).
    /// Every second is on disk as it is recorded, so stopping it (Ctrl+C) loses at most the
    /// last one.
    Record(RecordArgs),
}

#[derive(Args)]
struct RecordArgs {
    #[command(flatten)]
    feeds: FeedArgs,
    /// The recording to write (replaced if it exists).
    #[arg(long, value_name = "FILE.fvr")]
    out: std::path::PathBuf,
    /// Stop after this long (e.g. 2h); without it, run until interrupted.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
}

#[derive(Args)]
struct AlertsArgs {
    #[command(flatten)]
    feeds: FeedArgs,
    /// Geofences: a GeoJSON file (Polygon, MultiPolygon, or Point with a radius in metres).
    #[arg(long, value_name = "FILE.geojson")]
    geofences: Option<std::path::PathBuf>,
    /// The rules (TOML; every rule is off until enabled there). Without it, the config file's
    /// [alerts] table.
    #[arg(long, value_name = "FILE.toml")]
    rules: Option<std::path::PathBuf>,
    /// POST each alert (its JSON line) to this URL, with retries.
    #[arg(long)]
    webhook: Option<String>,
    /// Stop after this long (e.g. 10m); without it, run until interrupted.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
}

#[derive(Args)]
struct StatsArgs {
    /// A fleetview feed URL, ws:// or wss:// (or use --feed, --config).
    #[arg(value_name = "URL")]
    positional: Option<String>,
    #[command(flatten)]
    feeds: FeedArgs,
    /// How long to listen (e.g. 10s, 2m).
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Print the report as one JSON object (keys documented in the README).
    #[arg(long)]
    json: bool,
    /// Only vehicles inside west,south,east,north (degrees; fleetview feeds).
    #[arg(long, value_parser = parse_bbox, allow_hyphen_values = true)]
    bbox: Option<BBox>,
    /// Only these vehicle ids (comma-separated; fleetview feeds).
    #[arg(long, value_delimiter = ',')]
    ids: Vec<String>,
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
    // The window's keys are listed by --help from the same table the window's `?` shows.
    let matches = Cli::command()
        .after_help(fleetview::ui::keys_help())
        .get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
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
    // walkers warns once per failed tile, every retry; the window logs tile trouble itself,
    // once a minute. A filter that names walkers keeps its say.
    let filter = if filter.contains("walkers") {
        filter.to_owned()
    } else {
        format!("{filter},walkers=error")
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,walkers=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Stats(args)) => stats(args),
        Some(Command::Alerts(args)) => alerts(args),
        Some(Command::Record(args)) => record(args),
        None => map(cli),
    }
}

fn map(cli: Cli) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    if let Some(path) = &cli.replay {
        return replay(&cli, path);
    }
    let feeds = if cli.demo {
        Vec::new()
    } else {
        cli.feeds.specs()?
    };
    // The default: the real server and WebSocket path, with a simulated fleet, in-process.
    let embedded = if feeds.is_empty() {
        Some(
            EmbeddedServer::start(
                ServerConfig::default(),
                Some(SimConfig::new(cli.sim, cli.seed)),
            )
            .context("starting the embedded feed server")?,
        )
    } else {
        None
    };
    let embedded_spec = embedded.as_ref().map(|server| {
        let mut spec = FeedSpec::fleetview(server.url());
        spec.name = "Simulated Cairns fleet".into();
        Box::new(spec)
    });
    let sources = AlertSources::read(&cli.feeds, cli.geofences.as_deref(), cli.rules.as_deref())?;
    let config = AppConfig {
        source: FeedSource::Live {
            feeds,
            embedded: embedded_spec,
        },
        prefer_remembered: !cli.feeds.explicit() && !cli.demo,
        tiles: cli.tiles,
        fleet: FleetConfig::default(),
        routes: Some(route_lines(&cli.gtfs)?),
        alerts: sources.engine()?,
        geofences_file: sources.geofences,
        clock: fleetview::clock::system(),
        record: cli.record,
    };
    fleetview::ui::run(config).map_err(|e| anyhow::anyhow!("the window failed: {e}"))?;
    drop(embedded);
    Ok(ExitCode::SUCCESS)
}

/// The window playing a recording.
fn replay(cli: &Cli, path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let player = fleetview::record::player::Player::open(path)?;
    let config = AppConfig {
        source: FeedSource::Replay(Box::new(player)),
        prefer_remembered: false,
        tiles: cli.tiles.clone(),
        fleet: FleetConfig::default(),
        routes: Some(route_lines(&cli.gtfs)?),
        alerts: None,
        geofences_file: None,
        clock: fleetview::clock::system(),
        record: None,
    };
    fleetview::ui::run(config).map_err(|e| anyhow::anyhow!("the window failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn record(args: RecordArgs) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    let specs = args.feeds.enabled_specs()?;
    let feeds = specs.into_iter().map(FeedConfig::from_spec).collect();
    let quiet = !std::io::stderr().is_terminal();
    let written = fleetview::record::headless::run(
        feeds,
        &args.out,
        args.duration,
        fleetview::clock::system(),
        &mut |w| {
            if !quiet {
                eprint!("\r{} fixes, {:.1} MB   ", w.fixes, w.bytes as f64 / 1e6);
            }
        },
    )
    .context("record")?;
    eprintln!(
        "{}recorded {} fixes in {} chunks, {:.1} MB, to {}",
        if quiet { "" } else { "\n" },
        written.fixes,
        written.chunks,
        written.bytes as f64 / 1e6,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Where the alerts' geofences are and what their rules say: the flags, else the config
/// file's `geofences` and `[alerts]`.
struct AlertSources {
    geofences: Option<std::path::PathBuf>,
    rules: Option<fleetview::alerts::Rules>,
}

impl AlertSources {
    fn read(
        feeds: &FeedArgs,
        geofences: Option<&std::path::Path>,
        rules: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        use fleetview::alerts::Rules;
        let config = match feeds.config_path() {
            Some(path) => config_file::load_alerts(&path)?,
            None => config_file::AlertSettings::default(),
        };
        let rules = match (rules, config.rules) {
            (Some(path), _) => Some(Rules::load(path)?),
            (None, Some(table)) => {
                let name = feeds.config_path().unwrap_or_default();
                Some(Rules::from_table(table, &name.display().to_string())?)
            }
            (None, None) => None,
        };
        Ok(Self {
            geofences: geofences
                .map(std::path::Path::to_path_buf)
                .or(config.geofences),
            rules,
        })
    }

    /// The window's engine (none: the map draws no geofence and raises no alert). A geofence
    /// file not made yet starts empty: the Geofences window draws into it and saves it.
    fn engine(&self) -> anyhow::Result<Option<fleetview::alerts::Engine>> {
        use fleetview::alerts::{Engine, Geofences};
        if self.geofences.is_none() && self.rules.is_none() {
            return Ok(None);
        }
        let fences = match &self.geofences {
            Some(path) if path.exists() => Geofences::load(path)?,
            _ => Geofences::default(),
        };
        Ok(Some(Engine::new(
            self.rules.clone().unwrap_or_default(),
            fences,
        )))
    }
}

/// The route network the window draws: the simulated fleet's (the Cairns GTFS), then each
/// static GTFS zip given.
fn route_lines(zips: &[std::path::PathBuf]) -> anyhow::Result<RouteLines> {
    let mut lines = Network::cairns()
        .map(|n| n.route_lines())
        .unwrap_or_default();
    for zip in zips {
        let loaded = fleetview::routes::gtfs::load(zip)?;
        if loaded.skipped_rows > 0 {
            tracing::warn!(zip = %zip.display(), rows = loaded.skipped_rows, "GTFS rows skipped");
        }
        lines.extend(loaded.lines);
    }
    Ok(lines)
}

fn alerts(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    use fleetview::alerts::{Engine, Geofences};
    fleetview::feed::install_crypto_provider();
    let specs = args.feeds.enabled_specs()?;
    let sources = AlertSources::read(
        &args.feeds,
        args.geofences.as_deref(),
        args.rules.as_deref(),
    )?;
    let Some(rules) = sources.rules else {
        bail!("no rules: give --rules FILE, or an [alerts] table in the config file");
    };
    let fences = match &sources.geofences {
        Some(path) => Geofences::load(path)?,
        None => Geofences::default(),
    };
    let feeds = specs.into_iter().map(FeedConfig::from_spec).collect();
    let summary = fleetview::alerts::headless::run(
        feeds,
        FleetConfig::default(),
        Engine::new(rules, fences),
        args.webhook,
        args.duration,
        &mut std::io::stdout().lock(),
    )
    .context("alerts")?;
    if summary.webhook_failed + summary.webhook_dropped > 0 {
        tracing::warn!(?summary, "some alerts did not reach the webhook");
    }
    Ok(ExitCode::SUCCESS)
}

fn stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    let mut feed_args = args.feeds.clone();
    if let Some(url) = args.positional {
        feed_args.feed.insert(0, url);
    }
    let specs: Vec<FeedSpec> = feed_args
        .specs()?
        .into_iter()
        .filter(|s| s.enabled)
        .collect();
    if specs.is_empty() {
        bail!("no feed given: name one (a URL, --feed KIND:URL or --config FILE)");
    }
    let subscribe = Subscribe {
        bbox: args.bbox,
        ids: (!args.ids.is_empty()).then_some(args.ids),
        token: None,
    };
    let feeds: Vec<FeedConfig> = specs
        .into_iter()
        .map(|spec| {
            let mut feed = FeedConfig::from_spec(spec);
            feed.subscribe = subscribe.clone();
            feed.limits.max_frame_bytes = args.max_frame_bytes;
            feed
        })
        .collect();
    let fleet = FleetConfig {
        max_vehicles: args.max_vehicles.max(1),
        ..FleetConfig::default()
    };
    let report = fleetview::stats::run(feeds, fleet, args.duration).context("stats")?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{report}");
    }
    let all_connected = report
        .feeds
        .iter()
        .all(|f| f.figures.connected || f.figures.first_data_ms.is_some());
    Ok(if all_connected {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
