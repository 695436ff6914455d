//! A pass over the whole fleet on every core: what a search as the dispatcher types asks of a
//! million vehicles (a pass that waits on memory, not on arithmetic, so two cores take about
//! half the time of one).

use super::{Fleet, Vehicle, VehicleKey};

/// Below this many slots a pass runs on the calling thread (threads cost more than they save).
const PARALLEL_FROM: usize = 100_000;

impl Fleet {
    /// The keys of the vehicles `keep` accepts, in slot order (what [`Fleet::iter`] gives).
    pub fn filter_keys(&self, keep: impl Fn(&Vehicle) -> bool + Sync) -> Vec<VehicleKey> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        if self.slots.len() < PARALLEL_FROM || threads < 2 {
            return self.keys_in(0, &self.slots, &keep);
        }
        let chunk = self.slots.len().div_ceil(threads);
        let keep = &keep;
        let parts: Vec<Vec<VehicleKey>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .slots
                .chunks(chunk)
                .enumerate()
                .map(|(i, slots)| s.spawn(move || self.keys_in(i * chunk, slots, keep)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        parts.concat()
    }

    fn keys_in(
        &self,
        first: usize,
        slots: &[Option<Vehicle>],
        keep: &(impl Fn(&Vehicle) -> bool + Sync),
    ) -> Vec<VehicleKey> {
        slots
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                v.as_ref()
                    .filter(|v| keep(v))
                    .map(|_| VehicleKey((first + i) as u32))
            })
            .collect()
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
        assert!(one.len() > 9_000, "{}", one.len());
    }
}
