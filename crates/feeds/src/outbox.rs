//! The feed thread's side of the bounded event channel.
//!
//! While the UI keeps up, events go straight into the channel. When it is full, data is folded
//! into a pending set instead: the latest fix per vehicle, removals, a snapshot that supersedes
//! everything before it, summed refusals. The socket is never blocked and memory stays bounded
//! by the number of distinct vehicles (itself capped), however long the UI stalls.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use crossbeam_channel::Sender;
use foldhash::fast::RandomState;

use super::{FeedEvent, FeedId, VehicleNotice};
use fleetview_core::protocol::{Fix, FixBatch, FixRef, OwnedMeta, RejectReason, RejectTally};

/// Called after events were sent, to wake the consumer (egui's `request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Most connection-state events kept while the channel is full; older ones are superseded.
const MAX_PENDING_STATUSES: usize = 8;

/// Most vehicle notices kept while the channel is full; the oldest are dropped (and counted).
const MAX_PENDING_NOTICES: usize = 1_000;

/// One feed's side of the shared channel: everything it sends carries its id.
pub struct Outbox {
    feed: FeedId,
    tx: Sender<(FeedId, FeedEvent)>,
    waker: Waker,
    /// Most distinct vehicles held pending; more are refused as over capacity.
    max_pending_vehicles: usize,
    pending: Pending,
}

#[derive(Default)]
struct Pending {
    statuses: VecDeque<FeedEvent>,
    /// A snapshot arrived while full: on flush, `fixes` go out as a snapshot.
    snapshot: bool,
    fixes: HashMap<Box<str>, Held, RandomState>,
    removed: HashSet<Box<str>, RandomState>,
    notices: VecDeque<VehicleNotice>,
    rejected: RejectTally,
    server_error: Option<FeedEvent>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.statuses.is_empty()
            && !self.snapshot
            && self.fixes.is_empty()
            && self.removed.is_empty()
            && self.notices.is_empty()
            && self.rejected.is_empty()
            && self.server_error.is_none()
    }
}

impl Outbox {
    pub fn new(
        feed: FeedId,
        tx: Sender<(FeedId, FeedEvent)>,
        waker: Waker,
        max_pending_vehicles: usize,
    ) -> Self {
        Self {
            feed,
            tx,
            waker,
            max_pending_vehicles,
            pending: Pending::default(),
        }
    }

    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Distinct vehicles held pending (for tests of the memory bound).
    #[cfg(test)]
    pub fn pending_vehicles(&self) -> usize {
        self.pending.fixes.len() + self.pending.removed.len()
    }

    /// Sends an event, or folds it into the pending set when the channel is full.
    pub fn send(&mut self, event: FeedEvent) {
        self.flush();
        if self.pending.is_empty() && !self.tx.is_full() {
            if self.tx.try_send((self.feed, event)).is_ok() {
                (self.waker)();
            }
            return;
        }
        self.absorb(event);
        self.flush();
    }

    /// Sends as much of the pending set as the channel has room for.
    pub fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut sent = false;
        while self.free_slots() > 0 {
            let Some(status) = self.pending.statuses.pop_front() else {
                break;
            };
            match self.tx.try_send((self.feed, status)) {
                Ok(()) => sent = true,
                Err(e) => {
                    // Another feed took the slot: keep it for the next flush.
                    self.pending.statuses.push_front(e.into_inner().1);
                    break;
                }
            }
        }
        if self.pending.statuses.is_empty() {
            sent |= self.flush_data();
        }
        if sent {
            (self.waker)();
        }
    }

    /// Sends pending data one event at a time while there is room; what does not fit stays
    /// pending. Removals go before positions: after coalescing they concern different ids.
    fn flush_data(&mut self) -> bool {
        let mut sent = false;
        while self.free_slots() > 0 {
            let p = &mut self.pending;
            let event = if let Some(e) = p.server_error.take() {
                e
            } else if !p.removed.is_empty() {
                FeedEvent::Removed(p.removed.drain().map(String::from).collect())
            } else if p.snapshot || !p.fixes.is_empty() {
                let mut batch = FixBatch::with_capacity(p.fixes.len(), p.fixes.len() * 24);
                for (id, fix) in p.fixes.drain() {
                    batch.received_ms = batch.received_ms.max(fix.received_ms);
                    batch.push(&fix.as_ref(&id));
                }
                // Release what a long stall made the pending set grow to.
                p.fixes.shrink_to(64);
                p.removed.shrink_to(64);
                if std::mem::take(&mut p.snapshot) {
                    FeedEvent::Snapshot(batch)
                } else {
                    FeedEvent::Positions(batch)
                }
            } else if !p.notices.is_empty() {
                FeedEvent::Notices(p.notices.drain(..).collect())
            } else if !p.rejected.is_empty() {
                FeedEvent::Rejected(Box::new(std::mem::take(&mut p.rejected)))
            } else {
                break;
            };
            // Another feed may take the slot first: then this event waits for the next flush.
            match self.tx.try_send((self.feed, event)) {
                Ok(()) => sent = true,
                Err(e) => {
                    self.absorb(e.into_inner().1);
                    break;
                }
            }
        }
        sent
    }

    fn free_slots(&self) -> usize {
        self.tx
            .capacity()
            .unwrap_or(usize::MAX)
            .saturating_sub(self.tx.len())
    }

    fn absorb(&mut self, event: FeedEvent) {
        let p = &mut self.pending;
        match event {
            FeedEvent::Connecting { .. }
            | FeedEvent::Connected { .. }
            | FeedEvent::Disconnected { .. } => {
                if p.statuses.len() >= MAX_PENDING_STATUSES {
                    p.statuses.pop_front();
                }
                p.statuses.push_back(event);
            }
            FeedEvent::Snapshot(batch) => {
                p.snapshot = true;
                p.fixes.clear();
                p.removed.clear();
                self.absorb_fixes(&batch);
            }
            FeedEvent::Positions(batch) => self.absorb_fixes(&batch),
            FeedEvent::Removed(ids) => {
                for id in ids {
                    p.fixes.remove(id.as_str());
                    // After a pending snapshot, a removal just means "not in the set".
                    if !p.snapshot && p.removed.len() < self.max_pending_vehicles {
                        p.removed.insert(id.into());
                    }
                }
            }
            FeedEvent::Notices(notices) => {
                for notice in notices {
                    if p.notices.len() >= MAX_PENDING_NOTICES {
                        p.notices.pop_front();
                        p.rejected.record(
                            RejectReason::OverCapacity,
                            "a vehicle notice dropped while the viewer is behind",
                        );
                    }
                    p.notices.push_back(notice);
                }
            }
            FeedEvent::Rejected(tally) => p.rejected.merge(&tally),
            e @ FeedEvent::ServerError { .. } => p.server_error = Some(e),
        }
    }

    fn absorb_fixes(&mut self, batch: &FixBatch) {
        let p = &mut self.pending;
        for fix in batch.iter() {
            p.removed.remove(fix.id);
            if let Some(held) = p.fixes.get_mut(fix.id) {
                held.merge(&fix, batch.received_ms);
            } else if p.fixes.len() < self.max_pending_vehicles {
                p.fixes
                    .insert(fix.id.into(), Held::new(&fix, batch.received_ms));
            } else {
                p.rejected.record(
                    RejectReason::OverCapacity,
                    &format!(
                        "vehicle {:?} dropped: more than {} vehicles pending while the viewer is behind",
                        fix.id, self.max_pending_vehicles
                    ),
                );
            }
        }
    }
}

/// A vehicle's newest fix held while the channel is full.
struct Held {
    fix: Fix,
    meta: OwnedMeta,
    received_ms: i64,
}

impl Held {
    fn new(f: &FixRef<'_>, received_ms: i64) -> Self {
        let mut meta = OwnedMeta::default();
        meta.merge(&f.meta);
        Self {
            fix: f.fix(),
            meta,
            received_ms,
        }
    }

    /// Takes a newer fix; descriptive fields it leaves out keep the values held, exactly as
    /// the model would have ended up had it seen both.
    fn merge(&mut self, f: &FixRef<'_>, received_ms: i64) {
        if f.ts < self.fix.ts {
            // Older than what is pending: it would be refused as out of order anyway.
            return;
        }
        self.fix = f.fix();
        self.meta.merge(&f.meta);
        self.received_ms = received_ms;
    }

    fn as_ref<'a>(&'a self, id: &'a str) -> FixRef<'a> {
        self.fix.named(id, self.meta.as_ref())
    }
}

#[cfg(test)]
mod tests;
