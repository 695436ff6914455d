//! This node's own fixes on their way to the cluster: published live once a tick, added to the
//! stream's history and queued for the bucket, while NATS is connected. While it is not, nothing
//! is handed to the NATS client (whose buffer would fill and then stall the task): each own
//! vehicle's newest fix waits in [`Unsent`], and when NATS is back they are told at once, live
//! and to the bucket, and told live once more [`RETELL_AFTER`] later, for a peer whose
//! subscription came back after the first telling and which read the bucket before it held
//! them. The node reads the bucket again a moment after NATS is back, for what the peers told
//! while its own subscription was not yet back.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::connection::State;
use async_nats::jetstream;
use bytes::Bytes;
use tokio::sync::mpsc;

use super::Cluster;
use super::bucket::{self, Writes};
use super::described::{Described, RETELL};
use super::encode::report_text;
use super::task::ClusterStats;
use super::unsent::Unsent;
use crate::{FRAME_POSITIONS, HubMsg};
use fleetview_core::protocol::{FixBatch, FixRef};

/// How long after NATS comes back what waited for it is told live again.
pub const RETELL_AFTER: Duration = Duration::from_secs(5);

/// How long after NATS comes back the bucket is read: long enough for the peers that came back
/// at the same moment (the NATS client retries on the same schedule everywhere) to have written
/// what waited for them, which this node's subscription may have been too late to hear.
const READ_AFTER_BACK: Duration = Duration::from_secs(1);

/// A failed read of the bucket is tried again this often, this many times in all.
const REREAD_EVERY: Duration = Duration::from_secs(1);
pub const READ_TRIES: u32 = 20;

/// The node's side of publishing: its connection, its own fixes' state, and the bucket writes.
pub struct Own {
    client: async_nats::Client,
    kv: jetstream::kv::Store,
    history: Option<jetstream::Context>,
    subject: String,
    write_every: Duration,
    stats: Arc<ClusterStats>,
    pub writes: Writes,
    described: Described,
    unsent: Unsent,
    /// What was told when NATS came back, to tell again at the instant given.
    retell: Option<(Arc<FixBatch>, Instant)>,
    /// When to read the bucket again after a failed read, and the tries left.
    reread: Option<(Instant, u32)>,
}

impl Own {
    pub fn new(cluster: &Cluster, stats: Arc<ClusterStats>) -> Self {
        Self {
            client: cluster.client.clone(),
            kv: cluster.kv.clone(),
            history: cluster.history.clone(),
            subject: cluster.config.subject(),
            write_every: cluster.config.write_every,
            stats,
            writes: Writes::default(),
            described: Described::default(),
            unsent: Unsent::default(),
            retell: None,
            reread: None,
        }
    }

    /// This node's live subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    fn connected(&self) -> bool {
        self.client.connection_state() == State::Connected
    }

    /// The own fixes of one tick: told, or held while NATS is down.
    pub async fn fixes(&mut self, batch: FixBatch) {
        if !self.connected() {
            let refused = self.unsent.hold(&batch);
            if refused > 0 {
                self.stats
                    .unsent_refused
                    .fetch_add(refused, Ordering::Relaxed);
            }
            let held = self.unsent.len() as u64;
            self.stats.unsent.store(held, Ordering::Relaxed);
            return;
        }
        self.catch_up().await;
        self.tell(Arc::new(batch)).await;
    }

    /// Every half second, while connected: what waited told, a second telling when due, the
    /// bucket writes started, a failed read of the bucket tried again.
    pub async fn tick(&mut self, hub: &mpsc::Sender<HubMsg>) {
        if !self.connected() {
            return;
        }
        self.catch_up().await;
        let now = Instant::now();
        if let Some((batch, _)) = self.retell.take_if(|(_, at)| *at <= now) {
            let fixes: Vec<FixRef<'_>> = batch.iter().collect();
            publish(&self.client, &self.subject, &fixes, &self.stats).await;
        }
        self.writes.start(&self.kv, self.write_every);
        if let Some((_, tries)) = self.reread.filter(|(at, _)| *at <= now) {
            self.read_bucket(hub, tries).await;
        }
    }

    /// NATS is back: what waited for it is told at once, and the bucket is read again
    /// [`READ_AFTER_BACK`] later.
    pub async fn back(&mut self) {
        tracing::info!(
            waiting = self.unsent.len(),
            "NATS is back: telling what waited, reading the bucket again"
        );
        self.catch_up().await;
        self.reread = Some((Instant::now() + READ_AFTER_BACK, READ_TRIES));
    }

    /// Reads the bucket into the hub; when that fails, tries again later (`tries` in all).
    pub async fn read_bucket(&mut self, hub: &mpsc::Sender<HubMsg>, tries: u32) {
        self.reread = None;
        let Err(e) = bucket::read(&self.kv, hub, &self.stats).await else {
            return;
        };
        self.stats.bucket_errors.fetch_add(1, Ordering::Relaxed);
        if tries > 1 {
            tracing::warn!(error = %e, "cannot read the bucket yet: trying again");
            self.reread = Some((Instant::now() + REREAD_EVERY, tries - 1));
        } else {
            tracing::error!(error = %e, "cannot read the bucket: giving up until NATS reconnects");
        }
    }

    /// Tells the fixes that waited for NATS, if it is connected, and sets the second telling.
    async fn catch_up(&mut self) {
        if self.unsent.is_empty() || !self.connected() {
            return;
        }
        let batch = Arc::new(self.unsent.take());
        self.stats.unsent.store(0, Ordering::Relaxed);
        tracing::info!(
            vehicles = batch.len(),
            "told the fixes that waited for NATS"
        );
        self.tell(batch.clone()).await;
        // Into the bucket now, not at the next tick: a peer back at the same moment may read it
        // before its subscription has caught the first telling.
        self.writes.start(&self.kv, self.write_every);
        self.retell = Some((batch, Instant::now() + RETELL_AFTER));
    }

    /// Publishes `batch` live (its descriptive fields only when new to the peers), adds it to
    /// the stream's history and queues it for the bucket.
    async fn tell(&mut self, batch: Arc<FixBatch>) {
        let now = Instant::now();
        let described = &mut self.described;
        let fixes: Vec<FixRef<'_>> = batch.iter().map(|f| described.lean(f, now)).collect();
        if described.len() > 2 * batch.len() + 100_000 {
            described.forget_older_than(RETELL * 4, now);
        }
        publish(&self.client, &self.subject, &fixes, &self.stats).await;
        drop(fixes);
        if let Some(js) = &self.history {
            let failed = super::history::publish(js, &batch).await;
            self.stats
                .publish_errors
                .fetch_add(failed, Ordering::Relaxed);
        }
        self.writes.queue(batch);
    }
}

/// `fixes` on `subject`, in frame-sized messages.
async fn publish(
    client: &async_nats::Client,
    subject: &str,
    fixes: &[FixRef<'_>],
    stats: &ClusterStats,
) {
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
