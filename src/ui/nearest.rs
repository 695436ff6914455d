//! The Nearest vehicles window: the live vehicles closest to a point the dispatcher picked
//! (right-click on the map), closest first, each with its straight-line distance, speed, whether
//! it is coming closer, and the age of its fix. A click selects one; `F` then follows it.

use egui::{Context, RichText};

use super::action::Action;
use super::words;
use crate::fleet::Fleet;

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

/// The window, while a point is chosen.
pub fn show(ctx: &Context, fleet: &Fleet, at: (f64, f64), now_ms: i64) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut open = true;
    egui::Window::new("Nearest vehicles")
        .open(&mut open)
        .default_width(380.0)
        .show(ctx, |ui| {
            ui.weak(format!("To {:.5}, {:.5}, in a straight line", at.0, at.1));
            let near = fleet.nearest(at.0, at.1, LISTED, now_ms);
            if near.is_empty() {
                ui.label("No live vehicle.");
            }
            egui::Grid::new("nearest").striped(true).show(ui, |ui| {
                for n in &near {
                    let Some(v) = fleet.vehicle(n.key) else {
                        continue;
                    };
                    let name = RichText::new(v.display_name()).strong();
                    if ui.button(name).clicked() {
                        actions.push(Action::Show(v.vehicle_id()));
                    }
                    ui.label(distance(n.distance_m));
                    ui.label(v.fix.speed.map_or_else(|| "-".into(), words::speed));
                    ui.label(n.closing.word());
                    ui.label(words::ago(n.age_ms));
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
