//! Plugin: the selected vehicle's whole track in a recording, under the markers, each segment
//! coloured by the speed at its start, with its stops as dots saying how long.

use egui::{Align2, FontId, Response, Stroke, Ui};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use crate::record::track::Track;
use crate::ui::tokens;

pub(super) struct Whole<'a> {
    pub(super) track: &'a Track,
}

impl Plugin for Whole<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let painter = ui.painter().with_clip_rect(response.rect);
        let screen = |lat: f64, lon: f64| projector.project(lat_lon(lat, lon)).to_pos2();
        let line: Vec<egui::Pos2> = self
            .track
            .points
            .iter()
            .map(|p| screen(p.lat, p.lon))
            .collect();
        let casing = Stroke::new(tokens::TRACK_CASING_WIDTH, tokens::TRACK_CASING);
        painter.add(egui::Shape::line(line, casing));
        for pair in self.track.points.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let stroke = Stroke::new(tokens::TRACK_WIDTH, tokens::track_colour(a.speed));
            painter.line_segment([screen(a.lat, a.lon), screen(b.lat, b.lon)], stroke);
        }
        let text = ui.visuals().strong_text_color();
        for stop in &self.track.stops {
            let at = screen(stop.lat, stop.lon);
            painter.circle_filled(at, tokens::STOP_RADIUS, tokens::STOP_FILL);
            let minutes = (stop.until_ms - stop.from_ms + 30_000) / 60_000;
            painter.text(
                at + egui::vec2(tokens::STOP_RADIUS + 3.0, 0.0),
                Align2::LEFT_CENTER,
                format!("stop {minutes} min"),
                FontId::proportional(tokens::LABEL_FONT),
                text,
            );
        }
    }
}
