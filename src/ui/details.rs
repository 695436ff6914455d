//! The selected vehicle in words: what a dispatcher reads before calling a driver. A vehicle
//! not heard from reads as last known values with their age, never as current.

use egui::{Align, Grid, Label, Layout, RichText, Ui};

use super::action::{Action, HistoryAction};
use super::attrs;
use super::markers;
use super::tokens;
use super::view::ViewState;
use super::words;
use crate::fleet::{Condition, Vehicle};
use crate::session::Session;

/// Compass point of a heading, for people.
pub fn compass(heading: f32) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    POINTS[(((heading.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8]
}

/// A line over the details when the filters hide the selected vehicle ("Filtered out: stopped
/// vehicles are hidden"): it stays selected and on the map, and one click clears the filters.
pub fn filtered_out(ui: &mut Ui, why: &str) -> Option<Action> {
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "Filtered out: {why}; shown on the map only while selected"
            ))
            .color(tokens::WAIT_ORANGE),
        );
        ui.small_button("Clear filters")
            .on_hover_text("Show every vehicle: no search, every status, every feed")
            .clicked()
            .then_some(Action::ClearFilters)
    })
    .inner
}

/// The head of the selected vehicle's details (it stays while the rest scrolls): its name
/// beside Follow, and its condition.
#[must_use]
pub fn header(ui: &mut Ui, session: &Session, view: &ViewState, now_ms: i64) -> Vec<Action> {
    let fleet = session.fleet();
    let mut actions = Vec::new();
    let Some(v) = view.selected.as_ref().and_then(|id| fleet.find(id)) else {
        return actions;
    };
    actions.extend(title(ui, v.display_name(), view.following));
    let condition = fleet.condition(v, now_ms);
    let age = words::ago(fleet.age_ms(v, now_ms));
    let current = matches!(condition, Condition::Moving | Condition::Stopped);
    let headline = if current {
        format!("{}, updated {age}", condition.word())
    } else {
        format!(
            "{}: no data for {}; last known values",
            condition.word(),
            crate::session::ago_words(fleet.age_ms(v, now_ms))
        )
    };
    ui.add(
        Label::new(
            RichText::new(headline)
                .color(markers::condition_colour(condition))
                .strong(),
        )
        .wrap(),
    );
    actions
}

/// The rest of the details: a grid of what is known, each value clipped to its cell with the
/// whole of it on hover.
pub fn body(ui: &mut Ui, session: &Session, view: &ViewState, now_ms: i64) {
    let fleet = session.fleet();
    if let Some(v) = view.selected.as_ref().and_then(|id| fleet.find(id)) {
        let condition = fleet.condition(v, now_ms);
        let current = matches!(condition, Condition::Moving | Condition::Stopped);
        grid(ui, &rows(session, v, current, now_ms));
    }
}

/// The vehicle's name and the Follow button, the name clipped short of the button.
fn title(ui: &mut Ui, name: &str, following: bool) -> Option<Action> {
    let mut action = None;
    ui.horizontal(|ui| {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if following {
                if ui.button("Stop following").on_hover_text("Esc").clicked() {
                    action = Some(Action::Escape);
                }
            } else if ui.button("Follow").on_hover_text("F").clicked() {
                action = Some(Action::FollowSelected);
            }
            if ui
                .button("History")
                .on_hover_text("H: its track, trips and stops from its server")
                .clicked()
            {
                action = Some(Action::History(HistoryAction::OpenSelected));
            }
            // What is left of the row, from the left.
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                ui.add(Label::new(RichText::new(name).heading()).truncate())
                    .on_hover_text(name);
            });
        });
    });
    action
}

/// Keys and values, two pairs a row when wide enough, so the details rarely need scrolling.
fn grid(ui: &mut Ui, rows: &[(String, Value)]) {
    let pairs = if ui.available_width() >= tokens::DETAILS_TWO_PAIRS {
        2
    } else {
        1
    };
    let spacing = ui.spacing().item_spacing.x;
    let cell = (ui.available_width() / pairs as f32 - tokens::DETAILS_KEY_WIDTH - 3.0 * spacing)
        .max(tokens::DETAILS_VALUE_MIN);
    Grid::new("details")
        .num_columns(pairs * 2)
        .min_col_width(tokens::DETAILS_KEY_WIDTH)
        .striped(true)
        .show(ui, |ui| {
            for (i, (k, value)) in rows.iter().enumerate() {
                ui.add(Label::new(RichText::new(k).weak()).truncate());
                let (text, colour) = match value {
                    Value::Plain(text) => (text, None),
                    Value::Alarm(text) => (text, Some(tokens::FAIL_RED)),
                };
                ui.scope(|ui| {
                    ui.set_max_width(cell);
                    let mut rich = RichText::new(text);
                    if let Some(c) = colour {
                        rich = rich.color(c);
                    }
                    ui.add(Label::new(rich).truncate()).on_hover_text(text);
                });
                if (i + 1) % pairs == 0 {
                    ui.end_row();
                }
            }
        });
}

/// A value in the details: plain, or an alarm (in red).
enum Value {
    Plain(String),
    Alarm(String),
}

/// The details, in order: what the feed last said about it (an alarm, a geofence) first.
fn rows(session: &Session, v: &Vehicle, current: bool, now_ms: i64) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(n) = session.feed(v.feed()).and_then(|f| f.notice_of(v.id())) {
        let detail = n
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        let text = format!("{}{detail}, {}", n.kind, words::ago(now_ms - n.ts));
        out.push(("event".to_owned(), Value::Alarm(text)));
    }
    let last = |k: &str| {
        if current {
            k.to_owned()
        } else {
            format!("last {k}")
        }
    };
    let mut row = |k: String, value: String| out.push((k, Value::Plain(value)));
    row("feed".into(), session.feed_name(v.feed()));
    row("id".into(), v.id().to_owned());
    if let Some(label) = v.label() {
        row("label".into(), label.to_owned());
    }
    row("kind".into(), v.kind().map_or("—".into(), words::status));
    row("route".into(), v.route().unwrap_or("—").to_owned());
    row(last("status"), v.status().map_or("—".into(), words::status));
    row(last("speed"), v.fix.speed.map_or("—".into(), words::speed));
    row(
        last("heading"),
        v.heading
            .map_or("—".into(), |h| format!("{h:.0}° {}", compass(h))),
    );
    row(
        last("position"),
        format!("{:.5}, {:.5}", v.fix.lat, v.fix.lon),
    );
    for (k, value) in v.attrs().map(attrs::attributes).unwrap_or_default() {
        row(k, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_read_as_compass_points() {
        assert_eq!(compass(0.0), "N");
        assert_eq!(compass(44.0), "NE");
        assert_eq!(compass(359.0), "N");
        assert_eq!(compass(180.0), "S");
        assert_eq!(compass(271.0), "W");
    }
}
