//! The model keeps its spatial index ([`Spatial`]) in step: a vehicle added, moved or dropped is
//! counted, moved or forgotten there at once, and [`Fleet::settle`] re-counts those whose
//! condition changed with time alone (gone stale, gone lost).

use super::query::{Counts, FleetCounts, merged};
use super::spatial::{Spatial, World};
use super::{Condition, FeedId, Fleet, FleetConfig, Vehicle, VehicleKey};

/// Up to this many vehicles, a frame's counts are taken afresh, exact to the millisecond;
/// past it, from the tallies the index keeps (at most a second behind the clock).
pub const EXACT_COUNTS_MAX: usize = 50_000;

impl Fleet {
    /// The vehicles by where they are (what the map draws from).
    pub fn spatial(&self) -> &Spatial {
        &self.spatial
    }

    /// Counts of the whole fleet and of each feed for a frame at `now_ms`: one pass over a
    /// fleet of up to [`EXACT_COUNTS_MAX`], the kept tallies past it (settled to `now_ms`).
    pub fn counts_for_frame(&self, now_ms: i64) -> FleetCounts {
        if self.len() <= EXACT_COUNTS_MAX {
            self.counts_by_feed(now_ms)
        } else {
            self.counts_kept(now_ms)
        }
    }

    /// Counts of the whole fleet and of each feed from the kept tallies, as settled last.
    pub fn counts_kept(&self, now_ms: i64) -> FleetCounts {
        let mut counts = FleetCounts::default();
        for (&feed, tally) in &self.tallies {
            let c = counts_of(tally);
            if c.total > 0 {
                counts.by_feed.insert(feed, c);
                counts.total = merged(counts.total, c);
            }
        }
        counts.next_change_ms = self.spatial.next_due_ms().map(|due| (due - now_ms).max(0));
        counts
    }

    /// Re-counts the vehicles whose condition has changed by `now_ms` with no fix (at most a
    /// second late); the map calls it once a frame. How many were looked at.
    pub fn settle(&mut self, now_ms: i64) -> usize {
        let mut n = 0;
        while let Some(key) = self.spatial.due(now_ms) {
            n += 1;
            let Some(v) = self.slots.get(key.0 as usize).and_then(Option::as_ref) else {
                continue;
            };
            let feed = v.feed();
            let condition = self.condition(v, now_ms);
            let due = next_change(&self.config, v, now_ms);
            let was = self.spatial.condition_of(key);
            if was != Some(condition) {
                self.spatial.recondition(key, condition);
                self.tally(feed, was, Some(condition));
            }
            if let Some(due) = due {
                self.spatial.schedule(key, due);
            }
        }
        n
    }

    /// Counts `key` where its fix is now, in its condition now (added, or moved).
    pub(super) fn index_placed(&mut self, key: VehicleKey, now_ms: i64) {
        let Some(v) = self.slots.get(key.0 as usize).and_then(Option::as_ref) else {
            return;
        };
        let condition = self.condition(v, now_ms);
        let due = next_change(&self.config, v, now_ms);
        let (to, feed) = (World::of(v.fix.lat, v.fix.lon), v.feed());
        let was = self.spatial.condition_of(key);
        self.spatial.relocate(key, to, condition);
        self.tally(feed, was, Some(condition));
        if let Some(due) = due {
            self.spatial.schedule(key, due);
        }
    }

    pub(super) fn index_dropped(&mut self, key: VehicleKey) {
        if let Some(v) = self.slots.get(key.0 as usize).and_then(Option::as_ref) {
            let feed = v.feed();
            let was = self.spatial.condition_of(key);
            self.spatial.remove(key);
            self.tally(feed, was, None);
        }
    }

    /// A vehicle of `feed` counted under `was` is now counted under `now`.
    fn tally(&mut self, feed: FeedId, was: Option<Condition>, now: Option<Condition>) {
        if was == now {
            return;
        }
        let tally = self.tallies.entry(feed).or_default();
        if let Some(c) = was {
            tally[c.index()] = tally[c.index()].saturating_sub(1);
        }
        if let Some(c) = now {
            tally[c.index()] += 1;
        }
        if tally.iter().all(|&n| n == 0) {
            self.tallies.remove(&feed);
        }
    }
}

/// When `v`'s condition next changes with no fix: it goes stale, then lost.
fn next_change(config: &FleetConfig, v: &Vehicle, now_ms: i64) -> Option<i64> {
    let stale = v
        .fix
        .ts
        .saturating_add(config.stale_after.as_millis() as i64);
    let lost = v
        .fix
        .ts
        .saturating_add(config.lost_after.as_millis() as i64);
    [stale, lost].into_iter().find(|&t| t > now_ms)
}

fn counts_of(tally: &[u32; 4]) -> Counts {
    let [moving, stopped, stale, lost] = tally.map(|n| n as usize);
    Counts {
        total: moving + stopped + stale + lost,
        live: moving + stopped,
        moving,
        stale,
        lost,
    }
}
