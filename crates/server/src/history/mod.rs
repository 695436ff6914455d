//! The server's memory: every fix it accepts, on disk under its data directory, so a restart
//! loses nothing and any dispatcher can ask where a vehicle was.
//!
//! - [`codec`]: the bytes (varints, a fix as a record, a vehicle's fixes as columns of changes);
//! - [`wal`]: the live segment's log, read back on start with a torn tail cut;
//! - [`segment`]: a sealed segment (one block per vehicle, an index, written whole or not at all);
//! - [`store`]: the segments' indexes and the live segment; sealing; retention;
//! - [`query`]: a vehicle's track in a time range, the fleet at a moment.
//!
//! [`History`] owns the writer thread: the hub hands it the fixes it accepted once a tick over a
//! bounded channel; the thread appends them, syncs the log once a second, seals a segment when
//! its span ends and applies the retention once a minute. Queries go through a
//! [`HistoryReader`], from any thread.

pub mod codec;
pub mod query;
pub mod segment;
pub mod store;
pub mod wal;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use fleetview_core::clock::SharedClock;
use fleetview_core::protocol::FixBatch;

pub use query::Page;
pub use segment::SegmentError;
pub use store::Opened;
use store::Store;

/// Batches (one a tick) waiting for the disk before the hub holds on to them itself.
pub const QUEUE: usize = 256;

/// Where and how long history is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryConfig {
    pub dir: PathBuf,
    /// Segments whose fixes all arrived longer ago than this are dropped.
    pub retention: Duration,
    /// Beyond this many bytes on disk the oldest segments are dropped.
    pub max_bytes: Option<u64>,
    /// The span of arrival time one segment covers.
    pub segment: Duration,
}

impl HistoryConfig {
    /// History in `dir` with the defaults: 30 days, no size cap, segments of an hour.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            retention: Duration::from_secs(30 * 24 * 3600),
            max_bytes: None,
            segment: Duration::from_secs(3600),
        }
    }

    pub fn segment_ms(&self) -> i64 {
        (self.segment.as_millis() as i64).max(1000)
    }

    /// The start of the segment `t` falls in.
    pub fn segment_start(&self, t: i64) -> i64 {
        t - t.rem_euclid(self.segment_ms())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("history in {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Segment(#[from] SegmentError),
    #[error("history damaged: {0}")]
    Damaged(String),
    #[error("the history store failed earlier and is closed")]
    Poisoned,
}

/// Reads the store from any thread.
#[derive(Clone)]
pub struct HistoryReader(Arc<Mutex<Store>>);

impl HistoryReader {
    /// A page of vehicle `id`'s fixes in `from..=to`; `None` for a vehicle never heard of.
    pub fn track(
        &self,
        id: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Option<Page>, HistoryError> {
        query::track(&self.0, id, from, to, limit)
    }

    /// Every vehicle's newest fix in `at - within ..= at`.
    pub fn fleet_at(&self, at: i64, within: i64) -> Result<FixBatch, HistoryError> {
        query::fleet_at(&self.0, at, within)
    }

    /// A page of every vehicle's fixes in `from..=to`, in time order.
    pub fn fleet_range(&self, from: i64, to: i64, limit: usize) -> Result<Page, HistoryError> {
        query::fleet_range(&self.0, from, to, limit)
    }
}

/// The store and its writer thread; dropping it writes what is queued, syncs and joins.
pub struct History {
    store: Arc<Mutex<Store>>,
    queue: Sender<FixBatch>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl History {
    /// Opens the store in `config.dir` and starts its writer; what was found on disk.
    pub fn start(
        config: HistoryConfig,
        clock: SharedClock,
    ) -> Result<(Self, Opened), HistoryError> {
        let (store, opened) = Store::open(config, clock.now_ms())?;
        let store = Arc::new(Mutex::new(store));
        let (queue, rx) = bounded(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            store: store.clone(),
            rx,
            clock,
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("fleetview-history".into())
            .spawn(move || writer.run())
            .map_err(|source| HistoryError::Io {
                path: "the writer thread".into(),
                source,
            })?;
        let history = Self {
            store,
            queue,
            stop,
            thread: Some(thread),
        };
        Ok((history, opened))
    }

    pub fn reader(&self) -> HistoryReader {
        HistoryReader(self.store.clone())
    }

    /// Where the hub sends what it accepted.
    pub fn sender(&self) -> HistorySender {
        HistorySender(self.queue.clone())
    }
}

impl Drop for History {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the history writer panicked");
        }
    }
}

/// The hub's end of the writer's queue.
#[derive(Clone)]
pub struct HistorySender(Sender<FixBatch>);

impl HistorySender {
    /// Hands a batch to the writer; gives it back when the writer is behind.
    pub fn offer(&self, batch: FixBatch) -> Result<(), FixBatch> {
        match self.0.try_send(batch) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(b) | TrySendError::Disconnected(b)) => Err(b),
        }
    }
}

struct Writer {
    store: Arc<Mutex<Store>>,
    rx: Receiver<FixBatch>,
    clock: SharedClock,
    stop: Arc<AtomicBool>,
}

impl Writer {
    fn run(self) {
        let (mut synced, mut retained) = (i64::MIN, i64::MIN);
        loop {
            let got = self.rx.recv_timeout(Duration::from_millis(200));
            let stopping = self.stop.load(Ordering::Relaxed);
            let Ok(mut store) = self.store.lock() else {
                return;
            };
            let now = self.clock.now_ms();
            let mut batches: Vec<FixBatch> = got.into_iter().collect();
            if stopping {
                batches.extend(self.rx.try_iter());
            }
            for batch in &batches {
                if let Err(e) = store.append(batch, now) {
                    tracing::error!(error = %e, fixes = batch.len(), "history: cannot write");
                }
            }
            if let Err(e) = store.roll_if_due(now) {
                tracing::error!(error = %e, "history: cannot seal a segment");
            }
            if stopping || now.saturating_sub(synced) >= 1000 {
                synced = now;
                if let Err(e) = store.sync() {
                    tracing::error!(error = %e, "history: cannot sync");
                }
            }
            if now.saturating_sub(retained) >= 60_000 {
                retained = now;
                for gone in store.retain(now) {
                    tracing::info!(segment = %gone, "history: dropped");
                }
            }
            if stopping {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests;
