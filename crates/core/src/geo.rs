//! Small spherical-earth helpers shared by the model, the simulator and the map.

/// Mean earth radius in metres (IUGG), good to ~0.5% for distances on a city scale.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two WGS84 points (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Distance in metres on a local flat projection: within 0.1% of [`distance_m`] up to tens of
/// kilometres, and several times cheaper (one cosine, no arcsine), for per-update checks.
pub fn approx_distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let x = (lon2 - lon1).to_radians() * ((lat1 + lat2) / 2.0).to_radians().cos();
    let y = (lat2 - lat1).to_radians();
    EARTH_RADIUS_M * (x * x + y * y).sqrt()
}

/// A place typed as coordinates, "-16.92, 145.77" or "-16.92 145.77" (latitude first, in
/// range); `None` for anything else.
pub fn parse_lat_lon(text: &str) -> Option<(f64, f64)> {
    let mut parts = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty());
    let lat: f64 = parts.next()?.parse().ok()?;
    let lon: f64 = parts.next()?.parse().ok()?;
    let ok =
        parts.next().is_none() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    ok.then_some((lat, lon))
}

/// Initial bearing from the first point to the second, degrees clockwise from north in 0..360.
pub fn bearing_deg(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// Metres per degree of latitude, and of longitude at `lat`.
pub fn metres_per_degree(lat: f64) -> (f64, f64) {
    let m = EARTH_RADIUS_M.to_radians();
    (m, m * lat.to_radians().cos())
}

/// Distance (m) from a point to segment a-b, and the fraction along a-b of the nearest point.
pub fn point_segment(lat: f64, lon: f64, a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (my, mx) = metres_per_degree(lat);
    let (bx, by) = ((b.1 - a.1) * mx, (b.0 - a.0) * my);
    let (px, py) = ((lon - a.1) * mx, (lat - a.0) * my);
    let len2 = bx * bx + by * by;
    let t = if len2 > 0.0 {
        ((px * bx + py * by) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (dx, dy) = (px - t * bx, py - t * by);
    ((dx * dx + dy * dy).sqrt(), t)
}

/// Distance in metres from a point to the nearest part of a polyline of (lat, lon) points.
pub fn distance_to_line_m(lat: f64, lon: f64, points: &[(f64, f64)]) -> f64 {
    points
        .windows(2)
        .map(|w| point_segment(lat, lon, w[0], w[1]).0)
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_typed_either_way_are_read_and_anything_else_is_not() {
        assert_eq!(parse_lat_lon("-16.92, 145.77"), Some((-16.92, 145.77)));
        assert_eq!(parse_lat_lon(" -16.92 145.77 "), Some((-16.92, 145.77)));
        assert_eq!(parse_lat_lon("Bus 131"), None);
        assert_eq!(parse_lat_lon("145.77, -16.92 , 3"), None);
        assert_eq!(parse_lat_lon("95, 10"), None, "no latitude beyond the pole");
        assert_eq!(parse_lat_lon("131"), None, "a route number is not a place");
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = distance_m(0.0, 0.0, 1.0, 0.0);
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
    }

    #[test]
    fn the_flat_distance_agrees_with_haversine_at_city_scale() {
        for (lat, dlat, dlon) in [(-16.9, 0.001, 0.002), (51.5, -0.01, 0.03), (0.0, 0.0, 0.05)] {
            let exact = distance_m(lat, 10.0, lat + dlat, 10.0 + dlon);
            let flat = approx_distance_m(lat, 10.0, lat + dlat, 10.0 + dlon);
            assert!((flat - exact).abs() / exact < 1e-3, "{flat} vs {exact}");
        }
    }

    #[test]
    fn bearings_point_the_compass_way() {
        assert!((bearing_deg(0.0, 0.0, 1.0, 0.0) - 0.0).abs() < 1e-9);
        assert!((bearing_deg(0.0, 0.0, 0.0, 1.0) - 90.0).abs() < 1e-9);
        assert!((bearing_deg(0.0, 0.0, -1.0, 0.0) - 180.0).abs() < 1e-9);
        assert!((bearing_deg(0.0, 0.0, 0.0, -1.0) - 270.0).abs() < 1e-9);
    }
}
