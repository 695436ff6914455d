//! `fleetview-server`: the feed server, optionally with a simulated fleet, until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::sync::watch;

use fleetview_core::clock::now_ms;
use fleetview_core::sim::{Network, Sim, SimConfig};
use fleetview_server::cluster::{Cluster, ClusterConfig};
use fleetview_server::history::HistoryConfig;
use fleetview_server::{Listeners, ServerConfig, TlsFiles, TrackerKind, serve, tls_acceptor};

/// The fleetview feed server (protocol v1, see the README).
///
/// Viewers connect to ws://HOST:PORT/feed and subscribe; devices and gateways publish `report`
/// messages to ws://HOST:PORT/ingest. Changes go out in one batch per tick.
#[derive(Parser)]
#[command(name = "fleetview-server", version, about, long_about)]
struct Args {
    /// Address to listen on. Tokens are off by default, which is only sensible on loopback.
    #[arg(long, env = "FLEETVIEW_LISTEN", default_value = "127.0.0.1:9000")]
    listen: String,
    /// Run a simulated fleet of this many vehicles on the Cairns bus routes (0: none).
    #[arg(long, default_value_t = 0, env = "FLEETVIEW_SIM")]
    sim: usize,
    /// Make every simulated tracker report at this interval (±20%) instead of each at its own
    /// between 1 and 5 s (e.g. 1s, for load tests).
    #[arg(long, value_parser = humantime::parse_duration, env = "FLEETVIEW_SIM_REPORT_EVERY")]
    sim_report_every: Option<Duration>,
    /// Seed of the simulated fleet: the same seed gives the same fleet and motion.
    #[arg(long, default_value_t = 1, env = "FLEETVIEW_SEED")]
    seed: u64,
    /// How often changes are sent to viewers (e.g. 200ms).
    #[arg(long, default_value = "200ms", value_parser = humantime::parse_duration, env = "FLEETVIEW_TICK")]
    tick: Duration,
    /// Remove a vehicle after this long without a report (e.g. 10m).
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration, env = "FLEETVIEW_DROP_AFTER")]
    drop_after: Duration,
    /// Token viewers must present (Authorization: Bearer, ?token=, or in `subscribe`).
    #[arg(long, env = "FLEETVIEW_VIEWER_TOKEN", hide_env_values = true)]
    viewer_token: Option<String>,
    /// Token publishers must present on /ingest (Authorization: Bearer or ?token=).
    #[arg(long, env = "FLEETVIEW_PUBLISHER_TOKEN", hide_env_values = true)]
    publisher_token: Option<String>,
    /// Most open connections; more are refused with HTTP 503.
    #[arg(long, default_value_t = 10_000, env = "FLEETVIEW_MAX_CONNECTIONS")]
    max_connections: usize,
    /// Most open connections from one client address; more are closed at once.
    #[arg(
        long,
        default_value_t = 256,
        env = "FLEETVIEW_MAX_CONNECTIONS_PER_ADDRESS"
    )]
    max_connections_per_address: usize,
    /// Serve tracker apps over HTTP here (the OsmAnd protocol of Traccar Client and OsmAnd, and
    /// /healthz), e.g. 0.0.0.0:5055, Traccar's port for it. Off by default.
    #[arg(long, env = "FLEETVIEW_DEVICE_LISTEN")]
    device_listen: Option<String>,
    /// Serve Teltonika trackers (FMB, FMC, FMM: codecs 8, 8E, 16) over TCP here, e.g.
    /// 0.0.0.0:5027 (the conventional port). Off by default.
    #[arg(long, env = "FLEETVIEW_TELTONIKA_LISTEN")]
    teltonika_listen: Option<String>,
    /// Serve GT06 / Concox trackers over TCP here, e.g. 0.0.0.0:5023 (the conventional port).
    /// Off by default.
    #[arg(long, env = "FLEETVIEW_GT06_LISTEN")]
    gt06_listen: Option<String>,
    /// Tracker connections at most, over every tracker port.
    #[arg(
        long,
        env = "FLEETVIEW_MAX_TRACKER_CONNECTIONS",
        default_value_t = 50_000
    )]
    max_tracker_connections: usize,
    /// Tracker connections one client address may hold; 0 for no cap (the default: trackers on
    /// mobile networks arrive through a few carrier NAT addresses).
    #[arg(
        long,
        env = "FLEETVIEW_TRACKER_CONNECTIONS_PER_ADDRESS",
        default_value_t = 0
    )]
    tracker_connections_per_address: usize,
    /// Connections one client address may hold on the HTTP device port; 0 for no cap (the
    /// default: phones on mobile networks share carrier NAT addresses).
    #[arg(
        long,
        env = "FLEETVIEW_DEVICE_CONNECTIONS_PER_ADDRESS",
        default_value_t = 0
    )]
    device_connections_per_address: usize,
    /// Users who may post OwnTracks locations on the device port: a file of `name:hash` lines,
    /// the hash an Argon2 PHC string (`$argon2id$...`). Without it, anyone may.
    #[arg(long, env = "FLEETVIEW_USERS")]
    users: Option<std::path::PathBuf>,
    /// The devices that may report (a TOML file of [[device]] id, label, kind, secret); without
    /// it any device id is accepted.
    #[arg(long, env = "FLEETVIEW_REGISTRY")]
    registry: Option<std::path::PathBuf>,
    /// A connection must finish its WebSocket upgrade (and TLS handshake) within this.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, env = "FLEETVIEW_UPGRADE_TIMEOUT")]
    upgrade_timeout: Duration,
    /// Largest message a peer may send, in bytes.
    #[arg(long, default_value_t = 4 * 1024 * 1024, env = "FLEETVIEW_MAX_MESSAGE_BYTES")]
    max_message_bytes: usize,
    /// Frames queued per viewer before it counts as behind and is resynced with a snapshot.
    #[arg(long, default_value_t = 16, env = "FLEETVIEW_VIEWER_QUEUE")]
    viewer_queue: usize,
    /// How often viewers are pinged.
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration, env = "FLEETVIEW_PING_INTERVAL")]
    ping_interval: Duration,
    /// Disconnect a peer silent (or not reading) this long.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, env = "FLEETVIEW_IDLE_TIMEOUT")]
    idle_timeout: Duration,
    /// Refuse reports faster than this, in m/s.
    #[arg(long, default_value_t = 150.0, env = "FLEETVIEW_MAX_SPEED")]
    max_speed: f32,
    /// Serve wss:// with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key", env = "FLEETVIEW_TLS_CERT")]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert", env = "FLEETVIEW_TLS_KEY")]
    tls_key: Option<std::path::PathBuf>,
    /// A browser origin allowed to connect (repeat for more); without any, every origin may.
    /// Clients that are not browsers send no Origin and are not affected.
    #[arg(
        long = "allowed-origin",
        env = "FLEETVIEW_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Most vehicles held; reports of new ones beyond it are refused.
    #[arg(long, default_value_t = 200_000, env = "FLEETVIEW_MAX_VEHICLES")]
    max_vehicles: usize,
    /// Messages a publisher may send per second on average (twice that in a burst).
    #[arg(long, default_value_t = 100.0, env = "FLEETVIEW_MAX_REPORTS_PER_S")]
    max_reports_per_s: f64,
    /// Subscriptions a viewer may send per minute.
    #[arg(long, default_value_t = 30.0, env = "FLEETVIEW_MAX_SUBSCRIBES_PER_MIN")]
    max_subscribes_per_min: f64,
    /// Log filter (tracing's EnvFilter syntax); logs go to stderr.
    #[arg(long, env = "FLEETVIEW_LOG", default_value = "info")]
    log: String,
    /// Join other nodes as one fleet over NATS: nats://HOST:PORT or tls://HOST:PORT (several,
    /// comma-separated, for a NATS cluster). Without it the server stands alone.
    #[arg(long, env = "FLEETVIEW_NATS", requires = "node_id")]
    nats: Option<String>,
    /// This node's name in the cluster (letters, digits, - and _): its fixes go out on
    /// fleet.live.NAME.
    #[arg(long, env = "FLEETVIEW_NODE_ID")]
    node_id: Option<String>,
    /// NATS user (with --nats-password).
    #[arg(long, env = "FLEETVIEW_NATS_USER", requires = "nats_password")]
    nats_user: Option<String>,
    #[arg(long, env = "FLEETVIEW_NATS_PASSWORD", hide_env_values = true)]
    nats_password: Option<String>,
    /// NATS token.
    #[arg(long, env = "FLEETVIEW_NATS_TOKEN", hide_env_values = true)]
    nats_token: Option<String>,
    /// CA certificates (PEM) for a tls:// NATS server.
    #[arg(long, env = "FLEETVIEW_NATS_CA_FILE")]
    nats_ca_file: Option<std::path::PathBuf>,
    /// Where history is kept (default: the platform's data directory, e.g.
    /// ~/.local/share/fleetview-server on Linux).
    #[arg(long, env = "FLEETVIEW_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// Keep no history: a restart empties the map until devices report again, and the
    /// /api/track, /api/fleet, /api/trips, /api/stops and /api/summary routes answer 501.
    #[arg(long, env = "FLEETVIEW_NO_HISTORY")]
    no_history: bool,
    /// Drop history older than this (e.g. 30d, 12h).
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration, env = "FLEETVIEW_HISTORY_RETENTION")]
    history_retention: Duration,
    /// Drop the oldest history beyond this many bytes on disk.
    #[arg(long, env = "FLEETVIEW_HISTORY_MAX_BYTES")]
    history_max_bytes: Option<u64>,
    /// The span of arrival time one history segment covers (e.g. 1h, 10m).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration, env = "FLEETVIEW_HISTORY_SEGMENT")]
    history_segment: Duration,
    /// The JetStream key-value bucket of last-known positions.
    #[arg(
        long,
        default_value = "fleetview-positions",
        env = "FLEETVIEW_NATS_BUCKET"
    )]
    nats_bucket: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleetview-server: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let device_listen = args.device_listen.clone();
    let registry = match &args.registry {
        Some(path) => Some(std::sync::Arc::new(
            fleetview_server::registry::Registry::load(path)?,
        )),
        None => None,
    };
    let users = match &args.users {
        Some(path) => Some(std::sync::Arc::new(fleetview_server::users::Users::load(
            path,
        )?)),
        None => None,
    };
    let history = history_config(&args)?;
    let mut config = ServerConfig {
        tick: args.tick,
        drop_after: args.drop_after,
        viewer_token: args.viewer_token,
        publisher_token: args.publisher_token,
        max_connections: args.max_connections.max(1),
        max_message_bytes: args.max_message_bytes,
        viewer_queue: args.viewer_queue.max(1),
        ping_interval: args.ping_interval,
        idle_timeout: args.idle_timeout,
        upgrade_timeout: args.upgrade_timeout,
        max_connections_per_address: args.max_connections_per_address.max(1),
        tracker_listen: [
            (TrackerKind::Teltonika, &args.teltonika_listen),
            (TrackerKind::Gt06, &args.gt06_listen),
        ]
        .into_iter()
        .filter_map(|(k, at)| Some((k, at.clone()?)))
        .collect(),
        max_tracker_connections: args.max_tracker_connections.max(1),
        tracker_connections_per_address: args.tracker_connections_per_address,
        device_connections_per_address: args.device_connections_per_address,
        users,
        registry,
        max_speed: args.max_speed,
        tls: args
            .tls_cert
            .zip(args.tls_key)
            .map(|(cert, key)| TlsFiles { cert, key }),
        allowed_origins: args.allowed_origins,
        max_vehicles: args.max_vehicles.max(1),
        max_reports_per_s: args.max_reports_per_s.max(0.1),
        max_subscribes_per_min: args.max_subscribes_per_min.max(1.0),
        history,
        ..ServerConfig::default()
    };
    if let Some(files) = &config.tls {
        tls_acceptor(files)?;
    }
    config.limits.max_frame_bytes = args.max_message_bytes;
    let sim = if args.sim > 0 {
        let network = Network::cairns().context("loading the Cairns routes")?;
        let mut sim = SimConfig::new(args.sim, args.seed);
        if let Some(every) = args.sim_report_every {
            let ms = every.as_millis().max(100) as i64;
            sim.report_every_ms = (ms, ms);
        }
        Some(Sim::new(network, sim, now_ms()))
    } else {
        None
    };
    let drop_after = args.drop_after;
    let cluster_config = args
        .nats
        .clone()
        .zip(args.node_id.clone())
        .map(|(url, node)| {
            let mut c = ClusterConfig::new(url, node);
            c.user = args.nats_user.clone();
            c.password = args.nats_password.clone();
            c.token = args.nats_token.clone();
            c.ca_file = args.nats_ca_file.clone();
            c.bucket = args.nats_bucket.clone();
            // On a cluster, history lives in JetStream, not in one node's files.
            c.history = (!args.no_history).then_some(args.history_retention);
            c
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("fleetview-server")
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let scheme = if config.tls.is_some() { "wss" } else { "ws" };
        if !addr.ip().is_loopback() && (config.viewer_token.is_none() || config.publisher_token.is_none()) {
            tracing::warn!(%addr, "listening beyond loopback without both tokens: anyone who can reach it can watch or publish");
        }
        if !addr.ip().is_loopback() && config.registry.is_none() {
            tracing::warn!(%addr, "no device registry (--registry): any device id is accepted");
        }
        tracing::info!(
            viewers = %format!("{scheme}://{addr}/feed"),
            publishers = %format!("{scheme}://{addr}/ingest"),
            simulated = args.sim,
            "fleetview-server listening"
        );
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        tokio::spawn(async move {
            let why = stop_signal().await;
            tracing::info!("{why}: shutting down");
            let _ = shutdown_tx.send(true);
        });
        let devices = match &device_listen {
            Some(at) => {
                let devices = tokio::net::TcpListener::bind(at)
                    .await
                    .with_context(|| format!("cannot listen for devices on {at}"))?;
                tracing::info!(
                    devices = %format!("http://{}/", devices.local_addr()?),
                    "tracker apps (OsmAnd protocol: Traccar Client, OsmAnd) may report here"
                );
                Some(devices)
            }
            None => None,
        };
        let cluster = match cluster_config {
            Some(c) => {
                let url = c.url.clone();
                let cluster = Cluster::connect(c, drop_after).await?;
                tracing::info!(nats = %url, "joined the cluster");
                Some(cluster)
            }
            None => None,
        };
        let trackers = bind_trackers(&config.tracker_listen).await?;
        let listeners = Listeners {
            main: listener,
            devices,
            trackers,
        };
        serve(listeners, config, sim, cluster, shutdown_rx, None).await?;
        anyhow::Ok(())
    })
}

/// A listener for each tracker protocol asked for.
async fn bind_trackers(
    asked: &[(TrackerKind, String)],
) -> anyhow::Result<Vec<(TrackerKind, tokio::net::TcpListener)>> {
    let mut out = Vec::new();
    for (kind, at) in asked {
        let listener = tokio::net::TcpListener::bind(at)
            .await
            .with_context(|| format!("cannot listen for {} trackers on {at}", kind.name()))?;
        tracing::info!(
            protocol = kind.name(),
            at = %listener.local_addr()?,
            "binary trackers may report here"
        );
        out.push((*kind, listener));
    }
    Ok(out)
}

/// Waits for Ctrl-C, or (on Unix) SIGTERM, which is how systemd and `docker stop` ask a service
/// to stop; says which came.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// Where and how long history is kept on this node's disk, from the flags; `None` with
/// `--no-history`, and with `--nats` (the cluster keeps it in JetStream).
fn history_config(args: &Args) -> anyhow::Result<Option<HistoryConfig>> {
    if args.no_history || args.nats.is_some() {
        return Ok(None);
    }
    let dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("fleetview-server"))
            .context("no data directory known for this platform: give --data-dir")?,
    };
    Ok(Some(HistoryConfig {
        dir,
        retention: args.history_retention,
        max_bytes: args.history_max_bytes,
        segment: args.history_segment.max(Duration::from_secs(1)),
    }))
}
