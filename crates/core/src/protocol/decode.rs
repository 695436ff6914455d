//! Decoding incoming frames into validated fixes.
//!
//! The fast path deserialises a whole frame in one pass, borrowing strings from the frame text.
//! Only when that fails on a type error does the slow path decode position by position, so that
//! one bad position is rejected with its reason and every valid one in the same frame is kept.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, Visitor};
use serde_json::value::RawValue;

use super::batch::FixBatch;
use super::compact::{Dictionary, decode_compact};
use super::meta::Meta;
use super::reject::{RejectReason, RejectTally, Rejection, truncate};
use super::scan::Cursor;
use super::validate::{Candidate, check_id, json_ms};
use slow::{loose_frame, slow_batch, slow_server};

/// Size limits that keep a hostile or broken peer from costing unbounded memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest text frame accepted, in bytes.
    pub max_frame_bytes: usize,
    /// Longest vehicle id, in bytes.
    pub max_id_bytes: usize,
    /// Longest `label`, `kind`, `status` or `route`, in bytes.
    pub max_text_bytes: usize,
    /// Largest `attrs` object, in bytes of JSON.
    pub max_attrs_bytes: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: 16 * 1024 * 1024,
            max_id_bytes: 128,
            max_text_bytes: 256,
            max_attrs_bytes: 16 * 1024,
        }
    }
}

/// A frame from the server, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerFrame {
    /// The snapshot, or its last part.
    Snapshot(FixBatch),
    /// A part of a large snapshot (`"more": true`); further parts follow, and the set is replaced
    /// only when the last one has arrived.
    SnapshotPart(FixBatch),
    Positions(FixBatch),
    Remove(Vec<String>),
    Error {
        code: String,
        message: String,
    },
}

/// Decodes one server -> viewer text frame.
///
/// `Err` means the whole frame was refused. Positions refused one by one inside an accepted
/// frame are counted in `rejected`, and the frame carries the rest.
pub fn decode_server(
    text: &str,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<ServerFrame, Rejection> {
    check_size(text, limits)?;
    if let Some(frame) = scanned::positions_frame(text, limits, rejected) {
        return Ok(frame);
    }
    serde_server(text, limits, rejected)
}

/// The serde path: the reference for every refusal, and the decoder of every frame the scanner
/// steps aside from.
fn serde_server(
    text: &str,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<ServerFrame, Rejection> {
    match serde_json::from_str::<Frame<'_>>(text) {
        Ok(frame) => fast_server(frame, limits, rejected),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            slow_server(text, limits, rejected)
        }
        Err(e) => Err(malformed(&e)),
    }
}

/// Decodes one server -> viewer frame in either encoding: compact frames (`type` s, p or r)
/// through the connection's dictionary, the rest as v1. A viewer that asked for the compact form
/// calls this, so a server that only speaks v1 is read all the same.
pub fn decode_frame(
    text: &str,
    dict: &mut Dictionary,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<ServerFrame, Rejection> {
    check_size(text, limits)?;
    if is_compact(text) {
        decode_compact(text, dict, limits, rejected)
    } else {
        decode_server(text, limits, rejected)
    }
}

/// Whether the frame's `type` is a compact one (found quickly: servers write it first).
fn is_compact(text: &str) -> bool {
    let mut c = Cursor::new(text);
    if c.eat(b'{', "").is_err() || c.empty(b'}') {
        return false;
    }
    loop {
        let Ok(key) = c.key() else { return false };
        if key == "type" {
            return matches!(c.string().as_deref(), Ok("s" | "p" | "r"));
        }
        if c.skip().is_err() || !matches!(c.next_item(b'}'), Ok(true)) {
            return false;
        }
    }
}

/// Decodes one device -> server `report` frame into its valid fixes.
pub fn decode_report(
    text: &str,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<FixBatch, Rejection> {
    check_size(text, limits)?;
    let (kind, positions) = match serde_json::from_str::<Frame<'_>>(text) {
        Ok(frame) => {
            let kind = frame.kind.map(|t| t.0);
            match kind.as_deref() {
                Some("report") => {}
                _ => return Err(unknown_type(kind.as_deref(), "report")),
            }
            let positions = frame.positions.ok_or_else(|| missing_array("positions"))?;
            return Ok(fast_batch(&positions, limits, rejected));
        }
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            let loose = loose_frame(text)?;
            (loose.kind, loose.positions)
        }
        Err(e) => return Err(malformed(&e)),
    };
    if kind.as_deref() != Some("report") {
        return Err(unknown_type(kind.as_deref(), "report"));
    }
    let positions = positions.ok_or_else(|| missing_array("positions"))?;
    Ok(slow_batch(&positions, limits, rejected))
}

fn check_size(text: &str, limits: &DecodeLimits) -> Result<(), Rejection> {
    if text.len() > limits.max_frame_bytes {
        return Err(Rejection::new(
            RejectReason::Oversized,
            format!(
                "frame of {} bytes is over the {}-byte limit",
                text.len(),
                limits.max_frame_bytes
            ),
        ));
    }
    Ok(())
}

fn malformed(e: &serde_json::Error) -> Rejection {
    Rejection::new(RejectReason::MalformedJson, format!("not valid JSON: {e}"))
}

fn unknown_type(kind: Option<&str>, expected: &str) -> Rejection {
    let detail = match kind {
        Some(k) => format!(
            "unknown message type {:?} (expected {expected})",
            truncate(k, 64)
        ),
        None => format!("message has no \"type\" (expected {expected})"),
    };
    Rejection::new(RejectReason::UnknownType, detail)
}

fn missing_array(field: &str) -> Rejection {
    Rejection::new(
        RejectReason::InvalidField,
        format!("message has no \"{field}\" array"),
    )
}

const SERVER_TYPES: &str = "snapshot, positions, remove or error";

fn fast_server(
    frame: Frame<'_>,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<ServerFrame, Rejection> {
    let kind = frame.kind.map(|t| t.0);
    match kind.as_deref() {
        Some("snapshot") | Some("positions") => {
            let positions = frame.positions.ok_or_else(|| missing_array("positions"))?;
            let batch = fast_batch(&positions, limits, rejected);
            Ok(match (kind.as_deref(), frame.more) {
                (Some("snapshot"), Some(true)) => ServerFrame::SnapshotPart(batch),
                (Some("snapshot"), _) => ServerFrame::Snapshot(batch),
                _ => ServerFrame::Positions(batch),
            })
        }
        Some("remove") => {
            let ids = frame.ids.ok_or_else(|| missing_array("ids"))?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                match check_id(Some(&id.0), limits) {
                    Ok(id) => out.push(id.to_owned()),
                    Err(r) => rejected.add(&r),
                }
            }
            Ok(ServerFrame::Remove(out))
        }
        Some("error") => Ok(ServerFrame::Error {
            code: frame
                .code
                .map(|t| truncate(&t.0, 64))
                .unwrap_or_else(|| "error".into()),
            message: frame
                .message
                .map(|t| truncate(&t.0, 1024))
                .unwrap_or_default(),
        }),
        other => Err(unknown_type(other, SERVER_TYPES)),
    }
}

fn fast_batch(
    positions: &[WirePos<'_>],
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> FixBatch {
    let mut batch = FixBatch::with_capacity(positions.len(), positions.len() * 24);
    for p in positions {
        let candidate = Candidate {
            id: p.id.as_ref().map(|t| t.0.as_ref()),
            lat: p.lat,
            lon: p.lon,
            ts: p.ts.map(json_ms),
            heading: p.heading.map(|v| v as f32),
            speed: p.speed.map(|v| v as f32),
            meta: Meta {
                label: p.label.as_ref().map(|t| t.0.as_ref()),
                kind: p.kind.as_ref().map(|t| t.0.as_ref()),
                status: p.status.as_ref().map(|t| t.0.as_ref()),
                route: p.route.as_ref().map(|t| t.0.as_ref()),
                attrs: p.attrs.map(RawValue::get),
            },
        };
        match candidate.check(limits) {
            Ok(fix) => batch.push(&fix),
            Err(r) => rejected.add(&r),
        }
    }
    batch
}

/// The fast path's view of a frame: every field optional so that a missing one is refused by
/// validation with a clear reason rather than by serde.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    positions: Option<Vec<WirePos<'a>>>,
    #[serde(default, borrow)]
    ids: Option<Vec<Text<'a>>>,
    #[serde(default, borrow)]
    code: Option<Text<'a>>,
    #[serde(default, borrow)]
    message: Option<Text<'a>>,
    /// On a snapshot part: further parts follow.
    #[serde(default)]
    more: Option<bool>,
}

#[derive(Deserialize)]
struct WirePos<'a> {
    #[serde(default, borrow)]
    id: Option<Text<'a>>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
    #[serde(default)]
    ts: Option<f64>,
    #[serde(default)]
    heading: Option<f64>,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default, borrow)]
    label: Option<Text<'a>>,
    #[serde(default, borrow)]
    kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    status: Option<Text<'a>>,
    #[serde(default, borrow)]
    route: Option<Text<'a>>,
    #[serde(default, borrow)]
    attrs: Option<&'a RawValue>,
}

/// A JSON string borrowed from the frame when it has no escapes, owned when it has.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

mod scanned;
mod slow;
#[cfg(test)]
mod tests;
