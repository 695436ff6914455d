//! One frame: drain in `logic`, then draw every panel, apply the actions they returned, and ask
//! for the next frame only when something moves or ticks.

use std::time::Duration;

use super::FleetApp;
use super::saved::{Saved, SavedFeed};
use crate::fleet::FleetCounts;
use crate::ui::action::Action;
use crate::ui::feeds::FeedsContext;
use crate::ui::map::MapContext;
use crate::ui::markers::Palette;
use crate::ui::shown::Shown;
use crate::ui::table::{FeedNames, TableContext};
use crate::ui::{alerts, details, feeds, keys, status, table};

/// Below this window width the Feeds panel starts closed, so the map keeps room.
const NARROW: f32 = 1_400.0;

/// What the map says when it shows the built-in simulated fleet.
const SIMULATED: &str =
    "A simulated fleet (not real vehicles): run with --feed or --config to watch yours";

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
            layers: self.view.layers,
        };
        eframe::set_value(storage, eframe::APP_KEY, &saved);
    }
}

impl FleetApp {
    /// Everything but drawing: apply the feeds' events (within a time budget).
    pub fn logic(&mut self, ctx: &egui::Context) {
        let wall = self.clock.now_ms();
        self.drain(ctx, wall);
    }

    /// One frame's drawing: every panel, then the actions they returned.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let now = self.now();
        if !self.sized {
            self.sized = true;
            self.status.feeds_open &= ctx.content_rect().width() >= NARROW;
        }
        let searching = self.view.search_focused;
        let mut actions = keys::read(&ctx, &self.view, self.replay.is_some());
        let palette = self.palette();
        // One pass over the fleet for every count the frame shows.
        let counts = self.session.fleet().counts_by_feed(now);
        let names = self.feed_names();
        let down: Vec<String> = self
            .session
            .feeds()
            .filter(|(id, _)| self.view.shows(*id))
            .filter_map(|(_, f)| f.down_line(now))
            .collect();
        egui::Panel::bottom("status").show(ui, |ui| {
            let alerts = (
                self.alert_log.unacknowledged(),
                self.alert_log.open_critical(),
            );
            let recording = match &self.recorder {
                _ if self.replay.is_some() => status::Recording::Replaying,
                Some(r) => status::Recording::On(r.status()),
                None => status::Recording::Off,
            };
            let bar = status::Bar {
                alerts,
                recording,
                now_ms: now,
            };
            actions.extend(status::show(ui, &self.session, &mut self.status, &bar));
        });
        actions.extend(self.timeline_panel(ui));
        let frame = Frame {
            palette: &palette,
            counts: &counts,
            names: &names,
            now,
        };
        if self.status.feeds_open {
            actions.extend(self.feeds_panel(ui, &frame));
        }
        actions.extend(self.table_panel(ui, &frame));
        if self.status.alerts_open {
            actions.extend(self.alerts_panel(ui, &frame));
        }
        actions.extend(self.details_panel(ui, now));
        let mut animating = false;
        let shown = Shown::new(self.session.fleet(), &self.view, &names, now);
        let replay_badge = self.replay_badge();
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let cx = MapContext {
                    fleet: self.session.fleet(),
                    view: &self.view,
                    shown: &shown,
                    palette: &palette,
                    names: &names,
                    notice: self.view.notice(now),
                    caption: self.embedded.is_some().then_some(SIMULATED),
                    replay: replay_badge.as_deref(),
                    down: &down,
                    geofences: self.alerts.as_ref().map(|e| e.geofences()),
                    alerts: &self.alert_log,
                    track: self.replay.as_ref().and_then(|r| r.track()),
                    now_ms: now,
                };
                let (map_actions, moving) = self.map.show(ui, &cx);
                actions.extend(map_actions);
                animating = moving;
            });
        actions.extend(keys::help(&ctx, self.view.help_open));
        actions.extend(self.geofences_window(&ctx));
        actions.extend(self.recordings_window(&ctx));
        for action in actions {
            self.apply(action, &ctx, searching, now);
        }
        self.schedule(&ctx, &counts, &down, animating, now);
    }

    /// Idle is idle: repaint only while something moves, something shown ticks (an age, the
    /// selection, a feed that is down, a rate decaying), or when the next vehicle turns stale
    /// or lost, so what is shown never lies. New data wakes the UI through the feeds' waker.
    fn schedule(
        &self,
        ctx: &egui::Context,
        counts: &FleetCounts,
        down: &[String],
        animating: bool,
        now: i64,
    ) {
        let total = counts.total;
        let ticking = self.view.selected.is_some()
            || !down.is_empty()
            // Ages in seconds are shown while any vehicle is live or stale.
            || total.live + total.stale > 0
            || self
                .session
                .feeds()
                .any(|(_, f)| f.rate.per_second(now) > 0.0);
        if animating || self.replay().is_some_and(|p| p.is_playing()) {
            ctx.request_repaint();
        } else if ticking {
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

    /// The Feeds panel, on the left.
    fn feeds_panel(&mut self, ui: &mut egui::Ui, frame: &Frame<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        egui::Panel::left("feeds")
            .resizable(true)
            .default_size(260.0)
            .show(ui, |ui| {
                let cx = FeedsContext {
                    session: &self.session,
                    specs: &self.specs,
                    view: &self.view,
                    palette: frame.palette,
                    counts: frame.counts,
                    now_ms: frame.now,
                    replaying: self.replay.is_some(),
                };
                actions.extend(feeds::show(ui, &cx, &mut self.feeds_panel));
            });
        actions
    }

    /// The vehicle table, on the right.
    fn table_panel(&mut self, ui: &mut egui::Ui, frame: &Frame<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        // Room for the table's columns, but never more than 40% of the window (the map first).
        let width = (ui.ctx().content_rect().width() * 0.4).clamp(260.0, 480.0);
        egui::Panel::right("vehicles")
            .resizable(true)
            .default_size(width)
            .min_size(260.0)
            .show(ui, |ui| {
                let cx = TableContext {
                    feeds: frame.names,
                    counts: frame.counts.total,
                    now_ms: frame.now,
                };
                actions.extend(table::show(
                    ui,
                    self.session.fleet(),
                    &mut self.view,
                    &mut self.table,
                    &cx,
                ));
            });
        actions
    }

    /// The Geofences window, when open.
    fn geofences_window(&mut self, ctx: &egui::Context) -> Vec<Action> {
        let (true, Some(engine)) = (self.view.geofences_open, &self.alerts) else {
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

    /// The Alerts panel, under the map.
    fn alerts_panel(&mut self, ui: &mut egui::Ui, frame: &Frame<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
        egui::Panel::bottom("alerts")
            .resizable(true)
            .default_size(160.0)
            .min_size(80.0)
            .show(ui, |ui| {
                let panel = alerts::Panel {
                    log: &self.alert_log,
                    filter: &self.alert_filter,
                    sound: self.view.alert_sound,
                    critical_muted: self.view.critical_muted,
                    held: self.view.alerts_held,
                    feeds: frame.names,
                    now_ms: frame.now,
                };
                actions.extend(alerts::show(ui, &panel));
            });
        actions
    }

    /// The selected vehicle's details, under the map (so the table never moves under the
    /// pointer); nothing at all when nothing is selected.
    fn details_panel(&mut self, ui: &mut egui::Ui, now: i64) -> Vec<Action> {
        let selected = self
            .view
            .selected
            .as_ref()
            .is_some_and(|id| self.session.fleet().find(id).is_some());
        if !selected {
            return Vec::new();
        }
        let mut actions = Vec::new();
        let filtered_out = self.filtered_out(now);
        egui::Panel::bottom("details")
            .resizable(true)
            .default_size(170.0)
            .min_size(90.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        if let Some(why) = &filtered_out {
                            actions.extend(details::filtered_out(ui, why));
                        }
                        actions.extend(details::show(ui, &self.session, &self.view, now));
                    });
            });
        actions
    }

    /// Why the selected vehicle is outside the filters, if it is (it stays selected and drawn).
    fn filtered_out(&self, now: i64) -> Option<String> {
        let fleet = self.session.fleet();
        let v = self.view.selected.as_ref().and_then(|id| fleet.find(id))?;
        let names = self.feed_names();
        Shown::new(fleet, &self.view, &names, now).why_hidden(v)
    }
}

/// What every panel of one frame reads.
struct Frame<'a> {
    palette: &'a Palette,
    counts: &'a FleetCounts,
    names: &'a FeedNames,
    now: i64,
}
