//! One frame: drain, draw every panel, apply the actions they returned, and ask for the next
//! frame only when something moves or ticks.

use std::time::Duration;

use super::FleetApp;
use super::saved::{Saved, SavedFeed};
use crate::clock::now_ms;
use crate::fleet::FleetCounts;
use crate::ui::action::Action;
use crate::ui::feeds::FeedsContext;
use crate::ui::list::{FeedNames, ListContext};
use crate::ui::map::MapWords;
use crate::ui::markers::Palette;
use crate::ui::{details, feeds, keys, list, status};

/// Height of the details above the list.
const DETAILS_HEIGHT: f32 = 270.0;

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
            status::show(ui, &self.session, &mut self.status, now);
        });
        let frame = Frame {
            palette: &palette,
            counts: &counts,
            names: &names,
            now,
        };
        if self.status.feeds_open {
            actions.extend(self.feeds_panel(ui, &frame));
        }
        actions.extend(self.vehicles_panel(ui, &frame));
        let mut animating = false;
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let words = MapWords {
                    notice: self.view.notice(now),
                    down: &down,
                };
                let (map_actions, moving) =
                    self.map
                        .show(ui, self.session.fleet(), &self.view, &palette, &words, now);
                actions.extend(map_actions);
                animating = moving;
            });
        for action in actions {
            self.apply(action, &ctx, searching, now);
        }
        // Idle is idle: repaint only while something moves, something shown ticks (the
        // selection's age, a feed that is down, a rate decaying), or when the next vehicle turns
        // stale or lost, so what is shown never lies. New data wakes the UI through the feeds'
        // waker.
        let ticking = self.view.selected.is_some()
            || !down.is_empty()
            || self
                .session
                .feeds()
                .any(|(_, f)| f.rate.per_second(now) > 0.0);
        if animating {
            ctx.request_repaint();
        } else if ticking {
            ctx.request_repaint_after(Duration::from_secs(1));
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
            .default_size(270.0)
            .show(ui, |ui| {
                let cx = FeedsContext {
                    session: &self.session,
                    specs: &self.specs,
                    view: &self.view,
                    palette: frame.palette,
                    counts: frame.counts,
                    now_ms: frame.now,
                };
                actions.extend(feeds::show(ui, &cx, &mut self.feeds_panel));
            });
        actions
    }

    /// The details of the selection above the list of vehicles, on the right.
    fn vehicles_panel(&mut self, ui: &mut egui::Ui, frame: &Frame<'_>) -> Vec<Action> {
        let mut actions = Vec::new();
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
                                actions.extend(details::show(
                                    ui,
                                    &self.session,
                                    &self.view,
                                    frame.now,
                                ));
                            });
                    });
                let cx = ListContext {
                    feeds: frame.names,
                    counts: frame.counts.total,
                    palette: frame.palette,
                    now_ms: frame.now,
                };
                actions.extend(list::show(
                    ui,
                    self.session.fleet(),
                    &mut self.view,
                    &mut self.list,
                    &cx,
                ));
            });
        actions
    }
}

/// What every panel of one frame reads.
struct Frame<'a> {
    palette: &'a Palette,
    counts: &'a FleetCounts,
    names: &'a FeedNames,
    now: i64,
}
