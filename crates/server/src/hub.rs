//! The server's state and fan-out: every vehicle's latest fix, and the viewers grouped by filter.
//!
//! One task owns the hub, so nothing is locked. Reports mark vehicles changed; each tick turns
//! the changes into one `positions` frame (and one `remove` frame) per filter group, serialised
//! once and shared by every viewer of the group. A viewer's queue is bounded: when it is full the
//! viewer misses batches and is marked for a resync, and when its queue has room again it gets a
//! fresh snapshot — the latest fix of every vehicle, i.e. its updates coalesced.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::filter::Filter;
use super::history::HistorySender;
use super::scopes::Tokens;
use fleetview_core::protocol::{Encoding, FixBatch};
use group::Group;
pub use rescope::{is_revocation, revoked_bundle};
use stored::Stored;

pub type ViewerId = u64;

/// What a viewer's queue holds: the frames of one tick (a `remove` and a `positions`), or a
/// whole snapshot in parts. One queue slot per bundle, so a viewer never gets half a snapshot;
/// shared among the viewers of a group.
pub type Outgoing = Arc<[Utf8Bytes]>;

/// Most positions in one frame (a snapshot part or a batch): ~140 KB of JSON. Far below any
/// viewer's frame limit however large the fleet, and it bounds what each connection's write
/// buffer grows to (which it keeps): at 1,000 viewers that is the server's memory.
pub const FRAME_POSITIONS: usize = 1_000;

pub(super) struct Viewer {
    group: String,
    tx: mpsc::Sender<Outgoing>,
    /// It missed batches (or has just joined a compact group): its next frame must be a
    /// snapshot.
    needs_snapshot: bool,
    /// Its first snapshot waits for the next tick (compact groups), not a resync.
    joining: bool,
}

/// Counters for logs, `stats` and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HubStats {
    pub vehicles: usize,
    pub viewers: usize,
    /// Viewers behind now: their queue was full, and a snapshot waits for room in it.
    pub viewers_behind: usize,
    /// Distinct filters among the viewers: batches are serialised once per group.
    pub groups: usize,
    pub reports: u64,
    /// Reported fixes older than the one held, ignored.
    pub out_of_order: u64,
    /// Vehicles dropped after going silent.
    pub removed: u64,
    /// Frames serialised (once per group per batch).
    pub frames_serialised: u64,
    /// Frames queued to viewers (a frame shared by n viewers counts n).
    pub frames_queued: u64,
    /// Batches a slow viewer missed because its queue was full.
    pub frames_skipped: u64,
    /// Snapshots sent to bring a slow viewer back up to date.
    pub resyncs: u64,
    /// Report contents refused (decode, screening, rate, capacity), all reasons.
    pub refused: u64,
    /// New vehicles refused because the server holds its maximum.
    pub over_capacity: u64,
    /// Ticks whose own fixes the cluster task could not take (it was behind).
    pub cluster_dropped: u64,
    /// Fixes the history writer could not take before the hub's own hold filled (a disk far
    /// behind), dropped from history (not from the map).
    pub history_dropped: u64,
}

/// Queues `bundle` for a viewer that is up to date; one that is behind (or whose queue is full)
/// gets a snapshot later instead.
pub(super) fn offer(viewer: &mut Viewer, bundle: &Outgoing, stats: &mut HubStats) {
    if viewer.needs_snapshot {
        return;
    }
    if viewer.tx.try_send(bundle.clone()).is_ok() {
        stats.frames_queued += 1;
    } else {
        viewer.needs_snapshot = true;
        stats.frames_skipped += 1;
    }
}

/// Fixes held for the history writer while it is behind, before the oldest are dropped.
const HISTORY_HOLD: usize = 1_000_000;

/// Where a batch of fixes comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// This node's publishers, devices and simulator: to the cluster and to history.
    Own,
    /// Another node (or the cluster's bucket): to history only.
    Peer,
    /// This node's own history, read back on start: to neither.
    Restored,
}

pub struct Hub {
    vehicles: HashMap<Arc<str>, Stored, RandomState>,
    changed: Vec<Arc<str>>,
    groups: HashMap<String, Group>,
    viewers: HashMap<ViewerId, Viewer>,
    /// A vehicle silent this long is removed.
    drop_after_ms: i64,
    /// Most vehicles held: a flood of new ids cannot grow the server without bound.
    max_vehicles: usize,
    last_sweep_ms: i64,
    stats: HubStats,
    /// With a cluster: the fixes this node's own publishers sent since the last tick, and where
    /// each tick's go (peers' fixes are never sent on).
    cluster: Option<(mpsc::Sender<FixBatch>, FixBatch)>,
    /// With history: every fix accepted since the writer last took a batch, and its queue.
    history: Option<(HistorySender, FixBatch)>,
    /// The tokens file as last loaded (after a reload): a viewer that showed its token before
    /// then joins with the newer load of it, or is turned away if it was revoked.
    tokens: Option<Arc<Tokens>>,
    /// The last tick's time: what frames made between ticks are stamped with.
    last_tick_ms: i64,
}

impl Hub {
    pub fn new(drop_after_ms: i64) -> Self {
        Self {
            vehicles: HashMap::default(),
            changed: Vec::new(),
            groups: HashMap::new(),
            viewers: HashMap::new(),
            drop_after_ms,
            max_vehicles: usize::MAX,
            last_sweep_ms: 0,
            stats: HubStats::default(),
            cluster: None,
            history: None,
            tokens: None,
            last_tick_ms: 0,
        }
    }

    /// Hands every fix accepted (this node's and its peers') to the history writer, once a tick.
    pub fn with_history(mut self, history: HistorySender) -> Self {
        self.history = Some((history, FixBatch::default()));
        self
    }

    /// Hands this node's own fixes to the cluster, once a tick.
    pub fn with_cluster(mut self, outbound: mpsc::Sender<FixBatch>) -> Self {
        self.cluster = Some((outbound, FixBatch::default()));
        self
    }

    pub fn with_max_vehicles(mut self, max: usize) -> Self {
        self.max_vehicles = max.max(1);
        self
    }

    pub fn stats(&self) -> HubStats {
        HubStats {
            vehicles: self.vehicles.len(),
            viewers: self.viewers.len(),
            viewers_behind: self
                .viewers
                .values()
                .filter(|v| v.needs_snapshot && !v.joining)
                .count(),
            groups: self.groups.len(),
            ..self.stats
        }
    }

    /// Every vehicle held, as one batch (for the GTFS-Realtime export, which encodes it off
    /// the hub's task).
    pub fn all(&self) -> FixBatch {
        let mut batch = FixBatch::with_capacity(self.vehicles.len(), self.vehicles.len() * 48);
        for v in self.vehicles.values() {
            batch.push(&v.as_ref());
        }
        batch
    }

    /// Takes validated fixes from this node's publishers; an older fix than the one held is
    /// ignored and counted.
    pub fn report(&mut self, batch: &FixBatch, now_ms: i64) {
        self.take(batch, now_ms, Source::Own);
    }

    /// Takes the fleet as this node's history last had it (on start, before any viewer): the
    /// same rules, sent on to neither the cluster nor history.
    pub fn restore(&mut self, batch: &FixBatch, now_ms: i64) {
        self.take(batch, now_ms, Source::Restored);
    }

    /// Takes fixes another node's publishers sent (or the cluster's bucket held): the same
    /// rules, and never sent on to the cluster again.
    pub fn report_peer(&mut self, batch: &FixBatch, now_ms: i64) {
        self.take(batch, now_ms, Source::Peer);
    }

    fn take(&mut self, batch: &FixBatch, now_ms: i64, source: Source) {
        for fix in batch.iter() {
            self.stats.reports += 1;
            if let Some(held) = self.vehicles.get_mut(fix.id) {
                if fix.ts <= held.fix.ts {
                    self.stats.out_of_order += u64::from(fix.ts < held.fix.ts);
                    continue;
                }
                held.update(&fix, now_ms);
                if !held.dirty {
                    held.dirty = true;
                    self.changed.push(held.id.clone());
                }
            } else if self.vehicles.len() >= self.max_vehicles {
                self.stats.refused += 1;
                self.stats.over_capacity += 1;
                continue;
            } else {
                let id: Arc<str> = fix.id.into();
                let stored = Stored::new(id.clone(), &fix, now_ms);
                self.vehicles.insert(id.clone(), stored);
                self.changed.push(id);
            }
            if source == Source::Own
                && let Some((_, out)) = &mut self.cluster
            {
                out.push(&fix);
            }
            if source != Source::Restored
                && let Some((_, held)) = &mut self.history
            {
                if held.len() < HISTORY_HOLD {
                    held.push(&fix);
                } else {
                    self.stats.history_dropped += 1;
                }
            }
        }
    }

    /// Offers the fixes accepted since the last tick to the history writer; when it is behind
    /// they are held and offered again next tick.
    pub fn flush_history(&mut self) {
        if let Some((writer, held)) = &mut self.history
            && !held.is_empty()
            && let Err(back) = writer.offer(std::mem::take(held))
        {
            *held = back;
        }
    }

    /// Counts refusals made before a report reached the hub.
    pub fn refused(&mut self, tally: &fleetview_core::protocol::RejectTally) {
        self.stats.refused += tally.total();
    }

    /// Adds a viewer (or moves it to a new filter) and queues its snapshot: now for v1, at the
    /// next tick for the compact encoding (whose snapshot must follow the tick's changes).
    pub fn join(&mut self, viewer: ViewerId, filter: Filter, tx: mpsc::Sender<Outgoing>) {
        self.leave(viewer);
        let Some(filter) = self.current_scope(filter) else {
            let _ = tx.try_send(revoked_bundle());
            return;
        };
        let key = filter.key();
        self.rescope_group(&key, &filter, self.last_tick_ms);
        let vehicles = &self.vehicles;
        let group = self
            .groups
            .entry(key.clone())
            .or_insert_with(|| Group::new(filter, vehicles));
        group.viewers.push(viewer);
        let mut joining = false;
        let sent = match group.encoding() {
            Encoding::V1 => {
                let snapshot = group.snapshot(vehicles, 0);
                self.stats.frames_serialised += snapshot.len() as u64;
                let sent = tx.try_send(snapshot).is_ok();
                self.stats.frames_queued += u64::from(sent);
                sent
            }
            Encoding::Compact => {
                joining = true;
                false
            }
        };
        self.viewers.insert(
            viewer,
            Viewer {
                group: key,
                tx,
                needs_snapshot: !sent,
                joining,
            },
        );
    }

    pub fn leave(&mut self, viewer: ViewerId) {
        let Some(v) = self.viewers.remove(&viewer) else {
            return;
        };
        if let Some(group) = self.groups.get_mut(&v.group) {
            group.viewers.retain(|&id| id != viewer);
            if group.viewers.is_empty() {
                self.groups.remove(&v.group);
            }
        }
    }

    /// One tick: drop silent vehicles, then send each group what changed for it.
    pub fn tick(&mut self, now_ms: i64) {
        self.last_tick_ms = now_ms;
        if let Some((tx, out)) = &mut self.cluster
            && !out.is_empty()
            && tx.try_send(std::mem::take(out)).is_err()
        {
            // The cluster task is behind: these fixes reach the peers with the next report.
            self.stats.cluster_dropped += 1;
        }
        self.flush_history();
        let removed = self.sweep(now_ms);
        let changed = std::mem::take(&mut self.changed);
        for id in &changed {
            if let Some(v) = self.vehicles.get_mut(id) {
                v.dirty = false;
            }
        }
        let Self {
            vehicles,
            groups,
            viewers,
            stats,
            ..
        } = self;
        let mut gone = Vec::new();
        for group in groups.values_mut() {
            let frames = group.tick_frames(&removed, &changed, vehicles, now_ms);
            stats.frames_serialised += frames.len() as u64;
            let bundle: Option<Outgoing> = (!frames.is_empty()).then(|| frames.into());
            let mut snapshot: Option<Outgoing> = None;
            for id in &group.viewers {
                let Some(viewer) = viewers.get_mut(id) else {
                    continue;
                };
                if viewer.tx.is_closed() {
                    gone.push(*id);
                    continue;
                }
                if viewer.needs_snapshot {
                    if viewer.tx.capacity() > 0 {
                        let snap = snapshot
                            .get_or_insert_with(|| {
                                let snap = group.snapshot(vehicles, now_ms);
                                stats.frames_serialised += snap.len() as u64;
                                snap
                            })
                            .clone();
                        if viewer.tx.try_send(snap).is_ok() {
                            viewer.needs_snapshot = false;
                            stats.resyncs += u64::from(!viewer.joining);
                            viewer.joining = false;
                            stats.frames_queued += 1;
                        }
                    } else if bundle.is_some() {
                        stats.frames_skipped += 1;
                    }
                    continue;
                }
                if let Some(b) = &bundle {
                    offer(viewer, b, stats);
                }
            }
        }
        for id in gone {
            self.leave(id);
        }
        for id in &changed {
            if let Some(v) = self.vehicles.get_mut(id) {
                v.described = false;
            }
        }
    }

    /// Removes vehicles silent for longer than the limit (checked at most once a second).
    fn sweep(&mut self, now_ms: i64) -> Vec<Arc<str>> {
        if now_ms - self.last_sweep_ms < 1000.min(self.drop_after_ms) {
            return Vec::new();
        }
        self.last_sweep_ms = now_ms;
        let cutoff = now_ms - self.drop_after_ms;
        let removed: Vec<Arc<str>> = self
            .vehicles
            .values()
            .filter(|v| v.last_seen_ms < cutoff)
            .map(|v| v.id.clone())
            .collect();
        for id in &removed {
            self.vehicles.remove(id);
        }
        self.stats.removed += removed.len() as u64;
        removed
    }
}

mod group;
mod rescope;
mod stored;
#[cfg(test)]
mod tests;
