//! Every colour and size the window uses, in one place (after rerun's `design_tokens.rs`), so a
//! theme is one table and no drawing code picks a colour of its own.
//!
//! Two themes, light and dark, follow the system unless the dispatcher picks one (status bar).
//! What a colour means (a route, a status) stays the same in both; what sits behind text and
//! markers (map background, label plates, overlays) changes.

use egui::Color32;

/// Colours that change with the theme.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// The map behind the tiles (and instead of them).
    pub map_bg: Color32,
    /// The route network drawn when there is no basemap.
    pub network: Color32,
    /// A vehicle's trail.
    pub trail: Color32,
    /// Text and plate of a label on the map.
    pub label_text: Color32,
    pub label_plate: Color32,
    pub label_plate_selected: Color32,
    /// Words over the map (attribution, scale bar, tiles notice).
    pub overlay_text: Color32,
    pub overlay_plate: Color32,
    /// A marker's outline when live and when not.
    pub outline_live: Color32,
    pub outline_faded: Color32,
    /// Inside of the ring around the selection.
    pub ring_fill: Color32,
    /// An alert's severity, as text on the panel and rings on the map: critical red, warning
    /// amber, info blue (darker on the light theme, brighter on the dark, for contrast).
    pub critical: Color32,
    pub warning: Color32,
    pub info: Color32,
}

pub const LIGHT: Theme = Theme {
    map_bg: Color32::from_rgb(0xe8, 0xe4, 0xdc),
    network: Color32::from_rgb(0x9a, 0x93, 0x87),
    trail: Color32::from_rgb(0x20, 0x20, 0x20),
    label_text: Color32::from_gray(20),
    label_plate: Color32::from_rgba_premultiplied(190, 190, 190, 190),
    label_plate_selected: Color32::from_rgba_premultiplied(235, 235, 235, 235),
    overlay_text: Color32::from_gray(40),
    overlay_plate: Color32::from_rgba_premultiplied(210, 210, 210, 210),
    outline_live: Color32::from_rgba_premultiplied(0, 0, 0, 200),
    outline_faded: Color32::from_rgba_premultiplied(0, 0, 0, 90),
    ring_fill: Color32::from_rgba_premultiplied(160, 160, 160, 160),
    critical: Color32::from_rgb(0xc0, 0x1f, 0x1f),
    warning: Color32::from_rgb(0x9a, 0x60, 0x00),
    info: Color32::from_rgb(0x2b, 0x5c, 0x9a),
};

pub const DARK: Theme = Theme {
    map_bg: Color32::from_rgb(0x22, 0x25, 0x2b),
    network: Color32::from_rgb(0x4a, 0x50, 0x5a),
    trail: Color32::from_rgb(0xf0, 0xf0, 0xf0),
    label_text: Color32::from_gray(235),
    label_plate: Color32::from_rgba_premultiplied(16, 18, 22, 200),
    label_plate_selected: Color32::from_rgba_premultiplied(8, 9, 11, 235),
    overlay_text: Color32::from_gray(225),
    overlay_plate: Color32::from_rgba_premultiplied(16, 18, 22, 200),
    outline_live: Color32::from_rgba_premultiplied(230, 230, 230, 230),
    outline_faded: Color32::from_rgba_premultiplied(90, 90, 90, 90),
    ring_fill: Color32::from_rgba_premultiplied(20, 20, 20, 120),
    critical: Color32::from_rgb(0xff, 0x5c, 0x5c),
    warning: Color32::from_rgb(0xf5, 0xb0, 0x41),
    info: Color32::from_rgb(0x8a, 0xb8, 0xe6),
};

/// A colour given as red, green, blue (a feed's own colour from its settings).
pub fn rgb([r, g, b]: [u8; 3]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// The theme egui is drawing in.
pub fn theme(visuals: &egui::Visuals) -> &'static Theme {
    if visuals.dark_mode { &DARK } else { &LIGHT }
}

/// The colour of an alert of `severity` in `theme`.
pub fn severity(theme: &Theme, severity: crate::alerts::Severity) -> Color32 {
    use crate::alerts::Severity;
    match severity {
        Severity::Critical => theme.critical,
        Severity::Warning => theme.warning,
        Severity::Info => theme.info,
    }
}

/// The word an alert of `severity` is shown with, beside its icon (never by colour alone).
pub fn severity_word(severity: crate::alerts::Severity) -> &'static str {
    use crate::alerts::Severity;
    match severity {
        Severity::Critical => "CRITICAL",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// The side of a severity's icon (`ui::alerts`).
pub const SEVERITY_ICON: f32 = 14.0;

/// The ring round a marker whose vehicle has a critical alert open (wider than the others').
pub const CRITICAL_RING_WIDTH: f32 = 4.0;

// What colours mean, the same in both themes.

/// Connected, live, moving.
pub const OK_GREEN: Color32 = Color32::from_rgb(0x2e, 0x8b, 0x57);
/// Live but standing still.
pub const STOPPED_BLUE: Color32 = Color32::from_rgb(0x2b, 0x6c, 0xb0);
/// Reconnecting; a vehicle gone quiet (stale).
pub const WAIT_ORANGE: Color32 = Color32::from_rgb(0xe6, 0x7e, 0x22);
pub const STALE_AMBER: Color32 = Color32::from_rgb(0xc0, 0x8a, 0x00);
/// Failed, refused, a feed that is down.
pub const FAIL_RED: Color32 = Color32::from_rgb(0xc0, 0x39, 0x2b);
/// An alert not yet acknowledged: its row, the status bar's count, the ring on its marker.
pub const ALERT_RED: Color32 = Color32::from_rgb(0xe7, 0x4c, 0x3c);
/// Geofences on the map: outline, and a faint fill.
pub const GEOFENCE_LINE: Color32 = Color32::from_rgb(0x8e, 0x44, 0xad);
pub const GEOFENCE_FILL: Color32 = Color32::from_rgba_premultiplied(0x0e, 0x07, 0x11, 0x18);
pub const GEOFENCE_WIDTH: f32 = 2.0;
pub const GEOFENCE_NAME_SIZE: f32 = 12.0;
/// The ring round a marker whose vehicle has an alert not yet acknowledged.
pub const ALERT_RING_WIDTH: f32 = 2.5;
/// The plate of the "feed is down" banner.
pub const DOWN_PLATE: Color32 = Color32::from_rgb(0x7a, 0x1f, 0x16);
/// A vehicle not heard from for long (lost), and a paused feed.
pub const LOST_GREY: Color32 = Color32::from_rgb(0x9a, 0x9a, 0x9a);
/// The ring around the selected vehicle.
pub const SELECTION_RING: Color32 = Color32::from_rgb(0xff, 0xb3, 0x00);
/// The place the nearest vehicles are measured from: a crosshair in a ring.
pub const PLACE: Color32 = Color32::from_rgb(0xe7, 0x4c, 0x3c);
pub const PLACE_RADIUS: f32 = 9.0;
pub const PLACE_WIDTH: f32 = 2.0;
/// A cluster's disc and its count.
pub const CLUSTER_FILL: Color32 = Color32::from_rgb(0x2b, 0x4d, 0x6e);
pub const CLUSTER_TEXT: Color32 = Color32::WHITE;

/// Distinct colours for routes, picked by a hash of the route name so a route keeps its colour.
pub const ROUTE_PALETTE: [Color32; 10] = [
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

/// Colours of kinds without a route.
pub const BUS: Color32 = Color32::from_rgb(0x1f, 0x77, 0xb4);
pub const TRUCK: Color32 = Color32::from_rgb(0xe6, 0x7e, 0x22);
pub const VAN: Color32 = Color32::from_rgb(0x8e, 0x44, 0xad);
pub const CAR: Color32 = Color32::from_rgb(0x34, 0x98, 0xdb);
/// AIS vessels (kind `ship`).
pub const SHIP: Color32 = Color32::from_rgb(0x0b, 0x3d, 0x91);
pub const OTHER_KIND: Color32 = Color32::from_rgb(0x16, 0xa0, 0x85);

/// Colours of feeds without one of their own, by feed number: hues apart from every status
/// colour (no red, amber or grey that would read as an alarm, a stale vehicle or a lost one;
/// not the moving green nor the stopped blue either).
pub const FEED_PALETTE: [Color32; 6] = [
    Color32::from_rgb(0x8e, 0x5c, 0xd9), // violet
    Color32::from_rgb(0x0f, 0xa3, 0xa3), // teal
    Color32::from_rgb(0xd6, 0x3f, 0xa8), // magenta
    Color32::from_rgb(0x7c, 0xb5, 0x18), // lime
    Color32::from_rgb(0x4b, 0x50, 0xc8), // indigo
    Color32::from_rgb(0xc0, 0x5c, 0xd6), // orchid
];
/// The status colours that warn (failed, an alert, waiting, stale): a feed's own colour is
/// nudged away from these (and from grey), never from the green or the blue.
pub const WARNING_COLOURS: [Color32; 4] = [FAIL_RED, ALERT_RED, WAIT_ORANGE, STALE_AMBER];
/// How far (degrees of hue) a feed's colour keeps from every status colour.
pub const FEED_HUE_APART: f32 = 25.0;
/// Below this saturation a colour reads as grey (lost, paused).
pub const GREY_SATURATION: f32 = 0.25;

// Sizes, in points.

/// Half the length of a moving vehicle's arrow (a stopped one is a disc of 0.62 of it).
pub const MARKER_SIZE: f32 = 7.5;
pub const MARKER_SIZE_SELECTED: f32 = 10.0;
/// Radius of the ring around the selection.
pub const SELECTION_RING_RADIUS: f32 = 12.0;
/// Markers nearer than this on screen would overlap: they merge into a cluster.
pub const CLUSTER_DISTANCE: f32 = 18.0;
/// A cluster's disc: grows with the log of its count, up to a limit.
pub const CLUSTER_RADIUS_MIN: f32 = 9.0;
pub const CLUSTER_RADIUS_MAX: f32 = 17.0;
/// Width of the ring showing a cluster's mix of statuses.
pub const CLUSTER_RING: f32 = 3.0;
/// Scroll, in points, that zooms the map one level: one notch of a mouse wheel (egui's 40
/// points), as on OpenStreetMap.
pub const WHEEL_POINTS_PER_ZOOM: f32 = 40.0;
/// How near the pointer must be to a marker to pick or hover it.
pub const PICK_RADIUS: f32 = 12.0;
/// Vehicles of a cluster that cannot split are fanned out on a circle this far apart.
pub const FAN_SPACING: f32 = 26.0;
pub const LABEL_FONT: f32 = 11.0;
pub const LABEL_FONT_SELECTED: f32 = 13.0;
pub const CLUSTER_FONT: f32 = 10.0;
pub const OVERLAY_FONT: f32 = 11.0;
pub const NOTICE_FONT: f32 = 13.0;
/// Widths of lines on the map.
pub const NETWORK_WIDTH: f32 = 1.5;
pub const ROUTE_WIDTH: f32 = 4.0;
pub const TRAIL_WIDTH: f32 = 2.5;
/// One row of the vehicle table.
pub const ROW_HEIGHT: f32 = 20.0;
/// The board's layout: the share of the window's width the map always keeps; the side
/// panels' least and usual widths; the share of the height the details and the Alerts panel
/// may take at most (and their least heights); room for panel separators.
pub const MAP_MIN_SHARE: f32 = 0.5;
pub const FEEDS_MIN: f32 = 180.0;
pub const FEEDS_DEFAULT: f32 = 240.0;
pub const TABLE_MIN: f32 = 250.0;
pub const TABLE_MAX: f32 = 480.0;
pub const DETAILS_MAX_SHARE: f32 = 0.32;
pub const ALERTS_MAX_SHARE: f32 = 0.28;
pub const DETAILS_MIN: f32 = 90.0;
pub const DETAILS_DEFAULT: f32 = 170.0;
pub const ALERTS_MIN: f32 = 80.0;
pub const ALERTS_DEFAULT: f32 = 150.0;
pub const PANEL_GAP: f32 = 2.0;
/// The details: two pairs of key and value a row from this width; a key's column; the least
/// a value is given before it is clipped (the whole of it on hover).
pub const DETAILS_TWO_PAIRS: f32 = 560.0;
pub const DETAILS_KEY_WIDTH: f32 = 90.0;
pub const DETAILS_VALUE_MIN: f32 = 60.0;
/// The status dot in rows and panels.
pub const DOT_RADIUS: f32 = 4.5;

/// A track (a recording's, a History's), coloured by speed: slow, middling, fast, and red only
/// above the overspeed limit.
pub const TRACK_SLOW: Color32 = Color32::from_rgb(0x29, 0x80, 0xb9);
pub const TRACK_MID: Color32 = Color32::from_rgb(0x27, 0xae, 0x60);
pub const TRACK_FAST: Color32 = Color32::from_rgb(0xf3, 0x9c, 0x12);
pub const TRACK_OVER: Color32 = Color32::from_rgb(0xd6, 0x1f, 0x1f);
pub const TRACK_UNKNOWN: Color32 = Color32::from_rgb(0x7f, 0x8c, 0x8d);
/// Speeds (km/h) at the middle and fast ends of the track's colours.
pub const TRACK_MID_KMH: f32 = 30.0;
pub const TRACK_FAST_KMH: f32 = 60.0;
pub const TRACK_WIDTH: f32 = 4.0;
/// The light edge under a track, so it reads over a route line of any colour.
pub const TRACK_CASING: Color32 = Color32::from_rgb(0xf5, 0xf5, 0xf5);
pub const TRACK_CASING_WIDTH: f32 = 8.0;
pub const STOP_RADIUS: f32 = 7.0;
pub const STOP_FILL: Color32 = Color32::from_rgb(0x2c, 0x3e, 0x50);
pub const STOP_TEXT: Color32 = Color32::WHITE;
/// A History's numbered stop pins, and the cursor where the chart's pointer is.
pub const STOP_PIN_RADIUS: f32 = 10.0;
pub const STOP_PICKED: Color32 = Color32::from_rgb(0x8e, 0x44, 0xad);
pub const CURSOR_RADIUS: f32 = 7.0;
pub const CURSOR_FILL: Color32 = Color32::WHITE;
pub const CURSOR_RING: Color32 = Color32::from_rgb(0x2c, 0x3e, 0x50);
/// How near (px) the pointer must be to a History's track to mark the chart.
pub const TRACK_HOVER_PX: f32 = 12.0;
/// The speed chart under the map.
pub const CHART_HEIGHT: f32 = 150.0;
pub const CHART_LINE: Color32 = Color32::from_rgb(0x29, 0x80, 0xb9);
/// Room kept at the right of the status bar for the theme buttons (Auto, Light, Dark).
pub const THEME_CHOICE_WIDTH: f32 = 160.0;
/// The replay bar's recording dot.
pub const RECORDING_RED: Color32 = Color32::from_rgb(0xe7, 0x4c, 0x3c);
/// A replay, wherever it shows (the map's badge, the feeds of a recording): a violet no status
/// uses, so a recording is never read as live.
pub const REPLAY_VIOLET: Color32 = Color32::from_rgb(0x6c, 0x3c, 0xc8);
pub const REPLAY_TEXT: Color32 = Color32::WHITE;
pub const REPLAY_FONT: f32 = 15.0;

/// A History's segment colour at `speed` m/s: red above `limit_kmh`, else by speed.
pub fn history_colour(speed: Option<f32>, limit_kmh: f32) -> Color32 {
    match speed {
        Some(s) if s * 3.6 > limit_kmh => TRACK_OVER,
        _ => track_colour(speed),
    }
}

/// A track segment's colour at `speed` m/s.
pub fn track_colour(speed: Option<f32>) -> Color32 {
    let Some(kmh) = speed.map(|s| s * 3.6) else {
        return TRACK_UNKNOWN;
    };
    if kmh <= TRACK_MID_KMH {
        lerp(TRACK_SLOW, TRACK_MID, kmh / TRACK_MID_KMH)
    } else {
        let t = (kmh - TRACK_MID_KMH) / (TRACK_FAST_KMH - TRACK_MID_KMH);
        lerp(TRACK_MID, TRACK_FAST, t.min(1.0))
    }
}

/// A colour's hue (degrees) and saturation (0 to 1), as HSV in sRGB.
pub fn hue_saturation(c: Color32) -> (f32, f32) {
    let [r, g, b] = [c.r(), c.g(), c.b()].map(|x| f32::from(x) / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let span = max - min;
    if span <= f32::EPSILON {
        return (0.0, 0.0);
    }
    let hue = if max == r {
        (g - b) / span
    } else if max == g {
        (b - r) / span + 2.0
    } else {
        (r - g) / span + 4.0
    };
    ((hue * 60.0).rem_euclid(360.0), span / max)
}

/// A colour from hue (degrees), saturation and value (0 to 1), in sRGB.
pub fn from_hsv(hue: f32, saturation: f32, value: f32) -> Color32 {
    let h = hue.rem_euclid(360.0) / 60.0;
    let c = value * saturation;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = value - c;
    let byte = |v: f32| ((v + m) * 255.0).round() as u8;
    Color32::from_rgb(byte(r), byte(g), byte(b))
}

fn lerp(a: Color32, b: Color32, t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    let mix = |x: u8, y: u8| (f32::from(x) + (f32::from(y) - f32::from(x)) * t).round() as u8;
    Color32::from_rgb(mix(a.r(), b.r()), mix(a.g(), b.g()), mix(a.b(), b.b()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Severity;

    /// WCAG's contrast ratio of two colours.
    fn contrast(a: Color32, b: Color32) -> f32 {
        let lum = |c: Color32| {
            let ch = |v: u8| {
                let v = f32::from(v) / 255.0;
                if v <= 0.039_28 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(c.r()) + 0.7152 * ch(c.g()) + 0.0722 * ch(c.b())
        };
        let (x, y) = (lum(a), lum(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    #[test]
    fn severity_colours_are_readable_text_on_both_themes_panels() {
        for (theme, visuals) in [
            (&LIGHT, egui::Visuals::light()),
            (&DARK, egui::Visuals::dark()),
        ] {
            for s in Severity::ALL {
                let ratio = contrast(severity(theme, s), visuals.panel_fill);
                assert!(ratio >= 4.5, "{s:?} on {}: {ratio:.1}", visuals.dark_mode);
            }
            assert_ne!(theme.critical, theme.warning);
            assert_ne!(theme.warning, theme.info);
        }
    }
}
