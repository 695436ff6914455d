//! Decluttering by screen density, as pure geometry: markers that would overlap merge into
//! clusters, and labels are placed only where they cover nothing placed before them.
//!
//! Clustering bins the vehicles into a grid of cells one cluster distance wide (a cluster per
//! occupied cell, one division a vehicle), then merges, biggest first, clusters whose discs would
//! overlap or whose lone markers would be nearer than that distance. The cost is linear in the
//! vehicles in view with a small constant, and the merging works on the few thousand cells.
//! Given the time (`steady_at`), clusters form and part with hysteresis (`steady`).

use egui::{Pos2, Rect, Vec2};

use crate::fleet::{Condition, VehicleKey};
use crate::ui::tokens::{CLUSTER_RADIUS_MAX, CLUSTER_RADIUS_MIN, MARKER_SIZE};

mod steady;

pub use steady::{MERGE_AFTER_S, Moment};

/// Hysteresis only while at most this many vehicles are in view: it costs three clustering
/// passes a frame, and the blinking it prevents (two passing vehicles and their labels) is seen
/// at street level, not in a view of thousands (where labels are not drawn either).
pub const STEADY_MAX_IN_VIEW: usize = 2_000;

/// A vehicle in view this frame and where it is on screen; or, when the view holds too many
/// to place one by one, a cell of the fleet's spatial index standing for its vehicles.
#[derive(Debug, Clone, Copy)]
pub struct InView {
    pub key: VehicleKey,
    pub pos: Pos2,
    pub condition: Condition,
    /// The cell this stands for (at least two vehicles), or `None` for the one vehicle `key`.
    pub cell: Option<CellItem>,
}

/// A cell of the spatial index in view: its code (at the frame's level) and its vehicles by
/// condition.
#[derive(Debug, Clone, Copy)]
pub struct CellItem {
    pub code: u32,
    pub by_condition: [u32; 4],
}

impl InView {
    /// How many vehicles it stands for, and they by condition.
    fn tally(&self) -> (u32, [u32; 4]) {
        match self.cell {
            Some(cell) => (cell.by_condition.iter().sum(), cell.by_condition),
            None => {
                let mut by_condition = [0u32; 4];
                by_condition[self.condition.index()] = 1;
                (1, by_condition)
            }
        }
    }
}

/// Vehicles drawn as one: a single marker when `count` is 1, else a disc with the count.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Where it is drawn: the mean of its members' positions.
    pub centre: Pos2,
    pub count: u32,
    /// Members by condition, in [`Condition::ALL`] order.
    pub by_condition: [u32; 4],
    /// A member, as an index into the vehicles in view (the only one when `count` is 1).
    pub first: usize,
    sum: Vec2,
    /// Into which cluster this one merged (`u32::MAX`: none).
    merged_into: u32,
}

impl Cluster {
    pub fn radius(&self) -> f32 {
        cluster_radius(self.count)
    }

    /// What is in view at `i` (a vehicle, or a cell of many), alone.
    fn lone(i: usize, v: &InView) -> Self {
        let (count, by_condition) = v.tally();
        Cluster {
            centre: v.pos,
            count,
            by_condition,
            first: i,
            sum: v.pos.to_vec2() * count as f32,
            merged_into: u32::MAX,
        }
    }

    fn absorb(&mut self, other: &Cluster) {
        self.count += other.count;
        self.sum += other.sum;
        for (a, b) in self.by_condition.iter_mut().zip(other.by_condition) {
            *a += b;
        }
        self.centre = (self.sum / self.count as f32).to_pos2();
    }
}

/// The radius a cluster of `count` is drawn with (a lone vehicle: its marker's size).
pub fn cluster_radius(count: u32) -> f32 {
    if count <= 1 {
        MARKER_SIZE
    } else {
        (CLUSTER_RADIUS_MIN + 2.0 * (count as f32).log2()).min(CLUSTER_RADIUS_MAX)
    }
}

/// The clusters of one frame; buffers are kept between frames.
#[derive(Default)]
pub struct Clusters {
    pub clusters: Vec<Cluster>,
    /// For each vehicle in view, the index of its cluster.
    pub member_of: Vec<u32>,
    grid: Grid,
    /// The cluster of each grid cell (`u32::MAX`: none yet).
    cell_cluster: Vec<u32>,
    order: Vec<u32>,
    remap: Vec<u32>,
    /// This frame's time and zoom, when clustering with hysteresis.
    moment: Option<Moment>,
    steady: steady::Steady,
    scratch: steady::Scratch,
}

impl Clusters {
    /// Clusters the next `build` with hysteresis at this time and zoom (once a frame).
    pub fn steady_at(&mut self, at: Moment) {
        self.moment = Some(at);
    }

    /// Clusters the next `build` with no hysteresis (what is in view are cells of many).
    pub fn unsteady(&mut self) {
        self.moment = None;
    }

    /// Whether a vehicle is waiting to join a cluster: the map should be drawn again soon.
    pub fn pending(&self) -> bool {
        self.steady.pending()
    }

    /// Groups `in_view` (on screen inside `area`) so that no two lone markers are nearer than
    /// `distance` and no two discs overlap; with hysteresis when `steady_at` was called.
    pub fn build(&mut self, in_view: &[InView], area: Rect, distance: f32) {
        match self.moment.take() {
            Some(at) if in_view.len() <= STEADY_MAX_IN_VIEW => {
                self.build_steady(in_view, (area, distance), at)
            }
            _ => {
                self.steady.forget();
                self.build_plain(in_view, area, distance)
            }
        }
    }

    /// Groups `in_view` by where they are now, with no memory.
    fn build_plain(&mut self, in_view: &[InView], area: Rect, distance: f32) {
        self.clusters.clear();
        self.member_of.clear();
        self.grid.reset(area, distance);
        // Binning: a cluster per occupied cell (one division a vehicle, no distance checks).
        self.cell_cluster.clear();
        self.cell_cluster
            .resize((self.grid.cols * self.grid.rows) as usize, u32::MAX);
        for (i, v) in in_view.iter().enumerate() {
            let (x, y) = self.grid.cell_of(v.pos);
            let cell = (y * self.grid.cols + x) as usize;
            let c = self.cell_cluster[cell];
            if c == u32::MAX {
                let c = self.clusters.len() as u32;
                self.cell_cluster[cell] = c;
                self.grid.cells[cell].push(c);
                self.clusters.push(Cluster::lone(i, v));
                self.member_of.push(c);
            } else {
                let cluster = &mut self.clusters[c as usize];
                let (count, by_condition) = v.tally();
                cluster.count += count;
                cluster.sum += v.pos.to_vec2() * count as f32;
                for (a, b) in cluster.by_condition.iter_mut().zip(by_condition) {
                    *a += b;
                }
                self.member_of.push(c);
            }
        }
        for c in &mut self.clusters {
            c.centre = (c.sum / c.count as f32).to_pos2();
        }
        // A cluster that grew may now reach one it passed: go again until nothing merges.
        for _ in 0..4 {
            if !self.merge_overlapping(distance) {
                break;
            }
        }
        self.compact();
    }

    /// Biggest first, each cluster swallows the neighbours its disc would overlap.
    fn merge_overlapping(&mut self, distance: f32) -> bool {
        let mut merged = false;
        self.order.clear();
        self.order.extend(0..self.clusters.len() as u32);
        let clusters = &self.clusters;
        self.order
            .sort_by_key(|&c| std::cmp::Reverse(clusters[c as usize].count));
        for &a in &self.order {
            if self.clusters[a as usize].merged_into != u32::MAX {
                continue;
            }
            let mut found = Vec::new();
            let a_at = self.clusters[a as usize].centre;
            // A centre lies in its cell; discs reach at most the top radius.
            let cells = ((2.0 * CLUSTER_RADIUS_MAX).max(distance) / distance).ceil() as i32 + 1;
            self.grid.near(a_at, cells, |b| {
                if b != a {
                    found.push(b);
                }
            });
            for b in found {
                let (ca, cb) = (&self.clusters[a as usize], &self.clusters[b as usize]);
                if cb.merged_into != u32::MAX {
                    continue;
                }
                // Lone markers nearer than `distance` would overlap too.
                let touch = (ca.radius() + cb.radius()).max(distance);
                if ca.centre.distance_sq(cb.centre) < touch * touch {
                    let other = cb.clone();
                    self.clusters[a as usize].absorb(&other);
                    self.clusters[b as usize].merged_into = a;
                    merged = true;
                }
            }
        }
        merged
    }

    /// Drops merged clusters and points every member at the cluster it ended in.
    fn compact(&mut self) {
        self.remap.clear();
        self.remap.resize(self.clusters.len(), u32::MAX);
        let mut kept = 0u32;
        for (i, c) in self.clusters.iter().enumerate() {
            if c.merged_into == u32::MAX {
                self.remap[i] = kept;
                kept += 1;
            }
        }
        for i in 0..self.clusters.len() {
            let mut root = i;
            while self.clusters[root].merged_into != u32::MAX {
                root = self.clusters[root].merged_into as usize;
            }
            self.remap[i] = self.remap[root];
        }
        for m in &mut self.member_of {
            *m = self.remap[*m as usize];
        }
        self.clusters.retain(|c| c.merged_into == u32::MAX);
    }

    /// What is in cluster `c` (indices into the vehicles and cells in view).
    pub fn members(&self, c: usize) -> impl Iterator<Item = usize> + '_ {
        self.member_of
            .iter()
            .enumerate()
            .filter(move |(_, m)| **m as usize == c)
            .map(|(i, _)| i)
    }
}

/// A grid of square cells over the view, each holding indices of things in it.
#[derive(Default)]
struct Grid {
    cells: Vec<Vec<u32>>,
    cols: i32,
    rows: i32,
    origin: Pos2,
    size: f32,
}

impl Grid {
    fn reset(&mut self, area: Rect, size: f32) {
        self.size = size.max(1.0);
        self.origin = area.min;
        self.cols = (area.width() / self.size).ceil().max(1.0) as i32 + 1;
        self.rows = (area.height() / self.size).ceil().max(1.0) as i32 + 1;
        let n = (self.cols * self.rows) as usize;
        self.cells.resize_with(n.max(self.cells.len()), Vec::new);
        for cell in &mut self.cells[..n] {
            cell.clear();
        }
    }

    fn cell_of(&self, p: Pos2) -> (i32, i32) {
        let x = ((p.x - self.origin.x) / self.size).floor() as i32;
        let y = ((p.y - self.origin.y) / self.size).floor() as i32;
        (x.clamp(0, self.cols - 1), y.clamp(0, self.rows - 1))
    }

    /// Calls `f` with every item in the cells within `cells` cells of `p`'s.
    fn near(&self, p: Pos2, cells: i32, mut f: impl FnMut(u32)) {
        let (cx, cy) = self.cell_of(p);
        for y in (cy - cells).max(0)..=(cy + cells).min(self.rows - 1) {
            for x in (cx - cells).max(0)..=(cx + cells).min(self.cols - 1) {
                for &item in &self.cells[(y * self.cols + x) as usize] {
                    f(item);
                }
            }
        }
    }
}

/// Places labels where they overlap nothing placed or blocked before them; first come, first
/// served, so callers offer the most important labels first.
#[derive(Default)]
pub struct LabelPlacer {
    grid: Grid,
    rects: Vec<Rect>,
}

/// Label cells are this wide: a few labels each.
const LABEL_CELL: f32 = 48.0;

impl LabelPlacer {
    pub fn reset(&mut self, area: Rect) {
        self.grid.reset(area, LABEL_CELL);
        self.rects.clear();
    }

    /// Marks `rect` as taken (a marker, a cluster, a placed label).
    pub fn block(&mut self, rect: Rect) {
        let i = self.rects.len() as u32;
        self.rects.push(rect);
        let (x0, y0) = self.grid.cell_of(rect.min);
        let (x1, y1) = self.grid.cell_of(rect.max);
        for y in y0..=y1 {
            for x in x0..=x1 {
                self.grid.cells[(y * self.grid.cols + x) as usize].push(i);
            }
        }
    }

    fn free(&self, rect: Rect) -> bool {
        let (x0, y0) = self.grid.cell_of(rect.min);
        let (x1, y1) = self.grid.cell_of(rect.max);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let cell = &self.grid.cells[(y * self.grid.cols + x) as usize];
                if cell
                    .iter()
                    .any(|&i| self.rects[i as usize].intersects(rect))
                {
                    return false;
                }
            }
        }
        true
    }

    /// A place for a label of `size` beside a marker at `anchor` of half-size `gap`: right,
    /// left, above or below, the first that is free (and inside `area`); it is then taken.
    /// `force` places it on the right even if it collides (the selection's label).
    pub fn place(&mut self, anchor: Pos2, size: Vec2, gap: f32, force: bool) -> Option<Rect> {
        let candidates = [
            Pos2::new(anchor.x + gap + 2.0, anchor.y - size.y / 2.0),
            Pos2::new(anchor.x - gap - 2.0 - size.x, anchor.y - size.y / 2.0),
            Pos2::new(anchor.x - size.x / 2.0, anchor.y - gap - 2.0 - size.y),
            Pos2::new(anchor.x - size.x / 2.0, anchor.y + gap + 2.0),
        ];
        let found = candidates
            .iter()
            .map(|&min| Rect::from_min_size(min, size))
            .find(|&r| self.free(r))
            .or_else(|| force.then(|| Rect::from_min_size(candidates[0], size)));
        if let Some(r) = found {
            self.block(r);
        }
        found
    }
}

#[cfg(test)]
mod tests;
