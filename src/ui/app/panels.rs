//! The board's panels round the map, sized by `layout`: Feeds on the left (or floating over
//! the map in a narrow window), the vehicle table on the right, the details and the Alerts
//! panel under the map. Each records where it was drawn in the app's `Board`.

use egui::{Ui, UiBuilder};

use super::FleetApp;
use super::frame::Frame;
use super::layout::Sides;
use crate::ui::action::Action;
use crate::ui::feeds::FeedsContext;
use crate::ui::shown::Shown;
use crate::ui::table::TableContext;
use crate::ui::tokens::{
    ALERTS_DEFAULT, ALERTS_MIN, DETAILS_DEFAULT, DETAILS_MIN, FEEDS_DEFAULT, FEEDS_MIN,
};
use crate::ui::{alerts, details, feeds, table};

/// Draws `add` in exactly the room left in `ui`: what does not fit is clipped rather than
/// widening the panel (whose separator line would then run across its neighbours).
fn contained<R>(ui: &mut Ui, add: impl FnOnce(&mut Ui) -> R) -> R {
    let room = ui.available_rect_before_wrap();
    let mut inner = ui.new_child(UiBuilder::new().max_rect(room));
    inner.shrink_clip_rect(room);
    let out = add(&mut inner);
    ui.allocate_rect(room, egui::Sense::hover());
    out
}

impl FleetApp {
    /// The Feeds panel, docked on the left, at most `max` wide.
    #[must_use]
    pub(super) fn feeds_panel(&mut self, ui: &mut Ui, frame: &Frame<'_>, max: f32) -> Vec<Action> {
        let mut actions = Vec::new();
        let shown = egui::Panel::left("feeds")
            .resizable(true)
            .default_size(FEEDS_DEFAULT)
            .size_range(FEEDS_MIN.min(max)..=max)
            .show(ui, |ui| {
                contained(ui, |ui| actions.extend(self.feeds_contents(ui, frame)));
            });
        self.board.feeds = Some(shown.response.rect);
        actions
    }

    /// The Feeds panel floating over the map's left side, `width` wide (a window too narrow
    /// to dock it beside the table without squeezing the map).
    #[must_use]
    pub(super) fn feeds_over(
        &mut self,
        ctx: &egui::Context,
        frame: &Frame<'_>,
        width: f32,
    ) -> Vec<Action> {
        let map = self.map.rect();
        let mut actions = Vec::new();
        let shown = egui::Area::new(egui::Id::unique("fleetview-feeds-over"))
            .fixed_pos(map.left_top())
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                egui::Frame::side_top_panel(ui.style()).show(ui, |ui| {
                    ui.set_width(width);
                    ui.set_height(map.height() - 16.0);
                    actions.extend(self.feeds_contents(ui, frame));
                });
            });
        self.board.feeds = Some(shown.response.rect);
        actions
    }

    #[must_use]
    fn feeds_contents(&mut self, ui: &mut Ui, frame: &Frame<'_>) -> Vec<Action> {
        let cx = FeedsContext {
            session: self.pipeline.session(),
            specs: &self.specs,
            view: &self.view,
            palette: frame.palette,
            counts: frame.counts,
            now_ms: frame.now,
            replaying: self.replay.is_some(),
        };
        feeds::show(ui, &cx, &mut self.feeds_panel)
    }

    /// The vehicle table, on the right: never more than the side panels' share of the window
    /// less what the Feeds panel took (`feeds_width`).
    #[must_use]
    pub(super) fn table_panel(
        &mut self,
        ui: &mut Ui,
        frame: &Frame<'_>,
        sides: &Sides,
        feeds_width: f32,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        let max = sides.table_max(feeds_width);
        let shown = egui::Panel::right("vehicles")
            .resizable(true)
            .default_size(sides.table_default.min(max))
            .size_range(sides.table_min..=max)
            .show(ui, |ui| {
                let cx = TableContext {
                    feeds: frame.names,
                    counts: frame.counts.total,
                    now_ms: frame.now,
                };
                contained(ui, |ui| {
                    actions.extend(table::show(
                        ui,
                        self.pipeline.fleet(),
                        &mut self.view,
                        &mut self.table,
                        &cx,
                    ));
                });
            });
        self.board.table = Some(shown.response.rect);
        actions
    }

    /// The Alerts panel, under the map, at most `max` high.
    #[must_use]
    pub(super) fn alerts_panel(&mut self, ui: &mut Ui, frame: &Frame<'_>, max: f32) -> Vec<Action> {
        let mut actions = Vec::new();
        let shown = egui::Panel::bottom("alerts")
            .resizable(true)
            .default_size(ALERTS_DEFAULT.min(max))
            .size_range(ALERTS_MIN.min(max)..=max)
            .show(ui, |ui| {
                let panel = alerts::Panel {
                    log: &self.alert_log,
                    filter: &self.alert_filter,
                    sound: self.view.alert_sound,
                    critical_muted: self.view.critical_muted,
                    notify: !self.view.notifications_off,
                    held: self.view.alerts_held,
                    feeds: frame.names,
                    now_ms: frame.now,
                };
                contained(ui, |ui| actions.extend(alerts::show(ui, &panel)));
            });
        self.board.alerts = Some(shown.response.rect);
        actions
    }

    /// The selected vehicle's details, under the map (so the table never moves under the
    /// pointer), at most `max` high; nothing at all when nothing is selected. Each vehicle's
    /// details scroll on their own, so a newly selected one starts at the top.
    #[must_use]
    pub(super) fn details_panel(
        &mut self,
        ui: &mut Ui,
        frame: &Frame<'_>,
        max: f32,
    ) -> Vec<Action> {
        let now = frame.now;
        let Some(id) = self
            .view
            .selected
            .clone()
            .filter(|id| self.pipeline.fleet().find(id).is_some())
        else {
            return Vec::new();
        };
        let mut actions = Vec::new();
        let filtered_out = self.filtered_out(frame);
        let shown = egui::Panel::bottom("details")
            .resizable(true)
            .default_size(DETAILS_DEFAULT.min(max))
            .size_range(DETAILS_MIN.min(max)..=max)
            .show(ui, |ui| {
                contained(ui, |ui| {
                    if let Some(why) = &filtered_out {
                        actions.extend(details::filtered_out(ui, why));
                    }
                    actions.extend(details::header(
                        ui,
                        self.pipeline.session(),
                        &self.view,
                        now,
                    ));
                    egui::ScrollArea::vertical()
                        .id_salt(("details", &id))
                        .auto_shrink([false, false])
                        .show(ui, |ui| {
                            details::body(ui, self.pipeline.session(), &self.view, now)
                        });
                });
            });
        self.board.details = Some(shown.response.rect);
        actions
    }

    /// Why the selected vehicle is outside the filters, if it is (it stays selected and drawn).
    fn filtered_out(&self, frame: &Frame<'_>) -> Option<String> {
        let fleet = self.pipeline.fleet();
        let v = self.view.selected.as_ref().and_then(|id| fleet.find(id))?;
        Shown::new(fleet, &self.view, frame.names, frame.now).why_hidden(v)
    }

    /// Where each part of the board was drawn in the last frame.
    pub fn board(&self) -> super::layout::Board {
        self.board
    }
}
