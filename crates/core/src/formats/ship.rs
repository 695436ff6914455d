//! What both AIS formats (raw NMEA and AISStream) share: ships are of kind `ship`, speeds
//! arrive in knots, a heading of 511 means unknown (then the course over ground stands in), and
//! names come padded.

use crate::formats::traccar::KNOT_MS;

/// The kind every AIS vessel gets (the window draws it as a hull along its heading).
pub const KIND: &str = "ship";

/// The heading to draw: the true heading when the ship sends one (511 means it does not),
/// else the course over ground (360 means unknown).
pub fn heading(true_heading: Option<f64>, cog: Option<f64>) -> Option<f32> {
    let valid = |v: Option<f64>, unknown: f64| v.filter(|v| (0.0..unknown).contains(v));
    valid(true_heading, 360.0)
        .or(valid(cog, 360.0))
        .map(|v| v as f32)
}

/// Speed over ground in knots as m/s; 102.3 knots and above mean "not available".
pub fn speed(sog_knots: Option<f64>) -> Option<f32> {
    sog_knots
        .filter(|k| (0.0..102.25).contains(k))
        .map(|k| (k * KNOT_MS) as f32)
}

/// A ship's name as sent, up to its first `@` (AIS text's end mark; what follows is padding
/// or junk) and trimmed; `None` when nothing is left.
pub fn name(raw: &str) -> Option<&str> {
    let name = raw.split('@').next().unwrap_or_default().trim();
    (!name.is_empty()).then_some(name)
}

/// The navigational status (AIS messages 1-3) in the words of ITU-R M.1371; `None` for "not
/// defined" and the reserved values.
pub fn status(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "under_way_using_engine",
        1 => "at_anchor",
        2 => "not_under_command",
        3 => "restricted_manoeuvrability",
        4 => "constrained_by_draught",
        5 => "moored",
        6 => "aground",
        7 => "engaged_in_fishing",
        8 => "under_way_sailing",
        14 => "ais_sart_active",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_511_gives_way_to_the_course_and_360_means_none() {
        assert_eq!(heading(Some(235.0), Some(308.0)), Some(235.0));
        assert_eq!(heading(Some(511.0), Some(308.0)), Some(308.0));
        assert_eq!(heading(Some(511.0), Some(360.0)), None);
        assert_eq!(heading(None, None), None);
    }

    #[test]
    fn knots_become_metres_per_second_and_102_3_means_unknown() {
        let ms = speed(Some(10.0)).expect("speed");
        assert!((ms - 5.14444).abs() < 1e-4);
        assert_eq!(speed(Some(102.3)), None);
    }

    #[test]
    fn names_lose_their_padding() {
        assert_eq!(name("EVER GIVEN@@@@@@   "), Some("EVER GIVEN"));
        assert_eq!(name("UTGERDINA@@@@@@@@@@Q"), Some("UTGERDINA"));
        assert_eq!(name("@@@@"), None);
    }
}
