//! How the board shares the window: the map keeps at least half its width whatever is open.
//! The Feeds panel (left) and the vehicle table (right) share the other half, each resizable
//! down to a minimum; when even their minimums do not fit, the Feeds panel floats over the
//! map's left side instead of squeezing it. The details and Alerts panels under the map keep
//! to a share of the height. Pure arithmetic here; `frame` draws with it.

use egui::Rect;

use crate::ui::tokens::{
    ALERTS_MAX_SHARE, DETAILS_MAX_SHARE, FEEDS_DEFAULT, FEEDS_MIN, MAP_MIN_SHARE, PANEL_GAP,
    TABLE_MAX, TABLE_MIN,
};

/// Where the Feeds panel goes this frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FeedsPlace {
    Closed,
    /// Docked at the left, at most this wide.
    Docked {
        max: f32,
    },
    /// Floating over the map, this wide.
    Over {
        width: f32,
    },
}

/// The side panels' widths for a window `width` wide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sides {
    pub feeds: FeedsPlace,
    /// The table's default, least and most width before the Feeds panel takes its part.
    pub table_default: f32,
    pub table_min: f32,
    /// What the side panels may take together.
    pub budget: f32,
}

/// The side panels for a window `width` wide, the Feeds panel open or not.
pub fn sides(width: f32, feeds_open: bool) -> Sides {
    let budget = (width * (1.0 - MAP_MIN_SHARE) - PANEL_GAP).max(0.0);
    let table_min = TABLE_MIN.min(budget);
    let feeds = if !feeds_open {
        FeedsPlace::Closed
    } else if budget >= FEEDS_MIN + TABLE_MIN {
        FeedsPlace::Docked {
            max: budget - TABLE_MIN,
        }
    } else {
        FeedsPlace::Over {
            width: FEEDS_DEFAULT.min(width * MAP_MIN_SHARE),
        }
    };
    Sides {
        feeds,
        table_default: (width * 0.4).clamp(table_min, TABLE_MAX.min(budget)),
        table_min,
        budget,
    }
}

impl Sides {
    /// The most the table may take beside a docked Feeds panel `feeds` wide (0 when none).
    pub fn table_max(&self, feeds: f32) -> f32 {
        (self.budget - feeds).clamp(self.table_min, TABLE_MAX)
    }
}

/// The most the details and the Alerts panels may take of a window `height` high.
pub fn bottoms(height: f32) -> (f32, f32) {
    (height * DETAILS_MAX_SHARE, height * ALERTS_MAX_SHARE)
}

/// Where each part of the board was drawn in the last frame (for tests and the curious).
#[derive(Debug, Clone, Copy, Default)]
pub struct Board {
    pub map: Option<Rect>,
    pub feeds: Option<Rect>,
    pub table: Option<Rect>,
    pub details: Option<Rect>,
    pub alerts: Option<Rect>,
    /// The History's speed chart.
    pub chart: Option<Rect>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docked_max(s: &Sides) -> f32 {
        match s.feeds {
            FeedsPlace::Docked { max } => max,
            other => panic!("not docked: {other:?}"),
        }
    }

    #[test]
    fn at_any_width_the_side_panels_leave_the_map_half_the_window() {
        for width in [640.0, 800.0, 900.0, 1024.0, 1100.0, 1400.0, 1920.0] {
            let s = sides(width, true);
            let feeds = match s.feeds {
                FeedsPlace::Docked { max } => max,
                FeedsPlace::Over { .. } | FeedsPlace::Closed => 0.0,
            };
            let taken = feeds + s.table_max(feeds);
            assert!(taken <= width / 2.0, "{width}: {taken} taken");
            assert!(s.table_default <= s.table_max(0.0), "{width}");
        }
    }

    #[test]
    fn a_narrow_window_docks_both_side_panels_at_their_minimums_or_floats_the_feeds() {
        let s = sides(900.0, true);
        assert!(docked_max(&s) >= FEEDS_MIN);
        assert!(s.table_max(docked_max(&s)) >= TABLE_MIN);
        assert!(matches!(sides(700.0, true).feeds, FeedsPlace::Over { .. }));
        assert_eq!(sides(700.0, false).feeds, FeedsPlace::Closed);
        // A wide window lets the Feeds panel grow well past its usual width.
        assert!(docked_max(&sides(1920.0, true)) > 2.0 * FEEDS_DEFAULT);
    }
}
