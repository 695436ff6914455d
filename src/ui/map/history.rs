//! Plugin: a vehicle's History on the map, under the markers: the track (simplified for the
//! zoom) coloured by speed and red above the overspeed limit, the stops as numbered pins with
//! how long each lasted, the trip or stop picked in the list drawn over the rest, and a cursor
//! at the moment the chart's pointer is on. The pointer near the track marks that moment on
//! the chart.

use std::cell::RefCell;

use egui::{Align2, FontId, Pos2, Response, Shape, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use super::camera::ToScreen;
use super::frame::Frame;
use crate::ui::history::track::{class, merc_lon};
use crate::ui::history::{HistoryWindow, Loaded};
use crate::ui::tokens;

pub(super) struct Track<'a> {
    pub(super) window: &'a HistoryWindow,
    pub(super) frame: &'a RefCell<Frame>,
}

impl Plugin for Track<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        memory: &MapMemory,
    ) {
        let Some(loaded) = self.window.loaded() else {
            return;
        };
        let screen = |lat: f64, lon: f64| projector.project(lat_lon(lat, lon)).to_pos2();
        let (track, limit) = (&loaded.track, self.window.limit_kmh);
        let fixes = &track.fixes;
        let kept = track.kept(memory.zoom(), limit);
        let to = ToScreen::of(projector, response.rect.center());
        let points: Vec<Pos2> = kept
            .iter()
            .map(|&i| {
                let (merc_y, lon) = merc_lon(track.world(i as usize));
                to.at_merc(merc_y, lon)
            })
            .collect();
        let painter = ui.painter().with_clip_rect(response.rect);
        let casing = Stroke::new(tokens::TRACK_CASING_WIDTH, tokens::TRACK_CASING);
        painter.add(Shape::line(points.clone(), casing));
        let fix = |k: usize| &fixes[kept[k] as usize];
        draw_runs(
            &painter,
            &points,
            |k| class(fix(k), limit),
            |k| tokens::history_colour(fix(k).speed, limit),
        );
        if let Some((from, to)) = self.window.picked_span() {
            let picked: Vec<Pos2> = loaded
                .track
                .between(from, to)
                .iter()
                .map(|f| screen(f.lat, f.lon))
                .collect();
            let stroke = Stroke::new(tokens::TRACK_WIDTH * 0.5, tokens::STOP_PICKED);
            painter.add(Shape::line(picked, stroke));
        }
        stops(&painter, loaded, &screen, ui);
        if let Some(fix) = self.window.hover_ms.and_then(|ms| loaded.track.at(ms)) {
            let at = screen(fix.lat, fix.lon);
            painter.circle(
                at,
                tokens::CURSOR_RADIUS,
                tokens::CURSOR_FILL,
                Stroke::new(3.0, tokens::CURSOR_RING),
            );
            self.frame.borrow_mut().history_cursor = Some(at);
        }
        if let Some(pointer) = response.hover_pos() {
            self.frame.borrow_mut().history_hover = nearest(&points, pointer).map(|(k, along)| {
                let a = fixes[kept[k] as usize].ts;
                let b = kept.get(k + 1).map_or(a, |&j| fixes[j as usize].ts);
                a + ((b - a) as f32 * along) as i64
            });
        }
    }
}

/// The polyline in runs of one speed class (one shape a run, not a segment), each in the
/// colour of its first point.
fn draw_runs(
    painter: &egui::Painter,
    points: &[Pos2],
    class: impl Fn(usize) -> i32,
    colour: impl Fn(usize) -> egui::Color32,
) {
    let mut start = 0;
    while start + 1 < points.len() {
        let c = class(start);
        let mut end = start + 1;
        while end + 1 < points.len() && class(end) == c {
            end += 1;
        }
        let run = points[start..=end].to_vec();
        painter.add(Shape::line(
            run,
            Stroke::new(tokens::TRACK_WIDTH, colour(start)),
        ));
        start = end;
    }
}

/// Numbered pins, each with how long the vehicle stood there.
fn stops(painter: &egui::Painter, loaded: &Loaded, screen: &dyn Fn(f64, f64) -> Pos2, ui: &Ui) {
    let text = ui.visuals().strong_text_color();
    for (i, stop) in loaded.day.report.stops.iter().enumerate() {
        if !(stop.lat.is_finite() && stop.lon.is_finite()) {
            continue;
        }
        let at = screen(stop.lat, stop.lon);
        painter.circle(
            at,
            tokens::STOP_PIN_RADIUS,
            tokens::STOP_FILL,
            Stroke::new(2.0, tokens::STOP_TEXT),
        );
        painter.text(
            at,
            Align2::CENTER_CENTER,
            (i + 1).to_string(),
            FontId::proportional(tokens::LABEL_FONT),
            tokens::STOP_TEXT,
        );
        let minutes = (stop.duration_ms + 30_000) / 60_000;
        painter.text(
            at + egui::vec2(tokens::STOP_PIN_RADIUS + 3.0, 0.0),
            Align2::LEFT_CENTER,
            format!("{minutes} min"),
            FontId::proportional(tokens::LABEL_FONT),
            text,
        );
    }
}

/// The segment of the track nearest the pointer, within reach: its first point's index and
/// how far along it (0 to 1) the pointer is.
fn nearest(points: &[Pos2], pointer: Pos2) -> Option<(usize, f32)> {
    let reach = tokens::TRACK_HOVER_PX * tokens::TRACK_HOVER_PX;
    let mut best: Option<(usize, f32, f32)> = None;
    for (k, pair) in points.windows(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        let ab = b - a;
        let along = if ab.length_sq() > 0.0 {
            ((pointer - a).dot(ab) / ab.length_sq()).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = (a + ab * along).distance_sq(pointer);
        if d <= reach && best.is_none_or(|(_, _, bd)| d < bd) {
            best = Some((k, along, d));
        }
    }
    if points.len() == 1 && points[0].distance_sq(pointer) <= reach {
        return Some((0, 0.0));
    }
    best.map(|(k, along, _)| (k, along))
}
