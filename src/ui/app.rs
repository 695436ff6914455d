//! The frame loop: drain feed events into the model (within a time budget), draw the panels,
//! collect the actions they return, and apply them here, in one place.

use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::list::ListState;
use super::map::{DEFAULT_CENTRE, DEFAULT_ZOOM, MapView};
use super::status::StatusBar;
use super::tiles::{TileLayer, TileSpec};
use super::view::ViewState;
use super::{details, keys, list, status};
use crate::clock::now_ms;
use crate::feed::{FeedCommand, FeedConfig, FeedEvent, FeedHandle, RefusalLog};
use crate::fleet::{Fleet, FleetConfig};
use crate::sim::Network;

/// Height of the details above the list.
const DETAILS_HEIGHT: f32 = 270.0;

/// Longest the UI spends applying events in one frame before drawing (and coming back).
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Where events come from.
pub enum FeedSource {
    /// The real feed client, connecting to this URL.
    Url {
        url: String,
        token: Option<String>,
        /// Extra CA certificates for `wss://`.
        ca_file: Option<std::path::PathBuf>,
    },
    /// A channel of events, as the feed thread would send them (tests inject through it).
    Events {
        url: String,
        events: Receiver<FeedEvent>,
    },
}

pub struct AppConfig {
    pub feed: FeedSource,
    /// When the feed was not chosen explicitly: a feed URL remembered from an earlier run wins.
    pub prefer_remembered: bool,
    pub tiles: TileSpec,
    pub fleet: FleetConfig,
}

/// What is remembered between runs (eframe persistence; the window size is eframe's own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Saved {
    /// The feed switched to at runtime (never the embedded default, never a token).
    url: Option<String>,
    centre: Option<(f64, f64)>,
    zoom: Option<f64>,
}

pub struct FleetApp {
    feed: Option<FeedHandle>,
    events: Receiver<FeedEvent>,
    url: String,
    token: Option<String>,
    /// Whether `url` is worth remembering (not the embedded default).
    remember_url: bool,
    fleet_config: FleetConfig,
    fleet: Fleet,
    view: ViewState,
    map: MapView,
    list: ListState,
    status: StatusBar,
    refusals: RefusalLog,
    /// The map is fitted to the fleet once, on a first run.
    fitted: bool,
}

impl FleetApp {
    pub fn new(cc: &eframe::CreationContext<'_>, config: AppConfig) -> Self {
        Self::with_context(&cc.egui_ctx, cc.storage, config)
    }

    /// The app on a bare egui context (what benchmarks drive, with no window at all).
    pub fn with_context(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        config: AppConfig,
    ) -> Self {
        let saved: Saved = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let ctx = ctx.clone();
        // Labels come from the feed, in any script: draw a box for a glyph no font has rather
        // than fail (egui_kittest sets "panic" to catch our own text; this overrides it).
        ctx.set_missing_glyph_policy(egui::epaint::text::MissingGlyphPolicy::Tofu);
        let remembered = saved.url.clone().filter(|_| config.prefer_remembered);
        let (feed, events, url, token, remember_url) = match config.feed {
            FeedSource::Url {
                url,
                token,
                ca_file,
            } => {
                let (url, remember) = match remembered {
                    Some(r) => (r, true),
                    None => (url, !config.prefer_remembered),
                };
                let waker_ctx = ctx.clone();
                let mut feed_config = FeedConfig::new(url.clone());
                feed_config.token = token.clone();
                feed_config.ca_file = ca_file;
                feed_config.max_pending_vehicles = config.fleet.max_vehicles;
                match FeedHandle::spawn(
                    feed_config,
                    std::sync::Arc::new(move || waker_ctx.request_repaint()),
                ) {
                    Ok(handle) => {
                        let events = handle.events().clone();
                        (Some(handle), events, url, token, remember)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot start the feed");
                        (None, crossbeam_channel::bounded(1).1, url, token, remember)
                    }
                }
            }
            FeedSource::Events { url, events } => (None, events, url, None, false),
        };
        let (centre, zoom, fitted) = match (saved.centre, saved.zoom) {
            (Some(c), Some(z)) => (c, z, true),
            _ => (DEFAULT_CENTRE, DEFAULT_ZOOM, false),
        };
        let tiles = TileLayer::new(config.tiles, &ctx);
        Self {
            feed,
            events,
            url,
            token,
            remember_url,
            fleet: Fleet::new(config.fleet.clone()),
            fleet_config: config.fleet,
            view: ViewState::default(),
            map: MapView::new(tiles, Network::cairns().ok(), centre, zoom),
            list: ListState::default(),
            status: StatusBar::default(),
            refusals: RefusalLog::default(),
            fitted,
        }
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    pub fn view(&self) -> &ViewState {
        &self.view
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The map's centre (lat, lon) and zoom.
    pub fn map_view(&self) -> ((f64, f64), f64) {
        (self.map.centre(), self.map.zoom())
    }

    /// Vehicles in view in the last frame, and whether they were drawn as clusters.
    pub fn map_in_view(&self) -> (usize, bool) {
        self.map.in_view
    }

    /// Where the map was drawn in the last frame.
    pub fn map_rect(&self) -> egui::Rect {
        self.map.rect()
    }

    /// The rows of the list, as ids, in order.
    pub fn list_ids(&self) -> Vec<String> {
        self.list
            .rows()
            .iter()
            .filter_map(|k| self.fleet.vehicle(*k))
            .map(|v| v.id().to_owned())
            .collect()
    }

    /// Applies waiting events, stopping after the time budget (and asking to be called again).
    fn drain(&mut self, ctx: &egui::Context, now_ms: i64) {
        let deadline = Instant::now() + DRAIN_BUDGET;
        while let Ok(event) = self.events.try_recv() {
            self.fleet.apply(&event, now_ms);
            if Instant::now() >= deadline {
                ctx.request_repaint();
                break;
            }
        }
        self.refusals.update(self.fleet.rejected(), Instant::now());
        let gone = self
            .view
            .selected
            .as_deref()
            .is_some_and(|id| self.fleet.get(id).is_none());
        if gone && let Some(id) = self.view.selected.take() {
            if self.view.following {
                self.view
                    .notify(format!("{id} left the feed: following stopped"), now_ms);
            }
            self.view.following = false;
        }
        if !self.fitted && !self.fleet.is_empty() {
            self.fitted = true;
            self.fit_to_fleet();
        }
    }

    /// Centres the map on the fleet at a zoom that shows all of it.
    fn fit_to_fleet(&mut self) {
        let (mut s, mut n, mut w, mut e) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for (_, v) in self.fleet.iter() {
            s = s.min(v.fix.lat);
            n = n.max(v.fix.lat);
            w = w.min(v.fix.lon);
            e = e.max(v.fix.lon);
        }
        let span = (e - w).max((n - s) * 1.3).max(0.005);
        // 256 px tiles: at zoom z the world is 256·2^z px wide; aim for ~900 px of map.
        let zoom = (360.0 * 900.0 / (256.0 * span)).log2().clamp(3.0, 16.0);
        self.map.centre_on((s + n) / 2.0, (w + e) / 2.0);
        let _ = self.map.memory.set_zoom(zoom.floor());
    }

    /// Applies one action. `searching`: the search box had the keyboard when the frame began.
    fn apply(&mut self, action: Action, ctx: &egui::Context, searching: bool, now_ms: i64) {
        match action {
            Action::Select(id) => {
                if self.view.is_selected(&id) {
                    self.centre_on(&id, now_ms);
                } else {
                    self.view.selected = Some(id);
                    self.view.following = false;
                    self.view.scroll_to_selected = true;
                }
            }
            Action::Show(id) => {
                self.centre_on(&id, now_ms);
                self.view.selected = Some(id);
                self.view.scroll_to_selected = true;
            }
            Action::Follow(id) => {
                self.view.selected = Some(id);
                self.view.following = true;
                self.view.scroll_to_selected = true;
            }
            Action::FollowSelected => match &self.view.selected {
                Some(_) => self.view.following = true,
                None => self.view.notify("Select a vehicle to follow first", now_ms),
            },
            Action::MapDragged => self.view.following = false,
            Action::Escape => {
                if searching || ctx.egui_wants_keyboard_input() {
                    self.view.search.clear();
                    ctx.memory_mut(|m| m.stop_text_input());
                } else if self.view.following {
                    self.view.following = false;
                } else {
                    self.view.selected = None;
                }
            }
            Action::FocusSearch => self.view.focus_search = true,
            Action::MoveSelection(delta) => {
                self.list.refresh(&self.fleet, &self.view.search);
                if let Some(id) = self
                    .list
                    .step(&self.fleet, self.view.selected.as_deref(), delta)
                {
                    self.apply(Action::Show(id), ctx, false, now_ms);
                }
            }
            Action::Zoom(d) => {
                let _ = if d > 0 {
                    self.map.memory.zoom_in()
                } else {
                    self.map.memory.zoom_out()
                };
            }
            Action::ZoomTo { lat, lon } => {
                self.view.following = false;
                self.map.centre_on(lat, lon);
                let _ = self.map.memory.zoom_in();
                let _ = self.map.memory.zoom_in();
            }
            Action::SwitchFeed(url) => self.switch_feed(url, now_ms),
        }
    }

    fn centre_on(&mut self, id: &str, now_ms: i64) {
        if let Some(v) = self.fleet.get(id) {
            let (lat, lon) = v.display_position(now_ms);
            self.map.centre_on(lat, lon);
        }
    }

    fn switch_feed(&mut self, url: String, now_ms: i64) {
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            self.view
                .notify(format!("{url:?} is not a ws:// or wss:// URL"), now_ms);
            return;
        }
        let Some(feed) = &self.feed else {
            self.view.notify("No feed client to switch", now_ms);
            return;
        };
        match feed.send(FeedCommand::SwitchUrl {
            url: url.clone(),
            token: self.token.clone(),
        }) {
            Ok(()) => {
                self.url = url;
                self.remember_url = true;
                self.fleet = Fleet::new(self.fleet_config.clone());
                self.view.selected = None;
                self.view.following = false;
            }
            Err(e) => self.view.notify(format!("Cannot switch feed: {e}"), now_ms),
        }
    }
}

impl eframe::App for FleetApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let saved = Saved {
            url: self.remember_url.then(|| self.url.clone()),
            centre: Some(self.map.centre()),
            zoom: Some(self.map.zoom()),
        };
        eframe::set_value(storage, eframe::APP_KEY, &saved);
    }
}

impl FleetApp {
    /// One frame: drain, draw, apply.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let now = now_ms();
        self.drain(&ctx, now);
        let searching = self.view.search_focused;
        let mut actions = keys::read(&ctx);
        egui::Panel::bottom("status").show(ui, |ui| {
            actions.extend(status::show(
                ui,
                &self.fleet,
                &mut self.status,
                &self.url,
                now,
            ));
        });
        egui::Panel::right("vehicles")
            .resizable(true)
            .default_size(340.0)
            .show(ui, |ui| {
                // A fixed height for the details, so selecting never moves the list under the
                // pointer (a double click on a row must land on the same row).
                egui::Panel::top("details")
                    .exact_size(DETAILS_HEIGHT)
                    .show(ui, |ui| {
                        egui::ScrollArea::vertical()
                            .auto_shrink([false, false])
                            .show(ui, |ui| {
                                actions.extend(details::show(ui, &self.fleet, &self.view, now));
                            });
                    });
                actions.extend(list::show(
                    ui,
                    &self.fleet,
                    &mut self.view,
                    &mut self.list,
                    now,
                ));
            });
        let mut animating = false;
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let (map_actions, moving) =
                    self.map
                        .show(ui, &self.fleet, &self.view, self.view.notice(now), now);
                actions.extend(map_actions);
                animating = moving;
            });
        for action in actions {
            self.apply(action, &ctx, searching, now);
        }
        // Idle is idle: repaint only while something moves, the selection's age ticks, or a
        // notice is up. New data wakes the UI through the feed's waker.
        if animating {
            ctx.request_repaint();
        } else if self.view.selected.is_some() {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        if let Some(n) = &self.view.notice
            && n.until_ms > now
        {
            ctx.request_repaint_after(Duration::from_millis((n.until_ms - now) as u64));
        }
    }
}
