//! Plugin: the place the Nearest vehicles window measures from (a right-click, or coordinates
//! typed in the search), drawn as a crosshair in a ring, so the dispatcher sees what "nearest"
//! is nearest to.

use egui::{Response, Stroke, Ui, Vec2};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use crate::ui::tokens;

pub(super) struct Place {
    pub(super) at: (f64, f64),
}

impl Plugin for Place {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let p = projector.project(lat_lon(self.at.0, self.at.1)).to_pos2();
        let painter = ui.painter();
        let stroke = Stroke::new(tokens::PLACE_WIDTH, tokens::PLACE);
        let r = tokens::PLACE_RADIUS;
        painter.circle_stroke(p, r, stroke);
        for d in [Vec2::new(1.0, 0.0), Vec2::new(0.0, 1.0)] {
            painter.line_segment([p - d * r * 1.6, p - d * r * 0.5], stroke);
            painter.line_segment([p + d * r * 0.5, p + d * r * 1.6], stroke);
        }
    }
}
