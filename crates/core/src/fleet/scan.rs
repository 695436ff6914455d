//! A pass over the whole fleet on every core: what a search as the dispatcher types asks of a
//! million vehicles (a pass that waits on memory, not on arithmetic, so two cores take about
//! half the time of one).

use super::{Fleet, Vehicle, VehicleKey};

/// Below this many slots a pass runs on the calling thread (threads cost more than they save).
const PARALLEL_FROM: usize = 100_000;

impl Fleet {
    /// The keys of the vehicles `keep` accepts, in slot order (what [`Fleet::iter`] gives): the
    /// set bits of [`Fleet::filter_bits`].
    pub fn filter_keys(&self, keep: impl Fn(&Vehicle) -> bool + Sync) -> Vec<VehicleKey> {
        let bits = self.filter_bits(keep);
        let mut keys = Vec::new();
        for (w, &word) in bits.iter().enumerate() {
            let mut rest = word;
            while rest != 0 {
                keys.push(VehicleKey((w * 64) as u32 + rest.trailing_zeros()));
                rest &= rest - 1;
            }
        }
        keys
    }

    /// The vehicles `keep` accepts as a bitset over the slots, one bit a slot (bit `k % 64` of word `k / 64` for
    /// key `k`): what a table filters its rows through without building a list first.
    pub fn filter_bits(&self, keep: impl Fn(&Vehicle) -> bool + Sync) -> Vec<u64> {
        let words = self.slots.len().div_ceil(64);
        let mut bits = vec![0u64; words];
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let keep = &keep;
        let fill = |first_word: usize, out: &mut [u64]| {
            for (w, word) in out.iter_mut().enumerate() {
                let base = (first_word + w) * 64;
                let end = (base + 64).min(self.slots.len());
                for (bit, slot) in self.slots[base..end].iter().enumerate() {
                    if slot.as_ref().is_some_and(keep) {
                        *word |= 1 << bit;
                    }
                }
            }
        };
        if self.slots.len() < PARALLEL_FROM || threads < 2 {
            fill(0, &mut bits);
            return bits;
        }
        let chunk = words.div_ceil(threads);
        std::thread::scope(|s| {
            for (i, out) in bits.chunks_mut(chunk).enumerate() {
                let fill = &fill;
                s.spawn(move || fill(i * chunk, out));
            }
        });
        bits
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::{FeedId, Fleet, FleetConfig, Query};
    use crate::protocol::{FixBatch, Position};

    #[test]
    fn a_pass_on_every_core_finds_what_one_pass_finds_in_the_same_order() {
        let mut fleet = Fleet::new(FleetConfig {
            max_vehicles: 300_000,
            ..FleetConfig::default()
        });
        let fixes: Vec<Position> = (0..250_000)
            .map(|i| Position::new(format!("bus-{i}"), -16.9, 145.7, 1_764_000_000_000))
            .collect();
        let t = 1_764_000_000_000;
        let _ = fleet.apply_batch(FeedId(0), &FixBatch::from_positions(&fixes), t);
        // Holes in the slots, as removals leave them.
        let gone: Vec<String> = (0..250_000)
            .step_by(7)
            .map(|i| format!("bus-{i}"))
            .collect();
        let _ = fleet.remove_ids(FeedId(0), &gone);
        let query = Query::new("bus-12", Vec::new());
        let one: Vec<_> = fleet.search("bus-12", &[]).map(|(k, _)| k).collect();
        let every = fleet.filter_keys(|v| query.matches(v));
        assert_eq!(every, one);
        let bits = fleet.filter_bits(|v| query.matches(v));
        let from_bits: Vec<_> = (0..bits.len() * 64)
            .filter(|k| bits[k / 64] & (1 << (k % 64)) != 0)
            .map(|k| crate::fleet::VehicleKey(k as u32))
            .collect();
        assert_eq!(from_bits, one, "the bitset marks the same vehicles");
        assert!(one.len() > 9_000, "{}", one.len());
    }
}
