//! The node's cluster task: hands its own fixes to [`Own`] (published, or held while NATS is
//! down and told when it is back), takes the peers' into the hub, starts the bucket writes and
//! reads the bucket again whenever the connection comes back.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};

use super::own::{Own, READ_TRIES};
use super::{Cluster, LIVE};
use crate::HubMsg;
use fleetview_core::clock::now_ms;
use fleetview_core::protocol::{DecodeLimits, FixBatch, RejectTally, decode_report};

/// What the cluster did, for `/metrics` and the log.
#[derive(Debug, Default)]
pub struct ClusterStats {
    pub peers: AtomicU64,
    pub fixes_out: AtomicU64,
    pub messages_out: AtomicU64,
    pub fixes_in: AtomicU64,
    pub messages_in: AtomicU64,
    /// Peer messages that were not reports fleetview reads.
    pub refused_in: AtomicU64,
    pub bucket_writes: AtomicU64,
    pub bucket_errors: AtomicU64,
    /// Vehicles read from the bucket (at start and after each reconnect).
    pub bucket_loaded: AtomicU64,
    /// Age of the newest fix of the last peer message when it arrived, ms.
    pub lag_ms: AtomicU64,
    pub publish_errors: AtomicU64,
    /// Own vehicles whose newest fix waits for NATS to come back.
    pub unsent: AtomicU64,
    /// Own fixes not kept while NATS was down (more vehicles waiting than the limit).
    pub unsent_refused: AtomicU64,
}

/// Runs the node's side of the cluster until `shutdown`. `ready` is told once the bucket has
/// been read (or could not be), so the server serves its first snapshot with the whole fleet.
pub(crate) async fn run(
    mut cluster: Cluster,
    hub: mpsc::Sender<HubMsg>,
    mut outbound: mpsc::Receiver<FixBatch>,
    stats: Arc<ClusterStats>,
    ready: oneshot::Sender<()>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut own = Own::new(&cluster, stats.clone());
    // The live subjects first, then the bucket: nothing published meanwhile is missed.
    let mut live = cluster
        .client
        .subscribe(format!("{LIVE}.>"))
        .await
        .inspect_err(|e| tracing::error!(error = %e, "cannot subscribe to the peers' fixes"))
        .ok();
    own.read_bucket(&hub, READ_TRIES).await;
    cluster.reconnected.borrow_and_update();
    let _ = ready.send(());
    let mut peers: HashMap<String, Instant> = HashMap::new();
    let mut flush = every(Duration::from_millis(500));
    let mut log_every = every(Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = log_every.tick() => log(&stats),
            batch = outbound.recv() => {
                let Some(batch) = batch else { break };
                own.fixes(batch).await;
            }
            message = next(&mut live) => {
                let Some(message) = message else {
                    live = None;
                    continue;
                };
                if message.subject.as_str() != own.subject()
                    && !from_peer(&message, &mut peers, &hub, &stats).await
                {
                    break;
                }
            }
            _ = flush.tick() => own.tick(&hub).await,
            Some(written) = own.writes.in_flight.next(), if !own.writes.in_flight.is_empty() => {
                own.writes.done(written, &stats);
            }
            changed = cluster.reconnected.changed() => {
                if changed.is_err() {
                    continue;
                }
                own.back().await;
            }
        }
    }
}

/// Takes a peer's message into the hub; false when the hub has gone.
async fn from_peer(
    message: &async_nats::Message,
    peers: &mut HashMap<String, Instant>,
    hub: &mpsc::Sender<HubMsg>,
    stats: &ClusterStats,
) -> bool {
    let peer = message
        .subject
        .as_str()
        .trim_start_matches(LIVE)
        .trim_start_matches('.');
    if peers.insert(peer.to_owned(), Instant::now()).is_none() {
        tracing::info!(peer, "a peer node is publishing");
    }
    stats.peers.store(peers.len() as u64, Ordering::Relaxed);
    let text = String::from_utf8_lossy(&message.payload);
    let mut refused = RejectTally::default();
    match decode_report(&text, &DecodeLimits::default(), &mut refused) {
        Ok(batch) => {
            stats.messages_in.fetch_add(1, Ordering::Relaxed);
            stats
                .fixes_in
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            if let Some(newest) = batch.iter().map(|f| f.ts).max() {
                stats
                    .lag_ms
                    .store((now_ms() - newest).max(0) as u64, Ordering::Relaxed);
            }
            hub.send(HubMsg::PeerReport(batch)).await.is_ok()
        }
        Err(e) => {
            stats.refused_in.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(peer, reason = %e, "a peer's message is not a report");
            true
        }
    }
}

/// An interval that, when late, waits rather than bursting.
fn every(period: Duration) -> tokio::time::Interval {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval
}

fn log(stats: &ClusterStats) {
    let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
    tracing::info!(
        peers = n(&stats.peers),
        fixes_out = n(&stats.fixes_out),
        fixes_in = n(&stats.fixes_in),
        bucket_writes = n(&stats.bucket_writes),
        bucket_errors = n(&stats.bucket_errors),
        unsent = n(&stats.unsent),
        lag_ms = n(&stats.lag_ms),
        "cluster"
    );
}

async fn next(live: &mut Option<async_nats::Subscriber>) -> Option<async_nats::Message> {
    match live {
        Some(sub) => sub.next().await,
        None => std::future::pending().await,
    }
}
