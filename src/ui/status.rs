//! The status bar: connection, feed URL, counts, rates, refusals, and switching feed.

use egui::{Color32, RichText, TextEdit, Ui};

use super::action::Action;
use crate::fleet::{Fleet, Link};

/// Updates per second over the last second or so, from the model's running count.
#[derive(Debug, Default)]
pub struct RateMeter {
    last: Option<(i64, u64)>,
    rate: f64,
}

impl RateMeter {
    /// Feeds the running `count` at `now_ms`; the rate updates once a second.
    pub fn observe(&mut self, count: u64, now_ms: i64) -> f64 {
        match self.last {
            Some((t, c)) if now_ms - t >= 1000 => {
                self.rate = count.saturating_sub(c) as f64 * 1000.0 / (now_ms - t) as f64;
                self.last = Some((now_ms, count));
            }
            None => self.last = Some((now_ms, count)),
            _ => {}
        }
        self.rate
    }
}

/// A small filled circle in the flow of a row (painted, so it needs no glyph in any font).
pub fn dot(ui: &mut Ui, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, colour);
}

#[derive(Default)]
pub struct StatusBar {
    pub rate: RateMeter,
    /// The feed URL being typed, while switching.
    editing: Option<String>,
}

pub fn show(
    ui: &mut Ui,
    fleet: &Fleet,
    bar: &mut StatusBar,
    url: &str,
    now_ms: i64,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let rate = bar.rate.observe(fleet.counters().applied, now_ms);
    ui.horizontal(|ui| {
        let colour = match fleet.link() {
            Link::Connected { .. } => Color32::from_rgb(0x2e, 0x8b, 0x57),
            Link::Disconnected {
                retry_at_ms: None, ..
            } => Color32::from_rgb(0xc0, 0x39, 0x2b),
            _ => Color32::from_rgb(0xe6, 0x7e, 0x22),
        };
        dot(ui, colour);
        ui.label(fleet.link().describe(now_ms));
        ui.separator();
        match &mut bar.editing {
            Some(text) => {
                let field = ui.add(
                    TextEdit::singleline(text)
                        .hint_text("ws://host:port/feed")
                        .desired_width(280.0),
                );
                let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button("Connect").clicked() || enter {
                    actions.push(Action::SwitchFeed(text.trim().to_owned()));
                    bar.editing = None;
                } else if ui.button("Cancel").clicked() {
                    bar.editing = None;
                }
            }
            None => {
                ui.label(RichText::new(url).monospace());
                if ui.small_button("Switch feed…").clicked() {
                    bar.editing = Some(url.to_owned());
                }
            }
        }
        ui.separator();
        ui.label(format!("{} vehicles", fleet.len()));
        ui.label(format!("{rate:.0} updates/s"));
        let rejected = fleet.rejected();
        let text = RichText::new(format!("{} rejected", rejected.total()));
        let label = ui.label(if rejected.is_empty() {
            text
        } else {
            text.color(Color32::from_rgb(0xc0, 0x39, 0x2b))
        });
        if !rejected.is_empty() {
            label.on_hover_ui(|ui| {
                for (reason, n, example) in rejected.iter() {
                    ui.label(format!("{reason}: {n} (e.g. {example})"));
                }
            });
        }
        if let Some((code, message)) = fleet.last_server_error() {
            ui.separator();
            ui.label(
                RichText::new(format!("server: {code}: {message}"))
                    .color(Color32::from_rgb(0xc0, 0x39, 0x2b)),
            );
        }
    });
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_updates_over_the_last_second() {
        let mut m = RateMeter::default();
        assert_eq!(m.observe(0, 0), 0.0);
        assert_eq!(m.observe(50, 500), 0.0);
        assert_eq!(m.observe(100, 1000), 100.0);
        assert_eq!(m.observe(400, 3000), 150.0);
    }
}
