//! The bucket of last-known positions, as one node uses it: each own vehicle's newest fix
//! written at most every few seconds (acknowledged, a bounded number in flight, a failed write
//! kept to try again unless a newer fix has come), and the whole bucket read into the hub.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream::kv::Store;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;

use super::ClusterError;
use super::encode::{bucket_key, report_text};
use super::task::ClusterStats;
use crate::{FRAME_POSITIONS, HubMsg};
use fleetview_core::protocol::{DecodeLimits, FixBatch, RejectTally, decode_report};

/// Bucket writes awaiting their acknowledgement, at most.
const IN_FLIGHT: usize = 256;

/// A vehicle's fix waiting to be written: in its tick's batch (encoded only when its turn
/// comes: most are replaced by a newer one first), or already encoded by a write that failed.
enum Waiting {
    InBatch(Arc<FixBatch>, usize),
    Encoded(Bytes),
}

/// A finished write: the vehicle, and the value again when it failed.
pub struct Written {
    id: String,
    failed: Option<Bytes>,
}

type Put = Pin<Box<dyn Future<Output = Written> + Send>>;

/// Bucket writes: each vehicle's newest fix waiting, when each was last written, and the puts
/// awaiting their acknowledgement.
#[derive(Default)]
pub struct Writes {
    pending: HashMap<String, Waiting>,
    written: HashMap<String, Instant>,
    pub in_flight: FuturesUnordered<Put>,
}

impl Writes {
    /// Only each vehicle's newest fix waits.
    pub fn queue(&mut self, batch: Arc<FixBatch>) {
        for (i, fix) in batch.iter().enumerate() {
            match self.pending.get_mut(fix.id) {
                Some(held) => *held = Waiting::InBatch(batch.clone(), i),
                None => {
                    self.pending
                        .insert(fix.id.to_owned(), Waiting::InBatch(batch.clone(), i));
                }
            }
        }
    }

    /// Counts a finished write; a failed one waits again (written as soon as it may), unless a
    /// newer fix of its vehicle already does.
    pub fn done(&mut self, written: Written, stats: &ClusterStats) {
        let Some(value) = written.failed else {
            stats.bucket_writes.fetch_add(1, Ordering::Relaxed);
            return;
        };
        stats.bucket_errors.fetch_add(1, Ordering::Relaxed);
        self.written.remove(&written.id);
        self.pending
            .entry(written.id)
            .or_insert(Waiting::Encoded(value));
    }

    /// Starts writes for vehicles not written within `every`, up to [`IN_FLIGHT`] awaiting their
    /// acknowledgement; the rest wait.
    pub fn start(&mut self, kv: &Store, every: Duration) {
        let now = Instant::now();
        let due: Vec<String> = self
            .pending
            .keys()
            .filter(|id| self.written.get(*id).is_none_or(|t| now - *t >= every))
            .take(IN_FLIGHT.saturating_sub(self.in_flight.len()))
            .cloned()
            .collect();
        for id in due {
            let value = match self.pending.remove(&id) {
                Some(Waiting::InBatch(batch, i)) => match batch.get(i) {
                    Some(fix) => Bytes::from(report_text([fix])),
                    None => continue,
                },
                Some(Waiting::Encoded(value)) => value,
                None => continue,
            };
            self.written.insert(id.clone(), now);
            let kv = kv.clone();
            let key = bucket_key(&id);
            self.in_flight.push(Box::pin(async move {
                let failed = match kv.put(key, value.clone()).await {
                    Ok(_) => None,
                    Err(_) => Some(value),
                };
                Written { id, failed }
            }));
        }
        // Forget vehicles not written for long: the map stays the size of the live fleet.
        if self.written.len() > 2 * self.pending.len() + 10_000 {
            self.written.retain(|_, t| now - *t < every * 20);
        }
    }
}

/// Reads every vehicle's newest fix from the bucket into the hub (as from a peer); how many.
pub async fn read(
    kv: &Store,
    hub: &mpsc::Sender<HubMsg>,
    stats: &ClusterStats,
) -> Result<u64, ClusterError> {
    let started = Instant::now();
    let error = |what: &str, e: &dyn std::fmt::Display| ClusterError::Bucket {
        bucket: kv.name.clone(),
        reason: format!("{what}: {e}"),
    };
    // Asked afresh: the store's own `status()` answers what the bucket held when it was opened.
    let info = kv
        .stream
        .get_info()
        .await
        .map_err(|e| error("status", &e))?;
    if info.state.messages == 0 {
        tracing::info!("the bucket is empty");
        return Ok(0);
    }
    let mut watch = kv
        .watch_with_history(">")
        .await
        .map_err(|e| error("read", &e))?;
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
                return Ok(loaded);
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
    Ok(loaded)
}
