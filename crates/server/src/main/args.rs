//! fleetview-server's command line: every flag, its environment variable and its default.

use std::time::Duration;

use clap::Parser;

/// The fleetview feed server (protocol v1, see the README).
///
/// Viewers connect to ws://HOST:PORT/feed and subscribe; devices and gateways publish `report`
/// messages to ws://HOST:PORT/ingest. Changes go out in one batch per tick.
/// Where `--sim` runs its fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimArea {
    Cairns,
    Australia,
}

#[derive(Parser)]
#[command(name = "fleetview-server", version, about, long_about)]
pub struct Args {
    /// Address to listen on. Tokens are off by default, which is only sensible on loopback.
    #[arg(long, env = "FLEETVIEW_LISTEN", default_value = "127.0.0.1:9000")]
    pub listen: String,
    /// Run a simulated fleet of this many vehicles on the Cairns bus routes (0: none).
    #[arg(long, default_value_t = 0, env = "FLEETVIEW_SIM")]
    pub sim: usize,
    /// Where the simulated fleet runs: `cairns` (its bus routes) or `australia` (those routes
    /// laid over 30 Australian towns: a national fleet).
    #[arg(long, value_enum, default_value = "cairns", env = "FLEETVIEW_SIM_AREA")]
    pub sim_area: SimArea,
    /// Make every simulated tracker report at this interval (±20%) instead of each at its own
    /// between 1 and 5 s (e.g. 1s, for load tests).
    #[arg(long, value_parser = humantime::parse_duration, env = "FLEETVIEW_SIM_REPORT_EVERY")]
    pub sim_report_every: Option<Duration>,
    /// Seed of the simulated fleet: the same seed gives the same fleet and motion.
    #[arg(long, default_value_t = 1, env = "FLEETVIEW_SEED")]
    pub seed: u64,
    /// How often changes are sent to viewers (e.g. 200ms).
    #[arg(long, default_value = "200ms", value_parser = humantime::parse_duration, env = "FLEETVIEW_TICK")]
    pub tick: Duration,
    /// Remove a vehicle after this long without a report (e.g. 10m).
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration, env = "FLEETVIEW_DROP_AFTER")]
    pub drop_after: Duration,
    /// Token viewers must present (Authorization: Bearer, ?token=, or in `subscribe`).
    #[arg(long, env = "FLEETVIEW_VIEWER_TOKEN", hide_env_values = true)]
    pub viewer_token: Option<String>,
    /// Token publishers must present on /ingest (Authorization: Bearer or ?token=).
    #[arg(long, env = "FLEETVIEW_PUBLISHER_TOKEN", hide_env_values = true)]
    pub publisher_token: Option<String>,
    /// Scoped viewer and publisher tokens (TOML: names, SHA-256 hashes, devices, groups, bbox);
    /// read again on SIGHUP or when the file changes.
    #[arg(long, env = "FLEETVIEW_VIEWER_TOKENS")]
    pub viewer_tokens: Option<std::path::PathBuf>,
    /// Most open connections; more are refused with HTTP 503.
    #[arg(long, default_value_t = 10_000, env = "FLEETVIEW_MAX_CONNECTIONS")]
    pub max_connections: usize,
    /// Most open connections from one client address; more are closed at once.
    #[arg(
        long,
        default_value_t = 256,
        env = "FLEETVIEW_MAX_CONNECTIONS_PER_ADDRESS"
    )]
    pub max_connections_per_address: usize,
    /// Serve tracker apps over HTTP here (the OsmAnd protocol of Traccar Client and OsmAnd, and
    /// /healthz), e.g. 0.0.0.0:5055, Traccar's port for it. Off by default.
    #[arg(long, env = "FLEETVIEW_DEVICE_LISTEN")]
    pub device_listen: Option<String>,
    /// Serve Teltonika trackers (FMB, FMC, FMM: codecs 8, 8E, 16) over TCP here, e.g.
    /// 0.0.0.0:5027 (the conventional port). Off by default.
    #[arg(long, env = "FLEETVIEW_TELTONIKA_LISTEN")]
    pub teltonika_listen: Option<String>,
    /// Serve GT06 / Concox trackers over TCP here, e.g. 0.0.0.0:5023 (the conventional port).
    /// Off by default.
    #[arg(long, env = "FLEETVIEW_GT06_LISTEN")]
    pub gt06_listen: Option<String>,
    /// Tracker connections at most, over every tracker port.
    #[arg(
        long,
        env = "FLEETVIEW_MAX_TRACKER_CONNECTIONS",
        default_value_t = 50_000
    )]
    pub max_tracker_connections: usize,
    /// Tracker connections one client address may hold; 0 for no cap (the default: trackers on
    /// mobile networks arrive through a few carrier NAT addresses).
    #[arg(
        long,
        env = "FLEETVIEW_TRACKER_CONNECTIONS_PER_ADDRESS",
        default_value_t = 0
    )]
    pub tracker_connections_per_address: usize,
    /// Connections one client address may hold on the HTTP device port; 0 for no cap (the
    /// default: phones on mobile networks share carrier NAT addresses).
    #[arg(
        long,
        env = "FLEETVIEW_DEVICE_CONNECTIONS_PER_ADDRESS",
        default_value_t = 0
    )]
    pub device_connections_per_address: usize,
    /// Pending connections each port holds before the server accepts them: after a restart
    /// every viewer and device reconnects at once (the kernel caps it at net.core.somaxconn).
    #[arg(long, env = "FLEETVIEW_LISTEN_BACKLOG", default_value_t = fleetview_server::listen::DEFAULT_BACKLOG)]
    pub listen_backlog: u32,
    /// Users who may post OwnTracks locations on the device port: a file of `name:hash` lines,
    /// the hash an Argon2 PHC string (`$argon2id$...`). Without it, anyone may.
    #[arg(long, env = "FLEETVIEW_USERS")]
    pub users: Option<std::path::PathBuf>,
    /// The devices that may report (a TOML file of [[device]] id, label, kind, secret); without
    /// it any device id is accepted.
    #[arg(long, env = "FLEETVIEW_REGISTRY")]
    pub registry: Option<std::path::PathBuf>,
    /// A connection must finish its WebSocket upgrade (and TLS handshake) within this.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, env = "FLEETVIEW_UPGRADE_TIMEOUT")]
    pub upgrade_timeout: Duration,
    /// Largest message a peer may send, in bytes.
    #[arg(long, default_value_t = 4 * 1024 * 1024, env = "FLEETVIEW_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: usize,
    /// Frames queued per viewer before it counts as behind and is resynced with a snapshot.
    #[arg(long, default_value_t = 16, env = "FLEETVIEW_VIEWER_QUEUE")]
    pub viewer_queue: usize,
    /// How often viewers are pinged.
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration, env = "FLEETVIEW_PING_INTERVAL")]
    pub ping_interval: Duration,
    /// Disconnect a peer silent (or not reading) this long.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, env = "FLEETVIEW_IDLE_TIMEOUT")]
    pub idle_timeout: Duration,
    /// Refuse reports faster than this, in m/s.
    #[arg(long, default_value_t = 150.0, env = "FLEETVIEW_MAX_SPEED")]
    pub max_speed: f32,
    /// Serve wss:// with this certificate chain (PEM); needs --tls-key.
    #[arg(long, requires = "tls_key", env = "FLEETVIEW_TLS_CERT")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert", env = "FLEETVIEW_TLS_KEY")]
    pub tls_key: Option<std::path::PathBuf>,
    /// A browser origin allowed to connect (repeat for more); without any, every origin may.
    /// Clients that are not browsers send no Origin and are not affected.
    #[arg(
        long = "allowed-origin",
        env = "FLEETVIEW_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,
    /// Most vehicles held (never fewer than `--sim`); reports of new ones beyond it are refused.
    #[arg(long, default_value_t = 200_000, env = "FLEETVIEW_MAX_VEHICLES")]
    pub max_vehicles: usize,
    /// Messages a publisher may send per second on average (twice that in a burst).
    #[arg(long, default_value_t = 100.0, env = "FLEETVIEW_MAX_REPORTS_PER_S")]
    pub max_reports_per_s: f64,
    /// Subscriptions a viewer may send per minute.
    #[arg(long, default_value_t = 30.0, env = "FLEETVIEW_MAX_SUBSCRIBES_PER_MIN")]
    pub max_subscribes_per_min: f64,
    /// Log filter (tracing's EnvFilter syntax); logs go to stderr.
    #[arg(long, env = "FLEETVIEW_LOG", default_value = "info")]
    pub log: String,
    /// Join other nodes as one fleet over NATS: nats://HOST:PORT or tls://HOST:PORT (several,
    /// comma-separated, for a NATS cluster). Without it the server stands alone.
    #[arg(long, env = "FLEETVIEW_NATS", requires = "node_id")]
    pub nats: Option<String>,
    /// This node's name in the cluster (letters, digits, - and _): its fixes go out on
    /// fleet.live.NAME.
    #[arg(long, env = "FLEETVIEW_NODE_ID")]
    pub node_id: Option<String>,
    /// NATS user (with --nats-password).
    #[arg(long, env = "FLEETVIEW_NATS_USER", requires = "nats_password")]
    pub nats_user: Option<String>,
    #[arg(long, env = "FLEETVIEW_NATS_PASSWORD", hide_env_values = true)]
    pub nats_password: Option<String>,
    /// NATS token.
    #[arg(long, env = "FLEETVIEW_NATS_TOKEN", hide_env_values = true)]
    pub nats_token: Option<String>,
    /// CA certificates (PEM) for a tls:// NATS server.
    #[arg(long, env = "FLEETVIEW_NATS_CA_FILE")]
    pub nats_ca_file: Option<std::path::PathBuf>,
    /// Where history is kept (default: the platform's data directory, e.g.
    /// ~/.local/share/fleetview-server on Linux).
    #[arg(long, env = "FLEETVIEW_DATA_DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Keep no history: a restart empties the map until devices report again, and the
    /// /api/track, /api/fleet, /api/trips, /api/stops and /api/summary routes answer 501.
    #[arg(long, env = "FLEETVIEW_NO_HISTORY")]
    pub no_history: bool,
    /// Drop history older than this (e.g. 30d, 12h).
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration, env = "FLEETVIEW_HISTORY_RETENTION")]
    pub history_retention: Duration,
    /// Drop the oldest history beyond this many bytes on disk.
    #[arg(long, env = "FLEETVIEW_HISTORY_MAX_BYTES")]
    pub history_max_bytes: Option<u64>,
    /// The span of arrival time one history segment covers (e.g. 1h, 10m).
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration, env = "FLEETVIEW_HISTORY_SEGMENT")]
    pub history_segment: Duration,
    /// The JetStream key-value bucket of last-known positions.
    #[arg(
        long,
        default_value = "fleetview-positions",
        env = "FLEETVIEW_NATS_BUCKET"
    )]
    pub nats_bucket: String,
}
