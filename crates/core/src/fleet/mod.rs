//! The fleet model: every vehicle the feeds have told us about, as plain data with methods.
//!
//! No I/O, no egui, no tokio: the session applies feed events to it and the UI draws what it
//! holds; tests drive it with ordinary values. Time is always passed in (`now_ms`, UTC ms) so
//! that staleness and ordering are testable. A vehicle is `(feed, id)`: each feed has its own id
//! space, and a feed's snapshot replaces that feed's vehicles only. Applying anything returns the
//! [`Changes`] it made; connection state and refusal counts live in the session, per feed.
//!
//! Ids are interned: each known id maps to a slot, so an update of a known vehicle looks its id
//! up by `&str` and allocates nothing.

mod changes;
mod evict;
mod id;
pub mod motion;
mod nearest;
mod placing;
mod query;
mod scan;
pub mod spatial;
mod vehicle;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use foldhash::fast::RandomState;
use smol_str::SmolStr;

use crate::protocol::{FixBatch, FixRef, RejectReason};

pub use crate::protocol::Fix;
pub use changes::{Applied, Changes};
pub use id::{FeedId, VehicleId};
pub use nearest::{Closing, Near};
pub use query::{Condition, Counts, FleetCounts, Query, Staleness, text_matches};
pub use vehicle::{TrailPoint, Vehicle};

/// Thresholds and bounds of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetConfig {
    /// A vehicle whose newest fix is older than this is drawn as stale.
    pub stale_after: Duration,
    /// ... and older than this, as lost.
    pub lost_after: Duration,
    /// Past positions kept per vehicle for its trail.
    pub trail_len: usize,
    /// Most vehicles held (all feeds together); past it the stalest is evicted to make room.
    pub max_vehicles: usize,
    /// How far ahead of our clock a fix may be stamped (device clocks drift a little; a fix
    /// from next week would pin the vehicle forever, since older fixes are refused).
    pub max_future: Duration,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(30),
            lost_after: Duration::from_secs(300),
            trail_len: 120,
            max_vehicles: 200_000,
            max_future: Duration::from_secs(300),
        }
    }
}

/// A vehicle's slot. Valid until that vehicle is removed; slots are reused afterwards, so keep
/// [`VehicleId`]s, not keys, across frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VehicleKey(pub u32);

/// Running totals since the model was made, all feeds together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetCounters {
    /// Fixes that moved a vehicle (or added one).
    pub applied: u64,
    /// Fixes identical in time to the one held (a resync repeating what we have).
    pub duplicates: u64,
    pub snapshots: u64,
    /// Vehicles dropped by `remove` or by a snapshot that no longer lists them.
    pub removed: u64,
    /// Vehicles dropped to stay under the cap.
    pub evicted: u64,
}

/// A feed's ids to their slots. Ids up to 23 bytes live inside the table's buckets
/// (`SmolStr`), so a lookup does not chase a pointer to a string elsewhere in memory: that
/// cache miss was the largest cost of applying a fix.
type Index = HashMap<SmolStr, VehicleKey, RandomState>;

#[derive(Debug, Clone)]
pub struct Fleet {
    config: FleetConfig,
    /// Per feed, its ids.
    index: HashMap<FeedId, Index, RandomState>,
    len: usize,
    slots: Vec<Option<Vehicle>>,
    free: Vec<u32>,
    evict: evict::EvictQueue,
    /// Bumped by each snapshot; the feed's vehicles it does not mention keep the old value and
    /// are swept.
    generation: u32,
    counters: FleetCounters,
    /// The vehicles by where they are, for the map (kept as fixes apply).
    spatial: spatial::Spatial,
    /// Per feed, its vehicles by the condition the spatial index counts them under.
    tallies: HashMap<FeedId, [u32; 4], RandomState>,
    /// Bumped when a vehicle is added or removed, so views can cache lists of vehicles. It
    /// starts at a value no other fleet of this process uses (see [`first_membership`]), so a
    /// view that outlives its fleet (a replay's seek starts a new one) never mistakes the new
    /// fleet's vehicles for the old's.
    membership: u64,
}

/// Where a new fleet's membership count starts: each fleet gets a range of 2^40 values of its
/// own (a fleet adding a million vehicles a second would take twelve days to leave it).
fn first_membership() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) << 40
}

impl Default for Fleet {
    fn default() -> Self {
        Self::new(FleetConfig::default())
    }
}

impl Fleet {
    pub fn new(config: FleetConfig) -> Self {
        Self {
            config,
            index: HashMap::default(),
            len: 0,
            slots: Vec::new(),
            free: Vec::new(),
            evict: evict::EvictQueue::default(),
            spatial: spatial::Spatial::default(),
            tallies: HashMap::default(),
            generation: 0,
            counters: FleetCounters::default(),
            membership: first_membership(),
        }
    }

    pub fn config(&self) -> &FleetConfig {
        &self.config
    }

    /// Applies a batch of updates from `feed`.
    pub fn apply_batch(&mut self, feed: FeedId, batch: &FixBatch, now_ms: i64) -> Changes {
        let mut changes = Changes::default();
        self.apply_into(feed, batch, now_ms, &mut changes);
        changes
    }

    fn apply_into(&mut self, feed: FeedId, batch: &FixBatch, now_ms: i64, changes: &mut Changes) {
        let received = if batch.received_ms > 0 {
            batch.received_ms
        } else {
            now_ms
        };
        changes.moved.reserve(batch.len());
        for fix in batch.iter() {
            self.apply_fix(feed, &fix, now_ms, received, changes);
        }
    }

    /// Replaces `feed`'s vehicles with a snapshot: vehicles it lists are updated (never moved
    /// back in time), the feed's vehicles it does not list are removed. Other feeds are untouched.
    pub fn apply_snapshot(&mut self, feed: FeedId, batch: &FixBatch, now_ms: i64) -> Changes {
        self.generation = self.generation.wrapping_add(1);
        self.counters.snapshots += 1;
        let mut changes = Changes::default();
        self.apply_into(feed, batch, now_ms, &mut changes);
        let generation = self.generation;
        let gone: Vec<Box<str>> = self
            .slots
            .iter()
            .flatten()
            .filter(|v| v.feed() == feed && v.seen_gen != generation)
            .map(|v| Box::from(v.id()))
            .collect();
        for id in gone {
            self.remove_into(feed, &id, &mut changes);
        }
        changes
    }

    /// Removes these vehicles of `feed`.
    pub fn remove_ids<S: AsRef<str>>(&mut self, feed: FeedId, ids: &[S]) -> Changes {
        let mut changes = Changes::default();
        for id in ids {
            self.remove_into(feed, id.as_ref(), &mut changes);
        }
        changes
    }

    /// Removes every vehicle of `feed` (the feed was removed, or is hidden from the model).
    pub fn remove_feed(&mut self, feed: FeedId) -> Changes {
        let ids: Vec<SmolStr> = self
            .index
            .get(&feed)
            .map(|index| index.keys().cloned().collect())
            .unwrap_or_default();
        let changes = self.remove_ids(feed, &ids);
        self.index.remove(&feed);
        changes
    }

    fn remove_into(&mut self, feed: FeedId, id: &str, changes: &mut Changes) {
        if self.drop_vehicle(feed, id) {
            self.counters.removed += 1;
            changes.removed.push(VehicleId::new(feed, id));
        }
    }

    /// Applies one fix, refusing one that is out of order, from the future, or over the cap.
    pub fn apply_fix(
        &mut self,
        feed: FeedId,
        fix: &FixRef<'_>,
        now_ms: i64,
        received_ms: i64,
        changes: &mut Changes,
    ) -> Applied {
        let outcome = self.place(feed, fix, now_ms, received_ms, changes);
        match outcome {
            Applied::Added(key) => {
                self.counters.applied += 1;
                changes.added.push(key);
            }
            Applied::Moved(key) => {
                self.counters.applied += 1;
                changes.moved.push(key);
            }
            Applied::Duplicate => {
                self.counters.duplicates += 1;
                changes.duplicates += 1;
            }
            Applied::Refused(reason) => {
                let detail = match reason {
                    RejectReason::OutOfOrder => {
                        format!(
                            "fix of {:?} at ts {} is older than the one held",
                            fix.id, fix.ts
                        )
                    }
                    RejectReason::FutureTimestamp => format!(
                        "fix of {:?} at ts {} is {} s ahead of this clock",
                        fix.id,
                        fix.ts,
                        (fix.ts - now_ms) / 1000
                    ),
                    _ => format!(
                        "vehicle {:?} is over the cap of {} vehicles",
                        fix.id, self.config.max_vehicles
                    ),
                };
                changes.rejected.record(reason, &detail);
            }
        }
        outcome
    }

    fn place(
        &mut self,
        feed: FeedId,
        fix: &FixRef<'_>,
        now_ms: i64,
        received_ms: i64,
        changes: &mut Changes,
    ) -> Applied {
        if fix.ts > now_ms.saturating_add(self.config.max_future.as_millis() as i64) {
            return Applied::Refused(RejectReason::FutureTimestamp);
        }
        let generation = self.generation;
        if let Some(key) = self.key_of(feed, fix.id)
            && let Some(v) = self.slots.get_mut(key.0 as usize).and_then(Option::as_mut)
        {
            v.seen_gen = generation;
            return if fix.ts > v.fix.ts {
                v.advance(fix, received_ms, self.config.trail_len);
                self.index_placed(key, now_ms);
                Applied::Moved(key)
            } else if fix.ts == v.fix.ts {
                // The same fix again may say something new about the vehicle (a feed's device
                // renamed, gone offline): take its descriptive fields.
                v.take_meta(fix);
                Applied::Duplicate
            } else {
                Applied::Refused(RejectReason::OutOfOrder)
            };
        }
        if self.len >= self.config.max_vehicles && !self.evict_for(fix, changes) {
            return Applied::Refused(RejectReason::OverCapacity);
        }
        let vehicle = Vehicle::new(feed, fix, received_ms, generation);
        let key = match self.free.pop() {
            Some(k) => {
                self.slots[k as usize] = Some(vehicle);
                VehicleKey(k)
            }
            None => {
                self.slots.push(Some(vehicle));
                VehicleKey((self.slots.len() - 1) as u32)
            }
        };
        self.index
            .entry(feed)
            .or_default()
            .insert(SmolStr::new(fix.id), key);
        self.len += 1;
        self.membership += 1;
        self.index_placed(key, now_ms);
        Applied::Added(key)
    }

    /// Makes room for `fix` by evicting the stalest vehicle, if it is older; false if not.
    fn evict_for(&mut self, fix: &FixRef<'_>, changes: &mut Changes) -> bool {
        let Some((key, ts)) = self.evict.stalest(&self.slots, self.config.max_vehicles) else {
            return false;
        };
        if ts > fix.ts {
            return false;
        }
        let Some(gone) = self.vehicle(key).map(|v| VehicleId::new(v.feed(), v.id())) else {
            return false;
        };
        self.drop_vehicle(gone.feed, &gone.id);
        self.counters.evicted += 1;
        changes.evicted += 1;
        // An eviction drops data the feed still considers live: count it as refused input too,
        // so `stats` shows the cap being hit.
        changes.rejected.record(
            RejectReason::OverCapacity,
            &format!(
                "vehicle {:?} evicted to stay under the cap of {} vehicles",
                gone.id, self.config.max_vehicles
            ),
        );
        changes.removed.push(gone);
        true
    }

    fn drop_vehicle(&mut self, feed: FeedId, id: &str) -> bool {
        let Some(key) = self.index.get_mut(&feed).and_then(|index| index.remove(id)) else {
            return false;
        };
        self.index_dropped(key);
        if let Some(slot) = self.slots.get_mut(key.0 as usize) {
            *slot = None;
            self.free.push(key.0);
        }
        self.len -= 1;
        self.membership += 1;
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Vehicles held from `feed`.
    pub fn len_of(&self, feed: FeedId) -> usize {
        self.index.get(&feed).map_or(0, HashMap::len)
    }

    /// Changes whenever a vehicle is added or removed; never the same for two fleets.
    pub fn membership(&self) -> u64 {
        self.membership
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, feed: FeedId, id: &str) -> Option<&Vehicle> {
        self.key_of(feed, id).and_then(|k| self.vehicle(k))
    }

    /// The vehicle named by `id`, if it is still held.
    pub fn find(&self, id: &VehicleId) -> Option<&Vehicle> {
        self.get(id.feed, &id.id)
    }

    pub fn key_of(&self, feed: FeedId, id: &str) -> Option<VehicleKey> {
        self.index.get(&feed)?.get(id).copied()
    }

    pub fn vehicle(&self, key: VehicleKey) -> Option<&Vehicle> {
        self.slots.get(key.0 as usize).and_then(Option::as_ref)
    }

    /// Every vehicle, in slot order (stable while nothing is removed).
    pub fn iter(&self) -> impl Iterator<Item = (VehicleKey, &Vehicle)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (VehicleKey(i as u32), v)))
    }

    pub fn counters(&self) -> FleetCounters {
        self.counters
    }

    /// Heap bytes held by the model (index, slots, vehicles' own strings and trails).
    pub fn heap_bytes(&self) -> usize {
        let index: usize = self
            .index
            .values()
            .map(|index| {
                index.capacity() * (std::mem::size_of::<(SmolStr, VehicleKey)>() + 1)
                    + index
                        .keys()
                        .map(|k| k.len())
                        .filter(|&n| n > 23)
                        .sum::<usize>()
            })
            .sum();
        let slots = self.slots.capacity() * std::mem::size_of::<Option<Vehicle>>();
        let vehicles: usize = self.slots.iter().flatten().map(Vehicle::heap_bytes).sum();
        index
            + slots
            + vehicles
            + self.free.capacity() * 4
            + self.evict.heap_bytes()
            + self.spatial.heap_bytes()
    }
}
