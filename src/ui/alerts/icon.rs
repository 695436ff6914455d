//! A severity's icon, painted (no font is needed for it): a disc with "!" for critical, a
//! triangle with "!" for a warning, a disc with "i" for information, in the severity's colour.

use egui::{Align2, Color32, FontId, Pos2, Sense, Shape, Stroke, Ui, Vec2};

use crate::alerts::Severity;
use crate::ui::tokens;

/// Draws the icon of `severity` where the next widget goes.
pub fn show(ui: &mut Ui, severity: Severity) {
    let side = tokens::SEVERITY_ICON;
    let (rect, _) = ui.allocate_exact_size(Vec2::splat(side), Sense::hover());
    if !ui.is_rect_visible(rect) {
        return;
    }
    let colour = tokens::severity(tokens::theme(ui.visuals()), severity);
    let painter = ui.painter();
    let c = rect.center();
    let r = side / 2.0;
    let mark = match severity {
        Severity::Critical => {
            painter.circle_filled(c, r, colour);
            "!"
        }
        Severity::Warning => {
            let points = vec![
                Pos2::new(c.x, c.y - r),
                Pos2::new(c.x + r, c.y + r * 0.8),
                Pos2::new(c.x - r, c.y + r * 0.8),
            ];
            painter.add(Shape::convex_polygon(points, colour, Stroke::NONE));
            "!"
        }
        Severity::Info => {
            painter.circle_filled(c, r, colour);
            "i"
        }
    };
    let text = if severity == Severity::Warning {
        Color32::BLACK
    } else {
        Color32::WHITE
    };
    let at = c + Vec2::new(0.0, r * 0.1);
    painter.text(
        at,
        Align2::CENTER_CENTER,
        mark,
        FontId::proportional(side * 0.75),
        text,
    );
}
