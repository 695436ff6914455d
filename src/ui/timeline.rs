//! The replay's timeline bar: play or pause, the speed, a slider to scrub the whole recording,
//! and the replay time with its date, always in view. It reads a [`Timeline`] (plain data)
//! and returns actions.

use egui::{RichText, Ui};

use super::action::{Action, ReplayAction};
use super::tokens;
use crate::record::player::SPEEDS;

/// What the bar shows.
pub struct Timeline<'a> {
    pub position: i64,
    pub span: (i64, i64),
    pub playing: bool,
    pub speed: f64,
    pub loading: bool,
    pub damage: Option<&'a str>,
    pub file: &'a str,
}

/// A moment as a dispatcher reads it: "2026-11-25 14:05:12 UTC".
pub fn date_time(ms: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return format!("{ms} ms");
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A span as h:mm:ss.
pub fn clock_span(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

pub fn show(ui: &mut Ui, t: &Timeline<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        let word = if t.playing { "Pause" } else { "Play" };
        if ui.button(word).on_hover_text("Space").clicked() {
            actions.push(Action::Replay(ReplayAction::PlayPause));
        }
        egui::ComboBox::from_id_salt("replay-speed")
            .width(56.0)
            .selected_text(speed_word(t.speed))
            .show_ui(ui, |ui| {
                for s in SPEEDS {
                    if ui.selectable_label(s == t.speed, speed_word(s)).clicked() {
                        actions.push(Action::Replay(ReplayAction::Speed(s)));
                    }
                }
            })
            .response
            .on_hover_text("Replay speed ([ slower, ] faster)");
        ui.label(RichText::new(date_time(t.position)).strong().monospace())
            .on_hover_text(format!("Replaying {}", t.file));
        ui.label(format!(
            "{} / {}",
            clock_span(t.position - t.span.0),
            clock_span(t.span.1 - t.span.0)
        ));
        if t.loading {
            ui.spinner();
        }
        let mut at = t.position;
        let width = ui.available_width().max(120.0);
        ui.spacing_mut().slider_width = width - 16.0;
        let slider =
            egui::Slider::new(&mut at, t.span.0..=t.span.1.max(t.span.0 + 1)).show_value(false);
        let response = ui
            .add(slider)
            .on_hover_text("Drag to scrub; Left / Right jump 10 s (Shift: 1 min)");
        if response.changed() && at != t.position {
            actions.push(Action::Replay(ReplayAction::Seek(at)));
        }
    });
    if let Some(damage) = t.damage {
        ui.label(RichText::new(format!("Replay ends here: {damage}")).color(tokens::FAIL_RED));
    }
    actions
}

fn speed_word(speed: f64) -> String {
    format!("{speed:.0}x")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_time_reads_as_a_date_and_a_span_as_hours_minutes_seconds() {
        assert_eq!(date_time(1_764_079_512_000), "2025-11-25 14:05:12 UTC");
        assert_eq!(clock_span(3_723_000), "1:02:03");
        assert_eq!(clock_span(-5), "0:00:00");
    }
}
