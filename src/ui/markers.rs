//! How a vehicle looks on the map (pure: colours, shapes, hit-testing), apart from the drawing.

use std::collections::BTreeMap;

use egui::{Color32, Pos2, Vec2};

use crate::fleet::{FeedId, Staleness, Vehicle};

/// Distinct colours for routes, picked by a hash of the route name so a route keeps its colour.
const ROUTE_PALETTE: [Color32; 10] = [
    Color32::from_rgb(0x1f, 0x77, 0xb4),
    Color32::from_rgb(0x2c, 0xa0, 0x2c),
    Color32::from_rgb(0xd6, 0x27, 0x28),
    Color32::from_rgb(0x94, 0x67, 0xbd),
    Color32::from_rgb(0x8c, 0x56, 0x4b),
    Color32::from_rgb(0xe3, 0x77, 0xc2),
    Color32::from_rgb(0x17, 0xbe, 0xcf),
    Color32::from_rgb(0xbc, 0xbd, 0x22),
    Color32::from_rgb(0x00, 0x6d, 0x77),
    Color32::from_rgb(0x3a, 0x3a, 0x98),
];

pub const LOST_GREY: Color32 = Color32::from_rgb(0x9a, 0x9a, 0x9a);

/// The colour of a vehicle: buses by route, other kinds by kind.
pub fn base_colour(kind: Option<&str>, route: Option<&str>) -> Color32 {
    match (kind.map(str::to_ascii_lowercase).as_deref(), route) {
        (Some("bus") | None, Some(route)) => {
            let hash = route
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            ROUTE_PALETTE[hash as usize % ROUTE_PALETTE.len()]
        }
        (Some("bus"), None) => Color32::from_rgb(0x1f, 0x77, 0xb4),
        (Some("truck"), _) => Color32::from_rgb(0xe6, 0x7e, 0x22),
        (Some("van"), _) => Color32::from_rgb(0x8e, 0x44, 0xad),
        (Some("car"), _) => Color32::from_rgb(0x34, 0x98, 0xdb),
        _ => Color32::from_rgb(0x16, 0xa0, 0x85),
    }
}

/// Colours of feeds without one of their own, by feed number.
const FEED_PALETTE: [Color32; 6] = [
    Color32::from_rgb(0x1f, 0x77, 0xb4),
    Color32::from_rgb(0xd6, 0x27, 0x28),
    Color32::from_rgb(0x2c, 0xa0, 0x2c),
    Color32::from_rgb(0xff, 0x7f, 0x0e),
    Color32::from_rgb(0x94, 0x67, 0xbd),
    Color32::from_rgb(0x17, 0xbe, 0xcf),
];

/// The colour a feed is shown in when it names none.
pub fn default_feed_colour(feed: FeedId) -> Color32 {
    FEED_PALETTE[feed.0 as usize % FEED_PALETTE.len()]
}

/// How markers are coloured this frame: by route and kind, or by feed.
#[derive(Debug, Clone, Default)]
pub struct Palette {
    pub by_feed: bool,
    pub feeds: BTreeMap<FeedId, Color32>,
}

impl Palette {
    pub fn feed(&self, feed: FeedId) -> Color32 {
        self.feeds
            .get(&feed)
            .copied()
            .unwrap_or_else(|| default_feed_colour(feed))
    }

    /// A vehicle's colour before staleness.
    pub fn base(&self, v: &Vehicle) -> Color32 {
        if self.by_feed {
            self.feed(v.feed())
        } else {
            base_colour(v.kind(), v.route())
        }
    }
}

/// The colour at a staleness: faded when stale, grey when lost.
pub fn colour(base: Color32, staleness: Staleness) -> Color32 {
    match staleness {
        Staleness::Live => base,
        Staleness::Stale => base.gamma_multiply(0.45),
        Staleness::Lost => LOST_GREY.gamma_multiply(0.8),
    }
}

/// The three corners of an arrow at `centre` pointing along `heading_deg` (clockwise from north;
/// screen y grows downwards).
pub fn arrow(centre: Pos2, heading_deg: f32, size: f32) -> [Pos2; 3] {
    let h = heading_deg.to_radians();
    let dir = Vec2::new(h.sin(), -h.cos());
    let side = Vec2::new(-dir.y, dir.x);
    [
        centre + dir * size,
        centre - dir * size * 0.7 + side * size * 0.7,
        centre - dir * size * 0.7 - side * size * 0.7,
    ]
}

/// The item nearest to `click` within `radius` pixels.
pub fn nearest<K: Copy>(
    items: impl IntoIterator<Item = (K, Pos2)>,
    click: Pos2,
    radius: f32,
) -> Option<K> {
    items
        .into_iter()
        .map(|(k, p)| (k, p.distance_sq(click)))
        .filter(|(_, d)| *d <= radius * radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_picks_the_nearest_marker_within_the_radius() {
        let items = [
            (1, Pos2::new(10.0, 10.0)),
            (2, Pos2::new(14.0, 10.0)),
            (3, Pos2::new(100.0, 100.0)),
        ];
        assert_eq!(nearest(items, Pos2::new(13.0, 10.0), 8.0), Some(2));
        assert_eq!(nearest(items, Pos2::new(11.0, 10.0), 8.0), Some(1));
        assert_eq!(nearest(items, Pos2::new(50.0, 50.0), 8.0), None);
        assert_eq!(nearest(Vec::<(u8, Pos2)>::new(), Pos2::ZERO, 8.0), None);
    }

    #[test]
    fn an_arrow_points_along_the_heading_on_screen() {
        let c = Pos2::new(0.0, 0.0);
        let north = arrow(c, 0.0, 10.0);
        assert!((north[0].x).abs() < 1e-4 && (north[0].y + 10.0).abs() < 1e-4);
        let east = arrow(c, 90.0, 10.0);
        assert!((east[0].x - 10.0).abs() < 1e-4 && east[0].y.abs() < 1e-4);
    }

    #[test]
    fn a_route_keeps_its_colour_and_kinds_differ() {
        assert_eq!(
            base_colour(Some("bus"), Some("110")),
            base_colour(Some("bus"), Some("110"))
        );
        assert_ne!(
            base_colour(Some("truck"), None),
            base_colour(Some("van"), None)
        );
        assert_eq!(
            colour(Color32::RED, Staleness::Lost),
            LOST_GREY.gamma_multiply(0.8)
        );
        assert!(colour(Color32::RED, Staleness::Stale).a() < 255);
    }
}
