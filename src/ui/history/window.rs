//! The History window: the range picker, the request's progress (Cancel), what failed, and the
//! answer: a summary, the overspeed limit, export buttons, and the trips and stops (a click
//! zooms the map to one).

use egui::{Context, RichText, Ui};

use super::{Fetch, HistoryWindow, Loaded, Picked, Range};
use crate::export::TrackFormat;
use crate::reports::{Stop, Trip};
use crate::ui::action::{Action, HistoryAction};
use crate::ui::nearest::distance;
use crate::ui::timeline::{clock_span, date_time};
use crate::ui::{tokens, words};

/// The formats offered for export, in the order of the buttons.
pub const EXPORTS: [TrackFormat; 4] = [
    TrackFormat::Gpx,
    TrackFormat::Kml,
    TrackFormat::GeoJson,
    TrackFormat::Csv,
];

fn act(a: HistoryAction) -> Action {
    Action::History(a)
}

/// "14:05:12" of a moment (UTC).
fn clock(ms: i64) -> String {
    let t = date_time(ms);
    t.get(11..19).unwrap_or(&t).to_owned()
}

/// The window, while a History is open.
pub fn show(ctx: &Context, w: &mut HistoryWindow) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut open = true;
    egui::Window::new(format!("History: {}", w.name))
        .open(&mut open)
        .default_width(420.0)
        // Over the table, which matters less while looking back, not over the track.
        .default_pos([ctx.content_rect().right() - 440.0, 60.0])
        .show(ctx, |ui| {
            range_row(ui, w, &mut actions);
            ui.separator();
            match &w.fetch {
                Fetch::Idle => {}
                Fetch::Loading { step, fixes, .. } => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("Asking the server ({step}): {fixes} fixes so far"));
                        if ui.button("Cancel").clicked() {
                            actions.push(act(HistoryAction::Cancel));
                        }
                    });
                }
                Fetch::Failed(e) => {
                    ui.colored_label(tokens::FAIL_RED, e.to_string());
                }
                Fetch::Loaded(loaded) => answer(ui, w, loaded, &mut actions),
            }
            if let Some(e) = &w.error {
                ui.colored_label(tokens::FAIL_RED, e);
            }
        });
    if !open {
        actions.push(act(HistoryAction::Close));
    }
    actions
}

fn range_row(ui: &mut Ui, w: &mut HistoryWindow, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        for range in Range::PRESETS {
            if ui
                .selectable_label(w.range == range, range.word())
                .clicked()
            {
                actions.push(act(HistoryAction::Ask(range)));
            }
        }
    });
    ui.horizontal(|ui| {
        ui.label("From");
        ui.add(
            egui::TextEdit::singleline(&mut w.from_text)
                .desired_width(120.0)
                .hint_text("2026-12-04 13:00"),
        );
        ui.label("to");
        ui.add(
            egui::TextEdit::singleline(&mut w.to_text)
                .desired_width(120.0)
                .hint_text("2026-12-04 15:00"),
        );
        if ui
            .button("Show")
            .on_hover_text("Times in UTC, or ISO 8601")
            .clicked()
        {
            actions.push(act(HistoryAction::AskTyped));
        }
    });
}

fn answer(ui: &mut Ui, w: &HistoryWindow, loaded: &Loaded, actions: &mut Vec<Action>) {
    ui.weak(format!(
        "{} to {} from {}",
        date_time(loaded.from_ms),
        date_time(loaded.to_ms),
        loaded.day.server
    ));
    if loaded.track.fixes.is_empty() {
        ui.label("No fix in this range.");
        return;
    }
    summary(ui, loaded);
    legend(ui, w.limit_kmh);
    ui.horizontal(|ui| {
        ui.label("Overspeed above");
        let mut limit = w.limit_kmh;
        if ui
            .add(
                egui::DragValue::new(&mut limit)
                    .range(5.0..=300.0)
                    .suffix(" km/h"),
            )
            .changed()
        {
            actions.push(act(HistoryAction::Limit(limit)));
        }
        ui.colored_label(tokens::TRACK_OVER, "red");
    });
    ui.horizontal(|ui| {
        ui.label("Export");
        for format in EXPORTS {
            if ui.button(format.name().to_uppercase()).clicked() {
                actions.push(act(HistoryAction::Export(format)));
            }
        }
    });
    ui.separator();
    egui::ScrollArea::vertical()
        .max_height(260.0)
        .show(ui, |ui| {
            lists(ui, w, loaded, actions);
        });
}

/// Distance, fixes, moving and stopped time, max and average speed.
fn summary(ui: &mut Ui, loaded: &Loaded) {
    let s = &loaded.day.report.summary;
    egui::Grid::new("history-summary")
        .num_columns(4)
        .show(ui, |ui| {
            ui.label("Distance");
            ui.strong(distance(s.distance_m));
            ui.label("Fixes");
            ui.strong(loaded.track.fixes.len().to_string());
            ui.end_row();
            ui.label("Moving");
            ui.strong(clock_span(s.moving_ms));
            ui.label("Stopped");
            ui.strong(clock_span(s.stopped_ms));
            ui.end_row();
            ui.label("Max speed");
            ui.strong(words::speed(s.max_speed_mps));
            ui.label("Average");
            ui.strong(words::speed(s.avg_speed_mps));
            ui.end_row();
        });
}

/// The track's colours: a swatch for each speed, and red above the limit.
fn legend(ui: &mut Ui, limit_kmh: f32) {
    ui.horizontal(|ui| {
        ui.label("Speed");
        let swatch = |ui: &mut Ui, kmh: f32, word: String| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(18.0, 8.0), egui::Sense::hover());
            let colour = tokens::history_colour(Some(kmh / 3.6), limit_kmh);
            ui.painter().rect_filled(rect, 2.0, colour);
            ui.label(word);
        };
        for kmh in [0.0, 30.0, 60.0] {
            if kmh < limit_kmh {
                swatch(ui, kmh, format!("{kmh:.0}"));
            }
        }
        swatch(ui, limit_kmh + 1.0, format!("over {limit_kmh:.0} km/h"));
    });
}

fn lists(ui: &mut Ui, w: &HistoryWindow, loaded: &Loaded, actions: &mut Vec<Action>) {
    let report = &loaded.day.report;
    ui.label(RichText::new(format!("Trips ({})", report.trips.len())).strong());
    for (i, t) in report.trips.iter().enumerate() {
        let picked = w.picked == Some(Picked::Trip(i));
        if ui.selectable_label(picked, trip_line(i, t)).clicked() {
            actions.push(act(HistoryAction::Pick(Picked::Trip(i))));
        }
    }
    ui.label(RichText::new(format!("Stops ({})", report.stops.len())).strong());
    for (i, s) in report.stops.iter().enumerate() {
        let picked = w.picked == Some(Picked::Stop(i));
        if ui.selectable_label(picked, stop_line(i, s)).clicked() {
            actions.push(act(HistoryAction::Pick(Picked::Stop(i))));
        }
    }
}

/// "Trip 1  13:02:10-13:40:00  12.0 km  0:37:50  max 70 km/h".
pub fn trip_line(i: usize, t: &Trip) -> String {
    format!(
        "Trip {}  {}-{}  {}  {}  max {}",
        i + 1,
        clock(t.start.ts),
        clock(t.end.ts),
        distance(t.distance_m),
        clock_span(t.duration_ms),
        words::speed(t.max_speed_mps)
    )
}

/// "Stop 2  13:40:00-14:00:00  0:20:00" (the number on its pin).
pub fn stop_line(i: usize, s: &Stop) -> String {
    format!(
        "Stop {}  {}-{}  {}",
        i + 1,
        clock(s.arrival_ms),
        clock(s.departure_ms),
        clock_span(s.duration_ms)
    )
}
