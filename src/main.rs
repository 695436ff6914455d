//! The `fleetview` command line: the binary edge, where errors become messages and exit codes.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use fleetview::feed::{FeedSpec, config_file};
use fleetview::fleet::FleetConfig;
use fleetview::formats::FeedKind;
use fleetview::routes::RouteLines;
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::{Network, SimConfig};
use fleetview::ui::{AppConfig, FeedSource, TileSpec};

#[path = "main/headless.rs"]
mod headless;
#[path = "main/server_replay.rs"]
mod server_replay;

use headless::{AlertSources, AlertsArgs, RecordArgs, StatsArgs};

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
    /// Most vehicles the window holds, all feeds together (past it the stalest is dropped for a
    /// newcomer); a national fleet of a million needs `--max-vehicles 1000000`.
    #[arg(long, default_value_t = FleetConfig::default().max_vehicles, env = "FLEETVIEW_MAX_VEHICLES")]
    max_vehicles: usize,
    /// Seed of the simulated fleet.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Geofences for alerts and the map: a GeoJSON file (Polygon, MultiPolygon, or Point with a
    /// radius in metres).
    #[arg(long, value_name = "FILE.geojson")]
    geofences: Option<std::path::PathBuf>,
    /// Alert rules (TOML; every rule but alarms is off until enabled there).
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
    /// Replay the fleet of a fleetview server's history, no recording needed: the feed (as for
    /// --feed) whose server to ask; with --at (and --for).
    #[arg(long, value_name = "FEED", requires = "at", conflicts_with_all = ["url", "feed", "config", "demo", "record", "replay"])]
    replay_from_server: Option<String>,
    /// The moment the replay from the server starts: ISO 8601, or like "2026-12-04 14:00" (UTC).
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// How long the replay from the server runs.
    #[arg(long = "for", value_name = "DURATION", default_value = "30m", value_parser = humantime::parse_duration)]
    replay_for: std::time::Duration,
    /// Record every feed the window shows to this file from the start (the Record button
    /// writes here too; without it, to a new file in the data directory's recordings).
    #[arg(long, value_name = "FILE.fvr")]
    record: Option<std::path::PathBuf>,
    /// Log filter (tracing's EnvFilter syntax, e.g. "info" or "fleetview=debug"); logs go to stderr.
    #[arg(long, env = "FLEETVIEW_LOG", default_value = "warn", global = true)]
    log: String,
}

impl Cli {
    /// The window's model: the defaults, holding up to `--max-vehicles`.
    fn fleet_config(&self) -> FleetConfig {
        FleetConfig {
            max_vehicles: self.max_vehicles.max(1),
            ..FleetConfig::default()
        }
    }
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
    /// The encoding fleetview feeds ask for when their config says none: compact (a third of
    /// the bytes) or v1 (to read the wire by eye). Either is read whatever the server sends.
    #[arg(long, value_parser = config_file::parse_encoding)]
    encoding: Option<fleetview::protocol::Encoding>,
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
            if spec.kind == FeedKind::Fleetview && spec.options.encoding.is_none() {
                spec.options.encoding = self.encoding;
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

fn parse_tiles(s: &str) -> Result<TileSpec, String> {
    s.parse()
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
        Some(Command::Stats(args)) => headless::stats(args),
        Some(Command::Alerts(args)) => headless::alerts(args),
        Some(Command::Record(args)) => headless::record(args),
        None => map(cli),
    }
}

fn map(cli: Cli) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    if let Some(path) = &cli.replay {
        return replay(&cli, path);
    }
    if let (Some(feed), Some(at)) = (&cli.replay_from_server, &cli.at) {
        let now = fleetview::clock::now_ms();
        let path = server_replay::fetch(feed, at, cli.replay_for, now)?;
        return replay(&cli, &path);
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
        fleet: cli.fleet_config(),
        tiles: cli.tiles,
        routes: Some(route_lines(&cli.gtfs)?),
        alerts: Some(sources.engine()?),
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
        fleet: cli.fleet_config(),
        routes: Some(route_lines(&cli.gtfs)?),
        alerts: None,
        geofences_file: None,
        clock: fleetview::clock::system(),
        record: None,
    };
    fleetview::ui::run(config).map_err(|e| anyhow::anyhow!("the window failed: {e}"))?;
    Ok(ExitCode::SUCCESS)
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
