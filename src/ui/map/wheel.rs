//! The mouse wheel zooms the map about the pointer, as on OpenStreetMap, Traccar and tar1090:
//! the place under the pointer stays under it. A trackpad's two-finger scroll zooms the same
//! way; a pinch (and Ctrl+wheel) reaches walkers as egui's zoom gesture. Following a vehicle,
//! the wheel zooms about the vehicle, which stays centred.
//!
//! walkers' own plain-wheel zoom scales each frame's scroll by the frame time, so a notch
//! zooms further when the window repaints slowly; here a notch is a fixed step.

use egui::{Pos2, Rect, Ui};
use walkers::{MapMemory, MercatorProjection, Position, Projector};

use crate::ui::tokens;

/// The zoom the map keeps within (walkers accepts 0 to 26; tiles end long before).
const MIN_ZOOM: f64 = 1.0;
const MAX_ZOOM: f64 = 20.0;

/// The zoom after scrolling `points` (egui's scroll, up positive) from `zoom`.
pub fn zoomed(zoom: f64, points: f32) -> f64 {
    (zoom + f64::from(points) / f64::from(tokens::WHEEL_POINTS_PER_ZOOM)).clamp(MIN_ZOOM, MAX_ZOOM)
}

/// Applies this frame's wheel to `memory` when the pointer is over the map (at `rect`, not
/// covered by a window) and consumes it; returns whether it zoomed. `following`: keep the
/// followed vehicle (at `my_position`) centred rather than the place under the pointer.
pub fn zoom(
    ui: &mut Ui,
    rect: Rect,
    memory: &mut MapMemory,
    my_position: Position,
    following: bool,
) -> bool {
    if !rect.is_positive() || !ui.rect_contains_pointer(rect) {
        return false;
    }
    let (scroll, pointer) = ui.input(|i| (i.smooth_scroll_delta.y, i.pointer.hover_pos()));
    let Some(pointer) = pointer.filter(|_| scroll != 0.0) else {
        return false;
    };
    ui.input_mut(|i| i.smooth_scroll_delta = egui::Vec2::ZERO);
    let zoom = zoomed(memory.zoom(), scroll);
    if following {
        return memory.set_zoom(zoom).is_ok();
    }
    keep_under_pointer(rect, memory, my_position, pointer, zoom)
}

/// Sets `zoom` and moves the centre so the place under `pointer` stays under it.
fn keep_under_pointer(
    rect: Rect,
    memory: &mut MapMemory,
    my_position: Position,
    pointer: Pos2,
    zoom: f64,
) -> bool {
    let under =
        Projector::new(rect, &MercatorProjection, memory, my_position).unproject(pointer.to_vec2());
    if memory.set_zoom(zoom).is_err() {
        return false;
    }
    let after = Projector::new(rect, &MercatorProjection, memory, my_position);
    let drift = after.project(under).to_pos2() - pointer;
    memory.center_at(after.unproject((rect.center() + drift).to_vec2()));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use walkers::lat_lon;

    #[test]
    fn scrolling_up_zooms_in_and_down_zooms_out_within_limits() {
        let notch = tokens::WHEEL_POINTS_PER_ZOOM;
        assert!((zoomed(12.0, notch) - 13.0).abs() < 1e-9);
        assert!((zoomed(12.0, -notch / 2.0) - 11.5).abs() < 1e-9);
        assert_eq!(zoomed(19.9, 10.0 * notch), MAX_ZOOM);
        assert_eq!(zoomed(1.5, -10.0 * notch), MIN_ZOOM);
    }

    #[test]
    fn the_place_under_the_pointer_stays_under_it() {
        let rect = Rect::from_min_size(Pos2::new(100.0, 50.0), egui::vec2(800.0, 600.0));
        let mut memory = MapMemory::default();
        let centre = lat_lon(-16.92, 145.77);
        memory.center_at(centre);
        memory.set_zoom(12.0).expect("zoom");
        let pointer = Pos2::new(700.0, 150.0);
        let before =
            Projector::new(rect, &MercatorProjection, &memory, centre).unproject(pointer.to_vec2());
        assert!(keep_under_pointer(rect, &mut memory, centre, pointer, 14.0));
        assert_eq!(memory.zoom(), 14.0);
        let after = Projector::new(rect, &MercatorProjection, &memory, centre);
        let at = after.project(before).to_pos2();
        assert!(at.distance(pointer) < 0.5, "{at:?} vs {pointer:?}");
        // The centre moved towards the pointer (north-east of it here).
        let new_centre = memory.detached().expect("detached");
        assert!(new_centre.x() > centre.x() && new_centre.y() > centre.y());
    }
}
