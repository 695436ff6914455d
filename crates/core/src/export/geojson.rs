//! GeoJSON (RFC 7946): a FeatureCollection of one Point feature per fix (its fields as
//! properties, coordinates `[lon, lat]`), closed by a LineString feature of the whole track
//! (properties `id`, `from`, `to`, `points`; geometry null under two points, as a LineString
//! needs two). The line comes last because it is only known at the end: the Points stream out
//! as they come and only the coordinates are held for it (16 bytes a fix). The order of a
//! collection's features carries no meaning in GeoJSON.

use std::io::{self, Write};

use super::iso::IsoTime;
use super::json::members;
use super::text::{json_num, json_str};
use crate::protocol::FixRef;

pub(super) fn begin(out: &mut impl Write) -> io::Result<()> {
    out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")
}

/// The track line, gathered while the Points go out.
pub(super) struct Line {
    id: String,
    coords: Vec<[f64; 2]>,
    from_ts: i64,
    to_ts: i64,
}

impl Line {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            coords: Vec::new(),
            from_ts: 0,
            to_ts: 0,
        }
    }

    /// Writes `fix`'s Point feature and keeps its coordinates.
    pub fn point(&mut self, out: &mut impl Write, fix: &FixRef<'_>) -> io::Result<()> {
        if self.coords.is_empty() {
            self.from_ts = fix.ts;
            out.write_all(b"\n")?;
        } else {
            out.write_all(b",\n")?;
        }
        self.to_ts = fix.ts;
        self.coords.push([fix.lon, fix.lat]);
        out.write_all(b"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":")?;
        coord(out, [fix.lon, fix.lat])?;
        out.write_all(b"},\"properties\":{")?;
        members(out, fix, false)?;
        out.write_all(b"}}")
    }

    /// Writes the LineString feature and closes the collection.
    pub fn end(self, out: &mut impl Write) -> io::Result<()> {
        out.write_all(if self.coords.is_empty() {
            b"\n"
        } else {
            b",\n"
        })?;
        out.write_all(b"{\"type\":\"Feature\",\"geometry\":")?;
        if self.coords.len() >= 2 {
            out.write_all(b"{\"type\":\"LineString\",\"coordinates\":[")?;
            for (i, &c) in self.coords.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                coord(out, c)?;
            }
            out.write_all(b"]}")?;
        } else {
            out.write_all(b"null")?;
        }
        out.write_all(b",\"properties\":{\"id\":")?;
        json_str(out, &self.id)?;
        for (name, ts) in [("from", self.from_ts), ("to", self.to_ts)] {
            if self.coords.is_empty() {
                write!(out, ",\"{name}\":null")?;
            } else {
                write!(out, ",\"{name}\":\"{}\"", IsoTime::new(ts))?;
            }
        }
        write!(out, ",\"points\":{}}}}}\n]}}\n", self.coords.len())
    }
}

fn coord(out: &mut impl Write, [lon, lat]: [f64; 2]) -> io::Result<()> {
    out.write_all(b"[")?;
    json_num(out, lon)?;
    out.write_all(b",")?;
    json_num(out, lat)?;
    out.write_all(b"]")
}
