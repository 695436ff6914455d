//! The vehicles by where they are: a pyramid of square cells over the Web-Mercator world map,
//! kept up to date as fixes apply (never rebuilt for a frame), so that a map view touches the
//! cells it shows and not the whole fleet.
//!
//! - **World coordinates.** A position is projected once, when its fix applies, to a point of the
//!   world map ([`World`]): x east from 180°W and y south from 85.05°N, each in 2^32 units. A map
//!   view is linear in these, so a cell's centre goes on screen without a `tan` or a `ln`.
//! - **Levels.** At level `L` the world is `2^L × 2^L` cells; levels [`COARSEST`] to [`FINEST`]
//!   each keep, per occupied cell, a [`Cell`]: its vehicles by condition, the sum of where they
//!   are counted (the centres of their finest cells: a centroid true to half a finest cell, in
//!   integers) and the XOR of their keys (which is the key itself when one vehicle is alone in
//!   it). A fix that stays in its finest cell (611 m) in the same condition changes nothing;
//!   one that leaves it moves the vehicle's count from cell to cell.
//! - **Who is where.** Each finest cell chains its vehicles in a list threaded through the
//!   slots (`prev`, `next`), so the vehicles of any area are found from its cells.
//! - **Conditions age.** A vehicle goes stale, then lost, with no fix arriving. Each vehicle is
//!   queued (once) at the second its condition next changes; [`Spatial::due`] hands back those
//!   whose time has come, and the fleet re-counts them (`Fleet::settle`). Counts are at most a
//!   second behind the clock for that reason; a vehicle's own condition is always exact.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use foldhash::fast::RandomState;

use super::{Condition, VehicleKey};

mod cell;
mod world;

#[cfg(test)]
mod tests;

pub use cell::Cell;
pub use world::{World, WorldRect};

/// The coarsest level kept: 8 × 8 cells over the world.
pub const COARSEST: u8 = 3;
/// The finest: 65,536 × 65,536 cells, 611 m wide at the equator.
pub const FINEST: u8 = 16;
const LEVELS: usize = (FINEST - COARSEST + 1) as usize;
const NONE: u32 = u32::MAX;
/// A slot holding no vehicle in the index.
const ABSENT: u8 = u8::MAX;

/// One slot's place in its finest cell's list and the condition it is counted under.
#[derive(Debug, Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
    /// Its finest cell (the vehicle is counted at that cell's centre).
    fine: u32,
    /// The second it waits for in the ageing queue (0: it does not wait).
    due_s: u32,
    condition: u8,
}

impl Default for Link {
    fn default() -> Self {
        Link {
            prev: NONE,
            next: NONE,
            fine: 0,
            due_s: 0,
            condition: ABSENT,
        }
    }
}

type Cells = HashMap<u32, Cell, RandomState>;

/// The fleet's vehicles by cell, at every level from [`COARSEST`] to [`FINEST`].
#[derive(Debug, Clone, Default)]
pub struct Spatial {
    levels: [Cells; LEVELS],
    /// The first vehicle of each occupied finest cell.
    heads: HashMap<u32, u32, RandomState>,
    links: Vec<Link>,
    /// Slots by the second (`due << 32 | slot`) their condition next changes.
    ageing: BinaryHeap<Reverse<u64>>,
}

impl Spatial {
    /// Counts `key` at `at` under `condition`.
    pub(crate) fn insert(&mut self, key: VehicleKey, at: World, condition: Condition) {
        let slot = key.0 as usize;
        if self.links.len() <= slot {
            self.links.resize(slot + 1, Link::default());
        }
        debug_assert_eq!(self.links[slot].condition, ABSENT, "inserted twice");
        let fine = at.cell(FINEST);
        let point = centre_of(fine);
        for (i, cells) in self.levels.iter_mut().enumerate() {
            let level = COARSEST + i as u8;
            cells
                .entry(point.cell(level))
                .or_default()
                .add(point, key, condition);
        }
        self.link(key, fine);
        let link = &mut self.links[slot];
        link.fine = fine;
        link.condition = condition.index() as u8;
    }

    /// Forgets `key`.
    pub(crate) fn remove(&mut self, key: VehicleKey) {
        let Some(condition) = self.condition_of(key) else {
            return;
        };
        let fine = self.links[key.0 as usize].fine;
        let point = centre_of(fine);
        for (i, cells) in self.levels.iter_mut().enumerate() {
            let code = point.cell(COARSEST + i as u8);
            if let Some(cell) = cells.get_mut(&code) {
                cell.take(point, key, condition);
                if cell.count() == 0 {
                    cells.remove(&code);
                }
            }
        }
        self.unlink(key, fine);
        let link = &mut self.links[key.0 as usize];
        link.condition = ABSENT;
        link.due_s = 0;
    }

    /// `key` is now at `to`, in `condition`. A move within its finest cell, in the same
    /// condition, changes nothing here: most fixes cost one comparison.
    pub(crate) fn relocate(&mut self, key: VehicleKey, to: World, now: Condition) {
        let Some(was) = self.condition_of(key) else {
            return self.insert(key, to, now);
        };
        let old_fine = self.links[key.0 as usize].fine;
        let new_fine = to.cell(FINEST);
        if old_fine == new_fine && was == now {
            return;
        }
        let (from, to) = (centre_of(old_fine), centre_of(new_fine));
        for (i, cells) in self.levels.iter_mut().enumerate() {
            let level = COARSEST + i as u8;
            let (old, new) = (from.cell(level), to.cell(level));
            if old == new {
                let cell = cells.entry(old).or_default();
                cell.take(from, key, was);
                cell.add(to, key, now);
                continue;
            }
            if let Some(cell) = cells.get_mut(&old) {
                cell.take(from, key, was);
                if cell.count() == 0 {
                    cells.remove(&old);
                }
            }
            cells.entry(new).or_default().add(to, key, now);
        }
        if old_fine != new_fine {
            self.unlink(key, old_fine);
            self.link(key, new_fine);
        }
        let link = &mut self.links[key.0 as usize];
        link.fine = new_fine;
        link.condition = now.index() as u8;
    }

    /// `key` is now in `condition` where it is (it went stale or lost with no fix).
    pub(crate) fn recondition(&mut self, key: VehicleKey, condition: Condition) {
        if self.condition_of(key).is_some() {
            let at = centre_of(self.links[key.0 as usize].fine);
            self.relocate(key, at, condition);
        }
    }

    /// The point `key` is counted at (the centre of its finest cell), if it is counted.
    pub fn counted_at(&self, key: VehicleKey) -> Option<World> {
        self.condition_of(key)?;
        Some(centre_of(self.links[key.0 as usize].fine))
    }

    /// Puts `key` first in finest cell `fine`'s list.
    fn link(&mut self, key: VehicleKey, fine: u32) {
        let head = self.heads.insert(fine, key.0).unwrap_or(NONE);
        if head != NONE {
            self.links[head as usize].prev = key.0;
        }
        let link = &mut self.links[key.0 as usize];
        link.prev = NONE;
        link.next = head;
    }

    /// Takes `key` out of its finest cell's list.
    fn unlink(&mut self, key: VehicleKey, fine: u32) {
        let Link { prev, next, .. } = self.links[key.0 as usize];
        if prev == NONE {
            if next == NONE {
                self.heads.remove(&fine);
            } else {
                self.heads.insert(fine, next);
            }
        } else {
            self.links[prev as usize].next = next;
        }
        if next != NONE {
            self.links[next as usize].prev = prev;
        }
    }

    /// The condition `key` is counted under, if it is counted.
    pub fn condition_of(&self, key: VehicleKey) -> Option<Condition> {
        let c = self.links.get(key.0 as usize)?.condition;
        Condition::ALL.get(c as usize).copied()
    }

    /// Queues `key` to be looked at again at `due_ms`, unless it waits for an earlier time
    /// already (it is queued again then, for what is next).
    pub(crate) fn schedule(&mut self, key: VehicleKey, due_ms: i64) {
        let Some(link) = self.links.get_mut(key.0 as usize) else {
            return;
        };
        // Whole seconds, rounded up: never early.
        let due_s = (due_ms + 999).div_euclid(1000).clamp(1, u32::MAX as i64) as u32;
        if link.due_s != 0 && link.due_s <= due_s {
            return;
        }
        link.due_s = due_s;
        self.ageing
            .push(Reverse((due_s as u64) << 32 | key.0 as u64));
    }

    /// Takes the next vehicle whose time to be looked at again has come by `now_ms`.
    pub(crate) fn due(&mut self, now_ms: i64) -> Option<VehicleKey> {
        loop {
            let Reverse(top) = *self.ageing.peek()?;
            let due_s = (top >> 32) as u32;
            if due_s as i64 * 1000 > now_ms {
                return None;
            }
            self.ageing.pop();
            let key = VehicleKey(top as u32);
            match self.links.get_mut(key.0 as usize) {
                // An entry an earlier one replaced: skipped.
                Some(link) if link.due_s == due_s => {
                    link.due_s = 0;
                    return Some(key);
                }
                _ => continue,
            }
        }
    }

    /// When the next vehicle's condition may change with time alone, ms (at most a second late).
    pub fn next_due_ms(&self) -> Option<i64> {
        self.ageing
            .peek()
            .map(|Reverse(top)| (top >> 32) as i64 * 1000)
    }

    /// The occupied cells of `level` (clamped to the levels kept).
    pub fn cells(&self, level: u8) -> &HashMap<u32, Cell, RandomState> {
        &self.levels[(level.clamp(COARSEST, FINEST) - COARSEST) as usize]
    }

    /// Calls `f` with each occupied cell of `level` that `area` touches, by its code.
    pub fn cells_in(&self, level: u8, area: WorldRect, mut f: impl FnMut(u32, &Cell)) {
        let level = level.clamp(COARSEST, FINEST);
        let cells = self.cells(level);
        let (x0, y0, x1, y1) = area.cell_span(level);
        let span = (x1 - x0 + 1) as u64 * (y1 - y0 + 1) as u64;
        if span <= 2 * cells.len() as u64 {
            for x in x0..=x1 {
                for y in y0..=y1 {
                    let code = (x << level) | y;
                    if let Some(cell) = cells.get(&code) {
                        f(code, cell);
                    }
                }
            }
        } else {
            for (&code, cell) in cells {
                let (x, y) = (code >> level, code & ((1 << level) - 1));
                if (x0..=x1).contains(&x) && (y0..=y1).contains(&y) {
                    f(code, cell);
                }
            }
        }
    }

    /// How many vehicles are counted in the cells of `level` that `area` touches.
    pub fn count_in(&self, level: u8, area: WorldRect) -> u64 {
        let mut n = 0u64;
        self.cells_in(level, area, |_, c| n += c.count() as u64);
        n
    }

    /// Calls `f` with each vehicle whose fix lies in a finest cell that `area` touches.
    pub fn vehicles_in(&self, area: WorldRect, mut f: impl FnMut(VehicleKey)) {
        self.cells_in(FINEST, area, |code, _| self.walk(code, &mut f));
    }

    /// Calls `f` with each vehicle in cell `code` of `level`.
    pub fn vehicles_of(&self, level: u8, code: u32, mut f: impl FnMut(VehicleKey)) {
        let level = level.clamp(COARSEST, FINEST);
        let shift = FINEST - level;
        let (x, y) = (code >> level, code & ((1 << level) - 1));
        let area = WorldRect::of_cell(level, x, y);
        self.cells_in(FINEST, area, |fine, _| {
            let (fx, fy) = (fine >> FINEST, fine & ((1 << FINEST) - 1));
            if fx >> shift == x && fy >> shift == y {
                self.walk(fine, &mut f);
            }
        });
    }

    fn walk(&self, fine: u32, f: &mut impl FnMut(VehicleKey)) {
        let mut at = self.heads.get(&fine).copied().unwrap_or(NONE);
        while at != NONE {
            f(VehicleKey(at));
            at = self.links[at as usize].next;
        }
    }

    /// Heap bytes held (the cells of every level, the lists and the ageing queue).
    pub fn heap_bytes(&self) -> usize {
        let cells: usize = self
            .levels
            .iter()
            .map(|c| c.capacity() * (std::mem::size_of::<(u32, Cell)>() + 1))
            .sum();
        cells
            + self.heads.capacity() * (std::mem::size_of::<(u32, u32)>() + 1)
            + self.links.capacity() * std::mem::size_of::<Link>()
            + self.ageing.capacity() * std::mem::size_of::<u64>()
    }
}

/// The centre of finest cell `fine`: where a vehicle in it is counted. Counting cell centres,
/// not fixes, means a fix that stays in its 611 m cell changes no count and no sum; a cluster's
/// centroid is then true to within half a finest cell (at most 8 px where cells are drawn).
fn centre_of(fine: u32) -> World {
    let half = 1u32 << (31 - FINEST as u32);
    let (x, y) = (fine >> FINEST, fine & ((1 << FINEST) - 1));
    World {
        x: (x << (32 - FINEST as u32)) | half,
        y: (y << (32 - FINEST as u32)) | half,
    }
}

/// The level whose cells are at most `px` pixels wide (and more than half that) on a map where
/// the whole world is `world_px` wide, if one is kept.
pub fn level_for(world_px: f64, px: f64) -> Option<u8> {
    let level = (world_px / px).log2().ceil().max(COARSEST as f64);
    (level <= FINEST as f64).then_some(level as u8)
}
