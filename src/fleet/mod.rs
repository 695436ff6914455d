//! The fleet model: every vehicle the feed has told us about, as plain data with methods.
//!
//! No I/O, no egui, no tokio: the UI applies [`FeedEvent`]s to it and draws what it holds, and
//! tests drive it with ordinary values. Time is always passed in (`now_ms`, UTC ms) so that
//! staleness and ordering are testable.
//!
//! Ids are interned: each known id maps to a slot, so an update of a known vehicle looks its id
//! up by `&str` and allocates nothing.

mod evict;
mod link;
pub mod motion;
mod query;
mod vehicle;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::time::Duration;

use foldhash::fast::RandomState;

use crate::feed::FeedEvent;
use crate::protocol::{FixBatch, FixRef, RejectReason, RejectTally};

pub use link::Link;
pub use query::{Counts, Staleness};
pub use vehicle::{Fix, TrailPoint, Vehicle};

/// Thresholds and bounds of the model.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetConfig {
    /// A vehicle whose newest fix is older than this is drawn as stale.
    pub stale_after: Duration,
    /// ... and older than this, as lost.
    pub lost_after: Duration,
    /// Past positions kept per vehicle for its trail.
    pub trail_len: usize,
    /// Most vehicles held; past it the stalest is evicted to make room.
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
/// ids, not keys, across frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VehicleKey(pub u32);

/// Running totals since the model was made.
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
    /// Successful connections after the first.
    pub reconnects: u64,
    connects: u64,
}

/// What one fix did to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Added(VehicleKey),
    Moved(VehicleKey),
    Duplicate,
    Refused(RejectReason),
}

#[derive(Debug, Clone)]
pub struct Fleet {
    config: FleetConfig,
    index: HashMap<Box<str>, VehicleKey, RandomState>,
    slots: Vec<Option<Vehicle>>,
    free: Vec<u32>,
    evict: evict::EvictQueue,
    /// Bumped by each snapshot; vehicles it does not mention keep the old value and are swept.
    generation: u32,
    rejected: RejectTally,
    counters: FleetCounters,
    link: Link,
    last_server_error: Option<(String, String)>,
    /// Bumped when a vehicle is added or removed, so views can cache lists of vehicles.
    membership: u64,
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
            slots: Vec::new(),
            free: Vec::new(),
            evict: evict::EvictQueue::default(),
            generation: 0,
            rejected: RejectTally::default(),
            counters: FleetCounters::default(),
            link: Link::default(),
            last_server_error: None,
            membership: 0,
        }
    }

    pub fn config(&self) -> &FleetConfig {
        &self.config
    }

    /// Applies one event from the feed, at our clock `now_ms`.
    pub fn apply(&mut self, event: &FeedEvent, now_ms: i64) {
        match event {
            FeedEvent::Connecting { url, attempt } => {
                self.link = Link::Connecting {
                    url: url.clone(),
                    attempt: *attempt,
                };
            }
            FeedEvent::Connected { url } => {
                self.counters.connects += 1;
                self.counters.reconnects = self.counters.connects.saturating_sub(1);
                self.link = Link::Connected {
                    url: url.clone(),
                    since_ms: now_ms,
                };
            }
            FeedEvent::Disconnected { reason, retry_in } => {
                self.link = Link::Disconnected {
                    reason: reason.clone(),
                    retry_at_ms: retry_in.map(|d| now_ms + d.as_millis() as i64),
                };
            }
            FeedEvent::Snapshot(batch) => self.apply_snapshot(batch, now_ms),
            FeedEvent::Positions(batch) => self.apply_batch(batch, now_ms),
            FeedEvent::Removed(ids) => {
                for id in ids {
                    self.remove(id);
                }
            }
            FeedEvent::Rejected(tally) => self.rejected.merge(tally),
            FeedEvent::ServerError { code, message } => {
                self.last_server_error = Some((code.clone(), message.clone()));
            }
        }
    }

    /// Applies a batch of updates.
    pub fn apply_batch(&mut self, batch: &FixBatch, now_ms: i64) {
        let received = if batch.received_ms > 0 {
            batch.received_ms
        } else {
            now_ms
        };
        for fix in batch.iter() {
            self.apply_fix(&fix, now_ms, received);
        }
    }

    /// Replaces the whole set with a snapshot: vehicles it lists are updated (never moved back
    /// in time), vehicles it does not list are removed.
    pub fn apply_snapshot(&mut self, batch: &FixBatch, now_ms: i64) {
        self.generation = self.generation.wrapping_add(1);
        self.counters.snapshots += 1;
        self.apply_batch(batch, now_ms);
        let generation = self.generation;
        let gone: Vec<Box<str>> = self
            .slots
            .iter()
            .flatten()
            .filter(|v| v.seen_gen != generation)
            .map(|v| Box::from(v.id()))
            .collect();
        for id in gone {
            self.remove(&id);
        }
    }

    /// Applies one fix, refusing one that is out of order, from the future, or over the cap.
    pub fn apply_fix(&mut self, fix: &FixRef<'_>, now_ms: i64, received_ms: i64) -> Applied {
        let outcome = self.place(fix, now_ms, received_ms);
        match outcome {
            Applied::Added(_) | Applied::Moved(_) => self.counters.applied += 1,
            Applied::Duplicate => self.counters.duplicates += 1,
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
                self.rejected.record(reason, &detail);
            }
        }
        outcome
    }

    fn place(&mut self, fix: &FixRef<'_>, now_ms: i64, received_ms: i64) -> Applied {
        if fix.ts > now_ms.saturating_add(self.config.max_future.as_millis() as i64) {
            return Applied::Refused(RejectReason::FutureTimestamp);
        }
        let generation = self.generation;
        if let Some(&key) = self.index.get(fix.id)
            && let Some(v) = self.slots.get_mut(key.0 as usize).and_then(Option::as_mut)
        {
            v.seen_gen = generation;
            return if fix.ts > v.fix.ts {
                v.advance(fix, received_ms, self.config.trail_len);
                Applied::Moved(key)
            } else if fix.ts == v.fix.ts {
                Applied::Duplicate
            } else {
                Applied::Refused(RejectReason::OutOfOrder)
            };
        }
        if self.index.len() >= self.config.max_vehicles {
            match self.evict.stalest(&self.slots, self.config.max_vehicles) {
                Some((key, ts)) if ts <= fix.ts => {
                    if let Some(id) = self.vehicle(key).map(|v| Box::<str>::from(v.id())) {
                        self.drop_vehicle(&id);
                        self.counters.evicted += 1;
                        // An eviction drops data the feed still considers live: count it as
                        // refused input too, so `stats` shows the cap being hit.
                        self.rejected.record(
                            RejectReason::OverCapacity,
                            &format!(
                                "vehicle {id:?} evicted to stay under the cap of {} vehicles",
                                self.config.max_vehicles
                            ),
                        );
                    }
                }
                _ => return Applied::Refused(RejectReason::OverCapacity),
            }
        }
        let vehicle = Vehicle::new(fix, received_ms, generation);
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
        self.index.insert(fix.id.into(), key);
        self.membership += 1;
        Applied::Added(key)
    }

    /// Drops a vehicle; returns whether it was held.
    pub fn remove(&mut self, id: &str) -> bool {
        let held = self.drop_vehicle(id);
        if held {
            self.counters.removed += 1;
        }
        held
    }

    fn drop_vehicle(&mut self, id: &str) -> bool {
        let Some(key) = self.index.remove(id) else {
            return false;
        };
        if let Some(slot) = self.slots.get_mut(key.0 as usize) {
            *slot = None;
            self.free.push(key.0);
        }
        self.membership += 1;
        true
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Changes whenever a vehicle is added or removed.
    pub fn membership(&self) -> u64 {
        self.membership
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Vehicle> {
        self.key_of(id).and_then(|k| self.vehicle(k))
    }

    pub fn key_of(&self, id: &str) -> Option<VehicleKey> {
        self.index.get(id).copied()
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

    /// Input refused so far, by reason: the feed's decode refusals and the model's own.
    pub fn rejected(&self) -> &RejectTally {
        &self.rejected
    }

    pub fn counters(&self) -> FleetCounters {
        self.counters
    }

    pub fn link(&self) -> &Link {
        &self.link
    }

    /// The last `error` the server sent, as (code, message).
    pub fn last_server_error(&self) -> Option<(&str, &str)> {
        self.last_server_error
            .as_ref()
            .map(|(c, m)| (c.as_str(), m.as_str()))
    }

    /// Heap bytes held by the model (index, slots, vehicles' own strings and trails).
    pub fn heap_bytes(&self) -> usize {
        let index = self.index.capacity() * (std::mem::size_of::<(Box<str>, VehicleKey)>() + 1)
            + self.index.keys().map(|k| k.len()).sum::<usize>();
        let slots = self.slots.capacity() * std::mem::size_of::<Option<Vehicle>>();
        let vehicles: usize = self.slots.iter().flatten().map(Vehicle::heap_bytes).sum();
        index + slots + vehicles + self.free.capacity() * 4 + self.evict.heap_bytes()
    }
}
