//! One frame: drain in `logic`, then draw every panel, apply the actions they returned, and ask
//! for the next frame only when something moves or ticks.

use std::time::Duration;

use super::FleetApp;
use super::layout::{self, Board, FeedsPlace};
use super::saved::{Saved, SavedFeed};
use crate::fleet::FleetCounts;
use crate::ui::action::Action;
use crate::ui::map::MapContext;
use crate::ui::map::motion::Motion;
use crate::ui::markers::Palette;
use crate::ui::shown::Shown;
use crate::ui::table::FeedNames;
use crate::ui::{keys, status};

/// Below this window width the Feeds panel starts closed, so the map keeps room.
const NARROW: f32 = 1_400.0;

/// What the map says when it shows the built-in simulated fleet.
const SIMULATED: &str = "A simulated fleet (not real vehicles): to watch yours, open \
     Feeds → Add feed…, or run with --feed or --config";

impl eframe::App for FleetApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.logic(ctx);
    }

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
            alert_sound: self.view.alert_sound,
            critical_muted: self.view.critical_muted,
            notifications_off: self.view.notifications_off,
            layers: self.view.layers,
        };
        eframe::set_value(storage, eframe::APP_KEY, &saved);
    }
}

impl FleetApp {
    /// Everything but drawing: apply the feeds' events (within a time budget).
    pub fn logic(&mut self, ctx: &egui::Context) {
        let wall = self.pipeline.now_ms();
        self.drain(ctx, wall);
        self.poll_history(ctx);
        self.poll_server_replay(wall);
    }

    /// One frame's drawing: every panel, then the actions they returned.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let now = self.now();
        self.pipeline.settle(now);
        if !self.sized {
            self.sized = true;
            self.status.feeds_open &= ctx.content_rect().width() >= NARROW;
        }
        let searching = self.view.search_focused;
        let mut actions = keys::read(&ctx, &self.view, self.replay.is_some());
        let palette = self.palette();
        // One pass over the fleet for every count the frame shows.
        let counts = self.pipeline.fleet().counts_for_frame(now);
        let names = self.feed_names();
        let down: Vec<String> = self
            .pipeline
            .session()
            .feeds()
            .filter(|(id, _)| self.view.shows(*id))
            .filter_map(|(_, f)| f.down_line(now))
            .collect();
        egui::Panel::bottom("status").show(ui, |ui| {
            let alerts = (
                self.alert_log.unacknowledged(),
                self.alert_log.open_critical(),
            );
            let recording = match self.pipeline.recording() {
                _ if self.replay.is_some() => status::Recording::Replaying,
                Some((_, status)) => status::Recording::On(status),
                None => status::Recording::Off,
            };
            let bar = status::Bar {
                alerts,
                recording,
                now_ms: now,
            };
            actions.extend(status::show(
                ui,
                self.pipeline.session(),
                &mut self.status,
                &bar,
            ));
        });
        actions.extend(self.timeline_panel(ui));
        let frame = Frame {
            palette: &palette,
            counts: &counts,
            names: &names,
            now,
        };
        self.board = Board::default();
        actions.extend(self.chart_panel(ui));
        let size = ctx.content_rect().size();
        let sides = layout::sides(size.x, self.status.feeds_open);
        let (details_max, alerts_max) = layout::bottoms(size.y);
        let mut feeds_width = 0.0;
        if let FeedsPlace::Docked { max } = sides.feeds {
            actions.extend(self.feeds_panel(ui, &frame, max));
            feeds_width = self.board.feeds.map_or(0.0, |r| r.width());
        }
        actions.extend(self.table_panel(ui, &frame, &sides, feeds_width));
        if self.status.alerts_open {
            actions.extend(self.alerts_panel(ui, &frame, alerts_max));
        }
        actions.extend(self.details_panel(ui, &frame, details_max));
        let mut motion = Motion::Still;
        let shown = Shown::new(self.pipeline.fleet(), &self.view, &names, now);
        let replay_badge = self.replay_badge();
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let cx = MapContext {
                    fleet: self.pipeline.fleet(),
                    view: &self.view,
                    shown: &shown,
                    shown_rows: self
                        .table
                        .shown_rows(self.pipeline.fleet(), &self.view, &names),
                    palette: &palette,
                    names: &names,
                    notice: self.view.notice(now),
                    caption: self.embedded.is_some().then_some(SIMULATED),
                    replay: replay_badge.as_deref(),
                    down: &down,
                    geofences: self.pipeline.alerts().map(|e| e.geofences()),
                    alerts: &self.alert_log,
                    track: self.replay.as_ref().and_then(|r| r.track()),
                    history: self.history.as_ref(),
                    now_ms: now,
                };
                let (map_actions, moving) = self.map.show(ui, &cx);
                actions.extend(map_actions);
                motion = moving;
            });
        self.board.map = Some(self.map.rect());
        if let FeedsPlace::Over { width } = sides.feeds {
            actions.extend(self.feeds_over(&ctx, &frame, width));
        }
        actions.extend(keys::help(&ctx, self.view.help_open));
        actions.extend(self.geofences_window(&ctx));
        actions.extend(self.recordings_window(&ctx));
        actions.extend(self.history_windows(&ctx));
        let typed = crate::geo::parse_lat_lon(&self.view.search);
        if typed.is_some() && typed != self.view.searched_place {
            self.view.nearest = typed;
        }
        self.view.searched_place = typed;
        if let Some(at) = self.view.nearest {
            let fleet = self.pipeline.fleet();
            self.nearest_window.refresh(fleet, at, now);
            actions.extend(crate::ui::nearest::show(
                &ctx,
                fleet,
                &self.nearest_window,
                now,
            ));
        }
        self.settle_hover(&actions);
        for action in actions {
            self.apply(action, &ctx, searching, now);
        }
        self.schedule(&ctx, &counts, &down, motion, now);
    }

    /// Idle is idle: repaint only while something moves (as often as the fastest marker on
    /// screen needs to move a pixel: `Motion`), something shown ticks (an age, the selection, a
    /// feed that is down, a rate decaying), or when the next vehicle turns stale or lost, so
    /// what is shown never lies. New data wakes the UI through the feeds' waker.
    fn schedule(
        &self,
        ctx: &egui::Context,
        counts: &FleetCounts,
        down: &[String],
        motion: Motion,
        now: i64,
    ) {
        let total = counts.total;
        let ticking = self.view.selected.is_some()
            || !down.is_empty()
            // Ages in seconds are shown while any vehicle is live or stale.
            || total.live + total.stale > 0
            || self
                .pipeline
                .session()
                .feeds()
                .any(|(_, f)| f.rate.per_second(now) > 0.0);
        if self.replay().is_some_and(|p| p.is_playing()) {
            ctx.request_repaint();
        }
        if let Some(wait) = motion.repaint_after() {
            ctx.request_repaint_after(wait);
        }
        if ticking {
            ctx.request_repaint_after(Duration::from_secs(1));
        } else if total.total > 0 {
            // Only lost vehicles: their ages move on in minutes.
            ctx.request_repaint_after(Duration::from_secs(60));
        }
        if let Some(ms) = counts.next_change_ms {
            ctx.request_repaint_after(Duration::from_millis(ms.max(0) as u64 + 20));
        }
        if let Some(n) = &self.view.notice
            && n.until_ms > now
        {
            ctx.request_repaint_after(Duration::from_millis((n.until_ms - now) as u64));
        }
    }

    /// The Geofences window, when open.
    fn geofences_window(&mut self, ctx: &egui::Context) -> Vec<Action> {
        let (true, Some(engine)) = (self.view.geofences_open, self.pipeline.alerts()) else {
            return Vec::new();
        };
        let file = self
            .geofences_file
            .as_ref()
            .map(|p| p.display().to_string());
        crate::ui::geofences::show(
            ctx,
            engine.geofences(),
            self.view.drawing.as_ref(),
            file.as_deref(),
            &mut self.geofences_window,
        )
    }
}

/// What every panel of one frame reads.
pub(super) struct Frame<'a> {
    pub palette: &'a Palette,
    pub counts: &'a FleetCounts,
    pub names: &'a FeedNames,
    pub now: i64,
}
