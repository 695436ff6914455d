//! The selected vehicle in words: what a dispatcher reads before calling a driver.

use egui::{Grid, RichText, Ui};

use super::action::Action;
use super::view::ViewState;
use crate::fleet::Staleness;
use crate::session::Session;

/// Compass point of a heading, for people.
pub fn compass(heading: f32) -> &'static str {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    POINTS[(((heading.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8]
}

/// "3 s ago", "4 min ago", "2 h ago".
pub fn ago(ms: i64) -> String {
    format!("{} ago", crate::session::ago_words(ms))
}

pub fn show(ui: &mut Ui, session: &Session, view: &ViewState, now_ms: i64) -> Vec<Action> {
    let fleet = session.fleet();
    let mut actions = Vec::new();
    let Some(v) = view.selected.as_ref().and_then(|id| fleet.find(id)) else {
        ui.label(RichText::new("Click a vehicle on the map or in the list.").weak());
        return actions;
    };
    ui.horizontal(|ui| {
        ui.heading(v.display_name());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if view.following {
                if ui.button("Stop following").on_hover_text("Esc").clicked() {
                    actions.push(Action::Escape);
                }
            } else if ui.button("Follow").on_hover_text("F").clicked() {
                actions.push(Action::FollowSelected);
            }
        });
    });
    let age = fleet.age_ms(v, now_ms);
    let state = match fleet.staleness(v, now_ms) {
        Staleness::Live => "",
        Staleness::Stale => " (stale)",
        Staleness::Lost => " (lost)",
    };
    Grid::new("details")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            // What the feed last said about it (an alarm, a geofence) comes first.
            if let Some(n) = session.feed(v.feed()).and_then(|f| f.notice_of(v.id())) {
                let detail = n
                    .detail
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                ui.label(RichText::new("event").weak());
                ui.label(
                    RichText::new(format!("{}{detail}, {}", n.kind, ago(now_ms - n.ts)))
                        .color(super::status::FAIL_RED),
                );
                ui.end_row();
            }
            let mut row = |k: &str, value: String| {
                ui.label(RichText::new(k).weak());
                ui.label(value);
                ui.end_row();
            };
            row("feed", session.feed_name(v.feed()));
            row("id", v.id().to_owned());
            if let Some(label) = v.label() {
                row("label", label.to_owned());
            }
            row("kind", v.kind().unwrap_or("—").to_owned());
            row("route", v.route().unwrap_or("—").to_owned());
            row("status", v.status().unwrap_or("—").to_owned());
            row(
                "speed",
                v.fix
                    .speed
                    .map_or("—".into(), |s| format!("{:.0} km/h", s * 3.6)),
            );
            row(
                "heading",
                v.heading
                    .map_or("—".into(), |h| format!("{h:.0}° {}", compass(h))),
            );
            row("position", format!("{:.5}, {:.5}", v.fix.lat, v.fix.lon));
            row("updated", format!("{}{state}", ago(age)));
            if let Some(attrs) = v.attrs() {
                row("attrs", attrs.to_owned());
            }
        });
    actions
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

    #[test]
    fn ages_read_in_the_unit_a_person_would_use() {
        assert_eq!(ago(3_400), "3 s ago");
        assert_eq!(ago(-500), "0 s ago");
        assert_eq!(ago(240_000), "4 min ago");
        assert_eq!(ago(7_200_000), "2 h ago");
    }
}
