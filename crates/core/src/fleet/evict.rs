//! Finding the stalest vehicle when the cap is reached, without a full scan per new vehicle.
//!
//! One scan picks the k stalest (k = cap/64, at least 16) into a queue; new vehicles then take
//! them one by one, skipping any that moved or left since. A flood of new ids therefore costs
//! an amortised O(64) per id instead of O(n).

use super::{Vehicle, VehicleKey};

#[derive(Debug, Clone, Default)]
pub(super) struct EvictQueue {
    /// (ts, key) of candidates, stalest last.
    candidates: Vec<(i64, u32)>,
}

impl EvictQueue {
    /// The stalest vehicle still as it was when picked, with its fix time.
    pub(super) fn stalest(
        &mut self,
        slots: &[Option<Vehicle>],
        cap: usize,
    ) -> Option<(VehicleKey, i64)> {
        for _ in 0..2 {
            while let Some((ts, key)) = self.candidates.pop() {
                let still = slots
                    .get(key as usize)
                    .and_then(Option::as_ref)
                    .is_some_and(|v| v.fix.ts == ts);
                if still {
                    return Some((VehicleKey(key), ts));
                }
            }
            self.refill(slots, cap);
        }
        None
    }

    fn refill(&mut self, slots: &[Option<Vehicle>], cap: usize) {
        let k = (cap / 64).max(16);
        self.candidates.clear();
        self.candidates.extend(
            slots
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_ref().map(|v| (v.fix.ts, i as u32))),
        );
        if self.candidates.len() > k {
            self.candidates.select_nth_unstable(k);
            self.candidates.truncate(k);
        }
        // Stalest last, so pop() takes it.
        self.candidates.sort_unstable_by(|a, b| b.cmp(a));
        self.candidates.shrink_to(k);
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.candidates.capacity() * std::mem::size_of::<(i64, u32)>()
    }
}
