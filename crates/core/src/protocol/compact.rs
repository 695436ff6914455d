//! The compact encoding of server -> viewer frames: the same snapshots, positions and removals
//! as protocol v1 in about a third of the bytes, still JSON text any stock parser reads.
//!
//! A viewer asks for it with `"encoding":"compact"` in its `subscribe`; a server that does not
//! know it ignores the field and keeps sending v1, and the viewer's decoder takes either.
//!
//! - Each vehicle id is sent once per connection, in a `def` list pairing it with a small index;
//!   rows then name the index. A `remove` frees indices; a snapshot starts the dictionary over.
//! - A row is an array: `[index, lat, lon, dts, heading, speed, fields]`. `lat` and `lon` are
//!   integers of 1e-7 degree, written as the change since that index's previous row (an index
//!   just defined starts at 0, so its first row carries the whole value); `dts` is ms from the
//!   frame's `t`; heading (degrees) and speed (m/s) are integers of a tenth, `null` when unknown,
//!   and left off the end when both are; `fields` (v1's label, kind, status, route, attrs) comes
//!   only when the vehicle is new to the connection or its fields changed.
//!
//! [`FrameWriter`] writes frames (the server); [`Dictionary`] and [`decode_compact`] read them.

mod decode;
mod dictionary;

pub use decode::decode_compact;
pub use dictionary::Dictionary;

use std::fmt::Write as _;

use serde::Serialize;

use super::meta::MetaRef;

/// Units of latitude and longitude per degree.
pub const UNITS_PER_DEGREE: f64 = 1e7;

/// The encodings a viewer can ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Protocol v1: an object per position, ids and decimals in full.
    #[default]
    V1,
    Compact,
}

impl Encoding {
    /// What `subscribe.encoding` names; anything this side does not know is v1, so a newer
    /// viewer asking for an encoding that does not exist yet still gets frames it reads.
    pub fn from_name(name: Option<&str>) -> Self {
        match name {
            Some("compact") => Self::Compact,
            _ => Self::V1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::Compact => "compact",
        }
    }
}

/// Degrees as integer units of 1e-7 (what v1 rounds to as well, so both forms carry the same).
pub fn to_units(degrees: f64) -> i64 {
    (degrees * UNITS_PER_DEGREE).round() as i64
}

/// Units back to degrees: the value a v1 decoder reads from the same position's 7 decimals.
pub fn from_units(units: i64) -> f64 {
    units as f64 / UNITS_PER_DEGREE
}

/// A heading or speed as integer tenths.
pub fn to_tenths(value: f32) -> i64 {
    (f64::from(value) * 10.0).round() as i64
}

/// Tenths back to the value a v1 decoder reads from one decimal.
pub fn from_tenths(tenths: i64) -> f32 {
    (tenths as f64 / 10.0) as f32
}

/// What a compact frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompactKind {
    /// `"s"`: the whole set, or one part of it: `"part"` numbers them from 0, `"more":true`
    /// on all but the last. Part 0 starts the dictionary over.
    Snapshot,
    /// `"p"`: changes since the last frame.
    Positions,
}

/// One row to write: where and when, in the units of the wire.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub index: u32,
    /// Change of latitude since the index's previous row, 1e-7 degree.
    pub dlat: i64,
    pub dlon: i64,
    pub ts: i64,
    pub heading: Option<f32>,
    pub speed: Option<f32>,
    /// The descriptive fields, when they go with this row.
    pub fields: Option<MetaRef<'a>>,
}

/// Writes one compact `s` or `p` frame: `def`s and rows in any order, then [`Self::finish`].
pub struct FrameWriter {
    kind: CompactKind,
    t: i64,
    defs: String,
    rows: String,
}

impl FrameWriter {
    /// A frame whose times are written relative to `t` (UTC ms).
    pub fn new(kind: CompactKind, t: i64, rows: usize) -> Self {
        Self {
            kind,
            t,
            defs: String::new(),
            rows: String::with_capacity(rows * 32),
        }
    }

    /// Pairs `index` with vehicle `id` for the rest of the connection (or until removed).
    pub fn def(&mut self, index: u32, id: &str) {
        self.defs.push(if self.defs.is_empty() { '[' } else { ',' });
        let _ = write!(self.defs, "[{index},");
        push_json(&mut self.defs, &id);
        self.defs.push(']');
    }

    pub fn row(&mut self, row: &Row<'_>) {
        let out = &mut self.rows;
        out.push(if out.is_empty() { '[' } else { ',' });
        let mut ints = itoa::Buffer::new();
        out.push('[');
        for (i, v) in [i64::from(row.index), row.dlat, row.dlon, row.ts - self.t]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            out.push_str(ints.format(v));
        }
        let tail = [row.heading.map(to_tenths), row.speed.map(to_tenths)];
        let kept = if row.fields.is_some() {
            2
        } else {
            tail.iter().rposition(Option::is_some).map_or(0, |i| i + 1)
        };
        for v in &tail[..kept] {
            out.push(',');
            match v {
                Some(v) => out.push_str(ints.format(*v)),
                None => out.push_str("null"),
            }
        }
        if let Some(fields) = &row.fields {
            out.push(',');
            push_json(out, &Fields(fields));
        }
        out.push(']');
    }

    /// The frame's text. A snapshot says which `part` it is (from 0) and whether `more` follow;
    /// a positions frame ignores both.
    pub fn finish(self, part: usize, more: bool) -> String {
        let kind = match self.kind {
            CompactKind::Snapshot => "s",
            CompactKind::Positions => "p",
        };
        let defs = if self.defs.is_empty() {
            "["
        } else {
            &self.defs
        };
        let rows = if self.rows.is_empty() {
            "["
        } else {
            &self.rows
        };
        let mut text = String::with_capacity(defs.len() + rows.len() + 64);
        let _ = write!(text, r#"{{"type":"{kind}","t":{},"#, self.t);
        let snapshot = self.kind == CompactKind::Snapshot;
        if snapshot {
            let _ = write!(text, r#""part":{part},"#);
        }
        let _ = write!(text, r#""def":{defs}],"rows":{rows}]"#);
        if more && snapshot {
            text.push_str(r#","more":true"#);
        }
        text.push('}');
        text
    }
}

/// A `remove` frame: these indices' vehicles left, and the indices are free.
pub fn remove_frame(indices: &[u32]) -> String {
    let mut text = String::with_capacity(indices.len() * 6 + 24);
    text.push_str(r#"{"type":"r","ids":["#);
    let mut ints = itoa::Buffer::new();
    for (i, index) in indices.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(ints.format(*index));
    }
    text.push_str("]}");
    text
}

fn push_json<T: Serialize + ?Sized>(out: &mut String, value: &T) {
    // Writing a string or a map of strings to a String cannot fail.
    if let Ok(text) = serde_json::to_string(value) {
        out.push_str(&text);
    }
}

/// The descriptive fields as v1 names them; `attrs` is raw JSON already.
struct Fields<'a, 'b>(&'b MetaRef<'a>);

impl Serialize for Fields<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let m = self.0;
        let mut map = s.serialize_map(None)?;
        for (name, value) in m.named() {
            let Some(value) = value else { continue };
            if name == "attrs" {
                match serde_json::value::RawValue::from_string((*value).to_owned()) {
                    Ok(raw) => map.serialize_entry(name, &raw)?,
                    Err(_) => continue,
                }
            } else {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests;
