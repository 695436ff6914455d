//! Geofences: areas read from a GeoJSON file, with a spatial index over their bounds so that
//! finding the ones a fix is in costs a tree walk, not a scan of every area.
//!
//! A `Polygon` or `MultiPolygon` feature is an area; a `Point` with a `radius` property (metres)
//! is a circle. `name` names it (else "geofence N"); `depot: true` marks a depot (where a stop
//! is not an alert); `speed_limit_kmh` is its own speed limit. Coordinates are GeoJSON's
//! `[longitude, latitude]`. Containment is the `geo` crate's; circles use the haversine distance.

use geo::{Contains, Distance, Haversine, Point};
use geojson::{Feature, GeoJson};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Mean Earth radius in metres, for the degrees a circle spans.
pub const EARTH_M: f64 = 6_371_008.8;

#[derive(Debug, thiserror::Error)]
pub enum GeofenceError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not GeoJSON: {message}")]
    Json { path: String, message: String },
    #[error("{path}: feature {index} ({name}): {message}")]
    Feature {
        path: String,
        index: usize,
        name: String,
        message: String,
    },
}

/// The area of a geofence.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    Polygons(geo::MultiPolygon<f64>),
    /// Centre (lon, lat) and radius in metres.
    Circle {
        centre: Point<f64>,
        radius_m: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Geofence {
    pub name: String,
    pub area: Area,
    /// A depot: stopping here is not an alert.
    pub depot: bool,
    /// Its own speed limit, km/h.
    pub speed_limit_kmh: Option<f64>,
}

impl Geofence {
    /// Whether (lat, lon) is inside.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let p = Point::new(lon, lat);
        match &self.area {
            Area::Polygons(m) => m.contains(&p),
            Area::Circle { centre, radius_m } => Haversine.distance(*centre, p) <= *radius_m,
        }
    }

    /// Its bounds as [lon, lat] corners.
    fn bounds(&self) -> Rectangle<[f64; 2]> {
        match &self.area {
            Area::Polygons(m) => {
                let mut min = [f64::INFINITY; 2];
                let mut max = [f64::NEG_INFINITY; 2];
                for c in m.0.iter().flat_map(|p| p.exterior().coords()) {
                    min = [min[0].min(c.x), min[1].min(c.y)];
                    max = [max[0].max(c.x), max[1].max(c.y)];
                }
                Rectangle::from_corners(min, max)
            }
            Area::Circle { centre, radius_m } => {
                let dlat = (radius_m / EARTH_M).to_degrees();
                let cos = centre.y().to_radians().cos().max(1e-6);
                let dlon = (dlat / cos).min(180.0);
                Rectangle::from_corners(
                    [centre.x() - dlon, centre.y() - dlat],
                    [centre.x() + dlon, centre.y() + dlat],
                )
            }
        }
    }
}

/// Every geofence, with an R-tree over their bounds.
#[derive(Debug, Default)]
pub struct Geofences {
    fences: Vec<Geofence>,
    index: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
}

impl Geofences {
    pub fn new(fences: Vec<Geofence>) -> Self {
        let boxes = fences
            .iter()
            .enumerate()
            .map(|(i, f)| GeomWithData::new(f.bounds(), i as u32))
            .collect();
        Self {
            index: RTree::bulk_load(boxes),
            fences,
        }
    }

    pub fn len(&self) -> usize {
        self.fences.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fences.is_empty()
    }

    pub fn get(&self, i: u32) -> Option<&Geofence> {
        self.fences.get(i as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Geofence> {
        self.fences.iter()
    }

    /// The geofences (by number) that (lat, lon) is inside, into `out` (cleared first), in
    /// ascending order.
    pub fn containing(&self, lat: f64, lon: f64, out: &mut Vec<u32>) {
        out.clear();
        let at = AABB::from_point([lon, lat]);
        for hit in self.index.locate_in_envelope_intersecting(&at) {
            let i = hit.data;
            if self.fences[i as usize].contains(lat, lon) {
                out.push(i);
            }
        }
        out.sort_unstable();
    }

    /// Every geofence, for editing (then [`Geofences::new`] again).
    pub fn to_vec(&self) -> Vec<Geofence> {
        self.fences.clone()
    }

    /// The geofences as a GeoJSON FeatureCollection, as [`Geofences::parse`] reads it back.
    pub fn to_geojson(&self) -> String {
        let features: Vec<serde_json::Value> = self
            .fences
            .iter()
            .map(|f| {
                let mut properties = serde_json::json!({"name": f.name});
                if f.depot {
                    properties["depot"] = true.into();
                }
                if let Some(limit) = f.speed_limit_kmh {
                    properties["speed_limit_kmh"] = limit.into();
                }
                let geometry = match &f.area {
                    Area::Polygons(m) => geojson::Geometry::from(m),
                    Area::Circle { centre, radius_m } => {
                        properties["radius"] = (*radius_m).into();
                        geojson::Geometry::from(centre)
                    }
                };
                serde_json::json!({
                    "type": "Feature",
                    "properties": properties,
                    "geometry": geometry,
                })
            })
            .collect();
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
    }

    /// Reads a GeoJSON file (a FeatureCollection, a Feature, or a bare geometry).
    pub fn load(path: &std::path::Path) -> Result<Self, GeofenceError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| GeofenceError::Read {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text, &name)
    }

    /// The geofences of GeoJSON text (`path` names it in errors).
    pub fn parse(text: &str, path: &str) -> Result<Self, GeofenceError> {
        let json: GeoJson = text
            .parse()
            .map_err(|e: geojson::Error| GeofenceError::Json {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        let features: Vec<Feature> = match json {
            GeoJson::FeatureCollection(c) => c.features,
            GeoJson::Feature(f) => vec![f],
            GeoJson::Geometry(g) => vec![Feature::from(g)],
        };
        let fences = features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                feature(f, i + 1).map_err(|message| GeofenceError::Feature {
                    path: path.to_owned(),
                    index: i + 1,
                    name: name_of(f, i + 1),
                    message,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self::new(fences))
    }
}

fn name_of(f: &Feature, index: usize) -> String {
    f.property("name")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| format!("geofence {index}"), str::to_owned)
}

/// One feature as a geofence, or what is wrong with it.
fn feature(f: &Feature, index: usize) -> Result<Geofence, String> {
    let geometry = f.geometry.as_ref().ok_or("it has no geometry")?;
    let shape = geo::Geometry::<f64>::try_from(geometry.clone()).map_err(|e| e.to_string())?;
    let number = |key: &str| -> Result<Option<f64>, String> {
        match f.property(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|n| n.is_finite() && *n > 0.0)
                .map(Some)
                .ok_or_else(|| format!("{key} is {v}, not a positive number")),
        }
    };
    let area = match shape {
        geo::Geometry::Polygon(p) => Area::Polygons(geo::MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(m) => Area::Polygons(m),
        geo::Geometry::Point(centre) => {
            let radius_m = number("radius")?.ok_or("a Point needs a radius (metres)")?;
            Area::Circle { centre, radius_m }
        }
        other => {
            return Err(format!(
                "a {} is not an area (Polygon, MultiPolygon, or Point with a radius)",
                kind_name(&other)
            ));
        }
    };
    if let Area::Polygons(m) = &area {
        let valid = |c: &geo::Coord<f64>| c.x.abs() <= 180.0 && c.y.abs() <= 90.0;
        if m.0.iter().any(|p| p.exterior().0.len() < 4) {
            return Err("a polygon needs at least three corners".into());
        }
        if !m.0.iter().flat_map(|p| p.exterior().coords()).all(valid) {
            return Err("a corner is off the globe ([longitude, latitude] in degrees)".into());
        }
    }
    Ok(Geofence {
        name: name_of(f, index),
        area,
        depot: f
            .property("depot")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false),
        speed_limit_kmh: number("speed_limit_kmh")?,
    })
}

fn kind_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "Point",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "LineString",
        geo::Geometry::MultiLineString(_) => "MultiLineString",
        geo::Geometry::MultiPoint(_) => "MultiPoint",
        geo::Geometry::GeometryCollection(_) => "GeometryCollection",
        _ => "geometry",
    }
}

#[cfg(test)]
pub(crate) mod tests;
