//! The status bar: every feed's state at a glance, vehicles, rates and refusals. Feeds are
//! managed in the Feeds panel (`super::feeds`).

use egui::{Color32, RichText, Ui};

use super::action::Action;
use super::tokens;
use crate::fleet::FeedId;
use crate::protocol::RejectTally;
use crate::record::recorder::RecorderStatus;
use crate::session::{FeedStatus, Link, Session};

pub use super::tokens::{FAIL_RED, OK_GREEN, WAIT_ORANGE};

/// A small filled circle in the flow of a row (painted, so it needs no glyph in any font).
pub fn dot(ui: &mut Ui, colour: Color32) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter()
        .circle_filled(rect.center(), super::tokens::DOT_RADIUS, colour);
    response
}

/// "N rejected" (red when any), with every refusal's feed, reason, count and an example on
/// hover; a single unnamed tally (one feed's own) leaves the feed out.
pub fn refusals(ui: &mut Ui, word: &str, tallies: &[(&str, &RejectTally)]) {
    let total: u64 = tallies.iter().map(|(_, t)| t.total()).sum();
    let text = RichText::new(format!("{total} {word}"));
    if total == 0 {
        ui.label(text);
        return;
    }
    ui.label(text.color(FAIL_RED)).on_hover_ui(|ui| {
        for (feed, tally) in tallies {
            let prefix = if feed.is_empty() {
                String::new()
            } else {
                format!("{feed}: ")
            };
            for (reason, n, example) in tally.iter() {
                ui.label(format!("{prefix}{reason}: {n} (e.g. {example})"));
            }
        }
    });
}

/// The colour of a connection state.
pub fn link_colour(link: &Link) -> Color32 {
    match link {
        Link::Connected { .. } => OK_GREEN,
        Link::Disconnected {
            retry_at_ms: None, ..
        } => FAIL_RED,
        Link::Paused => super::tokens::LOST_GREY,
        _ => WAIT_ORANGE,
    }
}

/// Whether the Feeds panel is open; toggled from the status bar.
pub struct StatusBar {
    pub feeds_open: bool,
    pub alerts_open: bool,
}

impl Default for StatusBar {
    fn default() -> Self {
        Self {
            feeds_open: true,
            alerts_open: false,
        }
    }
}

/// "Alerts", or how many are new: in the critical colour with how many are critical when any
/// is, else in the warning colour; it opens and closes the Alerts panel.
fn alerts_button(ui: &mut Ui, bar: &mut StatusBar, alerts: (usize, usize)) {
    let theme = super::tokens::theme(ui.visuals());
    let text = match alerts {
        (0, _) => RichText::new("Alerts"),
        (n, 0) => RichText::new(format!("Alerts: {n} new")).color(theme.warning),
        (n, critical) => RichText::new(format!("Alerts: {critical} critical, {n} new"))
            .color(theme.critical)
            .strong(),
    };
    if ui
        .selectable_label(bar.alerts_open, text)
        .on_hover_text("Show or hide the Alerts panel")
        .clicked()
    {
        bar.alerts_open = !bar.alerts_open;
    }
}

/// Whether the window records its feeds.
pub enum Recording {
    Off,
    On(RecorderStatus),
    /// A replay is shown: nothing to record.
    Replaying,
}

/// What the bar shows besides the session.
pub struct Bar {
    /// Alerts not yet acknowledged (shown from anywhere), and how many of them are critical.
    pub alerts: (usize, usize),
    pub recording: Recording,
    pub now_ms: i64,
}

/// "Record", or, while recording, a red dot, the size written, drops, and "Stop".
fn record_button(ui: &mut Ui, recording: &Recording) -> Option<Action> {
    match recording {
        Recording::Replaying => None,
        Recording::Off => {
            if ui
                .button("Replay...")
                .on_hover_text("Replay a recording in a window of its own")
                .clicked()
            {
                return Some(Action::ShowRecordings);
            }
            ui.button("Record")
                .on_hover_text("Record every feed to a file, to replay later")
                .clicked()
                .then_some(Action::Record(true))
        }
        Recording::On(status) => {
            dot(ui, super::tokens::RECORDING_RED);
            let mut words = format!("Recording {:.1} MB", status.bytes as f64 / 1e6);
            if status.dropped > 0 {
                words.push_str(&format!(", {} events dropped", status.dropped));
            }
            let colour = if status.failed.is_some() || status.dropped > 0 {
                FAIL_RED
            } else {
                ui.visuals().text_color()
            };
            let label = ui.label(RichText::new(words).color(colour));
            if let Some(why) = &status.failed {
                label.on_hover_text(format!("The recording stopped: {why}"));
            }
            ui.button("Stop")
                .on_hover_text("Stop recording")
                .clicked()
                .then_some(Action::Record(false))
        }
    }
}

/// The bar: the theme at the right, everything else from the left, wrapping onto a second line
/// in a narrow window rather than running under the theme buttons.
pub fn show(ui: &mut Ui, session: &Session, bar: &mut StatusBar, extra: &Bar) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        let left = (ui.available_width() - tokens::THEME_CHOICE_WIDTH).max(120.0);
        let wrapping = egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true);
        ui.allocate_ui_with_layout(egui::vec2(left, 0.0), wrapping, |ui| {
            actions = left_side(ui, session, bar, extra);
        });
        ui.with_layout(
            egui::Layout::right_to_left(egui::Align::Center),
            theme_choice,
        );
    });
    actions
}

/// The panels' buttons, Record, the feeds, vehicles, rates, refusals and servers' errors.
fn left_side(ui: &mut Ui, session: &Session, bar: &mut StatusBar, extra: &Bar) -> Vec<Action> {
    let feeds: Vec<_> = session.feeds().collect();
    let mut actions = Vec::new();
    if ui
        .selectable_label(bar.feeds_open, "Feeds")
        .on_hover_text("Show or hide the Feeds panel")
        .clicked()
    {
        bar.feeds_open = !bar.feeds_open;
    }
    alerts_button(ui, bar, extra.alerts);
    actions.extend(record_button(ui, &extra.recording));
    let replaying = matches!(extra.recording, Recording::Replaying);
    feeds_summary(ui, &feeds, replaying, extra.now_ms);
    ui.separator();
    ui.label(format!("{} vehicles", session.fleet().len()));
    let rate: f64 = feeds
        .iter()
        .map(|(_, f)| f.rate.per_second(extra.now_ms))
        .sum();
    ui.label(format!("{rate:.0} updates/s"));
    let tallies: Vec<(&str, &RejectTally)> = feeds
        .iter()
        .map(|(_, f)| (f.name.as_str(), &f.rejected))
        .collect();
    refusals(ui, "rejected", &tallies);
    for (_, feed) in &feeds {
        if let Some((code, message)) = &feed.server_error {
            ui.separator();
            ui.label(
                RichText::new(format!("{}: server: {code}: {message}", feed.name)).color(FAIL_RED),
            );
        }
    }
    actions
}

/// The feeds' states: one feed in words, several as dots and "2 of 3 feeds connected", a
/// replay's as recorded.
fn feeds_summary(ui: &mut Ui, feeds: &[(FeedId, &FeedStatus)], replaying: bool, now_ms: i64) {
    match feeds {
        [] => {
            ui.label("no feeds");
        }
        _ if replaying => {
            // A recording's feeds were connected then, not now: never "connected".
            dot(ui, super::tokens::REPLAY_VIOLET);
            ui.label(recorded_words(feeds.len()))
                .on_hover_text("The feeds as recorded; nothing is live in a replay");
        }
        [(_, one)] => {
            // Briefly, so the bar fits a narrow window; the URL and reason on hover (and in the
            // Feeds panel, and on the map when the feed is down).
            dot(ui, link_colour(&one.link));
            ui.label(format!("{}: {}", one.name, one.link.brief(now_ms)))
                .on_hover_text(one.link.describe(now_ms));
        }
        many => {
            for (_, feed) in many {
                dot(ui, link_colour(&feed.link)).on_hover_text(format!(
                    "{}: {}",
                    feed.name,
                    feed.link.describe(now_ms)
                ));
            }
            let connected = many.iter().filter(|(_, f)| f.link.is_connected()).count();
            ui.label(format!("{connected} of {} feeds connected", many.len()));
        }
    }
}

/// What the bar says of a replay's feeds.
pub fn recorded_words(feeds: usize) -> String {
    match feeds {
        1 => "replay of 1 recorded feed".into(),
        n => format!("replay of {n} recorded feeds"),
    }
}

/// Light, dark, or whatever the system uses (the default).
fn theme_choice(ui: &mut Ui) {
    let mut preference = ui.options(|o| o.theme_preference);
    for (choice, word) in [
        (egui::ThemePreference::Dark, "Dark"),
        (egui::ThemePreference::Light, "Light"),
        (egui::ThemePreference::System, "Auto"),
    ] {
        ui.selectable_value(&mut preference, choice, word)
            .on_hover_text("Theme (Auto follows the system)");
    }
    ui.ctx().set_theme(preference);
}
