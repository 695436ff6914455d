//! The vehicles plugin: the route backdrop without tiles, the selection's route and trail,
//! markers (or clusters when many are in view), labels, and picking by click.

use egui::{Color32, FontId, Pos2, Rect, Response, Shape, Stroke, Ui, Vec2};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use super::Frame;
use crate::fleet::{Fleet, Staleness, Vehicle, VehicleKey};
use crate::routes::RouteLines;
use crate::ui::markers::{self, Palette};
use crate::ui::view::ViewState;

/// Trail shown behind the selected vehicle.
const TRAIL_MS: i64 = 10 * 60 * 1000;
/// Labels are drawn for every vehicle in view from this zoom on.
const LABEL_ZOOM: f64 = 15.0;
/// At most this many labels a frame, so a dense view stays readable and cheap.
const MAX_LABELS: usize = 300;
/// Above this many vehicles in view they are drawn as clusters (the selection never is).
pub(super) const CLUSTER_ABOVE: usize = 2_000;
/// The side of a cluster's screen cell, pixels.
const CLUSTER_CELL: f32 = 32.0;
/// How near a click must be to a marker to pick it, pixels.
const PICK_RADIUS: f32 = 12.0;
pub(super) struct Vehicles<'a> {
    /// No basemap: draw the known route lines faintly so the map still reads as streets.
    pub(super) backdrop: bool,
    pub(super) fleet: &'a Fleet,
    pub(super) view: &'a ViewState,
    pub(super) palette: &'a Palette,
    pub(super) selected: Option<VehicleKey>,
    pub(super) now_ms: i64,
    pub(super) zoom: f64,
    pub(super) routes: Option<&'a RouteLines>,
    pub(super) route_shapes: &'a [usize],
    pub(super) frame: &'a mut Frame,
}

impl Plugin for Vehicles<'_> {
    fn run(
        mut self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _memory: &MapMemory,
    ) {
        let painter = ui.painter().with_clip_rect(response.rect);
        let view = response.rect.expand(16.0);
        let screen =
            |lat: f64, lon: f64| -> Pos2 { projector.project(lat_lon(lat, lon)).to_pos2() };

        if self.backdrop
            && let Some(routes) = self.routes
        {
            let stroke = Stroke::new(1.5, Color32::from_rgb(0xb4, 0xae, 0xa2));
            for line in &routes.lines {
                let points: Vec<Pos2> = line
                    .points
                    .iter()
                    .map(|&(lat, lon)| screen(lat, lon))
                    .collect();
                painter.add(Shape::line(points, stroke));
            }
        }

        // Route line and trail of the selection, under every marker.
        if let (Some(routes), Some(key)) = (self.routes, self.selected)
            && let Some(v) = self.fleet.vehicle(key)
        {
            let colour = self.palette.base(v).gamma_multiply(0.55);
            for &i in self.route_shapes {
                let points: Vec<Pos2> = routes.lines[i]
                    .points
                    .iter()
                    .map(|&(lat, lon)| screen(lat, lon))
                    .collect();
                painter.add(Shape::line(points, Stroke::new(4.0, colour)));
            }
            let mut trail: Vec<Pos2> = v
                .trail()
                .filter(|p| self.now_ms - p.ts <= TRAIL_MS)
                .map(|p| screen(p.lat as f64, p.lon as f64))
                .collect();
            if !trail.is_empty() {
                let (lat, lon) = v.display_position(self.now_ms);
                trail.push(screen(lat, lon));
                painter.add(Shape::line(
                    trail,
                    Stroke::new(2.5, Color32::from_rgb(0x20, 0x20, 0x20)),
                ));
            }
        } else if let Some(key) = self.selected
            && let Some(v) = self.fleet.vehicle(key)
        {
            let trail: Vec<Pos2> = v
                .trail()
                .map(|p| screen(p.lat as f64, p.lon as f64))
                .collect();
            painter.add(Shape::line(
                trail,
                Stroke::new(2.5, Color32::from_rgb(0x20, 0x20, 0x20)),
            ));
        }

        // Cull by the visible area in degrees first, then by pixels.
        let nw = projector.unproject(view.left_top().to_vec2());
        let se = projector.unproject(view.right_bottom().to_vec2());
        let (south, north) = (se.y().min(nw.y()), se.y().max(nw.y()));
        let (west, east) = (nw.x().min(se.x()), nw.x().max(se.x()));
        for (key, v) in self.fleet.iter() {
            if Some(key) == self.selected || !self.view.shows(v.feed()) {
                continue;
            }
            let (lat, lon) = v.display_position(self.now_ms);
            if lat < south || lat > north || lon < west || lon > east {
                continue;
            }
            let p = screen(lat, lon);
            if !view.contains(p) {
                continue;
            }
            self.frame.animating |= v.is_animating(self.now_ms);
            self.frame.drawn.push((key, p));
        }
        if self.frame.drawn.len() > CLUSTER_ABOVE {
            draw_clusters(&painter, &mut self, view);
        } else {
            let labels = self.zoom >= LABEL_ZOOM;
            for (i, &(key, p)) in self.frame.drawn.iter().enumerate() {
                let Some(v) = self.fleet.vehicle(key) else {
                    continue;
                };
                let fill = self.palette.base(v);
                draw_marker(
                    &painter,
                    v,
                    fill,
                    p,
                    self.fleet.staleness(v, self.now_ms),
                    false,
                );
                if labels && i < MAX_LABELS {
                    draw_label(&painter, v, p, false);
                }
            }
        }
        if let Some(key) = self.selected
            && let Some(v) = self.fleet.vehicle(key)
        {
            let (lat, lon) = v.display_position(self.now_ms);
            let p = screen(lat, lon);
            self.frame.animating |= v.is_animating(self.now_ms);
            self.frame.drawn.push((key, p));
            painter.circle(
                p,
                12.0,
                Color32::from_white_alpha(160),
                Stroke::new(2.5, Color32::from_rgb(0xff, 0xb3, 0x00)),
            );
            let fill = self.palette.base(v);
            draw_marker(
                &painter,
                v,
                fill,
                p,
                self.fleet.staleness(v, self.now_ms),
                true,
            );
            draw_label(&painter, v, p, true);
        }

        if response.clicked()
            && let Some(pointer) = response.interact_pointer_pos()
        {
            self.frame.clicked =
                markers::nearest(self.frame.drawn.iter().copied(), pointer, PICK_RADIUS);
        }
    }
}

/// Many vehicles in view: one circle per occupied screen cell, sized by its count; a cell with a
/// single vehicle still shows that vehicle's marker.
fn draw_clusters(painter: &egui::Painter, markers: &mut Vehicles<'_>, view: Rect) {
    let (fleet, now_ms) = (markers.fleet, markers.now_ms);
    let frame = &mut *markers.frame;
    let palette = markers.palette;
    let cols = (view.width() / CLUSTER_CELL).ceil() as usize + 1;
    let rows = (view.height() / CLUSTER_CELL).ceil() as usize + 1;
    frame.cells.clear();
    frame
        .cells
        .resize(cols * rows, (0, 0.0, 0.0, VehicleKey(0)));
    for &(key, p) in &frame.drawn {
        let cx = (((p.x - view.min.x) / CLUSTER_CELL) as usize).min(cols - 1);
        let cy = (((p.y - view.min.y) / CLUSTER_CELL) as usize).min(rows - 1);
        let cell = &mut frame.cells[cy * cols + cx];
        cell.0 += 1;
        cell.1 += p.x;
        cell.2 += p.y;
        cell.3 = key;
    }
    let fill = Color32::from_rgba_unmultiplied(0x2b, 0x5d, 0x8c, 215);
    let stroke = Stroke::new(1.5, Color32::from_white_alpha(220));
    for &(count, sx, sy, key) in &frame.cells {
        if count == 0 {
            continue;
        }
        let centre = Pos2::new(sx / count as f32, sy / count as f32);
        if count == 1 {
            if let Some(v) = fleet.vehicle(key) {
                let fill = palette.base(v);
                draw_marker(painter, v, fill, centre, fleet.staleness(v, now_ms), false);
            }
            continue;
        }
        // Grows with the count, but stays inside its cell so neighbours never hide each other.
        let radius = (6.0 + 2.2 * (count as f32).log2()).min(CLUSTER_CELL / 2.0 - 1.0);
        painter.circle(centre, radius, fill, stroke);
        painter.text(
            centre,
            egui::Align2::CENTER_CENTER,
            count.to_string(),
            FontId::proportional(10.0),
            Color32::WHITE,
        );
        frame.clusters.push((centre, count));
    }
}

fn draw_marker(
    painter: &egui::Painter,
    v: &Vehicle,
    base: Color32,
    p: Pos2,
    staleness: Staleness,
    selected: bool,
) {
    let fill = markers::colour(base, staleness);
    let outline = Stroke::new(
        1.0,
        Color32::from_black_alpha(if staleness == Staleness::Live {
            200
        } else {
            90
        }),
    );
    let size = if selected { 10.0 } else { 7.5 };
    match v.heading.filter(|_| v.is_moving()) {
        Some(heading) => {
            painter.add(Shape::convex_polygon(
                markers::arrow(p, heading, size).to_vec(),
                fill,
                outline,
            ));
        }
        None => {
            painter.circle(p, size * 0.62, fill, outline);
        }
    }
}

fn draw_label(painter: &egui::Painter, v: &Vehicle, p: Pos2, selected: bool) {
    let font = FontId::proportional(if selected { 13.0 } else { 11.0 });
    let galley = painter.layout_no_wrap(v.display_name().to_owned(), font, Color32::from_gray(20));
    let at = p + Vec2::new(11.0, -galley.size().y / 2.0);
    let bg = Rect::from_min_size(
        at - Vec2::new(3.0, 1.0),
        galley.size() + Vec2::new(6.0, 2.0),
    );
    painter.rect_filled(
        bg,
        3.0,
        Color32::from_white_alpha(if selected { 235 } else { 190 }),
    );
    painter.galley(at, galley, Color32::from_gray(20));
}
