//! KML 2.2 with Google's `gx:Track`: a Placemark named by the vehicle id holding a
//! `gx:MultiTrack` (interpolated, so viewers draw one line) of `gx:Track`s, each with its
//! `<when>`s, then its `<gx:coord>lon lat 0</gx:coord>`s, then `ExtendedData` arrays (speed,
//! heading, label, kind, status, route, attrs; one value a fix, empty where the fix had none)
//! declared by the document's `Schema`.
//!
//! The schema wants all of a track's times before its coordinates and each field's values
//! together, so a track cannot be written fix by fix; fixes are gathered in chunks (at most
//! [`MAX_POINTS`] fixes or [`MAX_TEXT`] bytes of text) and each chunk goes out as one
//! `gx:Track`: what is held stays bounded however long the range.

use std::io::{self, Write};

use super::iso::IsoTime;
use super::text::{xml_element, xml_text};
use crate::protocol::FixRef;

/// Fixes in one `gx:Track` at most.
pub(super) const MAX_POINTS: usize = 1000;
/// Bytes of text held for one `gx:Track` before it goes out.
pub(super) const MAX_TEXT: usize = 256 * 1024;

/// The per-fix text fields, in the order of the schema.
const TEXT_FIELDS: [(&str, &str); 5] = [
    ("label", "Label"),
    ("kind", "Kind"),
    ("status", "Status"),
    ("route", "Route"),
    ("attrs", "Attributes (JSON)"),
];

pub(super) fn begin(out: &mut impl Write, id: &str) -> io::Result<()> {
    out.write_all(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
          <kml xmlns=\"http://www.opengis.net/kml/2.2\" \
          xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>",
    )?;
    xml_element(out, "name", id)?;
    out.write_all(
        b"\n<Schema id=\"fleetview\" name=\"fleetview\">\
          <gx:SimpleArrayField name=\"speed\" type=\"float\">\
          <displayName>Speed (m/s)</displayName></gx:SimpleArrayField>\
          <gx:SimpleArrayField name=\"heading\" type=\"float\">\
          <displayName>Heading (degrees)</displayName></gx:SimpleArrayField>",
    )?;
    for (name, display) in TEXT_FIELDS {
        write!(
            out,
            "<gx:SimpleArrayField name=\"{name}\" type=\"string\">\
             <displayName>{display}</displayName></gx:SimpleArrayField>"
        )?;
    }
    out.write_all(b"</Schema>\n<Placemark>")?;
    xml_element(out, "name", id)?;
    out.write_all(b"\n<gx:MultiTrack><gx:interpolate>1</gx:interpolate>\n")
}

/// A fix as a chunk holds it: its texts as byte ranges of the chunk's text.
#[derive(Debug, Clone)]
struct Held {
    ts: i64,
    lat: f64,
    lon: f64,
    speed: Option<f32>,
    heading: Option<f32>,
    texts: [Option<(usize, usize)>; 5],
}

/// The fixes of the `gx:Track` being gathered.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    points: Vec<Held>,
    text: String,
}

impl Chunk {
    /// Keeps `fix`; writes the chunk out when full.
    pub fn push(&mut self, out: &mut impl Write, fix: &FixRef<'_>) -> io::Result<()> {
        let m = &fix.meta;
        let texts = [m.label, m.kind, m.status, m.route, m.attrs].map(|v| {
            v.map(|s| {
                let start = self.text.len();
                self.text.push_str(s);
                (start, self.text.len())
            })
        });
        self.points.push(Held {
            ts: fix.ts,
            lat: fix.lat,
            lon: fix.lon,
            speed: fix.speed,
            heading: fix.heading,
            texts,
        });
        if self.points.len() >= MAX_POINTS || self.text.len() >= MAX_TEXT {
            self.flush(out)?;
        }
        Ok(())
    }

    /// Writes what is left and closes the document.
    pub fn end(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.flush(out)?;
        out.write_all(b"</gx:MultiTrack>\n</Placemark>\n</Document>\n</kml>\n")
    }

    /// Writes the held fixes as one `gx:Track` and forgets them (keeping the memory).
    fn flush(&mut self, out: &mut impl Write) -> io::Result<()> {
        if self.points.is_empty() {
            return Ok(());
        }
        out.write_all(b"<gx:Track>\n")?;
        for p in &self.points {
            write!(out, "<when>{}</when>", IsoTime::new(p.ts))?;
        }
        out.write_all(b"\n")?;
        for p in &self.points {
            write!(out, "<gx:coord>{} {} 0</gx:coord>", p.lon, p.lat)?;
        }
        out.write_all(b"\n")?;
        self.extended_data(out)?;
        out.write_all(b"</gx:Track>\n")?;
        self.points.clear();
        self.text.clear();
        Ok(())
    }

    /// One array a field some fix of the chunk has.
    fn extended_data(&self, out: &mut impl Write) -> io::Result<()> {
        let has_speed = self.points.iter().any(|p| p.speed.is_some());
        let has_heading = self.points.iter().any(|p| p.heading.is_some());
        let has_text: [bool; 5] =
            std::array::from_fn(|i| self.points.iter().any(|p| p.texts[i].is_some()));
        if !(has_speed || has_heading || has_text.contains(&true)) {
            return Ok(());
        }
        out.write_all(b"<ExtendedData><SchemaData schemaUrl=\"#fleetview\">\n")?;
        if has_speed {
            self.numbers(out, "speed", |p| p.speed)?;
        }
        if has_heading {
            self.numbers(out, "heading", |p| p.heading)?;
        }
        for (i, (name, _)) in TEXT_FIELDS.iter().enumerate() {
            if has_text[i] {
                self.texts(out, name, i)?;
            }
        }
        out.write_all(b"</SchemaData></ExtendedData>\n")
    }

    fn numbers(
        &self,
        out: &mut impl Write,
        name: &str,
        value: impl Fn(&Held) -> Option<f32>,
    ) -> io::Result<()> {
        write!(out, "<gx:SimpleArrayData name=\"{name}\">")?;
        for p in &self.points {
            match value(p) {
                Some(v) => write!(out, "<gx:value>{v}</gx:value>")?,
                None => out.write_all(b"<gx:value/>")?,
            }
        }
        out.write_all(b"</gx:SimpleArrayData>\n")
    }

    fn texts(&self, out: &mut impl Write, name: &str, field: usize) -> io::Result<()> {
        write!(out, "<gx:SimpleArrayData name=\"{name}\">")?;
        for p in &self.points {
            match p.texts[field].and_then(|(a, b)| self.text.get(a..b)) {
                Some(v) => {
                    out.write_all(b"<gx:value>")?;
                    xml_text(out, v)?;
                    out.write_all(b"</gx:value>")?;
                }
                None => out.write_all(b"<gx:value/>")?,
            }
        }
        out.write_all(b"</gx:SimpleArrayData>\n")
    }
}
