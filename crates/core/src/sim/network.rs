//! The street geometry vehicles move on: route shapes as polylines with cumulative distances,
//! and each shape's stops as distances along it.
//!
//! Distances use a local equirectangular projection per segment, exact enough over tens of
//! metres; a point at distance `s` is interpolated linearly between two shape vertices, so it
//! lies on the polyline itself.

use serde::Deserialize;

use crate::geo;

/// The Cairns bus network, derived by `assets/make_cairns_routes.py` from the GTFS feed in
/// gtfs-kit's sdist.
pub const CAIRNS: &str = include_str!("../../../../assets/cairns_routes.json");

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("route asset is not valid: {0}")]
    Json(#[from] serde_json::Error),
    #[error("route asset has no usable shape (each needs two distinct points)")]
    Empty,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub id: String,
    /// What riders call it ("110").
    pub name: String,
    pub long_name: String,
    /// RGB hex without '#'.
    pub color: String,
}

#[derive(Debug, Clone)]
pub struct Shape {
    pub id: String,
    /// Index into [`Network::routes`].
    pub route: usize,
    pub headsign: String,
    points: Vec<(f64, f64)>,
    /// Distance from the start to each point, metres.
    cum: Vec<f64>,
    /// Stops as distances along the shape, ascending.
    pub stops: Vec<f64>,
}

impl Shape {
    /// The same shape moved by `dlat`, `dlon` degrees (its lengths measured again there).
    pub(super) fn translated(&self, dlat: f64, dlon: f64) -> Shape {
        let points: Vec<(f64, f64)> = self
            .points
            .iter()
            .map(|p| (p.0 + dlat, p.1 + dlon))
            .collect();
        let cum = cumulative(&points);
        let total = cum.last().copied().unwrap_or(0.0);
        // Stops keep their share of the way along.
        let scale = total / self.length().max(1.0);
        Shape {
            id: self.id.clone(),
            route: self.route,
            headsign: self.headsign.clone(),
            points,
            cum,
            stops: self.stops.iter().map(|s| s * scale).collect(),
        }
    }

    pub fn length(&self) -> f64 {
        self.cum.last().copied().unwrap_or(0.0)
    }

    pub fn points(&self) -> &[(f64, f64)] {
        &self.points
    }

    /// The segment index holding distance `s`, searching from `hint` (vehicles move a little
    /// per step, so this is O(1) amortised).
    pub fn segment_at(&self, s: f64, hint: usize) -> usize {
        let last = self.points.len().saturating_sub(2);
        let mut i = hint.min(last);
        while i < last && self.cum[i + 1] < s {
            i += 1;
        }
        while i > 0 && self.cum[i] > s {
            i -= 1;
        }
        i
    }

    /// Position and heading (degrees, direction of increasing `s`) at distance `s`.
    pub fn at(&self, s: f64, segment: usize) -> (f64, f64, f64) {
        let i = segment.min(self.points.len().saturating_sub(2));
        let (a, b) = (self.points[i], self.points[i + 1]);
        let len = self.cum[i + 1] - self.cum[i];
        let t = if len > 0.0 {
            ((s - self.cum[i]) / len).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let lat = a.0 + (b.0 - a.0) * t;
        let lon = a.1 + (b.1 - a.1) * t;
        (lat, lon, geo::bearing_deg(a.0, a.1, b.0, b.1))
    }

    /// Distance in metres from a point to the nearest part of this shape.
    pub fn distance_to(&self, lat: f64, lon: f64) -> f64 {
        geo::distance_to_line_m(lat, lon, &self.points)
    }

    /// Where a point projects onto the shape, as a distance along it.
    fn project(&self, lat: f64, lon: f64) -> f64 {
        let mut best = (f64::INFINITY, 0.0);
        for (i, w) in self.points.windows(2).enumerate() {
            let (d, t) = geo::point_segment(lat, lon, w[0], w[1]);
            if d < best.0 {
                best = (d, self.cum[i] + t * (self.cum[i + 1] - self.cum[i]));
            }
        }
        best.1
    }
}

#[derive(Debug, Clone)]
pub struct Network {
    pub routes: Vec<Route>,
    pub shapes: Vec<Shape>,
    pub source: String,
}

impl Network {
    /// The network's shapes as route lines a map draws.
    pub fn route_lines(&self) -> crate::routes::RouteLines {
        crate::routes::RouteLines {
            lines: self
                .shapes
                .iter()
                .map(|s| {
                    let route = &self.routes[s.route];
                    crate::routes::RouteLine {
                        route: route.name.clone(),
                        id: Some(route.id.clone()),
                        colour: crate::routes::gtfs::hex_colour(&route.color),
                        points: s.points().to_vec(),
                    }
                })
                .collect(),
        }
    }

    /// The embedded Cairns network.
    pub fn cairns() -> Result<Self, NetworkError> {
        Self::from_json(CAIRNS)
    }

    pub fn from_json(text: &str) -> Result<Self, NetworkError> {
        #[derive(Deserialize)]
        struct Asset {
            source: String,
            routes: Vec<RawRoute>,
            shapes: Vec<RawShape>,
        }
        #[derive(Deserialize)]
        struct RawRoute {
            id: String,
            name: String,
            long_name: String,
            color: String,
        }
        #[derive(Deserialize)]
        struct RawShape {
            id: String,
            route: String,
            headsign: String,
            points: Vec<[f64; 2]>,
            stops: Vec<RawStop>,
        }
        #[derive(Deserialize)]
        struct RawStop {
            lat: f64,
            lon: f64,
        }
        let asset: Asset = serde_json::from_str(text)?;
        let routes: Vec<Route> = asset
            .routes
            .into_iter()
            .map(|r| Route {
                id: r.id,
                name: r.name,
                long_name: r.long_name,
                color: r.color,
            })
            .collect();
        let mut shapes = Vec::new();
        for raw in asset.shapes {
            let Some(route) = routes.iter().position(|r| r.id == raw.route) else {
                continue;
            };
            let points: Vec<(f64, f64)> = raw.points.iter().map(|p| (p[0], p[1])).collect();
            let cum = cumulative(&points);
            let total = cum.last().copied().unwrap_or(0.0);
            if points.len() < 2 || total <= 0.0 {
                continue;
            }
            let mut shape = Shape {
                id: raw.id,
                route,
                headsign: raw.headsign,
                points,
                cum,
                stops: Vec::new(),
            };
            let mut stops: Vec<f64> = raw
                .stops
                .iter()
                .map(|s| shape.project(s.lat, s.lon))
                .collect();
            stops.sort_by(f64::total_cmp);
            stops.dedup_by(|a, b| (*a - *b).abs() < 20.0);
            shape.stops = stops;
            shapes.push(shape);
        }
        if shapes.is_empty() {
            return Err(NetworkError::Empty);
        }
        Ok(Self {
            routes,
            shapes,
            source: asset.source,
        })
    }
}

/// The distance from the first point to each, metres.
fn cumulative(points: &[(f64, f64)]) -> Vec<f64> {
    let mut total = 0.0;
    let mut previous = points.first().copied();
    points
        .iter()
        .map(|p| {
            if let Some(q) = previous {
                total += geo::distance_m(q.0, q.1, p.0, p.1);
            }
            previous = Some(*p);
            total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cairns_asset_has_its_22_routes_and_54_shapes_with_stops() {
        let n = Network::cairns().expect("asset loads");
        assert_eq!(n.routes.len(), 22);
        assert_eq!(n.shapes.len(), 54);
        assert!(n.shapes.iter().all(|s| s.stops.len() >= 2));
        let longest = n.shapes.iter().map(Shape::length).fold(0.0, f64::max);
        // The longest route (Gordonvale) runs some 25-40 km.
        assert!((20_000.0..60_000.0).contains(&longest), "{longest}");
    }

    #[test]
    fn a_point_at_a_distance_lies_on_the_shape_with_the_segment_heading() {
        let n = Network::cairns().expect("asset loads");
        let shape = &n.shapes[0];
        let mut seg = 0;
        let mut s = 0.0;
        while s < shape.length() {
            seg = shape.segment_at(s, seg);
            let (lat, lon, heading) = shape.at(s, seg);
            assert!(shape.distance_to(lat, lon) < 0.05, "off the shape at {s}");
            assert!((0.0..360.0).contains(&heading));
            s += 37.0;
        }
    }

    #[test]
    fn a_broken_asset_is_refused_with_a_reason() {
        assert!(matches!(
            Network::from_json("{}"),
            Err(NetworkError::Json(_))
        ));
        assert!(matches!(
            Network::from_json(r#"{"source":"","routes":[],"shapes":[]}"#),
            Err(NetworkError::Empty)
        ));
    }
}
