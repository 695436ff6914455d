//! The map: walkers with the tile layer underneath and one plugin per concern on top: the route
//! network (`lines::Network`), the selection's route and trail (`lines::Selection`), markers and
//! clusters (`vehicles`), labels (`labels`), hover and click (`picking`), a replay's whole
//! track (`track`) and a History's (`history`); then words over it (`overlays`) and the map's
//! buttons (`controls`).
//!
//! Only vehicles inside the visible area cost drawing time; they are decluttered by screen
//! density (`declutter`), so the fleet reads at every zoom. The selection is drawn last, never
//! in a cluster. `camera` holds the arithmetic of fitting and scale.

pub mod camera;
mod controls;
mod declutter;
mod discs;
mod fan;
mod fences;
mod frame;
mod gather;
mod history;
mod inspect;
mod labels;
mod lines;
pub mod motion;
mod overlays;
mod picking;
mod place;
pub mod replay_badge;
mod track;
mod vehicles;
mod wheel;

use std::cell::RefCell;
use std::time::Instant;

use egui::{Rect, Ui};
use walkers::{Map, MapMemory, Position, lat_lon};

use super::action::Action;
use super::markers::Palette;
use super::shown::Shown;
use super::table::FeedNames;
use super::tiles::TileLayer;
use super::tokens;
use super::view::ViewState;
use crate::fleet::{Fleet, Vehicle, VehicleId, VehicleKey};
use crate::routes::RouteLines;
use camera::Bounds;
use fan::Fan;
use frame::Frame;

/// Where the map opens before it has seen a vehicle (Cairns).
pub const DEFAULT_CENTRE: (f64, f64) = (-16.92, 145.77);
pub const DEFAULT_ZOOM: f64 = 12.0;

/// What the map shows this frame besides its own state.
pub struct MapContext<'a> {
    pub fleet: &'a Fleet,
    pub view: &'a ViewState,
    /// The vehicles shown (feeds, statuses, search): the others get no marker.
    pub shown: &'a Shown<'a>,
    /// ... listed, when the table has them for this view (a filtered map of a big fleet draws
    /// from the list rather than asking every vehicle in view).
    pub shown_rows: Option<&'a [VehicleKey]>,
    pub palette: &'a Palette,
    pub names: &'a FeedNames,
    /// A passing notice.
    pub notice: Option<&'a str>,
    /// A standing line about what is shown (the simulated fleet says so).
    pub caption: Option<&'a str>,
    /// While a recording plays: the badge's words (see [`replay_badge`]).
    pub replay: Option<&'a str>,
    /// A line per feed that is down.
    pub down: &'a [String],
    /// The alert engine's geofences, drawn under the markers.
    pub geofences: Option<&'a crate::alerts::Geofences>,
    pub alerts: &'a crate::ui::alerts::AlertLog,
    /// A vehicle's whole recorded track, drawn under the markers.
    pub track: Option<&'a crate::record::track::Track>,
    /// A vehicle's History from its server, drawn under the markers.
    pub history: Option<&'a crate::ui::history::HistoryWindow>,
    pub now_ms: i64,
}

pub struct MapView {
    pub memory: MapMemory,
    pub tiles: TileLayer,
    /// Route lines handed to the window: the network layer, and a bus's route.
    routes: Option<RouteLines>,
    /// The same lines projected once, for the network layer.
    network: Option<lines::NetworkLines>,
    /// The shapes of the selected vehicle's route near it: (vehicle id, shape indices).
    route_cache: Option<(VehicleId, Option<String>, Vec<usize>)>,
    /// The centre when not following, so the map stays put.
    centre: Position,
    /// Where the map was drawn last frame.
    rect: Rect,
    frame: RefCell<Frame>,
    fan: Option<Fan>,
    /// Where on Earth the map's context menu was opened (a right-click), (lat, lon), and the
    /// vehicles of the cluster it was opened on (name, id), in name order.
    context_at: std::cell::Cell<Option<(f64, f64)>>,
    context_members: RefCell<picking::Members>,
    /// The last cluster tooltip's contents (see `picking`).
    tip: RefCell<Option<picking::ClusterTip>>,
    /// Vehicles in view in the last frame, and whether any were clustered.
    pub in_view: (usize, bool),
}

/// What a plugin hit: a vehicle, or a cluster by its index this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hit {
    Vehicle(VehicleKey),
    Cluster(usize),
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
            network: routes.as_ref().map(lines::NetworkLines::of),
            routes,
            route_cache: None,
            centre,
            rect: Rect::NOTHING,
            frame: RefCell::default(),
            fan: None,
            context_at: std::cell::Cell::default(),
            context_members: RefCell::default(),
            tip: RefCell::default(),
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

    /// Shows all of `bounds` (street level at most).
    pub fn fit(&mut self, bounds: Bounds) {
        let size = if self.rect.is_positive() {
            self.rect.size()
        } else {
            egui::vec2(900.0, 600.0)
        };
        let (zoom, (lat, lon)) = camera::fit(bounds, size.x as f64, size.y as f64, 40.0);
        self.centre_on(lat, lon);
        let _ = self.memory.set_zoom(zoom);
    }

    /// Closes a fanned-out cluster.
    pub fn close_fan(&mut self) -> bool {
        self.fan.take().is_some()
    }

    /// Draws the map; returns the actions it saw and whether anything on it is moving.
    pub fn show(&mut self, ui: &mut Ui, cx: &MapContext<'_>) -> (Vec<Action>, motion::Motion) {
        let selected = cx
            .view
            .selected
            .as_ref()
            .and_then(|id| cx.fleet.key_of(id.feed, &id.id));
        let followed = selected
            .filter(|_| cx.view.following)
            .and_then(|k| cx.fleet.vehicle(k));
        let my_position = self.my_position(followed, cx);
        let following = followed.is_some();
        wheel::zoom(ui, self.rect, &mut self.memory, my_position, following);
        let (rect, frame) = self.draw(ui, cx, selected, my_position);
        self.overlays(ui, rect, cx);
        let mut actions = controls::show(ui, rect, cx.view);
        if let Some(p) = self.memory.detached() {
            self.centre = p;
            if followed.is_some() {
                actions.push(Action::MapDragged);
            }
        } else if followed.is_some() {
            self.centre = my_position;
        }
        if cx.view.drawing.is_some() {
            // Drawing a geofence: a click is a corner, not a pick.
            if let Some((lat, lon)) = frame.clicked_at {
                actions.push(Action::DrawAt(lat, lon));
            }
            return (actions, frame.motion);
        }
        actions.extend(asked(&frame));
        match frame.clicked {
            Some(Some(Hit::Vehicle(key))) => {
                if let Some(v) = cx.fleet.vehicle(key) {
                    actions.push(Action::Select(v.vehicle_id()));
                }
            }
            Some(Some(Hit::Cluster(c))) => actions.extend(self.cluster_clicked(&frame, c, cx)),
            Some(None) => self.fan = None,
            None => {}
        }
        let own = if self.memory.animating() {
            motion::Motion::Continuous
        } else {
            motion::Motion::Still
        };
        let moving = frame.motion.or(own);
        if frame.clusters.pending() {
            // A vehicle waits to join a cluster: look again when it may.
            let wait = declutter::MERGE_AFTER_S / 4.0;
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs_f64(wait));
        }
        let clustered = frame.clusters.clusters.iter().any(|c| c.count > 1);
        let apart = frame.fanned.len() + frame.alarmed.len();
        let drawn: usize = frame
            .clusters
            .clusters
            .iter()
            .map(|c| c.count as usize)
            .sum();
        self.in_view = (drawn + apart, clustered);
        self.frame = RefCell::new(frame);
        (actions, moving)
    }

    /// Where walkers should centre: the followed vehicle as it glides, or where the map was left.
    fn my_position(&mut self, followed: Option<&Vehicle>, cx: &MapContext<'_>) -> Position {
        match followed {
            Some(v) => {
                let (lat, lon) = v.display_position(cx.now_ms);
                if self.memory.detached().is_some() {
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
        }
    }

    /// The map and its plugins; returns where it was drawn and what the plugins saw.
    fn draw(
        &mut self,
        ui: &mut Ui,
        cx: &MapContext<'_>,
        selected: Option<VehicleKey>,
        my_position: Position,
    ) -> (Rect, Frame) {
        let fan_keys = self.fan_keys(cx.fleet);
        let route_shapes = self.route_shapes(cx.fleet, cx.view);
        let theme = tokens::theme(ui.visuals());
        ui.painter()
            .rect_filled(ui.available_rect_before_wrap(), 0.0, theme.map_bg);
        let (fleet, layers, now_ms) = (cx.fleet, cx.view.layers, cx.now_ms);
        let zoom = self.memory.zoom();
        let frame = std::mem::take(&mut self.frame);
        frame.borrow_mut().reset();
        let now_s = ui.input(|i| i.time);
        frame
            .borrow_mut()
            .clusters
            .steady_at(declutter::Moment { now_s, zoom });
        let mut map = Map::new(Some(&mut self.tiles), &mut self.memory, my_position);
        if layers.network
            && let Some(lines) = &self.network
        {
            map = map.with_plugin(lines::Network { lines, theme });
        }
        if let Some(key) = selected {
            map = map.with_plugin(lines::Selection {
                fleet,
                selected: key,
                routes: self.routes.as_ref(),
                route_shapes: &route_shapes,
                palette: cx.palette,
                theme,
                trail: layers.trails,
                now_ms,
            });
        }
        let drawing = cx.view.drawing.as_ref();
        if (layers.geofences || drawing.is_some())
            && let Some(geofences) = cx.geofences
        {
            map = map.with_plugin(fences::Fences {
                geofences,
                drawing,
                zoom,
            });
        }
        if let Some(track) = cx.track {
            map = map.with_plugin(track::Whole { track });
        }
        if let Some(window) = cx.history {
            map = map.with_plugin(history::Track {
                window,
                frame: &frame,
            });
        }
        if let Some(at) = cx.view.nearest {
            map = map.with_plugin(place::Place { at });
        }
        let map = map
            .with_plugin(vehicles::Markers {
                fleet,
                view: cx.view,
                shown: cx.shown,
                shown_rows: cx.shown_rows,
                palette: cx.palette,
                theme,
                selected,
                fan: self.fan.as_ref().map(|f| (&fan_keys[..], f.anchor)),
                now_ms,
                frame: &frame,
                alerts: cx.alerts,
            })
            .with_plugin(labels::Labels {
                fleet,
                theme,
                all: layers.labels && zoom >= labels::LABEL_ZOOM,
                frame: &frame,
            })
            .with_plugin(picking::Picking {
                fleet,
                names: cx.names,
                now_ms,
                frame: &frame,
                context_at: &self.context_at,
                context_members: &self.context_members,
                tip: &self.tip,
            });
        let rect = ui.add(map).rect;
        self.rect = rect;
        self.tiles.end_frame(ui.ctx(), Instant::now());
        (rect, frame.into_inner())
    }

    /// Words over the map: attribution and scale at the bottom left; at the top left, one under
    /// the other, what is shown, the tiles, and feeds that are down; a passing notice.
    fn overlays(&self, ui: &mut Ui, rect: Rect, cx: &MapContext<'_>) {
        let theme = tokens::theme(ui.visuals());
        let now = Instant::now();
        overlays::attribution(ui, rect, &self.tiles, theme);
        let (lat, _) = self.centre();
        overlays::scale_bar(ui, rect, lat, self.memory.zoom(), theme);
        let mut top = rect.top() + 8.0;
        if let Some(text) = cx.replay {
            top = replay_badge::show(ui, rect, text).bottom() + 6.0;
        }
        for text in [cx.caption, overlays::tiles_line(&self.tiles, now)]
            .into_iter()
            .flatten()
        {
            top = overlays::line(ui, rect, top, text, theme);
        }
        overlays::down_banner(ui, rect, top, cx.down);
        if let Some(text) = cx.notice {
            overlays::notice(ui, rect, text);
        }
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

/// What the plugins were asked for besides picks: the nearest vehicles to a point, a vehicle
/// from a cluster's list, the History's moment under the pointer.
fn asked(frame: &Frame) -> Vec<Action> {
    let mut actions = Vec::new();
    if let Some((lat, lon)) = frame.nearest_asked {
        actions.push(Action::Nearest(lat, lon));
    }
    if let Some(id) = frame.picked.clone() {
        actions.push(Action::Select(id));
    }
    if let Some(ms) = frame.history_hover {
        actions.push(Action::History(super::action::HistoryAction::Hover(Some(
            ms,
        ))));
    }
    actions
}
