//! The map: walkers with the tile layer underneath and the vehicles drawn by a plugin on top.
//!
//! Only vehicles inside the visible area cost drawing time. The selected vehicle is drawn last,
//! ringed and labelled, with its trail and (for a bus on a known route) its route line.

use std::time::Instant;

use egui::{Color32, FontId, Pos2, Rect, Response, Shape, Stroke, Ui, Vec2};
use walkers::{Map, MapMemory, Plugin, Position, Projector, lat_lon};

use super::action::Action;
use super::markers;
use super::tiles::TileLayer;
use super::view::ViewState;
use crate::fleet::{Fleet, Staleness, Vehicle, VehicleId, VehicleKey};
use crate::sim::Network;
use markers::Palette;

/// Trail shown behind the selected vehicle.
const TRAIL_MS: i64 = 10 * 60 * 1000;
/// Labels are drawn for every vehicle in view from this zoom on.
const LABEL_ZOOM: f64 = 15.0;
/// At most this many labels a frame, so a dense view stays readable and cheap.
const MAX_LABELS: usize = 300;
/// Above this many vehicles in view they are drawn as clusters (the selection never is).
pub const CLUSTER_ABOVE: usize = 2_000;
/// The side of a cluster's screen cell, pixels.
const CLUSTER_CELL: f32 = 32.0;
/// How near a click must be to a marker to pick it, pixels.
const PICK_RADIUS: f32 = 12.0;
/// Where the map opens before it has seen a vehicle (Cairns).
pub const DEFAULT_CENTRE: (f64, f64) = (-16.92, 145.77);
pub const DEFAULT_ZOOM: f64 = 12.0;

/// Words shown over the map this frame: a passing notice, and a line per feed that is down.
pub struct MapWords<'a> {
    pub notice: Option<&'a str>,
    pub down: &'a [String],
}

/// Feeds that are down, said on the map itself (not only in a panel): a dispatcher must not
/// read old positions as live.
fn down_banner(ui: &mut Ui, rect: Rect, down: &[String]) {
    if down.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::unique("fleetview-down-feeds"))
        .fixed_pos(rect.left_top() + Vec2::new(8.0, 40.0))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style())
                .fill(Color32::from_rgb(0x7a, 0x1f, 0x16))
                .show(ui, |ui| {
                    ui.set_max_width(rect.width() - 40.0);
                    for line in down {
                        ui.label(egui::RichText::new(line).color(Color32::WHITE).strong());
                    }
                });
        });
}

pub struct MapView {
    pub memory: MapMemory,
    pub tiles: TileLayer,
    /// Route geometry known to the app (the Cairns network), for drawing a bus's route.
    network: Option<Network>,
    /// The shapes of the selected vehicle's route near it: (vehicle id, shape indices).
    route_cache: Option<(VehicleId, Option<String>, Vec<usize>)>,
    /// The centre when not following, so the map stays put.
    centre: Position,
    /// Where the map was drawn last frame.
    rect: Rect,
    frame: Frame,
    /// Vehicles in view in the last frame, and whether they were clustered.
    pub in_view: (usize, bool),
}

/// What one frame of the map saw. Kept between frames so its buffers are reused, not
/// reallocated, at 100k vehicles.
#[derive(Default)]
struct Frame {
    /// Vehicles in view and where they are on screen.
    drawn: Vec<(VehicleKey, Pos2)>,
    /// Cluster cells: (count, sum of x, sum of y, a vehicle in it).
    cells: Vec<(u32, f32, f32, VehicleKey)>,
    /// Clusters drawn (centre, count) for hit-testing.
    clusters: Vec<(Pos2, u32)>,
    animating: bool,
    clicked: Option<VehicleKey>,
    /// A cluster was clicked: zoom in there.
    zoom_to: Option<(f64, f64)>,
}

impl Frame {
    fn reset(&mut self) {
        self.drawn.clear();
        self.clusters.clear();
        self.animating = false;
        self.clicked = None;
        self.zoom_to = None;
    }
}

impl MapView {
    pub fn new(tiles: TileLayer, network: Option<Network>, centre: (f64, f64), zoom: f64) -> Self {
        let mut memory = MapMemory::default();
        let centre = lat_lon(centre.0, centre.1);
        memory.center_at(centre);
        let _ = memory.set_zoom(zoom);
        Self {
            memory,
            tiles,
            network,
            route_cache: None,
            centre,
            rect: Rect::NOTHING,
            frame: Frame::default(),
            in_view: (0, false),
        }
    }

    /// The map's centre now: the followed vehicle, or where the dispatcher left it.
    pub fn centre(&self) -> (f64, f64) {
        let p = self.memory.detached().unwrap_or(self.centre);
        (p.y(), p.x())
    }

    pub fn zoom(&self) -> f64 {
        self.memory.zoom()
    }

    /// The screen rectangle of the map in the last frame.
    pub fn rect(&self) -> Rect {
        self.rect
    }

    pub fn centre_on(&mut self, lat: f64, lon: f64) {
        self.centre = lat_lon(lat, lon);
        self.memory.center_at(self.centre);
    }

    /// Draws the map; returns the actions it saw and whether anything on it is moving.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        fleet: &Fleet,
        view: &ViewState,
        palette: &Palette,
        words: &MapWords<'_>,
        now_ms: i64,
    ) -> (Vec<Action>, bool) {
        let selected = view
            .selected
            .as_ref()
            .and_then(|id| fleet.key_of(id.feed, &id.id));
        let followed = selected
            .filter(|_| view.following)
            .and_then(|k| fleet.vehicle(k));
        let my_position = match followed {
            Some(v) => {
                let (lat, lon) = v.display_position(now_ms);
                if self.memory.detached().is_some() && view.following {
                    // Following was just switched on: snap to the vehicle.
                    self.memory.follow_my_position();
                }
                lat_lon(lat, lon)
            }
            None => {
                if self.memory.detached().is_none() {
                    self.memory.center_at(self.centre);
                }
                self.centre
            }
        };
        let route_shapes = self.route_shapes(fleet, view);
        let rect = ui.available_rect_before_wrap();
        ui.painter()
            .rect_filled(rect, 0.0, Color32::from_rgb(0xe8, 0xe4, 0xdc));
        let mut frame = std::mem::take(&mut self.frame);
        frame.reset();
        let backdrop = !self.tiles.available(Instant::now());
        let plugin = Markers {
            backdrop,
            fleet,
            view,
            palette,
            selected,
            now_ms,
            zoom: self.memory.zoom(),
            network: self.network.as_ref(),
            route_shapes: &route_shapes,
            frame: &mut frame,
        };
        let response = ui.add(
            Map::new(Some(&mut self.tiles), &mut self.memory, my_position).with_plugin(plugin),
        );
        self.rect = response.rect;
        let now = Instant::now();
        self.tiles.end_frame(ui.ctx(), now);
        self.overlays(ui, response.rect, now);
        down_banner(ui, response.rect, words.down);
        if let Some(text) = words.notice {
            // A notice sits on the map, with its text as a label so it can be read (and found).
            let area = egui::Area::new(egui::Id::unique("fleetview-notice"))
                .fixed_pos(response.rect.center_bottom() + Vec2::new(-180.0, -70.0))
                .order(egui::Order::Foreground);
            area.show(ui.ctx(), |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| ui.label(text));
            });
        }

        let mut actions = Vec::new();
        if let Some(p) = self.memory.detached() {
            self.centre = p;
            if followed.is_some() {
                actions.push(Action::MapDragged);
            }
        } else if followed.is_some() {
            self.centre = my_position;
        }
        if let Some(key) = frame.clicked
            && let Some(v) = fleet.vehicle(key)
        {
            actions.push(Action::Select(v.vehicle_id()));
        }
        if let Some((lat, lon)) = frame.zoom_to {
            actions.push(Action::ZoomTo { lat, lon });
        }
        let animating = frame.animating || self.memory.animating();
        self.in_view = (frame.drawn.len(), !frame.clusters.is_empty());
        self.frame = frame;
        (actions, animating)
    }

    fn overlays(&self, ui: &mut Ui, rect: Rect, now: Instant) {
        let painter = ui.painter().with_clip_rect(rect);
        let text = "© OpenStreetMap contributors";
        let font = FontId::proportional(11.0);
        let galley = painter.layout_no_wrap(text.to_owned(), font, Color32::from_gray(40));
        let at = rect.left_bottom() + Vec2::new(4.0, -4.0 - galley.size().y);
        painter.rect_filled(
            Rect::from_min_size(at - Vec2::splat(2.0), galley.size() + Vec2::splat(4.0)),
            2.0,
            Color32::from_white_alpha(200),
        );
        painter.galley(at, galley, Color32::from_gray(40));
        if self.tiles.unavailable(now) {
            let text = "Map tiles unavailable: showing vehicles without a basemap (retrying)";
            let galley =
                painter.layout_no_wrap(text.to_owned(), FontId::proportional(13.0), Color32::WHITE);
            let at = rect.center_top() + Vec2::new(-galley.size().x / 2.0, 8.0);
            painter.rect_filled(
                Rect::from_min_size(at - Vec2::splat(4.0), galley.size() + Vec2::splat(8.0)),
                4.0,
                Color32::from_black_alpha(170),
            );
            painter.galley(at, galley, Color32::WHITE);
        }
    }

    /// The shapes of the selected bus's route that pass near it, cached per selection.
    fn route_shapes(&mut self, fleet: &Fleet, view: &ViewState) -> Vec<usize> {
        let Some(network) = &self.network else {
            return Vec::new();
        };
        let Some(v) = view.selected.as_ref().and_then(|id| fleet.find(id)) else {
            return Vec::new();
        };
        let route = v.route().map(str::to_owned);
        if let Some((id, r, shapes)) = &self.route_cache
            && v.is(id)
            && *r == route
        {
            return shapes.clone();
        }
        let shapes: Vec<usize> = match &route {
            Some(name) => network
                .shapes
                .iter()
                .enumerate()
                .filter(|(_, s)| network.routes[s.route].name == *name)
                .filter(|(_, s)| s.distance_to(v.fix.lat, v.fix.lon) < 50.0)
                .map(|(i, _)| i)
                .collect(),
            None => Vec::new(),
        };
        self.route_cache = Some((v.vehicle_id(), route, shapes.clone()));
        shapes
    }
}

struct Markers<'a> {
    /// No basemap: draw the known route network faintly so the map still reads as streets.
    backdrop: bool,
    fleet: &'a Fleet,
    view: &'a ViewState,
    palette: &'a Palette,
    selected: Option<VehicleKey>,
    now_ms: i64,
    zoom: f64,
    network: Option<&'a Network>,
    route_shapes: &'a [usize],
    frame: &'a mut Frame,
}

impl Plugin for Markers<'_> {
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
            && let Some(network) = self.network
        {
            let stroke = Stroke::new(1.5, Color32::from_rgb(0xb4, 0xae, 0xa2));
            for shape in &network.shapes {
                let points: Vec<Pos2> = shape
                    .points()
                    .iter()
                    .map(|&(lat, lon)| screen(lat, lon))
                    .collect();
                painter.add(Shape::line(points, stroke));
            }
        }

        // Route line and trail of the selection, under every marker.
        if let (Some(network), Some(key)) = (self.network, self.selected)
            && let Some(v) = self.fleet.vehicle(key)
        {
            let colour = self.palette.base(v).gamma_multiply(0.55);
            for &i in self.route_shapes {
                let points: Vec<Pos2> = network.shapes[i]
                    .points()
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
fn draw_clusters(painter: &egui::Painter, markers: &mut Markers<'_>, view: Rect) {
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
