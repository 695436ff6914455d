//! Lines under the markers, as walkers plugins: the route network when there is no basemap
//! (so the map still reads as streets), and the selection's route and trail.

use egui::{Pos2, Response, Shape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use super::camera::{ToScreen, merc};

use crate::fleet::{Fleet, VehicleKey};
use crate::routes::RouteLines;
use crate::ui::markers::Palette;
use crate::ui::tokens::{self, Theme};

/// How far back the selection's trail goes.
const TRAIL_MS: i64 = 10 * 60 * 1000;

fn screen(projector: &Projector, lat: f64, lon: f64) -> Pos2 {
    projector.project(lat_lon(lat, lon)).to_pos2()
}

/// The route network's lines as (Mercator y, longitude) points, projected once: each frame
/// then only scales and shifts them.
pub(super) struct NetworkLines(Vec<Vec<(f64, f64)>>);

impl NetworkLines {
    pub(super) fn of(routes: &RouteLines) -> Self {
        Self(
            routes
                .lines
                .iter()
                .map(|l| {
                    l.points
                        .iter()
                        .map(|&(lat, lon)| (merc(lat), lon))
                        .collect()
                })
                .collect(),
        )
    }
}

/// The whole route network, faintly.
pub(super) struct Network<'a> {
    pub(super) lines: &'a NetworkLines,
    pub(super) theme: &'a Theme,
}

impl Plugin for Network<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let painter = ui.painter().with_clip_rect(response.rect);
        let stroke = Stroke::new(tokens::NETWORK_WIDTH, self.theme.network);
        let fast = ToScreen::of(projector, response.rect.center());
        let view = response.rect.expand(8.0);
        for line in &self.lines.0 {
            // Points closer than a point to the last one kept add nothing but tessellation.
            let mut points: Vec<Pos2> = Vec::with_capacity(line.len());
            let mut bounds = egui::Rect::NOTHING;
            for &(merc_y, lon) in line {
                let p = fast.at_merc(merc_y, lon);
                bounds.extend_with(p);
                if points.last().is_none_or(|l| l.distance_sq(p) >= 1.0) {
                    points.push(p);
                }
            }
            if bounds.intersects(view) && points.len() > 1 {
                painter.add(Shape::line(points, stroke));
            }
        }
    }
}

/// The selected vehicle's route near it (a bus on a known route) and its trail.
pub(super) struct Selection<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) selected: VehicleKey,
    pub(super) routes: Option<&'a RouteLines>,
    pub(super) route_shapes: &'a [usize],
    pub(super) palette: &'a Palette,
    pub(super) theme: &'a Theme,
    /// Draw the trail (the trails layer is on).
    pub(super) trail: bool,
    pub(super) now_ms: i64,
}

impl Plugin for Selection<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let Some(v) = self.fleet.vehicle(self.selected) else {
            return;
        };
        let painter = ui.painter().with_clip_rect(response.rect);
        if let Some(routes) = self.routes {
            let own = self.palette.base(v);
            for &i in self.route_shapes {
                // The agency's colour for the route, when its data gives one.
                let line = &routes.lines[i];
                let colour = line.colour.map_or(own, tokens::rgb).gamma_multiply(0.55);
                let points: Vec<Pos2> = line
                    .points
                    .iter()
                    .map(|&(lat, lon)| screen(projector, lat, lon))
                    .collect();
                painter.add(Shape::line(
                    points,
                    Stroke::new(tokens::ROUTE_WIDTH, colour),
                ));
            }
        }
        if !self.trail {
            return;
        }
        let mut trail: Vec<Pos2> = v
            .trail()
            .filter(|p| self.now_ms - p.ts <= TRAIL_MS)
            .map(|p| screen(projector, p.lat as f64, p.lon as f64))
            .collect();
        if !trail.is_empty() {
            let (lat, lon) = v.display_position(self.now_ms);
            trail.push(screen(projector, lat, lon));
            painter.add(Shape::line(
                trail,
                Stroke::new(tokens::TRAIL_WIDTH, self.theme.trail),
            ));
        }
    }
}
