//! The speed chart under the map (egui_plot): km/h over the range, the overspeed limit as a red
//! line, and the moment under the pointer as a vertical line. Hovering the chart moves the
//! cursor on the map's track; hovering the track moves the line here.

use egui_plot::{HLine, HoverPosition, Line, Plot, PlotPoints, VLine};

use super::HistoryWindow;
use crate::ui::action::Action;
use crate::ui::action::HistoryAction;
use crate::ui::timeline::date_time;
use crate::ui::tokens;

/// `ms` after midnight UTC as "14:05".
fn clock(ms: i64) -> String {
    let t = date_time(ms);
    t.get(11..16).unwrap_or(&t).to_owned()
}

/// The chart, when the History has an answer; a `Hover` action while the pointer is over it.
pub fn show(ui: &mut egui::Ui, window: &HistoryWindow) -> Vec<Action> {
    let mut actions = Vec::new();
    let Some(loaded) = window.loaded() else {
        return actions;
    };
    let (t0, track) = (loaded.from_ms, &loaded.track);
    let response = Plot::new("speed-chart")
        .height(tokens::CHART_HEIGHT)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .include_y(0.0)
        .include_y(f64::from(window.limit_kmh) * 1.1)
        .y_axis_label("km/h")
        .x_axis_formatter(move |mark, _| clock(t0 + (mark.value * 1000.0) as i64))
        .label_formatter(move |hover| {
            let (HoverPosition::NearDataPoint { position: p, .. }
            | HoverPosition::Elsewhere { position: p }) = hover;
            let t = t0 + (p.x * 1000.0) as i64;
            // The vehicle's speed then, not the pointer's height.
            let speed = track.at(t).and_then(|f| f.speed);
            let speed = speed.map_or_else(|| "no speed".to_owned(), crate::ui::words::speed);
            Some(format!("{} UTC\n{speed}", clock(t)))
        })
        .show(ui, |plot| {
            for stretch in &loaded.chart {
                plot.line(
                    Line::new("speed", PlotPoints::Borrowed(stretch))
                        .color(tokens::CHART_LINE)
                        .width(1.5),
                );
            }
            plot.hline(
                HLine::new("overspeed", f64::from(window.limit_kmh))
                    .color(tokens::TRACK_OVER)
                    .width(1.0),
            );
            if let Some(ms) = window.hover_ms {
                plot.vline(
                    VLine::new("cursor", (ms - t0) as f64 / 1000.0).color(tokens::CURSOR_RING),
                );
            }
            plot.pointer_coordinate()
        });
    if response.response.hovered()
        && let Some(p) = response.inner
    {
        actions.push(Action::History(HistoryAction::Hover(Some(
            t0 + (p.x * 1000.0) as i64,
        ))));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_reads_as_a_utc_clock() {
        assert_eq!(clock(1_796_466_600_000), "10:30");
    }
}
