//! Route lines a map can draw: each a route's name, id, colour and line. Plain data, handed to
//! the window by the binary (the simulated fleet's Cairns network, or static GTFS zips read by
//! [`gtfs`]), so the window knows routes without knowing where they come from.

pub mod gtfs;

use crate::geo;

#[derive(Debug, Clone, PartialEq)]
pub struct RouteLine {
    /// The route's short name, as fleetview vehicles report it in `route` ("110").
    pub route: String,
    /// The static GTFS `route_id` ("110-423"), as GTFS-Realtime vehicles report it.
    pub id: Option<String>,
    /// The agency's colour for the route (`route_color`).
    pub colour: Option<[u8; 3]>,
    /// (lat, lon) WGS84 degrees.
    pub points: Vec<(f64, f64)>,
}

impl RouteLine {
    /// Whether a vehicle reporting route `name` runs this line (by short name or by id).
    pub fn is(&self, name: &str) -> bool {
        self.route == name || self.id.as_deref() == Some(name)
    }

    /// Distance in metres from a point to the nearest part of the line.
    pub fn distance_to(&self, lat: f64, lon: f64) -> f64 {
        geo::distance_to_line_m(lat, lon, &self.points)
    }
}

/// Every line of a route network.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteLines {
    pub lines: Vec<RouteLine>,
}

impl RouteLines {
    /// The lines of route `name` (its short name or its id) that pass within `metres` of a
    /// point (where a vehicle of that route is running), by index.
    pub fn near(&self, name: &str, lat: f64, lon: f64, metres: f64) -> Vec<usize> {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is(name) && l.distance_to(lat, lon) < metres)
            .map(|(i, _)| i)
            .collect()
    }

    /// Every line, then `more`'s (several GTFS zips, or a zip and the simulated network).
    pub fn extend(&mut self, more: RouteLines) {
        self.lines.extend(more.lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_near_a_vehicle_are_those_of_its_route_that_pass_close() {
        let line = |route: &str, lat: f64| RouteLine {
            route: route.into(),
            id: Some(format!("{route}-423")),
            colour: None,
            points: vec![(lat, 145.70), (lat, 145.80)],
        };
        let routes = RouteLines {
            lines: vec![
                line("110", -16.92),
                line("110", -16.99),
                line("111", -16.92),
            ],
        };
        assert_eq!(routes.near("110", -16.9201, 145.75, 50.0), [0]);
        assert_eq!(
            routes.near("110-423", -16.9201, 145.75, 50.0),
            [0],
            "a GTFS-Realtime vehicle names its route by route_id"
        );
        assert!(routes.near("112", -16.92, 145.75, 50.0).is_empty());
    }
}
