//! One cell of the pyramid: how many vehicles are in it by condition, where their centroid is
//! (kept as exact integer sums) and, when one is alone, which.

use super::World;
use crate::fleet::{Condition, VehicleKey};

/// The vehicles of one cell, as counts and sums.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    /// Vehicles by condition, in [`Condition::ALL`] order.
    pub by_condition: [u32; 4],
    sum_x: u64,
    sum_y: u64,
    /// The XOR of the vehicles' keys: the key itself when one is alone.
    xor: u32,
}

impl Cell {
    pub fn count(&self) -> u32 {
        self.by_condition.iter().sum()
    }

    /// The vehicles' centroid (of their fixes), if there are any.
    pub fn centre(&self) -> Option<World> {
        let n = self.count() as u64;
        (n > 0).then(|| World {
            x: (self.sum_x / n) as u32,
            y: (self.sum_y / n) as u32,
        })
    }

    /// The one vehicle in it, when it holds exactly one.
    pub fn lone(&self) -> Option<VehicleKey> {
        (self.count() == 1).then_some(VehicleKey(self.xor))
    }

    pub(super) fn add(&mut self, at: World, key: VehicleKey, condition: Condition) {
        self.by_condition[condition.index()] += 1;
        self.sum_x += at.x as u64;
        self.sum_y += at.y as u64;
        self.xor ^= key.0;
    }

    /// Takes out a vehicle counted with `add` (the same position, key and condition).
    pub fn take(&mut self, at: World, key: VehicleKey, condition: Condition) {
        let n = &mut self.by_condition[condition.index()];
        *n = n.saturating_sub(1);
        self.sum_x = self.sum_x.saturating_sub(at.x as u64);
        self.sum_y = self.sum_y.saturating_sub(at.y as u64);
        self.xor ^= key.0;
    }

    /// Adds another cell's vehicles to this one's.
    pub fn absorb(&mut self, other: &Cell) {
        for (a, b) in self.by_condition.iter_mut().zip(other.by_condition) {
            *a += b;
        }
        self.sum_x += other.sum_x;
        self.sum_y += other.sum_y;
        self.xor ^= other.xor;
    }
}
