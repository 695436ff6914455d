//! The commands without a window: `stats`, `alerts` and `record`, their flags, and where the
//! alerts' rules and geofences come from (the window reads them too).

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;

use super::FeedArgs;
use fleetview::feed::{FeedConfig, FeedSpec, config_file};
use fleetview::fleet::FleetConfig;
use fleetview::protocol::{BBox, Subscribe};

#[derive(Args)]
pub(super) struct RecordArgs {
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
pub(super) struct AlertsArgs {
    #[command(flatten)]
    feeds: FeedArgs,
    /// Geofences: a GeoJSON file (Polygon, MultiPolygon, or Point with a radius in metres).
    #[arg(long, value_name = "FILE.geojson")]
    geofences: Option<std::path::PathBuf>,
    /// The rules (TOML; every rule but alarms is off until enabled there). Without it, the
    /// config file's [alerts] table; without that, alarms only.
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
pub(super) struct StatsArgs {
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

pub(super) fn record(args: RecordArgs) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    let specs = args.feeds.enabled_specs()?;
    let feeds = specs.into_iter().map(FeedConfig::from_spec).collect();
    let quiet = !std::io::stderr().is_terminal();
    let written = fleetview::commands::record::run(
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
pub(super) struct AlertSources {
    pub(super) geofences: Option<std::path::PathBuf>,
    rules: Option<fleetview::alerts::Rules>,
}

impl AlertSources {
    pub(super) fn read(
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

    /// The window's engine: always one (without rules, the default rules raise alarms and
    /// nothing routine). A geofence file not made yet starts empty: the Geofences window draws
    /// into it and saves it.
    pub(super) fn engine(&self) -> anyhow::Result<fleetview::alerts::Engine> {
        use fleetview::alerts::{Engine, Geofences};
        let fences = match &self.geofences {
            Some(path) if path.exists() => Geofences::load(path)?,
            _ => Geofences::default(),
        };
        Ok(Engine::new(self.rules.clone().unwrap_or_default(), fences))
    }
}

pub(super) fn alerts(args: AlertsArgs) -> anyhow::Result<ExitCode> {
    use fleetview::alerts::{Engine, Geofences};
    fleetview::feed::install_crypto_provider();
    let specs = args.feeds.enabled_specs()?;
    let sources = AlertSources::read(
        &args.feeds,
        args.geofences.as_deref(),
        args.rules.as_deref(),
    )?;
    let rules = sources.rules.unwrap_or_else(|| {
        tracing::info!("no rules given: alarms the feeds report are the only alerts");
        fleetview::alerts::Rules::default()
    });
    let fences = match &sources.geofences {
        Some(path) => Geofences::load(path)?,
        None => Geofences::default(),
    };
    let feeds = specs.into_iter().map(FeedConfig::from_spec).collect();
    let summary = fleetview::commands::alerts::run(
        feeds,
        FleetConfig::default(),
        Engine::new(rules, fences),
        args.webhook,
        args.duration,
        fleetview::clock::system(),
        &mut std::io::stdout().lock(),
    )
    .context("alerts")?;
    if summary.webhook_failed + summary.webhook_dropped > 0 {
        tracing::warn!(?summary, "some alerts did not reach the webhook");
    }
    Ok(ExitCode::SUCCESS)
}

/// Each feed as `stats` runs it: the subscription and frame limit asked for, and never more
/// vehicles pending (nor compact ids) than the model keeps, so `--max-vehicles` is the one bound
/// (as in the window).
fn stats_feeds(specs: Vec<FeedSpec>, args: &StatsArgs) -> Vec<FeedConfig> {
    let subscribe = Subscribe {
        bbox: args.bbox,
        ids: (!args.ids.is_empty()).then(|| args.ids.clone()),
        ..Subscribe::default()
    };
    specs
        .into_iter()
        .map(|spec| {
            let mut feed = FeedConfig::from_spec(spec);
            feed.subscribe = subscribe.clone();
            feed.limits.max_frame_bytes = args.max_frame_bytes;
            feed.max_pending_vehicles = args.max_vehicles.max(1);
            feed
        })
        .collect()
}

pub(super) fn stats(args: StatsArgs) -> anyhow::Result<ExitCode> {
    fleetview::feed::install_crypto_provider();
    let mut feed_args = args.feeds.clone();
    if let Some(url) = args.positional.clone() {
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
    let feeds = stats_feeds(specs, &args);
    let fleet = FleetConfig {
        max_vehicles: args.max_vehicles.max(1),
        ..FleetConfig::default()
    };
    let report = fleetview::stats::run(feeds, fleet, args.duration, fleetview::clock::system())
        .context("stats")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Stats {
        #[command(flatten)]
        args: StatsArgs,
    }

    #[test]
    fn stats_holds_as_many_vehicles_pending_as_max_vehicles_says() {
        let parsed = Stats::try_parse_from([
            "stats",
            "ws://127.0.0.1:9/feed",
            "--max-vehicles",
            "1000000",
        ])
        .expect("parses");
        let spec = FeedSpec::fleetview("ws://127.0.0.1:9/feed");
        let feeds = stats_feeds(vec![spec], &parsed.args);
        assert_eq!(feeds[0].max_pending_vehicles, 1_000_000);
    }
}
