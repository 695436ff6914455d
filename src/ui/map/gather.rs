//! What a frame of the map draws, and where, at a cost bounded by what is on screen: the
//! markers plugin asks here for the vehicles (or cells of vehicles) in view.
//!
//! - **A small fleet** (at most [`STEADY_MAX_IN_VIEW`] vehicles) is looked at whole, one vehicle
//!   at a time, as it always was.
//! - **A few in view of a big fleet**: the vehicles are found from the fleet's spatial index
//!   (the finest cells the view touches, with a margin for markers gliding in), then placed one
//!   by one, clusters formed with hysteresis.
//! - **Many in view** (more than [`STEADY_MAX_IN_VIEW`], with no filter on): the index's cells of
//!   the level whose cells are at most a cluster's distance wide stand for their vehicles. Each
//!   is placed at its vehicles' centroid and goes into the clustering with its count; a cell of
//!   one is that vehicle, at its gliding position. The selection, a fanned-out cluster and the
//!   vehicles with a critical alert are taken out of their cells and drawn apart, as always.
//! - **A filter on** (a search, a status or a feed hidden): the vehicles the table lists as
//!   shown, or those around the view when they are fewer, each asked whether it is shown: the
//!   cost is that of the fewer.

use std::collections::HashMap;

use egui::Rect;
use walkers::Projector;

use super::Frame;
use super::camera::ToScreen;
use super::declutter::{CellItem, InView, STEADY_MAX_IN_VIEW};
use super::vehicles::Markers;
use crate::alerts::Severity;
use crate::fleet::spatial::{self, World, WorldRect};
use crate::fleet::{Condition, Fleet, Vehicle, VehicleKey};
use crate::ui::tokens;

/// How far past the view's edges vehicles are looked for, as a fraction of its larger side: a
/// marker gliding in from its last fix (a few seconds of travel) is drawn before it arrives.
const MARGIN: f64 = 0.25;

/// The frame's view: its projection, its area on screen and that area in degrees.
struct View<'a> {
    fast: &'a ToScreen,
    area: Rect,
    bounds: Bounds,
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    south: f64,
    north: f64,
    west: f64,
    east: f64,
}

/// How a frame finds what is in view.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    /// Every vehicle of the fleet, one by one.
    Every,
    /// The vehicles of these finest cells, one by one.
    Around(WorldRect),
    /// The vehicles the table lists (a filter is on and they are fewer than those around).
    Listed,
    /// The cells of this level in this rectangle.
    Cells(u8, WorldRect),
}

impl Markers<'_> {
    /// Fills the frame's `in_view` (and `alarmed`) with what is shown in `area`.
    pub(super) fn gather(&self, frame: &mut Frame, projector: &Projector, area: Rect) {
        let fast = ToScreen::of(projector, area.center());
        frame.cells_level = None;
        let nw = projector.unproject(area.left_top().to_vec2());
        let se = projector.unproject(area.right_bottom().to_vec2());
        let bounds = Bounds {
            south: se.y().min(nw.y()),
            north: se.y().max(nw.y()),
            west: nw.x().min(se.x()),
            east: nw.x().max(se.x()),
        };
        let view = View {
            fast: &fast,
            area,
            bounds,
        };
        match self.plan(&view) {
            Plan::Every => self.collect(frame, &view, self.fleet.iter()),
            Plan::Around(rect) => {
                let mut keys = std::mem::take(&mut frame.nearby);
                keys.clear();
                self.fleet.spatial().vehicles_in(rect, |k| keys.push(k));
                let vehicles = keys
                    .iter()
                    .filter_map(|&k| self.fleet.vehicle(k).map(|v| (k, v)));
                self.collect(frame, &view, vehicles);
                frame.nearby = keys;
            }
            Plan::Listed => {
                let rows = self.shown_rows.unwrap_or_default();
                let vehicles = rows
                    .iter()
                    .filter_map(|&k| self.fleet.vehicle(k).map(|v| (k, v)));
                self.collect(frame, &view, vehicles);
            }
            Plan::Cells(level, rect) => {
                frame.clusters.unsteady();
                frame.cells_level = Some(level);
                self.collect_cells(frame, &view, (level, rect));
            }
        }
    }

    fn plan(&self, view: &View<'_>) -> Plan {
        if self.fleet.len() <= STEADY_MAX_IN_VIEW {
            return Plan::Every;
        }
        let b = view.bounds;
        let rect = WorldRect::between(World::of(b.north, b.west), World::of(b.south, b.east));
        let around = rect.grown(MARGIN);
        let cluster_px = f64::from(tokens::CLUSTER_DISTANCE);
        let level = spatial::level_for(view.fast.world_px(), cluster_px);
        let in_view = self
            .fleet
            .spatial()
            .count_in(level.unwrap_or(spatial::FINEST), around);
        if self.view.is_filtered() {
            // Each vehicle asked whether it is shown: the fewer of those listed and those around.
            let listed = self.shown_rows.map(|rows| rows.len() as u64);
            return match listed {
                Some(n) if n < in_view => Plan::Listed,
                _ => Plan::Around(around),
            };
        }
        match level {
            Some(level) if in_view > STEADY_MAX_IN_VIEW as u64 => Plan::Cells(level, rect),
            _ => Plan::Around(around),
        }
    }

    /// Of `vehicles`, those shown in `area` (not the selection, not a fan's), where they are on
    /// screen and in what condition; those with a critical alert open are kept apart.
    fn collect<'v>(
        &self,
        frame: &mut Frame,
        view: &View<'_>,
        vehicles: impl Iterator<Item = (VehicleKey, &'v Vehicle)>,
    ) {
        let fanned = self.fan.map_or(&[][..], |(keys, _)| keys);
        // Looked up per vehicle only while some alert is critical.
        let any_critical = self.alerts.open_critical() > 0;
        let Bounds {
            south,
            north,
            west,
            east,
        } = view.bounds;
        for (key, v) in vehicles {
            if Some(key) == self.selected || fanned.binary_search(&key).is_ok() {
                continue;
            }
            let (lat, lon) = v.display_position(self.now_ms);
            if lat < south || lat > north || lon < west || lon > east || !self.shown.shows(v) {
                continue;
            }
            if any_critical
                && self.alerts.open_severity_at(v.feed(), v.id()) == Some(Severity::Critical)
            {
                if let Some(pos) = self.place(frame, view, v) {
                    frame.alarmed.push((key, pos));
                }
                continue;
            }
            self.push_vehicle(frame, view, key, v);
        }
    }

    /// Where `v` is drawn, if inside `area`; its speed on screen counts towards the frame's.
    fn place(&self, frame: &mut Frame, view: &View<'_>, v: &Vehicle) -> Option<egui::Pos2> {
        let (lat, lon) = v.display_position(self.now_ms);
        let pos = view.fast.at(lat, lon);
        if !view.area.contains(pos) {
            return None;
        }
        if let Some((vlat, vlon)) = v.drawn_velocity(self.now_ms) {
            let ahead = view.fast.at(lat + vlat, lon + vlon);
            frame.motion = frame.motion.with(pos.distance(ahead));
        }
        Some(pos)
    }

    fn push_vehicle(&self, frame: &mut Frame, view: &View<'_>, key: VehicleKey, v: &Vehicle) {
        if let Some(pos) = self.place(frame, view, v) {
            let condition = self.fleet.condition(v, self.now_ms);
            frame.in_view.push(InView {
                key,
                pos,
                condition,
                cell: None,
            });
        }
    }

    /// The index's cells of `level` in `rect`, each standing for its vehicles but those drawn
    /// apart (the selection, a fan's, the critically alarmed).
    fn collect_cells(&self, frame: &mut Frame, view: &View<'_>, at: (u8, WorldRect)) {
        let (level, rect) = at;
        let apart = self.apart(frame, view, level);
        let spatial = self.fleet.spatial();
        spatial.cells_in(level, rect, |code, cell| {
            let mut cell = *cell;
            for &(key, w) in apart.get(&code).into_iter().flatten() {
                if let Some(condition) = spatial.condition_of(key) {
                    cell.take(w, key, condition);
                }
            }
            if let Some(key) = cell.lone() {
                if let Some(v) = self.fleet.vehicle(key) {
                    self.push_vehicle(frame, view, key, v);
                }
                return;
            }
            let Some(centre) = cell.centre() else {
                return;
            };
            let pos = view.fast.at_world(centre.fraction());
            if view.area.contains(pos) {
                frame.in_view.push(InView {
                    key: VehicleKey(u32::MAX),
                    pos,
                    condition: Condition::Moving,
                    cell: Some(CellItem {
                        code,
                        by_condition: cell.by_condition,
                    }),
                });
            }
        });
    }

    /// The vehicles drawn apart from the cells, by their cell of `level`; the critically
    /// alarmed among them in view go into the frame's `alarmed`.
    fn apart(
        &self,
        frame: &mut Frame,
        view: &View<'_>,
        level: u8,
    ) -> HashMap<u32, Vec<(VehicleKey, World)>> {
        let mut apart: HashMap<u32, Vec<(VehicleKey, World)>> = HashMap::new();
        let spatial = self.fleet.spatial();
        let mut take = |key: VehicleKey| {
            if let Some(w) = spatial.counted_at(key) {
                apart.entry(w.cell(level)).or_default().push((key, w));
            }
        };
        let fanned = self.fan.map_or(&[][..], |(keys, _)| keys);
        self.selected
            .into_iter()
            .chain(fanned.iter().copied())
            .for_each(&mut take);
        if self.alerts.open_critical() > 0 {
            for (feed, id) in self.alerts.critical_vehicles() {
                let Some(key) = self.fleet.key_of(feed, id) else {
                    continue;
                };
                if Some(key) == self.selected || fanned.binary_search(&key).is_ok() {
                    continue;
                }
                take(key);
                if let Some(v) = self.fleet.vehicle(key)
                    && self.shown.shows(v)
                    && let Some(pos) = self.place(frame, view, v)
                {
                    frame.alarmed.push((key, pos));
                }
            }
        }
        apart
    }
}

impl Frame {
    /// The vehicles of cluster `c` (not those drawn apart from it).
    pub(super) fn cluster_keys(&self, c: usize, fleet: &Fleet) -> Vec<VehicleKey> {
        let mut keys = Vec::new();
        for i in self.clusters.members(c) {
            let item = &self.in_view[i];
            match (item.cell, self.cells_level) {
                (Some(cell), Some(level)) => {
                    fleet
                        .spatial()
                        .vehicles_of(level, cell.code, |k| keys.push(k));
                }
                _ => keys.push(item.key),
            }
        }
        if self.cells_level.is_some() {
            let apart = |k: &VehicleKey| {
                self.selected_at.is_some_and(|(s, _)| s == *k)
                    || self.fanned.iter().chain(&self.alarmed).any(|(a, _)| a == k)
            };
            keys.retain(|k| !apart(k));
        }
        keys
    }
}
