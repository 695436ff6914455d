//! Reading compact frames: the decoder, which reads rows in place with the scanner, keeps the
//! connection's [`Dictionary`] and validates each fix by v1's rules.

use std::borrow::Cow;

use super::super::batch::FixBatch;
use super::super::decode::{DecodeLimits, ServerFrame};
use super::super::meta::Meta;
use super::super::reject::{RejectReason, RejectTally, Rejection, truncate};
use super::super::scan::{Cursor, Scan, ScanError};
use super::super::validate::Candidate;
use super::dictionary::{Dictionary, unknown};
use super::from_units;

/// Decodes one compact frame (`s`, `p` or `r`). `Err` refuses the whole frame; rows refused one
/// by one are counted in `rejected`, and the frame carries the rest.
pub fn decode_compact(
    text: &str,
    dict: &mut Dictionary,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<ServerFrame, Rejection> {
    // Rows are some 30 bytes: room for all of them at once, no regrowing.
    let rows = text.len() / 24 + 1;
    let mut frame = Frame {
        batch: FixBatch::with_capacity(rows, rows * 12),
        ..Frame::default()
    };
    let scanned = scan(text, dict, limits, rejected, &mut frame);
    if let Err(e) = scanned {
        dict.lost();
        return Err(Rejection::new(
            RejectReason::MalformedJson,
            format!("not a valid compact frame: {e}"),
        ));
    }
    match frame.kind {
        Some(Kind::Remove) => Ok(ServerFrame::Remove(frame.removed)),
        Some(Kind::Snapshot) => {
            if !frame.more {
                dict.asked = false;
            }
            Ok(if frame.more {
                ServerFrame::SnapshotPart(frame.batch)
            } else {
                ServerFrame::Snapshot(frame.batch)
            })
        }
        Some(Kind::Positions) => Ok(ServerFrame::Positions(frame.batch)),
        None => Err(Rejection::new(
            RejectReason::UnknownType,
            "compact frame has no \"type\" (expected s, p or r)",
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Snapshot,
    Positions,
    Remove,
}

impl Kind {
    fn has_rows(self) -> bool {
        self != Kind::Remove
    }
}

impl Frame {
    /// Whether `def` and `rows` can be read where they stand: the kind is known, and for a
    /// snapshot whether it starts the dictionary over (its `part`; without one, read after).
    fn ready(&self) -> bool {
        match self.kind {
            Some(Kind::Positions) => true,
            Some(Kind::Snapshot) => self.part.is_some(),
            _ => false,
        }
    }
}

#[derive(Default)]
struct Frame {
    kind: Option<Kind>,
    t: Option<i64>,
    /// A snapshot's part number.
    part: Option<i64>,
    more: bool,
    defined: bool,
    batch: FixBatch,
    removed: Vec<String>,
}

/// The envelope, in any key order. `def` and `rows` are read in place once `type` and `t` are
/// known (fleetview's server writes them in that order); otherwise they are kept and read after.
fn scan<'a>(
    text: &'a str,
    dict: &mut Dictionary,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
    frame: &mut Frame,
) -> Scan<()> {
    let mut c = Cursor::new(text);
    let mut defs: Option<&'a str> = None;
    let mut rows: Option<&'a str> = None;
    let mut ids: Option<&'a str> = None;
    c.eat(b'{', "expected an object")?;
    if !c.empty(b'}') {
        loop {
            let key = c.key()?;
            match key.as_ref() {
                "type" => frame.kind = Some(kind(&mut c)?),
                "t" => frame.t = Some(c.int()?),
                "more" => frame.more = c.literal() == Some("true"),
                "part" => frame.part = Some(c.int()?),
                "def" if frame.ready() => {
                    start_defs(dict, frame);
                    read_defs(&mut c, dict, limits, rejected)?;
                }
                "rows" if frame.defined && frame.ready() && frame.t.is_some() => {
                    read_rows(&mut c, dict, limits, rejected, frame)?;
                }
                "def" => defs = Some(c.skip()?),
                "rows" => rows = Some(c.skip()?),
                "ids" => ids = Some(c.skip()?),
                _ => {
                    c.skip()?;
                }
            }
            if !c.next_item(b'}')? {
                break;
            }
        }
    }
    c.end()?;
    if !frame.kind.is_some_and(Kind::has_rows) {
        if let Some(ids) = ids
            && frame.kind == Some(Kind::Remove)
        {
            read_removes(&mut Cursor::new(ids), dict, rejected, frame)?;
        }
        return Ok(());
    }
    if let Some(defs) = defs {
        start_defs(dict, frame);
        read_defs(&mut Cursor::new(defs), dict, limits, rejected)?;
    }
    if let Some(rows) = rows {
        if frame.t.is_none() {
            return Err(ScanError {
                at: 0,
                what: "a frame with rows has no \"t\"",
            });
        }
        start_defs(dict, frame);
        read_rows(&mut Cursor::new(rows), dict, limits, rejected, frame)?;
    }
    Ok(())
}

fn kind(c: &mut Cursor<'_>) -> Scan<Kind> {
    match c.string()?.as_ref() {
        "s" => Ok(Kind::Snapshot),
        "p" => Ok(Kind::Positions),
        "r" => Ok(Kind::Remove),
        _ => c.fail("a compact frame's type is s, p or r"),
    }
}

/// Before the first `def` or row: a snapshot's part 0 (or a snapshot in one frame, which may
/// not number it) starts the dictionary over.
fn start_defs(dict: &mut Dictionary, frame: &mut Frame) {
    if frame.defined {
        return;
    }
    frame.defined = true;
    if frame.kind == Some(Kind::Snapshot) && frame.part.unwrap_or(0) == 0 {
        let bound = dict.bound;
        let asked = dict.asked;
        *dict = Dictionary::new(bound);
        dict.asked = asked;
    }
}

fn read_defs(
    c: &mut Cursor<'_>,
    dict: &mut Dictionary,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Scan<()> {
    c.eat(b'[', "\"def\" is not an array")?;
    if c.empty(b']') {
        return Ok(());
    }
    loop {
        c.eat(b'[', "a def is not an [index, id] pair")?;
        let index = c.int()?;
        c.eat(b',', "a def is not an [index, id] pair")?;
        let id = c.string()?;
        c.eat(b']', "a def is not an [index, id] pair")?;
        if let Err(r) = dict.define(index, &id, limits) {
            rejected.add(&r);
        }
        if !c.next_item(b']')? {
            return Ok(());
        }
    }
}

fn read_removes(
    c: &mut Cursor<'_>,
    dict: &mut Dictionary,
    rejected: &mut RejectTally,
    frame: &mut Frame,
) -> Scan<()> {
    c.eat(b'[', "\"ids\" is not an array")?;
    if c.empty(b']') {
        return Ok(());
    }
    loop {
        match dict.free(c.int()?) {
            Ok(id) => frame.removed.push(id.into()),
            Err(r) => rejected.add(&r),
        }
        if !c.next_item(b']')? {
            return Ok(());
        }
    }
}

fn read_rows(
    c: &mut Cursor<'_>,
    dict: &mut Dictionary,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
    frame: &mut Frame,
) -> Scan<()> {
    let t = frame.t.unwrap_or_default();
    c.eat(b'[', "\"rows\" is not an array")?;
    if c.empty(b']') {
        return Ok(());
    }
    loop {
        let row = read_row(c)?;
        if let Err(r) = take_row(&row, t, dict, limits, &mut frame.batch) {
            if r.reason == RejectReason::BadIndex {
                dict.lost();
            }
            rejected.add(&r);
        }
        if !c.next_item(b']')? {
            return Ok(());
        }
    }
}

/// A row as written, before the dictionary is consulted.
struct RawRow<'a> {
    index: i64,
    dlat: i64,
    dlon: i64,
    dts: i64,
    heading: Option<i64>,
    speed: Option<i64>,
    /// The fields object's text.
    fields: Option<&'a str>,
}

fn read_row<'a>(c: &mut Cursor<'a>) -> Scan<RawRow<'a>> {
    const SHORT: &str = "a row is not [index, lat, lon, dts, ...] integers";
    c.eat(b'[', "a row is not an array")?;
    let index = c.int()?;
    c.eat(b',', SHORT)?;
    let dlat = c.int()?;
    c.eat(b',', SHORT)?;
    let dlon = c.int()?;
    c.eat(b',', SHORT)?;
    let dts = c.int()?;
    let mut row = RawRow {
        index,
        dlat,
        dlon,
        dts,
        heading: None,
        speed: None,
        fields: None,
    };
    let mut item = 4;
    while c.next_item(b']')? {
        match item {
            4 | 5 => {
                let v = match c.literal() {
                    Some("null") => None,
                    Some(_) => return c.fail("a heading or speed that is not an integer or null"),
                    None => Some(c.int()?),
                };
                if item == 4 {
                    row.heading = v;
                } else {
                    row.speed = v;
                }
            }
            6 if c.peek() == Some(b'{') => row.fields = Some(c.skip()?),
            6 if c.literal() == Some("null") => {}
            6 => return c.fail("a row's fields are not an object"),
            _ => return c.fail("a row has more than 7 items"),
        }
        item += 1;
    }
    Ok(row)
}

/// Moves the row's index by its changes and adds its fix to `batch`. Refused when the index is
/// unknown or the position would leave the map (then the index keeps its previous position),
/// or when the fix breaks v1's rules (the index has moved: the server sent it there).
fn take_row(
    row: &RawRow<'_>,
    t: i64,
    dict: &mut Dictionary,
    limits: &DecodeLimits,
    batch: &mut FixBatch,
) -> Result<(), Rejection> {
    let i = dict.index(row.index)?;
    let slot = match dict.slots.get_mut(i) {
        Some(slot) if slot.id.is_some() => slot,
        _ => return Err(unknown(i)),
    };
    let lat = slot.lat.saturating_add(row.dlat);
    let lon = slot.lon.saturating_add(row.dlon);
    let on_map = (-900_000_000..=900_000_000).contains(&lat)
        && (-1_800_000_000..=1_800_000_000).contains(&lon);
    if !on_map {
        return Err(Rejection::new(
            RejectReason::BadCoordinates,
            format!(
                "index {i} ({:?}) would move to lat {}, lon {}: off the map",
                truncate(slot.id.as_deref().unwrap_or_default(), 64),
                from_units(lat),
                from_units(lon)
            ),
        ));
    }
    slot.lat = lat;
    slot.lon = lon;
    let id = slot.id.as_deref();
    let ts = t.checked_add(row.dts).unwrap_or(-1);
    // As v1's one decimal reads: the same f64, then the same rounding to f32.
    let tenths = |v: Option<i64>| v.map(|v| (v as f64 / 10.0) as f32);
    let mut candidate = Candidate {
        id,
        lat: Some(from_units(lat)),
        lon: Some(from_units(lon)),
        ts: Some(ts),
        heading: tenths(row.heading),
        speed: tenths(row.speed),
        meta: Meta::default(),
    };
    let fields;
    if let Some(text) = row.fields {
        fields = read_fields(text).map_err(|e| {
            Rejection::new(
                RejectReason::InvalidField,
                format!(
                    "the fields of {:?} are not v1's: {e}",
                    truncate(id.unwrap_or_default(), 64)
                ),
            )
        })?;
        candidate.meta = Meta {
            label: fields.label.as_deref(),
            kind: fields.kind.as_deref(),
            status: fields.status.as_deref(),
            route: fields.route.as_deref(),
            attrs: fields.attrs,
        };
    }
    batch.push(&candidate.check(limits)?);
    Ok(())
}

/// A row's descriptive fields, named as in v1.
#[derive(Default)]
struct Fields<'a> {
    label: Option<Cow<'a, str>>,
    kind: Option<Cow<'a, str>>,
    status: Option<Cow<'a, str>>,
    route: Option<Cow<'a, str>>,
    attrs: Option<&'a str>,
}

fn read_fields(text: &str) -> Scan<Fields<'_>> {
    let mut c = Cursor::new(text);
    let mut f = Fields::default();
    c.eat(b'{', "expected an object")?;
    if c.empty(b'}') {
        return Ok(f);
    }
    loop {
        let key = c.key()?;
        let slot = match key.as_ref() {
            "label" => Some(&mut f.label),
            "kind" => Some(&mut f.kind),
            "status" => Some(&mut f.status),
            "route" => Some(&mut f.route),
            "attrs" => {
                f.attrs = match c.peek() {
                    Some(b'{') => Some(c.skip()?),
                    _ if c.literal() == Some("null") => None,
                    _ => return c.fail("\"attrs\" is not an object"),
                };
                None
            }
            _ => {
                c.skip()?;
                None
            }
        };
        if let Some(slot) = slot {
            *slot = match c.literal() {
                Some("null") => None,
                Some(_) => return c.fail("a field that is not a string"),
                None => Some(c.string()?),
            };
        }
        if !c.next_item(b'}')? {
            return Ok(f);
        }
    }
}
