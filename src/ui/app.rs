//! The frame loop: drain feed events into the session (within a time budget), draw the panels,
//! collect the actions they return, and apply them here, in one place.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use serde::{Deserialize, Serialize};

use super::action::Action;
use super::feeds::{FeedsContext, FeedsPanel};
use super::list::{FeedNames, ListContext, ListState};
use super::map::{DEFAULT_CENTRE, DEFAULT_ZOOM, MapView};
use super::markers::Palette;
use super::status::StatusBar;
use super::tiles::{TileLayer, TileSpec};
use super::view::ViewState;
use super::{details, feeds, keys, list, status};
use crate::clock::now_ms;
use crate::feed::{Colour, FeedCommand, FeedConfig, FeedEvent, FeedSet, FeedSpec};
use crate::fleet::{FeedId, Fleet, FleetConfig, VehicleId};
use crate::formats::FeedKind;
use crate::session::Session;
use crate::sim::Network;

/// Height of the details above the list.
const DETAILS_HEIGHT: f32 = 270.0;

/// Longest the UI spends applying events in one frame before drawing (and coming back).
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Where events come from.
pub enum FeedSource {
    /// The real feeds thread, running these feeds (the dispatcher may add more).
    Live {
        feeds: Vec<FeedSpec>,
        /// The in-process simulated fleet's feed, shown when no other feed is given or
        /// remembered; never remembered itself (its port changes every run).
        embedded: Option<FeedSpec>,
    },
    /// Events injected by the caller as the feeds thread would send them (tests, benchmarks);
    /// `feeds` names the feeds they come from.
    Events {
        feeds: Vec<(FeedId, String)>,
        events: Receiver<(FeedId, FeedEvent)>,
    },
}

pub struct AppConfig {
    pub source: FeedSource,
    /// When no feed was given explicitly: the feeds remembered from an earlier run win over the
    /// embedded default.
    pub prefer_remembered: bool,
    pub tiles: TileSpec,
    pub fleet: FleetConfig,
}

/// A feed as remembered between runs: never a secret (passwords and tokens come from the
/// environment, the config file or the Feeds panel).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedFeed {
    name: String,
    kind: FeedKind,
    url: String,
    user: Option<String>,
    colour: Option<Colour>,
    enabled: bool,
}

impl SavedFeed {
    fn of(spec: &FeedSpec) -> Self {
        Self {
            name: spec.name.clone(),
            kind: spec.kind,
            url: spec.url.clone(),
            user: spec.credentials.user.clone(),
            colour: spec.colour,
            enabled: spec.enabled,
        }
    }

    fn spec(&self) -> Option<FeedSpec> {
        let mut spec = FeedSpec::new(
            Some(self.name.clone()),
            self.kind,
            &self.url,
            crate::feed::Credentials {
                user: self.user.clone(),
                ..Default::default()
            },
        )
        .ok()?;
        spec.colour = self.colour;
        spec.enabled = self.enabled;
        Some(spec)
    }
}

/// What is remembered between runs (eframe persistence; the window size is eframe's own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Saved {
    feeds: Vec<SavedFeed>,
    centre: Option<(f64, f64)>,
    zoom: Option<f64>,
    colour_by_feed: bool,
}

pub struct FleetApp {
    feeds: Option<FeedSet>,
    events: Receiver<(FeedId, FeedEvent)>,
    /// The settings of every feed this app runs, by id.
    specs: BTreeMap<FeedId, FeedSpec>,
    /// The embedded simulated fleet's feed, if shown (not remembered).
    embedded: Option<FeedId>,
    next_id: u32,
    fleet_config: FleetConfig,
    session: Session,
    view: ViewState,
    map: MapView,
    list: ListState,
    status: StatusBar,
    feeds_panel: FeedsPanel,
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
        let (centre, zoom, fitted) = match (saved.centre, saved.zoom) {
            (Some(c), Some(z)) => (c, z, true),
            _ => (DEFAULT_CENTRE, DEFAULT_ZOOM, false),
        };
        let tiles = TileLayer::new(config.tiles, &ctx);
        let mut app = Self {
            feeds: None,
            events: crossbeam_channel::bounded(1).1,
            specs: BTreeMap::new(),
            embedded: None,
            next_id: 0,
            session: Session::new(config.fleet.clone()),
            fleet_config: config.fleet,
            view: ViewState {
                colour_by_feed: saved.colour_by_feed,
                ..ViewState::default()
            },
            map: MapView::new(tiles, Network::cairns().ok(), centre, zoom),
            list: ListState::default(),
            status: StatusBar::default(),
            feeds_panel: FeedsPanel::default(),
            fitted,
        };
        match config.source {
            FeedSource::Live { feeds, embedded } => {
                let waker_ctx = ctx.clone();
                match FeedSet::spawn(std::sync::Arc::new(move || waker_ctx.request_repaint())) {
                    Ok(set) => {
                        app.events = set.events().clone();
                        app.feeds = Some(set);
                    }
                    Err(e) => tracing::error!(error = %e, "cannot start the feeds"),
                }
                let remembered: Vec<FeedSpec> = if config.prefer_remembered && feeds.is_empty() {
                    saved.feeds.iter().filter_map(SavedFeed::spec).collect()
                } else {
                    Vec::new()
                };
                let chosen = if feeds.is_empty() { remembered } else { feeds };
                if chosen.is_empty()
                    && let Some(spec) = embedded
                {
                    app.embedded = Some(app.start_feed(spec));
                }
                for spec in chosen {
                    app.start_feed(spec);
                }
            }
            FeedSource::Events { feeds, events } => {
                for (id, name) in feeds {
                    app.session.add_feed(id, name);
                    app.next_id = app.next_id.max(id.0 + 1);
                }
                app.events = events;
            }
        }
        app
    }

    /// Starts a feed on the feeds thread and registers it; returns its id.
    fn start_feed(&mut self, spec: FeedSpec) -> FeedId {
        let id = FeedId(self.next_id);
        self.next_id += 1;
        self.session.add_feed(id, spec.name.clone());
        self.run_feed(id, spec);
        id
    }

    /// (Re)starts feed `id` with `spec`.
    fn run_feed(&mut self, id: FeedId, spec: FeedSpec) {
        let mut config = FeedConfig::from_spec(spec.clone());
        config.max_pending_vehicles = self.fleet_config.max_vehicles;
        self.specs.insert(id, spec);
        if let Some(set) = &self.feeds
            && let Err(e) = set.add(id, config)
        {
            tracing::error!(error = %e, feed = %id, "cannot start the feed");
        }
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn fleet(&self) -> &Fleet {
        self.session.fleet()
    }

    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// The settings of the feeds this app runs.
    pub fn specs(&self) -> &BTreeMap<FeedId, FeedSpec> {
        &self.specs
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
            .filter_map(|k| self.fleet().vehicle(*k))
            .map(|v| v.id().to_owned())
            .collect()
    }

    fn feed_names(&self) -> FeedNames {
        self.session
            .feeds()
            .map(|(id, s)| (id, s.name.clone()))
            .collect()
    }

    fn palette(&self) -> Palette {
        Palette {
            by_feed: self.view.colour_by_feed,
            feeds: self
                .specs
                .iter()
                .filter_map(|(id, s)| {
                    s.colour
                        .map(|[r, g, b]| (*id, egui::Color32::from_rgb(r, g, b)))
                })
                .collect(),
        }
    }

    /// Applies waiting events, stopping after the time budget (and asking to be called again).
    fn drain(&mut self, ctx: &egui::Context, now_ms: i64) {
        let deadline = Instant::now() + DRAIN_BUDGET;
        while let Ok((feed, event)) = self.events.try_recv() {
            let _ = self.session.apply(feed, &event, now_ms);
            if Instant::now() >= deadline {
                ctx.request_repaint();
                break;
            }
        }
        self.forget_gone_selection(now_ms);
        if !self.fitted && !self.fleet().is_empty() {
            self.fitted = true;
            self.fit_to_fleet();
        }
    }

    /// A selected vehicle that left its feed (or whose feed went) is no longer selected.
    fn forget_gone_selection(&mut self, now_ms: i64) {
        let gone =
            self.view.selected.as_ref().is_some_and(|id| {
                self.session.fleet().find(id).is_none() || !self.view.shows(id.feed)
            });
        if gone && let Some(id) = self.view.selected.take() {
            if self.view.following {
                self.view.notify(
                    format!("{} left the feed: following stopped", id.id),
                    now_ms,
                );
            }
            self.view.following = false;
        }
    }

    /// Centres the map on the fleet at a zoom that shows all of it.
    fn fit_to_fleet(&mut self) {
        let (mut s, mut n, mut w, mut e) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for (_, v) in self.session.fleet().iter() {
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
                if self.view.selected.as_ref() == Some(&id) {
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
                let names = self.feed_names();
                self.list.refresh(self.session.fleet(), &self.view, &names);
                if let Some(id) =
                    self.list
                        .step(self.session.fleet(), self.view.selected.as_ref(), delta)
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
            feed_action => self.apply_feed_action(feed_action, now_ms),
        }
    }

    /// The Feeds panel's actions.
    fn apply_feed_action(&mut self, action: Action, now_ms: i64) {
        let command = match action {
            Action::AddFeed(spec) => {
                if self.feeds.is_none() {
                    self.view.notify("No feeds thread to add a feed to", now_ms);
                    return;
                }
                let name = spec.name.clone();
                self.start_feed(*spec);
                self.view.notify(format!("Feed {name} added"), now_ms);
                return;
            }
            Action::EditFeed(id, spec) => {
                let _ = self.session.reset_feed(id);
                self.session.add_feed(id, spec.name.clone());
                if self.embedded == Some(id) {
                    self.embedded = None;
                }
                self.run_feed(id, *spec);
                self.forget_gone_selection(now_ms);
                return;
            }
            Action::RemoveFeed(id) => {
                self.specs.remove(&id);
                let _ = self.session.remove_feed(id);
                self.view.hidden.remove(&id);
                if self.embedded == Some(id) {
                    self.embedded = None;
                }
                self.forget_gone_selection(now_ms);
                FeedCommand::Remove(id)
            }
            Action::PauseFeed(id) => {
                if let Some(spec) = self.specs.get_mut(&id) {
                    spec.enabled = false;
                }
                FeedCommand::Pause(id)
            }
            Action::ResumeFeed(id) => {
                if let Some(spec) = self.specs.get_mut(&id) {
                    spec.enabled = true;
                }
                FeedCommand::Resume(id)
            }
            Action::SetHidden(id, hidden) => {
                if hidden {
                    self.view.hidden.insert(id);
                } else {
                    self.view.hidden.remove(&id);
                }
                self.forget_gone_selection(now_ms);
                return;
            }
            Action::ColourByFeed(on) => {
                self.view.colour_by_feed = on;
                return;
            }
            _ => return,
        };
        if let Some(set) = &self.feeds
            && let Err(e) = set.send(command)
        {
            self.view
                .notify(format!("Cannot change the feed: {e}"), now_ms);
        }
    }

    fn centre_on(&mut self, id: &VehicleId, now_ms: i64) {
        if let Some(v) = self.session.fleet().find(id) {
            let (lat, lon) = v.display_position(now_ms);
            self.map.centre_on(lat, lon);
        }
    }
}

impl eframe::App for FleetApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.draw(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let saved = Saved {
            feeds: self
                .specs
                .iter()
                .filter(|(id, _)| Some(**id) != self.embedded)
                .map(|(_, spec)| SavedFeed::of(spec))
                .collect(),
            centre: Some(self.map.centre()),
            zoom: Some(self.map.zoom()),
            colour_by_feed: self.view.colour_by_feed,
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
        let palette = self.palette();
        let names = self.feed_names();
        egui::Panel::bottom("status").show(ui, |ui| {
            status::show(ui, &self.session, &mut self.status, now);
        });
        if self.status.feeds_open {
            egui::Panel::left("feeds")
                .resizable(true)
                .default_size(270.0)
                .show(ui, |ui| {
                    let cx = FeedsContext {
                        session: &self.session,
                        specs: &self.specs,
                        view: &self.view,
                        palette: &palette,
                        now_ms: now,
                    };
                    actions.extend(feeds::show(ui, &cx, &mut self.feeds_panel));
                });
        }
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
                                actions.extend(details::show(ui, &self.session, &self.view, now));
                            });
                    });
                let cx = ListContext {
                    feeds: &names,
                    palette: &palette,
                    now_ms: now,
                };
                actions.extend(list::show(
                    ui,
                    self.session.fleet(),
                    &mut self.view,
                    &mut self.list,
                    &cx,
                ));
            });
        let mut animating = false;
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let (map_actions, moving) = self.map.show(
                    ui,
                    self.session.fleet(),
                    &self.view,
                    &palette,
                    self.view.notice(now),
                    now,
                );
                actions.extend(map_actions);
                animating = moving;
            });
        for action in actions {
            self.apply(action, &ctx, searching, now);
        }
        // Idle is idle: repaint only while something moves, a countdown or the selection's age
        // ticks, or a notice is up. New data wakes the UI through the feeds' waker.
        let ticking = self.view.selected.is_some()
            || self.session.feeds().any(|(_, f)| {
                matches!(
                    f.link,
                    crate::session::Link::Disconnected {
                        retry_at_ms: Some(_),
                        ..
                    }
                )
            });
        if animating {
            ctx.request_repaint();
        } else if ticking {
            ctx.request_repaint_after(Duration::from_secs(1));
        }
        if let Some(n) = &self.view.notice
            && n.until_ms > now
        {
            ctx.request_repaint_after(Duration::from_millis((n.until_ms - now) as u64));
        }
    }
}
