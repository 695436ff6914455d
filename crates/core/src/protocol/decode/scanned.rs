//! The fast path for protocol v1 `positions` and `snapshot` frames: the scanner reads the frame
//! in place, field by field, into the same [`Candidate`]s the serde path builds, and v1's
//! validation decides each one.
//!
//! It only answers when it is sure to answer as the serde path would: anything unusual (an
//! escaped key or string, a duplicate field, a field of another type, a number out of range, a
//! frame that is not well-formed) makes it step aside, and the serde path, whose per-position
//! refusals are the reference, decodes the frame instead.

use std::borrow::Cow;

use super::super::batch::FixBatch;
use super::super::meta::Meta;
use super::super::reject::RejectTally;
use super::super::scan::{Cursor, word};
use super::super::validate::{Candidate, json_ms};
use super::{DecodeLimits, ServerFrame};

/// Not this path's to answer: the serde path decodes the frame.
struct StepAside;

impl From<super::super::scan::ScanError> for StepAside {
    fn from(_: super::super::scan::ScanError) -> Self {
        StepAside
    }
}

type Step<T> = Result<T, StepAside>;

/// The frame decoded, or `None` when the serde path must decode it. Refusals are added to
/// `rejected` only when it answers.
pub(super) fn positions_frame(
    text: &str,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Option<ServerFrame> {
    let mut tally = RejectTally::default();
    let frame = frame(text, limits, &mut tally).ok()?;
    rejected.merge(&tally);
    Some(frame)
}

fn frame(text: &str, limits: &DecodeLimits, tally: &mut RejectTally) -> Step<ServerFrame> {
    let mut c = Cursor::new(text);
    let mut kind: Option<&str> = None;
    let mut more: Option<bool> = None;
    let mut batch: Option<FixBatch> = None;
    c.eat(b'{', "")?;
    if c.empty(b'}') {
        return Err(StepAside);
    }
    loop {
        match borrowed(c.key()?)? {
            "type" if kind.is_none() => kind = Some(borrowed(c.string()?)?),
            "positions" if batch.is_none() => {
                batch = Some(positions(&mut c, text.len(), limits, tally)?);
            }
            "more" if more.is_none() => {
                more = match c.literal() {
                    Some("true") => Some(true),
                    Some("false") => Some(false),
                    _ => return Err(StepAside),
                }
            }
            // Fields of other frames, or repeated ones: the serde path's business.
            "type" | "positions" | "more" | "ids" | "code" | "message" => return Err(StepAside),
            _ => {
                c.skip()?;
            }
        }
        if !c.next_item(b'}')? {
            break;
        }
    }
    c.end()?;
    let batch = batch.ok_or(StepAside)?;
    match (kind, more) {
        (Some("positions"), _) => Ok(ServerFrame::Positions(batch)),
        (Some("snapshot"), Some(true)) => Ok(ServerFrame::SnapshotPart(batch)),
        (Some("snapshot"), _) => Ok(ServerFrame::Snapshot(batch)),
        _ => Err(StepAside),
    }
}

fn borrowed(s: Cow<'_, str>) -> Step<&str> {
    match s {
        Cow::Borrowed(s) => Ok(s),
        Cow::Owned(_) => Err(StepAside),
    }
}

fn positions(
    c: &mut Cursor<'_>,
    frame_bytes: usize,
    limits: &DecodeLimits,
    tally: &mut RejectTally,
) -> Step<FixBatch> {
    let guess = frame_bytes / 64 + 1;
    let mut batch = FixBatch::with_capacity(guess, guess * 16);
    c.eat(b'[', "")?;
    if c.empty(b']') {
        return Ok(batch);
    }
    loop {
        let candidate = position(c)?;
        match candidate.check(limits) {
            Ok(fix) => batch.push(&fix),
            Err(r) => tally.add(&r),
        }
        if !c.next_item(b']')? {
            return Ok(batch);
        }
    }
}

/// Bits of the fields seen in one position, to step aside on a repeated one.
const ID: u16 = 1;
const LAT: u16 = 1 << 1;
const LON: u16 = 1 << 2;
const TS: u16 = 1 << 3;
const HEADING: u16 = 1 << 4;
const SPEED: u16 = 1 << 5;
const LABEL: u16 = 1 << 6;
const KIND: u16 = 1 << 7;
const STATUS: u16 = 1 << 8;
const ROUTE: u16 = 1 << 9;
const ATTRS: u16 = 1 << 10;

fn position<'a>(c: &mut Cursor<'a>) -> Step<Candidate<'a>> {
    let mut p = Candidate {
        meta: Meta::default(),
        ..Candidate::default()
    };
    c.eat(b'{', "")?;
    if c.empty(b'}') {
        return Ok(p);
    }
    const W_ID: u64 = word("id");
    const W_LAT: u64 = word("lat");
    const W_LON: u64 = word("lon");
    const W_TS: u64 = word("ts");
    const W_HEADING: u64 = word("heading");
    const W_SPEED: u64 = word("speed");
    const W_LABEL: u64 = word("label");
    const W_KIND: u64 = word("kind");
    const W_STATUS: u64 = word("status");
    const W_ROUTE: u64 = word("route");
    const W_ATTRS: u64 = word("attrs");
    let mut seen = 0u16;
    loop {
        let key = borrowed(c.key()?)?;
        let bit = match word(key) {
            W_ID => ID,
            W_LAT => LAT,
            W_LON => LON,
            W_TS => TS,
            W_HEADING => HEADING,
            W_SPEED => SPEED,
            W_LABEL => LABEL,
            W_KIND => KIND,
            W_STATUS => STATUS,
            W_ROUTE => ROUTE,
            W_ATTRS => ATTRS,
            _ => 0,
        };
        if seen & bit != 0 {
            return Err(StepAside);
        }
        seen |= bit;
        match bit {
            ID => p.id = text(c)?,
            LAT => p.lat = number(c)?,
            LON => p.lon = number(c)?,
            TS => p.ts = number(c)?.map(json_ms),
            HEADING => p.heading = number(c)?.map(|v| v as f32),
            SPEED => p.speed = number(c)?.map(|v| v as f32),
            LABEL => p.meta.label = text(c)?,
            KIND => p.meta.kind = text(c)?,
            STATUS => p.meta.status = text(c)?,
            ROUTE => p.meta.route = text(c)?,
            ATTRS => {
                p.meta.attrs = match c.peek() {
                    Some(b'{') => Some(c.skip()?),
                    _ if c.literal() == Some("null") => None,
                    _ => return Err(StepAside),
                }
            }
            _ => {
                c.skip()?;
            }
        }
        if !c.next_item(b'}')? {
            return Ok(p);
        }
    }
}

fn is_null(c: &mut Cursor<'_>) -> Step<bool> {
    match c.peek() {
        Some(b'n') if c.literal() == Some("null") => Ok(true),
        Some(b't' | b'f' | b'n') => Err(StepAside),
        _ => Ok(false),
    }
}

/// A string field: borrowed, or `None` for `null`.
fn text<'a>(c: &mut Cursor<'a>) -> Step<Option<&'a str>> {
    if is_null(c)? {
        return Ok(None);
    }
    if c.peek() != Some(b'"') {
        return Err(StepAside);
    }
    borrowed(c.string()?).map(Some)
}

/// A number field as serde_json reads it into an `f64`, or `None` for `null`.
fn number(c: &mut Cursor<'_>) -> Step<Option<f64>> {
    if is_null(c)? {
        return Ok(None);
    }
    if !matches!(c.peek(), Some(b'-' | b'0'..=b'9')) {
        return Err(StepAside);
    }
    let n = c.number()?;
    // Very long literals, and values past f64's range (which serde_json refuses outright).
    if n.text.len() > 24 {
        return Err(StepAside);
    }
    let v = n.to_f64();
    if !v.is_finite() {
        return Err(StepAside);
    }
    // serde_json reads an integer as one (so `-0` is 0).
    Ok(Some(if n.integer && v == 0.0 { 0.0 } else { v }))
}

#[cfg(test)]
mod tests;
