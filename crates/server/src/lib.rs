//! The feed server: devices publish `report`s on `/ingest`; viewers subscribe on `/feed` and get
//! a snapshot, then batched `positions` and `remove`s each tick.
//!
//! Tasks: one accept loop, one hub task owning all state ([`Hub`]), one task per connection, and
//! optionally the simulated fleet publishing into the hub. [`EmbeddedServer`] runs all of it on
//! a thread of its own, on an ephemeral loopback port, until dropped.

mod api;
mod auth;
pub mod cluster;
mod conn;
mod embedded;
mod filter;
pub mod gtfs_rt;
pub mod history;
mod http;
mod hub;
mod ingest;
mod limits;
mod link;
pub mod listen;
pub mod metrics;
pub mod registry;
pub mod scopes;
mod tls;
mod trackers;
pub mod users;
mod viewer;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

pub use embedded::EmbeddedServer;
pub use filter::Filter;
pub use hub::{FRAME_POSITIONS, Hub, HubStats, Outgoing, ViewerId};
pub use ingest::{refusal_message, screen};
pub use limits::TokenBucket;
pub use tls::{TlsFiles, tls_acceptor};
pub use trackers::TrackerKind;

use fleetview_core::clock::now_ms;
use fleetview_core::protocol::{DecodeLimits, FixBatch, RejectTally};
use fleetview_core::sim::Sim;

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How often changes go out to viewers.
    pub tick: Duration,
    /// A vehicle silent this long is removed.
    pub drop_after: Duration,
    /// Required from viewers (upgrade header, `?token=`, or `subscribe.token`) when set.
    pub viewer_token: Option<String>,
    /// Required from publishers (upgrade header or `?token=`) when set.
    pub publisher_token: Option<String>,
    /// Scoped viewer and publisher tokens (`--viewer-tokens`), read again on SIGHUP or when
    /// the file changes; beside the server-wide tokens, which still see (or report) everything.
    pub tokens: Option<Arc<scopes::TokensFile>>,
    /// How often the tokens file is looked at for changes.
    pub tokens_poll: Duration,
    /// Open connections at most; more are refused with HTTP 503.
    pub max_connections: usize,
    /// Largest message a peer may send, bytes.
    pub max_message_bytes: usize,
    pub limits: DecodeLimits,
    /// Frames queued per viewer before it is considered behind (and resynced later).
    pub viewer_queue: usize,
    /// How often viewers are pinged.
    pub ping_interval: Duration,
    /// A peer silent (or not reading) this long is disconnected.
    pub idle_timeout: Duration,
    /// From accepting a connection to a finished WebSocket upgrade (TLS handshake included):
    /// a peer that does not get there in time is dropped, so half-open connections cannot hold
    /// the slots.
    pub upgrade_timeout: Duration,
    /// Connections one client address may hold at once; more are closed at once.
    pub max_connections_per_address: usize,
    /// Where to serve tracker apps over HTTP (the OsmAnd protocol, OwnTracks' HTTP mode,
    /// `/healthz`); none by default. (`EmbeddedServer` binds it; `serve` takes it bound.)
    pub device_listen: Option<String>,
    /// Where to serve binary trackers, a port a protocol (`--teltonika-listen`,
    /// `--gt06-listen`); none by default. (`EmbeddedServer` binds them; `serve` takes them bound.)
    pub tracker_listen: Vec<(TrackerKind, String)>,
    /// Tracker connections at most, over every tracker port together.
    pub max_tracker_connections: usize,
    /// Tracker connections one client address may hold; 0: no cap (trackers reach the server
    /// through a few carrier NAT addresses, thousands each; the login deadline guards against
    /// half-open sockets).
    pub tracker_connections_per_address: usize,
    /// Connections one client address may hold on the HTTP device port; 0: no cap (phones on
    /// mobile networks share carrier NAT addresses too; the request deadline guards it).
    pub device_connections_per_address: usize,
    /// Pending connections each port holds before the server accepts them (`--listen-backlog`).
    pub listen_backlog: u32,
    /// Who may post OwnTracks locations (Basic auth against password hashes); without it,
    /// anyone who can reach the device port may.
    pub users: Option<Arc<users::Users>>,
    /// The devices that may report, named as it names them; without it any id may.
    pub registry: Option<Arc<registry::Registry>>,
    /// Reports stamped further ahead of the server's clock are refused.
    pub max_future: Duration,
    /// Reports faster than this (m/s) are refused.
    pub max_speed: f32,
    /// Serve `wss://` with this certificate and key.
    pub tls: Option<TlsFiles>,
    /// Browser origins allowed to connect (`Origin` header); empty allows any. Clients that send
    /// no `Origin` (anything not a browser) are not affected.
    pub allowed_origins: Vec<String>,
    /// Most vehicles held; reports of new ones beyond it are refused (`over_capacity`).
    pub max_vehicles: usize,
    /// Messages a publisher may send per second on average (twice that in a burst).
    pub max_reports_per_s: f64,
    /// Subscriptions a viewer may send per minute (a few at once).
    pub max_subscribes_per_min: f64,
    /// Keep every accepted fix on disk (and restore the fleet from it on start); off when
    /// `None` (the embedded server's default; the binary's is on).
    pub history: Option<history::HistoryConfig>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            tick: Duration::from_millis(200),
            drop_after: Duration::from_secs(600),
            viewer_token: None,
            publisher_token: None,
            tokens: None,
            tokens_poll: Duration::from_secs(2),
            max_connections: 10_000,
            max_message_bytes: 4 * 1024 * 1024,
            limits: DecodeLimits {
                max_frame_bytes: 4 * 1024 * 1024,
                ..DecodeLimits::default()
            },
            viewer_queue: 16,
            ping_interval: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            upgrade_timeout: Duration::from_secs(10),
            max_connections_per_address: 256,
            device_listen: None,
            tracker_listen: Vec::new(),
            max_tracker_connections: 50_000,
            tracker_connections_per_address: 0,
            device_connections_per_address: 0,
            listen_backlog: listen::DEFAULT_BACKLOG,
            users: None,
            registry: None,
            max_future: Duration::from_secs(300),
            max_speed: 150.0,
            tls: None,
            allowed_origins: Vec::new(),
            max_vehicles: 200_000,
            max_reports_per_s: 100.0,
            max_subscribes_per_min: 30.0,
            history: None,
        }
    }
}

/// What the connection tasks tell the hub task.
pub(crate) enum HubMsg {
    Report(FixBatch),
    /// Fixes from another node of the cluster (or its bucket).
    PeerReport(FixBatch),
    Refused(Box<RejectTally>),
    Join {
        viewer: ViewerId,
        filter: Filter,
        tx: mpsc::Sender<Outgoing>,
    },
    Leave(ViewerId),
    Stats(oneshot::Sender<HubStats>),
    /// The tokens file was read again.
    Rescope(Arc<scopes::Tokens>),
    /// Every vehicle held, for the GTFS-Realtime export.
    All(oneshot::Sender<FixBatch>),
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the server thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("cannot load the simulated fleet's routes: {0}")]
    Network(#[from] fleetview_core::sim::NetworkError),
    #[error("the server has stopped")]
    Stopped,
    #[error("TLS: {0}")]
    Tls(String),
    #[error(transparent)]
    History(#[from] history::HistoryError),
}

/// A way to ask the running hub for its counters.
#[derive(Clone)]
pub struct StatsHandle(mpsc::Sender<HubMsg>);

impl StatsHandle {
    pub async fn get(&self) -> Result<HubStats, ServerError> {
        let (tx, rx) = oneshot::channel();
        self.0
            .send(HubMsg::Stats(tx))
            .await
            .map_err(|_| ServerError::Stopped)?;
        rx.await.map_err(|_| ServerError::Stopped)
    }
}

/// The sockets a server listens on, bound by its caller.
pub struct Listeners {
    /// Viewers and publishers (WebSocket), and the HTTP routes beside them.
    pub main: TcpListener,
    /// Tracker apps over HTTP (the device port).
    pub devices: Option<TcpListener>,
    /// Binary trackers, a port a protocol.
    pub trackers: Vec<(TrackerKind, TcpListener)>,
}

/// Serves WebSocket viewers and publishers, tracker apps over HTTP and binary trackers on
/// `listeners` until `shutdown` turns true; `sim` publishes a simulated fleet. With history,
/// the fleet it last held is restored before the first viewer is served.
pub async fn serve(
    listeners: Listeners,
    config: ServerConfig,
    sim: Option<Sim>,
    cluster: Option<cluster::Cluster>,
    mut shutdown: watch::Receiver<bool>,
    stats: Option<oneshot::Sender<StatsHandle>>,
) -> Result<(), ServerError> {
    let config = Arc::new(config);
    let history = match &config.history {
        Some(c) => Some(open_history(c)?),
        None => None,
    };
    let acceptor = config.tls.as_ref().map(tls_acceptor).transpose()?;
    let metrics = Arc::new(metrics::Metrics::new());
    let (hub_tx, hub_rx) = mpsc::channel(1024);
    let stream_history = cluster.as_ref().and_then(cluster::Cluster::stream_history);
    let (hub_task, cluster_ready) = start_hub(
        &config,
        (hub_tx.clone(), hub_rx),
        cluster,
        history.as_ref(),
        &metrics,
        &shutdown,
    );
    // With a cluster, the bucket is read before the first viewer is served.
    if let Some(ready) = cluster_ready
        && tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .is_err()
    {
        tracing::warn!("the cluster's bucket was not read in 30 s: serving what is held");
    }
    if let Some(stats) = stats {
        let _ = stats.send(StatsHandle(hub_tx.clone()));
    }
    // The simulated buses' routes are the Cairns GTFS routes: export them by their route_id.
    let route_ids = sim.as_ref().map_or_else(Default::default, |sim| {
        let routes = &sim.network().routes;
        routes
            .iter()
            .map(|r| (r.name.clone(), r.id.clone()))
            .collect()
    });
    let cx = http::Cx {
        config: config.clone(),
        metrics: metrics.clone(),
        hub: hub_tx.clone(),
        export: Arc::new(gtfs_rt::Export::new(route_ids)),
        history: stream_history
            .map(|s| api::Source::Stream(Box::new(s)))
            .or_else(|| history.as_ref().map(|h| api::Source::Local(h.reader()))),
    };
    if let Some(sim) = sim {
        tokio::spawn(run_sim(sim, hub_tx.clone(), shutdown.clone()));
    }
    if let Some(tokens) = &config.tokens {
        tokio::spawn(scopes::reload::run(
            tokens.clone(),
            config.registry.clone(),
            config.tokens_poll,
            hub_tx.clone(),
            shutdown.clone(),
        ));
    }
    let Listeners {
        main: listener,
        devices,
        trackers,
    } = listeners;
    if let Some(devices) = devices {
        tokio::spawn(http::serve(devices, cx.clone(), shutdown.clone()));
    }
    for (kind, listener) in trackers {
        tokio::spawn(trackers::serve(
            kind,
            listener,
            cx.clone(),
            shutdown.clone(),
        ));
    }
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let by_address = limits::AddressSlots::new(config.max_connections_per_address);
    let next_viewer = Arc::new(AtomicU64::new(1));
    while let Some((stream, peer)) = limits::next_connection(&listener, &mut shutdown).await {
        let Some(address_slot) = by_address.take(peer.ip()) else {
            // Closed before a byte is read: one address cannot hold every slot.
            tracing::debug!(%peer, "too many connections from this address");
            metrics.turned_away(metrics::Turned::Address);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let permit = slots.clone().try_acquire_owned().ok();
        if permit.is_none() {
            metrics.turned_away(metrics::Turned::Full);
        }
        let link = link::Link {
            peer,
            id: next_viewer.fetch_add(1, Ordering::Relaxed),
            permit,
            address_slot,
            deadline: tokio::time::Instant::now() + config.upgrade_timeout,
            cx: cx.clone(),
            shutdown: shutdown.clone(),
        };
        tokio::spawn(link.serve(stream, acceptor.clone()));
    }
    drop((hub_tx, cx));
    // Give sessions a moment to send their close frames, and the hub its last history.
    tokio::time::sleep(Duration::from_millis(100)).await;
    hub_task.abort();
    // Dropping the history writes what is queued, syncs and joins its writer.
    drop(history);
    Ok(())
}

/// Opens the history store, saying what it found.
fn open_history(config: &history::HistoryConfig) -> Result<history::History, ServerError> {
    let (history, opened) =
        history::History::start(config.clone(), fleetview_core::clock::system())?;
    for why in &opened.unreadable {
        tracing::error!(%why, "history: a segment cannot be read (left in place)");
    }
    if opened.recovered.cut_bytes > 0 {
        tracing::warn!(
            cut_bytes = opened.recovered.cut_bytes,
            "history: the live log ended in a torn record (a crash mid-write): cut at the last whole one"
        );
    }
    tracing::info!(
        dir = %config.dir.display(),
        segments = opened.segments,
        fixes = opened.fixes + opened.recovered.records,
        bytes = opened.bytes,
        "history open"
    );
    Ok(history)
}

/// Starts the hub task (holding the fleet history last had, when there is history), and with a
/// cluster the cluster task beside it; the receiver is told when the cluster's bucket has been
/// read.
fn start_hub(
    config: &ServerConfig,
    (hub_tx, hub_rx): (mpsc::Sender<HubMsg>, mpsc::Receiver<HubMsg>),
    cluster: Option<cluster::Cluster>,
    history: Option<&history::History>,
    metrics: &metrics::Metrics,
    shutdown: &watch::Receiver<bool>,
) -> (tokio::task::JoinHandle<()>, Option<oneshot::Receiver<()>>) {
    let drop_after = config.drop_after.as_millis() as i64;
    let mut hub = Hub::new(drop_after).with_max_vehicles(config.max_vehicles);
    if let Some(history) = history {
        hub = hub.with_history(history.sender());
        let now = now_ms();
        match history.reader().fleet_at(now, drop_after) {
            Ok(fleet) => {
                tracing::info!(vehicles = fleet.len(), "restored the fleet from history");
                hub.restore(&fleet, now);
            }
            Err(e) => tracing::error!(error = %e, "history: cannot restore the fleet"),
        }
    }
    let mut ready = None;
    if let Some(cluster) = cluster {
        let (out_tx, out_rx) = mpsc::channel(16);
        hub = hub.with_cluster(out_tx);
        let (ready_tx, ready_rx) = oneshot::channel();
        ready = Some(ready_rx);
        tokio::spawn(cluster::run(
            cluster,
            hub_tx,
            out_rx,
            metrics.cluster.clone(),
            ready_tx,
            shutdown.clone(),
        ));
    }
    let task = tokio::spawn(run_hub(hub, hub_rx, config.tick, shutdown.clone()));
    (task, ready)
}

async fn run_hub(
    mut hub: Hub,
    mut inbox: mpsc::Receiver<HubMsg>,
    tick: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(tick);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut log_every = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = shutdown.changed() => return hub.flush_history(),
            message = inbox.recv() => match message {
                None => return hub.flush_history(),
                Some(HubMsg::Report(batch)) => hub.report(&batch, now_ms()),
                Some(HubMsg::PeerReport(batch)) => hub.report_peer(&batch, now_ms()),
                Some(HubMsg::Refused(tally)) => hub.refused(&tally),
                Some(HubMsg::Join { viewer, filter, tx }) => hub.join(viewer, filter, tx),
                Some(HubMsg::Leave(viewer)) => hub.leave(viewer),
                Some(HubMsg::Stats(reply)) => { let _ = reply.send(hub.stats()); }
                Some(HubMsg::Rescope(tokens)) => hub.rescope(tokens, now_ms()),
                Some(HubMsg::All(reply)) => { let _ = reply.send(hub.all()); }
            },
            _ = ticker.tick() => hub.tick(now_ms()),
            _ = log_every.tick() => {
                let s = hub.stats();
                tracing::info!(vehicles = s.vehicles, viewers = s.viewers, groups = s.groups,
                    reports = s.reports, refused = s.refused, resyncs = s.resyncs, "hub");
            }
        }
    }
}

/// Steps the simulated fleet every 250 ms and publishes its reports; the first publish holds
/// every vehicle, so a new viewer sees the whole fleet at once.
async fn run_sim(mut sim: Sim, hub: mpsc::Sender<HubMsg>, mut shutdown: watch::Receiver<bool>) {
    if hub.send(HubMsg::Report(sim.all(now_ms()))).await.is_err() {
        return;
    }
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => return,
            _ = ticker.tick() => {
                let batch = sim.step(now_ms());
                if !batch.is_empty() && hub.send(HubMsg::Report(batch)).await.is_err() {
                    return;
                }
            }
        }
    }
}
