//! Words over the map: the attribution, the tiles notice, feeds that are down, passing notices.

use std::time::Instant;

use egui::{Color32, FontId, Rect, Ui, Vec2};

use crate::ui::tiles::TileLayer;

/// The attribution (always) and, when tiles cannot load, a notice saying so.
pub(super) fn draw(ui: &mut Ui, rect: Rect, tiles: &TileLayer, now: Instant) {
    let painter = ui.painter().with_clip_rect(rect);
    let text = "© OpenStreetMap contributors";
    let font = FontId::proportional(11.0);
    let galley = painter.layout_no_wrap(text.to_owned(), font, Color32::from_gray(40));
    let at = rect.left_bottom() + Vec2::new(4.0, -4.0 - galley.size().y);
    painter.rect_filled(
        Rect::from_min_size(at - Vec2::splat(2.0), galley.size() + Vec2::splat(4.0)),
        2.0,
        Color32::from_white_alpha(200),
    );
    painter.galley(at, galley, Color32::from_gray(40));
    if tiles.unavailable(now) {
        let text = "Map tiles unavailable: showing vehicles without a basemap (retrying)";
        let galley =
            painter.layout_no_wrap(text.to_owned(), FontId::proportional(13.0), Color32::WHITE);
        let at = rect.center_top() + Vec2::new(-galley.size().x / 2.0, 8.0);
        painter.rect_filled(
            Rect::from_min_size(at - Vec2::splat(4.0), galley.size() + Vec2::splat(8.0)),
            4.0,
            Color32::from_black_alpha(170),
        );
        painter.galley(at, galley, Color32::WHITE);
    }
}

/// Feeds that are down, said on the map itself (not only in a panel): a dispatcher must not
/// read old positions as live.
pub(super) fn down_banner(ui: &mut Ui, rect: Rect, down: &[String]) {
    if down.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::unique("fleetview-down-feeds"))
        .fixed_pos(rect.left_top() + Vec2::new(8.0, 40.0))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style())
                .fill(Color32::from_rgb(0x7a, 0x1f, 0x16))
                .show(ui, |ui| {
                    ui.set_max_width(rect.width() - 40.0);
                    for line in down {
                        ui.label(egui::RichText::new(line).color(Color32::WHITE).strong());
                    }
                });
        });
}

/// A passing notice near the bottom of the map, its text a label so it can be read (and found).
pub(super) fn notice(ui: &mut Ui, rect: Rect, text: &str) {
    egui::Area::new(egui::Id::unique("fleetview-notice"))
        .fixed_pos(rect.center_bottom() + Vec2::new(-180.0, -70.0))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| ui.label(text));
        });
}
