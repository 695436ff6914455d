//! The node's own fixes that NATS could not take. While the connection is down, each of this
//! node's vehicles keeps only its newest fix here (with the descriptive fields its earlier ones
//! carried, so a label sent mid-outage is not lost), for at most [`LIMIT`] vehicles; when NATS
//! is back the lot goes out at once, live and to the bucket. Memory stays within about twice
//! the held fixes: the arena is rebuilt once more than half of it is superseded.

use std::collections::HashMap;

use fleetview_core::protocol::{FixBatch, FixRef, OwnedMeta};

/// Vehicles held at most (the hub's own default limit of vehicles); the fixes of any more are
/// refused and counted.
pub const LIMIT: usize = 200_000;

/// Superseded fixes tolerated in the arena beyond the held ones before it is rebuilt.
const SLACK: usize = 1_024;

/// Each own vehicle's newest fix not yet published.
pub struct Unsent {
    /// The fixes, some superseded by a later one of the same vehicle.
    arena: FixBatch,
    /// Each vehicle's newest fix: its place in `arena`.
    newest: HashMap<Box<str>, usize>,
    limit: usize,
}

impl Default for Unsent {
    fn default() -> Self {
        Self::with_limit(LIMIT)
    }
}

impl Unsent {
    pub fn with_limit(limit: usize) -> Self {
        Self {
            arena: FixBatch::default(),
            newest: HashMap::new(),
            limit,
        }
    }

    /// Vehicles held.
    pub fn len(&self) -> usize {
        self.newest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.newest.is_empty()
    }

    /// Keeps each fix of `batch` as its vehicle's newest, unless one at least as new is held.
    /// Returns how many fixes were refused because [`LIMIT`] vehicles are already held.
    pub fn hold(&mut self, batch: &FixBatch) -> u64 {
        let mut refused = 0;
        for fix in batch.iter() {
            match self.newest.get(fix.id).copied() {
                Some(at) => self.replace(at, &fix),
                None if self.newest.len() >= self.limit => refused += 1,
                None => {
                    self.arena.push(&fix);
                    self.newest.insert(fix.id.into(), self.arena.len() - 1);
                }
            }
        }
        if self.arena.len() > 2 * self.newest.len() + SLACK {
            self.arena = self.rebuilt();
        }
        refused
    }

    /// Every vehicle's newest fix, in one batch; nothing is held after.
    pub fn take(&mut self) -> FixBatch {
        let batch = self.rebuilt();
        self.arena = FixBatch::default();
        self.newest = HashMap::new();
        batch
    }

    /// `fix` in place of the held one at `at` if it is newer, keeping the descriptive fields it
    /// leaves out.
    fn replace(&mut self, at: usize, fix: &FixRef<'_>) {
        let Some(held) = self.arena.get(at) else {
            return;
        };
        if held.ts > fix.ts {
            return;
        }
        let mut meta = OwnedMeta::default();
        meta.merge(&held.meta);
        meta.merge(&fix.meta);
        self.arena.push(&FixRef {
            meta: meta.as_ref(),
            ..*fix
        });
        if let Some(place) = self.newest.get_mut(fix.id) {
            *place = self.arena.len() - 1;
        }
    }

    /// The held fixes only, in a fresh arena (`newest` pointing into it).
    fn rebuilt(&mut self) -> FixBatch {
        let mut fresh = FixBatch::with_capacity(self.newest.len(), 0);
        fresh.received_ms = self.arena.received_ms;
        for place in self.newest.values_mut() {
            if let Some(fix) = self.arena.get(*place) {
                fresh.push(&fix);
                *place = fresh.len() - 1;
            }
        }
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::protocol::Meta;

    fn batch(fixes: &[(&str, i64)]) -> FixBatch {
        let mut b = FixBatch::default();
        for (id, ts) in fixes {
            b.push(&FixRef::bare(id, -16.9, 145.7, *ts));
        }
        b
    }

    fn times(batch: &FixBatch) -> Vec<(String, i64)> {
        let mut out: Vec<_> = batch.iter().map(|f| (f.id.to_owned(), f.ts)).collect();
        out.sort();
        out
    }

    #[test]
    fn each_vehicle_keeps_only_its_newest_fix() {
        let mut unsent = Unsent::default();
        unsent.hold(&batch(&[("a", 1), ("b", 1)]));
        unsent.hold(&batch(&[("a", 3), ("b", 2)]));
        unsent.hold(&batch(&[("a", 2)]));
        assert_eq!(unsent.len(), 2);
        let held = times(&unsent.take());
        assert_eq!(held, [("a".to_owned(), 3), ("b".to_owned(), 2)]);
        assert!(unsent.is_empty(), "nothing is held once taken");
    }

    #[test]
    fn a_label_sent_before_the_newest_fix_is_kept() {
        let mut unsent = Unsent::default();
        let mut first = FixBatch::default();
        first.push(&FixRef {
            meta: Meta {
                label: Some("Bus 12"),
                ..Meta::default()
            },
            ..FixRef::bare("a", -16.9, 145.7, 1)
        });
        unsent.hold(&first);
        unsent.hold(&batch(&[("a", 2)]));
        let taken = unsent.take();
        let fix = taken.get(0).expect("a's fix");
        assert_eq!((fix.ts, fix.meta.label), (2, Some("Bus 12")));
    }

    #[test]
    fn vehicles_beyond_the_limit_are_refused_and_counted() {
        let mut unsent = Unsent::with_limit(2);
        assert_eq!(unsent.hold(&batch(&[("a", 1), ("b", 1), ("c", 1)])), 1);
        assert_eq!(unsent.hold(&batch(&[("a", 2), ("d", 2)])), 1);
        assert_eq!(unsent.len(), 2);
    }

    #[test]
    fn the_arena_stays_within_twice_the_vehicles_however_long_the_outage() {
        let mut unsent = Unsent::default();
        for ts in 0..10_000 {
            unsent.hold(&batch(&[("a", ts), ("b", ts), ("c", ts)]));
            assert!(unsent.arena.len() <= 2 * 3 + SLACK + 3);
        }
        assert_eq!(times(&unsent.take())[0], ("a".to_owned(), 9_999));
    }
}
