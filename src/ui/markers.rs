//! How a vehicle looks on the map (pure: colours, shapes, hit-testing), apart from the drawing.

use std::collections::BTreeMap;

use egui::{Color32, Pos2, Vec2};

use super::tokens::{self, FEED_PALETTE, LOST_GREY, ROUTE_PALETTE, from_hsv, hue_saturation};
use crate::fleet::{Condition, FeedId, Staleness, Vehicle};

/// The colour of a vehicle: buses by route, other kinds by kind.
pub fn base_colour(kind: Option<&str>, route: Option<&str>) -> Color32 {
    match (kind.map(str::to_ascii_lowercase).as_deref(), route) {
        (Some("bus") | None, Some(route)) => {
            let hash = route
                .bytes()
                .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            ROUTE_PALETTE[hash as usize % ROUTE_PALETTE.len()]
        }
        (Some("bus"), None) => tokens::BUS,
        (Some("truck"), _) => tokens::TRUCK,
        (Some("van"), _) => tokens::VAN,
        (Some("car"), _) => tokens::CAR,
        (Some("ship"), _) => tokens::SHIP,
        _ => tokens::OTHER_KIND,
    }
}

/// The colour a feed is shown in when it names none.
pub fn default_feed_colour(feed: FeedId) -> Color32 {
    FEED_PALETTE[feed.0 as usize % FEED_PALETTE.len()]
}

/// A feed's own colour (from its settings), nudged clear of the warning colours so it never
/// reads as an alarm, a stale or a lost vehicle: a red, orange or amber turns to the nearest
/// hue clear of them; a grey gets some colour. Other colours are kept as given.
pub fn feed_colour(rgb: [u8; 3]) -> Color32 {
    let c = tokens::rgb(rgb);
    let (hue, saturation) = hue_saturation(c);
    let clear = |h: f32| {
        tokens::WARNING_COLOURS
            .iter()
            .all(|&s| hue_distance(h, hue_saturation(s).0) >= tokens::FEED_HUE_APART)
    };
    if saturation >= tokens::GREY_SATURATION && clear(hue) {
        return c;
    }
    let value = f32::from(c.r().max(c.g()).max(c.b())) / 255.0;
    let hue = (0..=180)
        .flat_map(|d| [hue + d as f32, hue - d as f32])
        .find(|&h| clear(h - 2.0) && clear(h) && clear(h + 2.0))
        .unwrap_or(hue);
    from_hsv(
        hue,
        saturation.max(tokens::GREY_SATURATION * 2.0),
        value.max(0.35),
    )
}

/// How far apart two hues are, in degrees round the wheel (0 to 180).
pub fn hue_distance(a: f32, b: f32) -> f32 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
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

/// The colour of a condition: in the table, cluster rings and filter chips.
pub fn condition_colour(condition: Condition) -> Color32 {
    match condition {
        Condition::Moving => tokens::OK_GREEN,
        Condition::Stopped => tokens::STOPPED_BLUE,
        Condition::Stale => tokens::STALE_AMBER,
        Condition::Lost => LOST_GREY,
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

/// The outline of a ship's hull at `centre`, its bow along `heading_deg`: longer than an
/// arrow and blunt at the stern, so ships read apart from road vehicles.
pub fn hull(centre: Pos2, heading_deg: f32, size: f32) -> [Pos2; 5] {
    let h = heading_deg.to_radians();
    let dir = Vec2::new(h.sin(), -h.cos());
    let side = Vec2::new(-dir.y, dir.x);
    let (half_beam, stern) = (size * 0.5, size * 1.0);
    [
        centre + dir * size * 1.3,
        centre + dir * size * 0.3 + side * half_beam,
        centre - dir * stern + side * half_beam,
        centre - dir * stern - side * half_beam,
        centre + dir * size * 0.3 - side * half_beam,
    ]
}

/// Whether a vehicle of `kind` is drawn as a ship.
pub fn is_ship(kind: Option<&str>) -> bool {
    kind.is_some_and(|k| k.eq_ignore_ascii_case("ship") || k.eq_ignore_ascii_case("vessel"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_hull_points_its_bow_along_the_heading_and_is_longer_than_it_is_wide() {
        let c = Pos2::new(0.0, 0.0);
        let east = hull(c, 90.0, 10.0);
        assert!((east[0].x - 13.0).abs() < 1e-4 && east[0].y.abs() < 1e-4);
        let length = east[0].x - east[2].x;
        let beam = (east[1].y - east[4].y).abs();
        assert!(length > 2.0 * beam, "{length} x {beam}");
    }

    use super::*;

    #[test]
    fn an_arrow_points_along_the_heading_on_screen() {
        let c = Pos2::new(0.0, 0.0);
        let north = arrow(c, 0.0, 10.0);
        assert!((north[0].x).abs() < 1e-4 && (north[0].y + 10.0).abs() < 1e-4);
        let east = arrow(c, 90.0, 10.0);
        assert!((east[0].x - 10.0).abs() < 1e-4 && east[0].y.abs() < 1e-4);
    }

    #[test]
    fn feed_colours_keep_apart_from_every_status_colour() {
        for feed in FEED_PALETTE {
            let (hue, saturation) = hue_saturation(feed);
            assert!(
                saturation >= tokens::GREY_SATURATION,
                "{feed:?} reads as grey"
            );
            let status_colours = [
                tokens::OK_GREEN,
                tokens::STOPPED_BLUE,
                tokens::WAIT_ORANGE,
                tokens::STALE_AMBER,
                tokens::FAIL_RED,
                tokens::ALERT_RED,
                tokens::LOST_GREY,
            ];
            for status in status_colours {
                let (other, s) = hue_saturation(status);
                if s < tokens::GREY_SATURATION {
                    continue; // grey has no hue: kept apart by saturation above
                }
                let apart = hue_distance(hue, other);
                assert!(
                    apart >= tokens::FEED_HUE_APART,
                    "{feed:?} is {apart:.0}° from the status colour {status:?}"
                );
            }
        }
        // The measure itself: red against orange, and round the wheel.
        let (red, _) = hue_saturation(tokens::FAIL_RED);
        assert!(red < 10.0, "{red}");
        assert!((hue_distance(350.0, 10.0) - 20.0).abs() < 1e-4);
        assert_eq!(hue_saturation(LOST_GREY).1, 0.0);
    }

    #[test]
    fn a_feeds_own_red_or_grey_is_nudged_clear_of_the_status_colours_and_blue_kept() {
        for given in [[0xff, 0x00, 0x00], [0xd0, 0x90, 0x10], [0x80, 0x80, 0x80]] {
            let c = feed_colour(given);
            let (hue, saturation) = hue_saturation(c);
            assert!(saturation >= tokens::GREY_SATURATION, "{given:?} -> {c:?}");
            for status in [tokens::FAIL_RED, tokens::STALE_AMBER, tokens::WAIT_ORANGE] {
                let apart = hue_distance(hue, hue_saturation(status).0);
                assert!(apart >= tokens::FEED_HUE_APART - 0.5, "{given:?} -> {c:?}");
            }
        }
        assert_eq!(
            feed_colour([0x8e, 0x5c, 0xd9]),
            tokens::rgb([0x8e, 0x5c, 0xd9])
        );
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
