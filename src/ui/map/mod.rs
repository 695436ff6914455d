//! The map: walkers with the tile layer underneath, the vehicles drawn by a plugin on top
//! (`vehicles`), and words over it (`overlays`).
//!
//! Only vehicles inside the visible area cost drawing time. The selected vehicle is drawn last,
//! ringed and labelled, with its trail and (for a bus on a known route) its route line.

mod overlays;
mod vehicles;

use std::time::Instant;

use egui::{Color32, Pos2, Rect, Ui};
use walkers::{Map, MapMemory, Position, lat_lon};

use super::action::Action;
use super::markers::Palette;
use super::tiles::TileLayer;
use super::view::ViewState;
use crate::fleet::{Fleet, VehicleId, VehicleKey};
use crate::routes::RouteLines;
use vehicles::Vehicles;

/// Where the map opens before it has seen a vehicle (Cairns).
pub const DEFAULT_CENTRE: (f64, f64) = (-16.92, 145.77);
pub const DEFAULT_ZOOM: f64 = 12.0;

/// Words shown over the map this frame: a passing notice, and a line per feed that is down.
pub struct MapWords<'a> {
    pub notice: Option<&'a str>,
    pub down: &'a [String],
}

pub struct MapView {
    pub memory: MapMemory,
    pub tiles: TileLayer,
    /// Route lines handed to the window, for a bus's route and a backdrop without tiles.
    routes: Option<RouteLines>,
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
    pub fn new(
        tiles: TileLayer,
        routes: Option<RouteLines>,
        centre: (f64, f64),
        zoom: f64,
    ) -> Self {
        let mut memory = MapMemory::default();
        let centre = lat_lon(centre.0, centre.1);
        memory.center_at(centre);
        let _ = memory.set_zoom(zoom);
        Self {
            memory,
            tiles,
            routes,
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
        let plugin = Vehicles {
            backdrop,
            fleet,
            view,
            palette,
            selected,
            now_ms,
            zoom: self.memory.zoom(),
            routes: self.routes.as_ref(),
            route_shapes: &route_shapes,
            frame: &mut frame,
        };
        let response = ui.add(
            Map::new(Some(&mut self.tiles), &mut self.memory, my_position).with_plugin(plugin),
        );
        self.rect = response.rect;
        let now = Instant::now();
        self.tiles.end_frame(ui.ctx(), now);
        overlays::draw(ui, response.rect, &self.tiles, now);
        overlays::down_banner(ui, response.rect, words.down);
        if let Some(text) = words.notice {
            overlays::notice(ui, response.rect, text);
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

    /// The lines of the selected bus's route that pass near it, cached per selection.
    fn route_shapes(&mut self, fleet: &Fleet, view: &ViewState) -> Vec<usize> {
        let Some(routes) = &self.routes else {
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
        let shapes = route
            .as_deref()
            .map(|name| routes.near(name, v.fix.lat, v.fix.lon, 50.0))
            .unwrap_or_default();
        self.route_cache = Some((v.vehicle_id(), route, shapes.clone()));
        shapes
    }
}
