//! The app: drain feed events into the session (within a time budget), draw the panels
//! (`frame`), collect the actions they return, and apply them in one place (`actions`). What is
//! remembered between runs is in `saved`.

mod actions;
mod alerting;
mod frame;
mod geofencing;
mod history;
mod inspect;
mod layout;
mod panels;
mod replay;
mod saved;

pub use history::server_recording;
pub use layout::Board;
pub use replay::{JUMP_MS, LONG_JUMP_MS, default_recording};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::alerts::{AlertFilter, AlertLog};
use super::chime::Chime;
use super::feeds::FeedsPanel;
use super::geofences::GeofencesWindow;
use super::map::camera::Bounds;
use super::map::{DEFAULT_CENTRE, DEFAULT_ZOOM, MapView};
use super::markers::Palette;
use super::shown::Shown;
use super::status::StatusBar;
use super::table::{FeedNames, TableState};
use super::tiles::{TileLayer, TileSpec};
use super::view::ViewState;
use crate::alerts::Engine;
use crate::clock::SharedClock;
use crate::feed::{FeedConfig, FeedEvent, FeedSet, FeedSpec};
use crate::fleet::{FeedId, FleetConfig};
use crate::pipeline::Pipeline;
use crate::record::player::Player;
use crate::routes::RouteLines;
use saved::{Saved, SavedFeed};

/// Longest the UI spends applying events in one frame before drawing (and coming back).
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Where events come from.
pub enum FeedSource {
    /// The real feeds thread, running these feeds (the dispatcher may add more).
    Live {
        feeds: Vec<FeedSpec>,
        /// The in-process simulated fleet's feed, shown when no other feed is given or
        /// remembered; never remembered itself (its port changes every run).
        embedded: Option<Box<FeedSpec>>,
    },
    /// Events injected by the caller as the feeds thread would send them (tests, benchmarks);
    /// `feeds` names the feeds they come from.
    Events {
        feeds: Vec<(FeedId, String)>,
        events: Receiver<(FeedId, FeedEvent)>,
    },
    /// A recording, played on its own time (the timeline bar drives it).
    Replay(Box<Player>),
}

pub struct AppConfig {
    pub source: FeedSource,
    /// When no feed was given explicitly: the feeds remembered from an earlier run win over the
    /// embedded default.
    pub prefer_remembered: bool,
    pub tiles: TileSpec,
    pub fleet: FleetConfig,
    /// Route lines to draw (a bus's route; the network when there is no basemap).
    pub routes: Option<RouteLines>,
    /// The alert engine (its rules and geofences); `None`: the default rules (alarms the feeds
    /// report, nothing routine) and no geofence. A replay raises no alert.
    pub alerts: Option<Engine>,
    /// The GeoJSON file the geofences came from (where the Geofences window saves them).
    pub geofences_file: Option<std::path::PathBuf>,
    /// Where time comes from (the wall clock, or a test's).
    pub clock: SharedClock,
    /// Record every feed to this file from the start (and where the Record button writes).
    pub record: Option<std::path::PathBuf>,
}

pub struct FleetApp {
    feeds: Option<FeedSet>,
    events: Receiver<(FeedId, FeedEvent)>,
    /// The settings of every feed this app runs, by id.
    specs: BTreeMap<FeedId, FeedSpec>,
    /// The embedded simulated fleet's feed, if shown (not remembered).
    embedded: Option<FeedId>,
    next_id: u32,
    /// Session, alert engine (none in a replay) and recorder, on the window's clock.
    pipeline: Pipeline,
    view: ViewState,
    map: MapView,
    table: TableState,
    status: StatusBar,
    feeds_panel: FeedsPanel,
    /// The map is fitted to the fleet once, on a first run.
    fitted: bool,
    /// The first frame has looked at the window's size.
    sized: bool,
    /// Where each part of the board was drawn in the last frame.
    board: layout::Board,
    alert_log: AlertLog,
    /// What the Alerts panel lets through.
    alert_filter: AlertFilter,
    /// Plays the alert sound (started the first time one is wanted).
    chime: Option<Chime>,
    /// Shows desktop notifications (started the first time one is wanted).
    notifier: Option<crate::ui::notify::Notifier>,
    geofences_file: Option<std::path::PathBuf>,
    geofences_window: GeofencesWindow,
    replay: Option<replay::Replaying>,
    record_to: Option<std::path::PathBuf>,
    recordings_window: super::recordings::RecordingsWindow,
    nearest_window: super::nearest::NearestWindow,
    /// A vehicle's History from its server, when open.
    history: Option<super::history::HistoryWindow>,
    server_replay: super::server_replay::ServerReplayWindow,
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
            pipeline: match config.source {
                FeedSource::Replay(_) => Pipeline::new(config.fleet, config.clock),
                _ => Pipeline::new(config.fleet, config.clock)
                    .with_alerts(config.alerts.unwrap_or_default()),
            },
            view: ViewState {
                colour_by_feed: saved.colour_by_feed,
                alert_sound: saved.alert_sound,
                notifications_off: saved.notifications_off,
                critical_muted: saved.critical_muted,
                layers: saved.layers,
                ..ViewState::default()
            },
            map: MapView::new(tiles, config.routes, centre, zoom),
            table: TableState::default(),
            status: StatusBar::default(),
            feeds_panel: FeedsPanel::default(),
            fitted,
            sized: false,
            board: layout::Board::default(),
            alert_log: AlertLog::default(),
            alert_filter: AlertFilter::default(),
            chime: None,
            notifier: None,
            geofences_file: config.geofences_file,
            geofences_window: GeofencesWindow::default(),
            replay: None,
            record_to: config.record.clone(),
            recordings_window: Default::default(),
            nearest_window: Default::default(),
            history: None,
            server_replay: Default::default(),
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
                    app.embedded = Some(app.start_feed(*spec));
                }
                for spec in chosen {
                    app.start_feed(spec);
                }
            }
            FeedSource::Events { feeds, events } => {
                for (id, name) in feeds {
                    app.pipeline.add_feed(id, &name);
                    app.next_id = app.next_id.max(id.0 + 1);
                }
                app.events = events;
            }
            FeedSource::Replay(player) => {
                app.replay = Some(replay::Replaying::new(*player));
            }
        }
        if config.record.is_some() {
            let now = app.pipeline.now_ms();
            app.set_recording(true, now);
        }
        app
    }

    /// Starts a feed on the feeds thread and registers it; returns its id.
    fn start_feed(&mut self, spec: FeedSpec) -> FeedId {
        let id = FeedId(self.next_id);
        self.next_id += 1;
        self.pipeline.add_feed(id, &spec.name);
        self.run_feed(id, spec);
        id
    }

    /// (Re)starts feed `id` with `spec`.
    fn run_feed(&mut self, id: FeedId, spec: FeedSpec) {
        let mut config = FeedConfig::from_spec(spec.clone());
        // A feed never holds more vehicles pending than the model would keep.
        config.max_pending_vehicles = self.pipeline.fleet().config().max_vehicles;
        self.specs.insert(id, spec);
        if let Some(set) = &self.feeds
            && let Err(e) = set.add(id, config)
        {
            tracing::error!(error = %e, feed = %id, "cannot start the feed");
        }
    }

    fn feed_names(&self) -> FeedNames {
        self.session()
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
                .filter_map(|(id, s)| s.colour.map(|c| (*id, super::markers::feed_colour(c))))
                .collect(),
        }
    }

    /// Applies waiting events, stopping after the time budget (and asking to be called again).
    fn drain(&mut self, ctx: &egui::Context, wall_ms: i64) {
        if self.replay.is_some() {
            self.drain_replay(ctx, wall_ms);
            let now_ms = self.now();
            if self
                .replay
                .as_ref()
                .is_some_and(|r| r.player.is_caught_up())
            {
                self.forget_gone_selection(now_ms);
            }
            return;
        }
        let now_ms = wall_ms;
        let deadline = Instant::now() + DRAIN_BUDGET;
        while let Ok((feed, event)) = self.events.try_recv() {
            self.pipeline.apply(feed, &event);
            self.log_alerts(ctx);
            if Instant::now() >= deadline {
                ctx.request_repaint();
                break;
            }
        }
        self.tick_alerts(ctx);
        self.forget_gone_selection(now_ms);
        if !self.fitted && !self.fleet().is_empty() {
            self.fitted = true;
            self.fit_to_fleet();
        }
    }

    /// A selected vehicle that left its feed (or whose feed went) is no longer selected.
    fn forget_gone_selection(&mut self, now_ms: i64) {
        let gone = self
            .view
            .selected
            .as_ref()
            .is_some_and(|id| self.fleet().find(id).is_none() || !self.view.shows(id.feed));
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

    /// Shows every vehicle shown (of the feeds shown, in the statuses shown, matching the
    /// search); the map stays put when there is none.
    fn fit_to_fleet(&mut self) {
        let names = self.feed_names();
        let now_ms = self.now();
        let shown = Shown::new(self.fleet(), &self.view, &names, now_ms);
        let bounds = Bounds::of(shown.vehicles().map(|(_, v)| (v.fix.lat, v.fix.lon)));
        if let Some(bounds) = bounds {
            self.view.following = false;
            self.map.close_fan();
            self.map.fit(bounds);
        }
    }
}
