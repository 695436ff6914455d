//! One vehicle's track written out as it is read, to any [`Write`]: JSON, GeoJSON, GPX, KML or
//! CSV, every field each fix had (time, position, speed, heading, label, kind, status, route,
//! attrs). [`TrackWriter::begin`] writes the head, [`TrackWriter::point`] one fix,
//! [`TrackWriter::end`] the tail; output goes through an 8 KiB buffer, so the server sends it
//! in chunks as it reads the store and never holds a whole answer.
//!
//! What is held meanwhile is small and bounded per format: nothing for JSON, GPX and CSV; for
//! GeoJSON the track's coordinates (16 bytes a fix) for the LineString that closes the
//! collection; for KML one chunk of at most 1,000 fixes (or 256 KiB of text), written as one
//! `gx:Track` of a `gx:MultiTrack`.

mod csv;
mod geojson;
mod gpx;
mod iso;
mod json;
mod kml;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::str::FromStr;

use crate::protocol::{FixBatch, FixRef};

pub use gpx::NAMESPACE as GPX_NAMESPACE;
pub use iso::IsoTime;

/// The formats a track can be exported in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackFormat {
    Json,
    GeoJson,
    Gpx,
    Kml,
    Csv,
}

/// A format name that is none of [`TrackFormat`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}: accepted are json, geojson, gpx, kml, csv")]
pub struct UnknownFormat(pub String);

impl TrackFormat {
    pub const ALL: [TrackFormat; 5] = [Self::Json, Self::GeoJson, Self::Gpx, Self::Kml, Self::Csv];

    /// The name [`FromStr`] accepts (`json`, `geojson`, `gpx`, `kml`, `csv`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::GeoJson => "geojson",
            Self::Gpx => "gpx",
            Self::Kml => "kml",
            Self::Csv => "csv",
        }
    }

    /// The HTTP `Content-Type` of an answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::GeoJson => "application/geo+json",
            Self::Gpx => "application/gpx+xml",
            Self::Kml => "application/vnd.google-earth.kml+xml",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        self.name()
    }
}

impl FromStr for TrackFormat {
    type Err = UnknownFormat;

    /// A format by name, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownFormat(crate::protocol::truncate(s, 32)))
    }
}

impl fmt::Display for TrackFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The output buffer: the server's chunks are about this size.
const BUFFER_BYTES: usize = 8 * 1024;

/// Where the output goes, and what the format holds between fixes.
enum Sink<W: Write> {
    Json(BufWriter<W>),
    GeoJson(BufWriter<W>, geojson::Line),
    Gpx(BufWriter<W>),
    Kml(BufWriter<W>, kml::Chunk),
    /// Boxed: the csv writer's state is several times the others'.
    Csv(Box<csv::CsvOut<W>>),
}

/// Writes one vehicle's track, fix by fix. Call [`end`](Self::end): a writer dropped before it
/// leaves the document unfinished.
pub struct TrackWriter<W: Write> {
    sink: Sink<W>,
    points: usize,
}

impl<W: Write> TrackWriter<W> {
    /// Writes the head of a `format` document for vehicle `id`.
    pub fn begin(out: W, format: TrackFormat, id: &str) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(BUFFER_BYTES, out);
        let sink = match format {
            TrackFormat::Json => {
                json::begin(&mut out, id)?;
                Sink::Json(out)
            }
            TrackFormat::GeoJson => {
                geojson::begin(&mut out)?;
                Sink::GeoJson(out, geojson::Line::new(id))
            }
            TrackFormat::Gpx => {
                gpx::begin(&mut out, id)?;
                Sink::Gpx(out)
            }
            TrackFormat::Kml => {
                kml::begin(&mut out, id)?;
                Sink::Kml(out, kml::Chunk::default())
            }
            // The csv writer buffers itself; nothing was written to this buffer yet.
            TrackFormat::Csv => Sink::Csv(Box::new(csv::CsvOut::begin(unbuffer(out)?)?)),
        };
        Ok(Self { sink, points: 0 })
    }

    /// Writes one fix (the caller gives them in time order).
    pub fn point(&mut self, fix: &FixRef<'_>) -> io::Result<()> {
        let first = self.points == 0;
        match &mut self.sink {
            Sink::Json(out) => json::point(out, fix, first)?,
            Sink::GeoJson(out, line) => line.point(out, fix)?,
            Sink::Gpx(out) => gpx::point(out, fix)?,
            Sink::Kml(out, chunk) => chunk.push(out, fix)?,
            Sink::Csv(csv) => csv.point(fix)?,
        }
        self.points += 1;
        Ok(())
    }

    /// Fixes written so far.
    pub fn points(&self) -> usize {
        self.points
    }

    /// Writes the tail, flushes, and gives back the output.
    pub fn end(self) -> io::Result<W> {
        match self.sink {
            Sink::Json(mut out) => {
                json::end(&mut out)?;
                unbuffer(out)
            }
            Sink::GeoJson(mut out, line) => {
                line.end(&mut out)?;
                unbuffer(out)
            }
            Sink::Gpx(mut out) => {
                gpx::end(&mut out)?;
                unbuffer(out)
            }
            Sink::Kml(mut out, mut chunk) => {
                chunk.end(&mut out)?;
                unbuffer(out)
            }
            Sink::Csv(csv) => csv.end(),
        }
    }
}

/// Fixes of any vehicles as one JSON array, each object with the fields of a
/// [`TrackFormat::Json`] track's fixes (`/api/fleet`'s vehicles).
pub fn write_json_fixes(out: &mut impl Write, fixes: &FixBatch) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, fix) in fixes.iter().enumerate() {
        json::point(out, &fix, i == 0)?;
    }
    out.write_all(b"\n]")
}

/// Flushes the buffer and the output under it.
fn unbuffer<W: Write>(out: BufWriter<W>) -> io::Result<W> {
    let mut inner = out.into_inner().map_err(|e| e.into_error())?;
    inner.flush()?;
    Ok(inner)
}
