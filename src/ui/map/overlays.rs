//! Words over the map: the tile attribution, what is wrong with the tiles, the scale bar, feeds
//! that are down, passing notices.

use std::time::Instant;

use egui::{Align2, FontId, Rect, Stroke, Ui, Vec2};

use super::camera;
use crate::ui::tiles::{TileLayer, TileState};
use crate::ui::tokens::{self, Theme};

/// The tiles' attribution.
const ATTRIBUTION: &str = "© OpenStreetMap contributors";

/// The attribution, while tiles are actually drawn (none with `--tiles none`, before the
/// first tile arrives or when they all failed); a label, so it can be read (and found).
pub(super) fn attribution(ui: &mut Ui, rect: Rect, tiles: &TileLayer, theme: &Theme) {
    if !tiles.drawn() {
        return;
    }
    egui::Area::new(egui::Id::unique("fleetview-attribution"))
        .pivot(Align2::LEFT_BOTTOM)
        .fixed_pos(rect.left_bottom() + Vec2::new(4.0, -4.0))
        .order(egui::Order::Middle)
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::NONE
                .fill(theme.overlay_plate)
                .corner_radius(2.0)
                .inner_margin(2.0)
                .show(ui, |ui| {
                    ui.label(
                        egui::RichText::new(ATTRIBUTION)
                            .size(tokens::OVERLAY_FONT)
                            .color(theme.overlay_text),
                    )
                });
        });
}

/// What is wrong with the tiles, if anything, in words.
pub(super) fn tiles_line(tiles: &TileLayer, now: Instant) -> Option<&'static str> {
    match tiles.state(now) {
        TileState::Unavailable => {
            Some("Map tiles unavailable: showing vehicles without a basemap (retrying)")
        }
        TileState::BeyondTop => Some("No map tiles at this zoom: zoom out for the basemap"),
        TileState::None | TileState::Shown => None,
    }
}

/// A line of words at the top left of the map, starting at `top`, wrapped clear of the map's
/// buttons; returns where the next line may start.
pub(super) fn line(ui: &mut Ui, rect: Rect, top: f32, text: &str, theme: &Theme) -> f32 {
    let painter = ui.painter().with_clip_rect(rect);
    let wrap = (rect.width() - 150.0).max(120.0);
    let galley = painter.layout(
        text.to_owned(),
        FontId::proportional(tokens::NOTICE_FONT),
        theme.overlay_text,
        wrap,
    );
    let r = Rect::from_min_size(
        egui::pos2(rect.left() + 8.0, top),
        galley.size() + Vec2::splat(8.0),
    );
    painter.rect_filled(r, 4.0, theme.overlay_plate);
    painter.galley(r.min + Vec2::splat(4.0), galley, theme.overlay_text);
    r.bottom() + 6.0
}

/// A scale bar of a round length at the bottom left, above the attribution.
pub(super) fn scale_bar(ui: &mut Ui, rect: Rect, lat: f64, zoom: f64, theme: &Theme) {
    let (points, label) = camera::scale_bar(camera::metres_per_point(lat, zoom), 120.0);
    let points = points as f32;
    let left = rect.left_bottom() + Vec2::new(8.0, -28.0);
    let painter = ui.painter().with_clip_rect(rect);
    let stroke = Stroke::new(2.0, theme.overlay_text);
    let right = left + Vec2::new(points, 0.0);
    painter.rect_filled(
        Rect::from_two_pos(left + Vec2::new(-4.0, 4.0), right + Vec2::new(4.0, -18.0)),
        2.0,
        theme.overlay_plate,
    );
    painter.line_segment([left, right], stroke);
    painter.line_segment([left, left - Vec2::new(0.0, 5.0)], stroke);
    painter.line_segment([right, right - Vec2::new(0.0, 5.0)], stroke);
    painter.text(
        left + Vec2::new(points / 2.0, -3.0),
        Align2::CENTER_BOTTOM,
        label,
        FontId::proportional(tokens::OVERLAY_FONT),
        theme.overlay_text,
    );
}

/// Feeds that are down, said on the map itself (not only in a panel): a dispatcher must not
/// read old positions as live.
pub(super) fn down_banner(ui: &mut Ui, rect: Rect, top: f32, down: &[String]) {
    if down.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::unique("fleetview-down-feeds"))
        .fixed_pos(egui::pos2(rect.left() + 8.0, top))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style())
                .fill(tokens::DOWN_PLATE)
                .show(ui, |ui| {
                    ui.set_max_width((rect.width() - 170.0).max(120.0));
                    for line in down {
                        ui.label(
                            egui::RichText::new(line)
                                .color(egui::Color32::WHITE)
                                .strong(),
                        );
                    }
                });
        });
}

/// A passing notice near the bottom of the map, its text a label so it can be read (and found).
pub(super) fn notice(ui: &mut Ui, rect: Rect, text: &str) {
    egui::Area::new(egui::Id::unique("fleetview-notice"))
        .pivot(Align2::CENTER_BOTTOM)
        .fixed_pos(rect.center_bottom() + Vec2::new(0.0, -50.0))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width(rect.width() - 40.0);
                ui.label(text)
            });
        });
}
