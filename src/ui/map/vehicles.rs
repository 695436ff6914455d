//! The markers plugin: every vehicle in view, decluttered by screen density into lone markers
//! and clusters (`declutter`), a fanned-out cluster's vehicles, and the selection on top (never
//! in a cluster). It also finds what the pointer is over, for the labels and picking plugins.

use std::cell::RefCell;
use std::f32::consts::TAU;

use egui::epaint::Mesh;
use egui::{FontId, Painter, Pos2, Rect, Response, Shape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use super::declutter::Cluster;
use super::discs;
use super::{Frame, Hit};
use crate::alerts::Severity;
use crate::fleet::{Condition, Fleet, Staleness, Vehicle, VehicleKey};
use crate::ui::alerts::AlertLog;
use crate::ui::markers::{self, Palette};
use crate::ui::shown::Shown;
use crate::ui::tokens::{self, Theme};
use crate::ui::view::ViewState;

pub(super) struct Markers<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) view: &'a ViewState,
    /// Which vehicles are shown: the others are not drawn, counted or hovered.
    pub(super) shown: &'a Shown<'a>,
    /// The vehicles shown, listed (the table's rows), when the table has them for this view.
    pub(super) shown_rows: Option<&'a [VehicleKey]>,
    pub(super) palette: &'a Palette,
    pub(super) theme: &'a Theme,
    pub(super) selected: Option<VehicleKey>,
    /// A fanned-out cluster: its vehicles (sorted) and where it was.
    pub(super) fan: Option<(&'a [VehicleKey], (f64, f64))>,
    pub(super) now_ms: i64,
    pub(super) frame: &'a RefCell<Frame>,
    /// Vehicles with an alert not yet acknowledged get a ring.
    pub(super) alerts: &'a AlertLog,
}

impl Plugin for Markers<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let painter = ui.painter().with_clip_rect(response.rect);
        let mut frame = self.frame.borrow_mut();
        let frame = &mut *frame;
        let area = response.rect.expand(16.0);
        self.gather(frame, projector, area);
        frame
            .clusters
            .build(&frame.in_view, area, tokens::CLUSTER_DISTANCE);
        // The discs go in one mesh, under their counts and the lone markers.
        let slot = painter.add(Shape::Noop);
        let mut discs = Mesh::default();
        for c in &frame.clusters.clusters {
            if c.count == 1 {
                let one = frame.in_view[c.first];
                if let Some(v) = self.fleet.vehicle(one.key) {
                    self.marker(&painter, v, one.pos, false);
                }
            } else {
                draw_cluster(&painter, &mut discs, c);
            }
        }
        painter.set(slot, Shape::mesh(discs));
        let screen = |lat: f64, lon: f64| projector.project(lat_lon(lat, lon)).to_pos2();
        if let Some((keys, (lat, lon))) = self.fan {
            let anchor = screen(lat, lon);
            for (i, pos) in fan_positions(anchor, keys.len()).enumerate() {
                let Some(v) = self.fleet.vehicle(keys[i]) else {
                    continue;
                };
                painter.line_segment([anchor, pos], Stroke::new(1.0, self.theme.outline_faded));
                self.marker(&painter, v, pos, false);
                frame.fanned.push((keys[i], pos));
            }
        }
        for &(key, pos) in &frame.alarmed {
            if let Some(v) = self.fleet.vehicle(key) {
                self.marker(&painter, v, pos, false);
            }
        }
        if let Some(key) = self.selected
            && let Some(v) = self.fleet.vehicle(key)
            && self.view.shows(v.feed())
        {
            let (lat, lon) = v.display_position(self.now_ms);
            let pos = screen(lat, lon);
            if let Some((vlat, vlon)) = v.drawn_velocity(self.now_ms) {
                // Where it will be drawn a second from now: its speed on screen.
                let ahead = screen(lat + vlat, lon + vlon);
                frame.motion = frame.motion.with(pos.distance(ahead));
            }
            frame.selected_at = Some((key, pos));
            painter.circle(
                pos,
                tokens::SELECTION_RING_RADIUS,
                self.theme.ring_fill,
                Stroke::new(2.5, tokens::SELECTION_RING),
            );
            self.marker(&painter, v, pos, true);
        }
        frame.hovered = response.hover_pos().and_then(|p| frame.hit(p));
    }
}

impl Markers<'_> {
    pub(super) fn marker(&self, painter: &Painter, v: &Vehicle, pos: Pos2, selected: bool) {
        match self.alerts.open_severity_at(v.feed(), v.id()) {
            Some(Severity::Critical) => {
                let ring = Stroke::new(tokens::CRITICAL_RING_WIDTH, self.theme.critical);
                painter.circle_stroke(pos, tokens::MARKER_SIZE * 1.8, ring);
            }
            Some(severity) => {
                // Routine alerts ring in their own colour: red is kept for what is critical.
                let colour = tokens::severity(self.theme, severity);
                let ring = Stroke::new(tokens::ALERT_RING_WIDTH, colour);
                painter.circle_stroke(pos, tokens::MARKER_SIZE * 1.6, ring);
            }
            None => {}
        }
        let staleness = self.fleet.staleness(v, self.now_ms);
        let fill = markers::colour(self.palette.base(v), staleness);
        let outline = Stroke::new(
            1.0,
            if staleness == Staleness::Live {
                self.theme.outline_live
            } else {
                self.theme.outline_faded
            },
        );
        let size = if selected {
            tokens::MARKER_SIZE_SELECTED
        } else {
            tokens::MARKER_SIZE
        };
        if markers::is_ship(v.kind())
            && let Some(heading) = v.heading
        {
            // A ship's heading holds at anchor too: its hull always shows it.
            let hull = markers::hull(pos, heading, size);
            painter.add(Shape::convex_polygon(hull.to_vec(), fill, outline));
            return;
        }
        match v.heading.filter(|_| v.is_moving()) {
            Some(heading) => {
                painter.add(Shape::convex_polygon(
                    markers::arrow(pos, heading, size).to_vec(),
                    fill,
                    outline,
                ));
            }
            None => {
                painter.circle(pos, size * 0.62, fill, outline);
            }
        }
    }
}

impl Frame {
    /// What is under the pointer: a fanned vehicle, the selection, a lone marker or a cluster.
    pub(super) fn hit(&self, p: Pos2) -> Option<Hit> {
        let near = |at: Pos2, r: f32| at.distance_sq(p) <= r.max(tokens::PICK_RADIUS).powi(2);
        let nearest = |items: &mut dyn Iterator<Item = (Hit, Pos2, f32)>| {
            items
                .filter(|(_, at, r)| near(*at, *r))
                .min_by(|a, b| a.1.distance_sq(p).total_cmp(&b.1.distance_sq(p)))
                .map(|(hit, _, _)| hit)
        };
        let fanned = &mut self
            .fanned
            .iter()
            .map(|&(k, at)| (Hit::Vehicle(k), at, tokens::MARKER_SIZE));
        let selected = &mut self
            .selected_at
            .iter()
            .map(|&(k, at)| (Hit::Vehicle(k), at, tokens::SELECTION_RING_RADIUS));
        let alarmed = &mut self
            .alarmed
            .iter()
            .map(|&(k, at)| (Hit::Vehicle(k), at, tokens::MARKER_SIZE * 1.8));
        let clusters = &mut self.clusters.clusters.iter().enumerate().map(|(i, c)| {
            let hit = if c.count == 1 {
                Hit::Vehicle(self.in_view[c.first].key)
            } else {
                Hit::Cluster(i)
            };
            (hit, c.centre, c.radius())
        });
        nearest(fanned)
            .or_else(|| nearest(selected))
            .or_else(|| nearest(alarmed))
            .or_else(|| nearest(clusters))
    }
}

/// Where the vehicles of a fanned-out cluster are drawn: evenly on a circle round `anchor`.
pub(super) fn fan_positions(anchor: Pos2, n: usize) -> impl Iterator<Item = Pos2> {
    let radius = (tokens::FAN_SPACING * n as f32 / TAU).max(tokens::FAN_SPACING);
    (0..n).map(move |i| {
        let a = i as f32 / n as f32 * TAU - TAU / 4.0;
        anchor + radius * egui::vec2(a.cos(), a.sin())
    })
}

/// A cluster: a disc (into the frame's one mesh of discs) and its count, ringed by the mix of
/// its vehicles' conditions.
fn draw_cluster(painter: &Painter, mesh: &mut Mesh, c: &Cluster) {
    let colours = Condition::ALL.map(markers::condition_colour);
    let segments = discs::segment_colours(&c.by_condition, &colours);
    discs::add_disc(
        mesh,
        c.centre,
        c.radius(),
        tokens::CLUSTER_RING,
        tokens::CLUSTER_FILL,
        &segments,
    );
    painter.text(
        c.centre,
        egui::Align2::CENTER_CENTER,
        c.count.to_string(),
        FontId::proportional(tokens::CLUSTER_FONT),
        tokens::CLUSTER_TEXT,
    );
}

/// The rectangle a cluster or marker covers, for label placement.
pub(super) fn footprint(c: &Cluster) -> Rect {
    Rect::from_center_size(c.centre, egui::Vec2::splat(2.0 * c.radius()))
}
