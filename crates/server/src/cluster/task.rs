//! The node's cluster task: publishes its own fixes (one message per tick and frame-sized part),
//! takes the peers' into the hub, writes each vehicle's newest fix to the bucket (at most every
//! few seconds per vehicle, acknowledged, a bounded number in flight) and reads the bucket again
//! whenever the connection comes back.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{mpsc, oneshot, watch};

use super::described::{Described, RETELL};
use super::encode::{bucket_key, report_text};
use super::{Cluster, LIVE};
use crate::{FRAME_POSITIONS, HubMsg};
use fleetview_core::clock::now_ms;
use fleetview_core::protocol::{DecodeLimits, FixBatch, RejectTally, decode_report};

/// Bucket writes awaiting their acknowledgement, at most.
const IN_FLIGHT: usize = 256;

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
}

type Put = Pin<Box<dyn Future<Output = bool> + Send>>;

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
    let own = cluster.config.subject();
    // The live subjects first, then the bucket: nothing published meanwhile is missed.
    let mut live = cluster
        .client
        .subscribe(format!("{LIVE}.>"))
        .await
        .inspect_err(|e| tracing::error!(error = %e, "cannot subscribe to the peers' fixes"))
        .ok();
    load_bucket(&cluster.kv, &hub, &stats).await;
    cluster.reconnected.borrow_and_update();
    let _ = ready.send(());
    let mut peers: HashMap<String, Instant> = HashMap::new();
    let mut writes = Writes::default();
    let mut described = Described::default();
    let mut flush = every(Duration::from_millis(500));
    let mut log_every = every(Duration::from_secs(30));
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = log_every.tick() => log(&stats),
            batch = outbound.recv() => {
                let Some(batch) = batch else { break };
                publish(&cluster.client, &own, &batch, &mut described, &stats).await;
                if let Some(js) = &cluster.history {
                    let failed = super::history::publish(js, &batch).await;
                    stats.publish_errors.fetch_add(failed, Ordering::Relaxed);
                }
                writes.queue(batch);
            }
            message = next(&mut live) => {
                let Some(message) = message else {
                    live = None;
                    continue;
                };
                if message.subject.as_str() != own
                    && !from_peer(&message, &mut peers, &hub, &stats).await
                {
                    break;
                }
            }
            _ = flush.tick() => writes.start(&cluster.kv, cluster.config.write_every),
            Some(ok) = writes.in_flight.next(), if !writes.in_flight.is_empty() => {
                let counter = if ok { &stats.bucket_writes } else { &stats.bucket_errors };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            changed = cluster.reconnected.changed() => {
                if changed.is_err() {
                    continue;
                }
                tracing::info!("NATS is back: reading the bucket again");
                load_bucket(&cluster.kv, &hub, &stats).await;
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

/// The node's own fixes of one tick, in frame-sized messages.
async fn publish(
    client: &async_nats::Client,
    subject: &str,
    batch: &FixBatch,
    described: &mut Described,
    stats: &ClusterStats,
) {
    let now = Instant::now();
    let fixes: Vec<_> = batch.iter().map(|f| described.lean(f, now)).collect();
    if described.len() > 2 * batch.len() + 100_000 {
        described.forget_older_than(RETELL * 4, now);
    }
    for part in fixes.chunks(FRAME_POSITIONS) {
        let text = report_text(part.iter().copied());
        match client.publish(subject.to_owned(), Bytes::from(text)).await {
            Ok(()) => {
                stats.messages_out.fetch_add(1, Ordering::Relaxed);
                stats
                    .fixes_out
                    .fetch_add(part.len() as u64, Ordering::Relaxed);
            }
            Err(e) => {
                stats.publish_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(error = %e, "cannot publish to NATS");
            }
        }
    }
}

/// Bucket writes: each vehicle's newest fix waiting (as its tick's batch and its place in it,
/// written out only when its turn comes: most are replaced by a newer one first), when each was
/// last written, and the puts awaiting their acknowledgement.
#[derive(Default)]
struct Writes {
    pending: HashMap<String, (Arc<FixBatch>, usize)>,
    written: HashMap<String, Instant>,
    in_flight: FuturesUnordered<Put>,
}

impl Writes {
    /// Only each vehicle's newest fix waits.
    fn queue(&mut self, batch: FixBatch) {
        let batch = Arc::new(batch);
        for (i, fix) in batch.iter().enumerate() {
            match self.pending.get_mut(fix.id) {
                Some(held) => *held = (batch.clone(), i),
                None => {
                    self.pending.insert(fix.id.to_owned(), (batch.clone(), i));
                }
            }
        }
    }

    /// Starts writes for vehicles not written within `every`, up to [`IN_FLIGHT`] awaiting their
    /// acknowledgement; the rest wait.
    fn start(&mut self, kv: &async_nats::jetstream::kv::Store, every: Duration) {
        let now = Instant::now();
        let due: Vec<String> = self
            .pending
            .keys()
            .filter(|id| self.written.get(*id).is_none_or(|t| now - *t >= every))
            .take(IN_FLIGHT.saturating_sub(self.in_flight.len()))
            .cloned()
            .collect();
        for id in due {
            let Some(value) = self
                .pending
                .remove(&id)
                .and_then(|(b, i)| b.get(i).map(|fix| Bytes::from(report_text([fix]))))
            else {
                continue;
            };
            self.written.insert(id.clone(), now);
            let kv = kv.clone();
            let key = bucket_key(&id);
            self.in_flight
                .push(Box::pin(async move { kv.put(key, value).await.is_ok() }));
        }
        // Forget vehicles not written for long: the map stays the size of the live fleet.
        if self.written.len() > 2 * self.pending.len() + 10_000 {
            self.written.retain(|_, t| now - *t < every * 20);
        }
    }
}

/// Reads every vehicle's newest fix from the bucket into the hub (as from a peer).
async fn load_bucket(
    kv: &async_nats::jetstream::kv::Store,
    hub: &mpsc::Sender<HubMsg>,
    stats: &ClusterStats,
) {
    let started = Instant::now();
    match kv.status().await {
        Ok(status) if status.values() == 0 => return,
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the bucket's status");
            return;
        }
    }
    let mut watch = match kv.watch_with_history(">").await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the bucket");
            return;
        }
    };
    let limits = DecodeLimits::default();
    let mut batch = FixBatch::default();
    let mut loaded = 0u64;
    loop {
        let entry = tokio::time::timeout(Duration::from_secs(5), watch.next()).await;
        let Ok(Some(Ok(entry))) = entry else { break };
        let text = String::from_utf8_lossy(&entry.value);
        let mut refused = RejectTally::default();
        if let Ok(fixes) = decode_report(&text, &limits, &mut refused) {
            batch.append(&fixes);
            loaded += fixes.len() as u64;
        }
        if batch.len() >= FRAME_POSITIONS || entry.delta == 0 {
            let full = std::mem::take(&mut batch);
            if hub.send(HubMsg::PeerReport(full)).await.is_err() {
                return;
            }
        }
        if entry.delta == 0 {
            break;
        }
    }
    stats.bucket_loaded.fetch_add(loaded, Ordering::Relaxed);
    tracing::info!(
        vehicles = loaded,
        ms = started.elapsed().as_millis() as u64,
        "read the bucket"
    );
}
