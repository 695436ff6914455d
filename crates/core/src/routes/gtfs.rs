//! A static GTFS zip as route lines: each shape of `shapes.txt` a line, named by the route its
//! trips run (`trips.txt` -> `routes.txt`): the route's short name, its `route_id` (what
//! GTFS-Realtime vehicles report) and its colour. Only those three files are read; a feed
//! without `shapes.txt` has no lines to give and says so.
//!
//! A byte order mark (common in GTFS files) is dropped by the csv reader. The zip and each
//! file are bounded (a hostile or broken zip cannot fill memory); rows that do
//! not parse are skipped and counted, never fatal.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::{RouteLine, RouteLines};

/// The largest file read out of the zip, bytes (uncompressed).
const MAX_FILE: u64 = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum GtfsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a zip: {message}")]
    Zip { path: String, message: String },
    #[error("{path} has no {file}")]
    Missing { path: String, file: &'static str },
    #[error("{path}: {file} is larger than {MAX_FILE} bytes")]
    TooLarge { path: String, file: &'static str },
    #[error("{path}: {file}: {message}")]
    Csv {
        path: String,
        file: &'static str,
        message: String,
    },
}

#[derive(Deserialize)]
struct Route {
    route_id: String,
    #[serde(default)]
    route_short_name: String,
    #[serde(default)]
    route_long_name: String,
    #[serde(default)]
    route_color: String,
}

#[derive(Deserialize)]
struct Trip {
    route_id: String,
    #[serde(default)]
    shape_id: String,
}

#[derive(Deserialize)]
struct ShapePoint {
    shape_id: String,
    shape_pt_lat: f64,
    shape_pt_lon: f64,
    shape_pt_sequence: u32,
}

/// What reading a zip gave: its lines, and the rows skipped.
#[derive(Debug)]
pub struct Loaded {
    pub lines: RouteLines,
    pub skipped_rows: usize,
}

/// Reads the route lines of the GTFS zip at `path`.
pub fn load(path: &Path) -> Result<Loaded, GtfsError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| GtfsError::Read {
        path: name.clone(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| GtfsError::Zip {
        path: name.clone(),
        message: e.to_string(),
    })?;
    let mut skipped = 0;
    let routes: Vec<Route> = rows(&mut zip, &name, "routes.txt", &mut skipped)?;
    let trips: Vec<Trip> = rows(&mut zip, &name, "trips.txt", &mut skipped)?;
    let points: Vec<ShapePoint> = rows(&mut zip, &name, "shapes.txt", &mut skipped)?;
    Ok(Loaded {
        lines: lines(&routes, &trips, points),
        skipped_rows: skipped,
    })
}

/// The rows of one file of the zip; rows that do not parse are counted in `skipped`.
fn rows<T: serde::de::DeserializeOwned>(
    zip: &mut zip::ZipArchive<std::fs::File>,
    path: &str,
    file: &'static str,
    skipped: &mut usize,
) -> Result<Vec<T>, GtfsError> {
    let entry = zip.by_name(file).map_err(|_| GtfsError::Missing {
        path: path.to_owned(),
        file,
    })?;
    if entry.size() > MAX_FILE {
        return Err(GtfsError::TooLarge {
            path: path.to_owned(),
            file,
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(entry.take(MAX_FILE));
    let csv_error = |e: csv::Error| GtfsError::Csv {
        path: path.to_owned(),
        file,
        message: e.to_string(),
    };
    reader.headers().map_err(csv_error)?;
    let mut out = Vec::new();
    for row in reader.deserialize() {
        match row {
            Ok(row) => out.push(row),
            Err(e) if e.is_io_error() => return Err(csv_error(e)),
            Err(_) => *skipped += 1,
        }
    }
    Ok(out)
}

/// One line per shape, named by the first route whose trips run it.
fn lines(routes: &[Route], trips: &[Trip], mut points: Vec<ShapePoint>) -> RouteLines {
    let by_id: HashMap<&str, &Route> = routes.iter().map(|r| (r.route_id.as_str(), r)).collect();
    let mut route_of_shape: HashMap<&str, &Route> = HashMap::new();
    for trip in trips.iter().filter(|t| !t.shape_id.is_empty()) {
        if let Some(route) = by_id.get(trip.route_id.as_str()) {
            route_of_shape
                .entry(trip.shape_id.as_str())
                .or_insert(route);
        }
    }
    points.sort_by(|a, b| {
        (a.shape_id.as_str(), a.shape_pt_sequence).cmp(&(b.shape_id.as_str(), b.shape_pt_sequence))
    });
    let mut lines: Vec<RouteLine> = Vec::new();
    for chunk in points.chunk_by(|a, b| a.shape_id == b.shape_id) {
        let Some(route) = route_of_shape.get(chunk[0].shape_id.as_str()) else {
            continue;
        };
        let points: Vec<(f64, f64)> = chunk
            .iter()
            .map(|p| (p.shape_pt_lat, p.shape_pt_lon))
            .filter(|(lat, lon)| lat.abs() <= 90.0 && lon.abs() <= 180.0)
            .collect();
        if points.len() < 2 {
            continue;
        }
        let name = [
            &route.route_short_name,
            &route.route_long_name,
            &route.route_id,
        ]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or_else(String::new, |s| s.to_owned());
        lines.push(RouteLine {
            route: name,
            id: Some(route.route_id.clone()),
            colour: hex_colour(&route.route_color),
            points,
        });
    }
    RouteLines { lines }
}

/// `route_color`: six hex digits, no `#`.
pub fn hex_colour(hex: &str) -> Option<[u8; 3]> {
    let hex = hex.trim().trim_start_matches('#');
    if hex.len() != 6 || !hex.is_ascii() {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cairns() -> Loaded {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/gtfs/cairns_gtfs.zip"
        );
        load(Path::new(path)).expect("the Cairns GTFS")
    }

    #[test]
    fn the_cairns_zip_gives_each_shape_a_line_named_coloured_and_keyed_by_route_id() {
        let loaded = cairns();
        assert_eq!(loaded.skipped_rows, 0);
        let lines = &loaded.lines.lines;
        assert!(lines.len() > 20, "{} lines", lines.len());
        let line = lines.iter().find(|l| l.route == "110").expect("route 110");
        assert_eq!(line.id.as_deref(), Some("110-423"));
        assert_eq!(line.colour, Some([0x7b, 0xc1, 0x42]));
        assert!(line.points.len() > 100);
        assert!(
            line.points
                .iter()
                .all(|(lat, lon)| (-17.5..-16.5).contains(lat) && (145.5..146.0).contains(lon))
        );
    }

    #[test]
    fn a_file_that_is_not_a_zip_or_lacks_shapes_is_a_clear_error() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let e = load(Path::new(path)).expect_err("not a zip");
        assert!(e.to_string().contains("is not a zip"), "{e}");
        let e = load(Path::new("/nonexistent/gtfs.zip")).expect_err("missing");
        assert!(e.to_string().contains("cannot read"), "{e}");
    }
}
