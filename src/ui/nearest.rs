//! The Nearest vehicles window: the live vehicles closest to a point the dispatcher picked
//! (right-click on the map), closest first, each with its straight-line distance, speed, whether
//! it is coming closer, and the age of its fix. A click selects one; `F` then follows it. The
//! ranking is made at most once a second, not every frame.

use egui::{Context, RichText};

use super::action::Action;
use super::words;
use crate::fleet::{Closing, Fleet, VehicleId};

/// Vehicles listed.
pub const LISTED: usize = 10;

/// A distance as a dispatcher reads it: "850 m", "1.2 km", "24 km".
pub fn distance(m: f64) -> String {
    match m {
        m if m < 1_000.0 => format!("{:.0} m", (m / 10.0).round() * 10.0),
        m if m < 10_000.0 => format!("{:.1} km", m / 1_000.0),
        m => format!("{:.0} km", m / 1_000.0),
    }
}

/// How often the ranking is made again while the window is open: a scan of the whole fleet is
/// not per-frame work.
const RANK_EVERY_MS: i64 = 1_000;

/// What the window keeps between frames: the ranking, and for which place and when it was made.
#[derive(Debug, Default)]
pub struct NearestWindow {
    at: Option<(f64, f64)>,
    ranked_ms: i64,
    rows: Vec<(VehicleId, f64, Closing)>,
}

impl NearestWindow {
    /// Ranks the fleet again for `at` when the place changed or a second has passed.
    pub fn refresh(&mut self, fleet: &Fleet, at: (f64, f64), now_ms: i64) {
        if self.at == Some(at) && now_ms - self.ranked_ms < RANK_EVERY_MS {
            return;
        }
        self.at = Some(at);
        self.ranked_ms = now_ms;
        self.rows = fleet
            .nearest(at.0, at.1, LISTED, now_ms)
            .into_iter()
            .filter_map(|n| Some((fleet.vehicle(n.key)?.vehicle_id(), n.distance_m, n.closing)))
            .collect();
    }
}

/// The window, while a point is chosen (rows as last ranked, each vehicle as it is now).
pub fn show(ctx: &Context, fleet: &Fleet, state: &NearestWindow, now_ms: i64) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some(at) = state.at else {
        return actions;
    };
    let mut open = true;
    egui::Window::new("Nearest vehicles")
        .open(&mut open)
        .default_width(380.0)
        .show(ctx, |ui| {
            ui.weak(format!("To {:.5}, {:.5}, in a straight line", at.0, at.1));
            if state.rows.is_empty() {
                ui.label("No live vehicle.");
            }
            egui::Grid::new("nearest").striped(true).show(ui, |ui| {
                for (id, distance_m, closing) in &state.rows {
                    let Some(v) = fleet.find(id) else {
                        continue;
                    };
                    let name = RichText::new(v.display_name()).strong();
                    if ui.button(name).clicked() {
                        actions.push(Action::Show(id.clone()));
                    }
                    ui.label(distance(*distance_m));
                    ui.label(v.fix.speed.map_or_else(|| "-".into(), words::speed));
                    ui.label(closing.word());
                    ui.label(words::ago(fleet.age_ms(v, now_ms)));
                    ui.end_row();
                }
            });
        });
    if !open {
        actions.push(Action::CloseNearest);
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_read_in_metres_then_kilometres() {
        assert_eq!(distance(426.0), "430 m");
        assert_eq!(distance(1_112.4), "1.1 km");
        assert_eq!(distance(24_300.0), "24 km");
    }
}
