//! Validating one position: every field checked against WGS84 ranges, types and size limits,
//! with a reason a person can act on when it is refused. Shared by both decoding paths.

use serde_json::{Map, Value};

use super::batch::FixRef;
use super::decode::DecodeLimits;
use super::fix::Fix;
use super::meta::{Meta, MetaRef};
use super::reject::{RejectReason, Rejection, truncate};

/// The latest device time accepted, UTC ms: 2^53, beyond which milliseconds are no longer
/// exact as JSON numbers (and it is the year 287,396).
pub const MAX_TS_MS: i64 = 1 << 53;

/// A position's fields before validation, whichever path (or foreign format) read them, in the
/// units of a [`Fix`](super::Fix): each format converts its own units (knots, km/h, seconds,
/// ISO 8601 text) into these once, and [`Candidate::check`] only checks. A field the format
/// did not find is `None`, refused with its reason when it is required.
#[derive(Debug, Clone, Copy, Default)]
pub struct Candidate<'a> {
    pub id: Option<&'a str>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Device time, UTC ms.
    pub ts: Option<i64>,
    /// Degrees clockwise from north (normalised to 0..360 by the check).
    pub heading: Option<f32>,
    /// m/s.
    pub speed: Option<f32>,
    pub meta: MetaRef<'a>,
}

impl<'a> Candidate<'a> {
    /// A fix a format already holds in our units, as vehicle `id`'s, to check.
    pub fn of(id: &'a str, fix: &Fix, meta: MetaRef<'a>) -> Self {
        Self {
            id: Some(id),
            lat: Some(fix.lat),
            lon: Some(fix.lon),
            ts: Some(fix.ts),
            heading: fix.heading,
            speed: fix.speed,
            meta,
        }
    }

    /// Reads a position from a parsed object, refusing fields of the wrong JSON type with the
    /// reason that field's absence would have had. `attrs` is filled in by the caller.
    pub(super) fn from_map(map: &'a Map<String, Value>) -> Result<Self, Rejection> {
        let id_hint = || match map.get("id") {
            Some(Value::String(s)) => format!(" (id {:?})", truncate(s, 64)),
            _ => String::new(),
        };
        let number = |field: &str, reason: RejectReason| -> Result<Option<f64>, Rejection> {
            match map.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => Ok(n.as_f64()),
                Some(other) => Err(Rejection::new(
                    reason,
                    format!(
                        "\"{field}\" is {}, not a number{}",
                        truncate(&other.to_string(), 32),
                        id_hint()
                    ),
                )),
            }
        };
        let text = |field: &str| -> Result<Option<&'a str>, Rejection> {
            match map.get(field) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(other) => Err(Rejection::new(
                    if field == "id" {
                        RejectReason::MissingId
                    } else {
                        RejectReason::InvalidField
                    },
                    format!(
                        "\"{field}\" is {}, not a string{}",
                        truncate(&other.to_string(), 32),
                        id_hint()
                    ),
                )),
            }
        };
        match map.get("attrs") {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(other) => {
                return Err(Rejection::new(
                    RejectReason::InvalidField,
                    format!(
                        "\"attrs\" is {}, not an object{}",
                        truncate(&other.to_string(), 32),
                        id_hint()
                    ),
                ));
            }
        }
        Ok(Self {
            id: text("id")?,
            lat: number("lat", RejectReason::BadCoordinates)?,
            lon: number("lon", RejectReason::BadCoordinates)?,
            ts: number("ts", RejectReason::BadTimestamp)?.map(json_ms),
            heading: number("heading", RejectReason::InvalidField)?.map(|v| v as f32),
            speed: number("speed", RejectReason::InvalidField)?.map(|v| v as f32),
            meta: Meta {
                label: text("label")?,
                kind: text("kind")?,
                status: text("status")?,
                route: text("route")?,
                attrs: None,
            },
        })
    }

    /// Checks the position and adds it to `batch`, or says why it is refused.
    pub fn check_into(
        self,
        limits: &DecodeLimits,
        batch: &mut super::FixBatch,
    ) -> Result<(), Rejection> {
        batch.push(&self.check(limits)?);
        Ok(())
    }

    /// The position as a fix, or why it is refused: ranges, types and size limits.
    pub fn check(self, limits: &DecodeLimits) -> Result<FixRef<'a>, Rejection> {
        let id = check_id(self.id, limits)?;
        let ctx = || format!(" (id {:?})", truncate(id, 64));
        // A required number within a range, refused for `reason` when absent or outside it.
        let required =
            |value: Option<f64>, name: &str, range: std::ops::RangeInclusive<f64>, reason| {
                match value {
                    Some(v) if v.is_finite() && range.contains(&v) => Ok(v),
                    Some(v) => Err(Rejection::new(
                        reason,
                        format!(
                            "{name} {v} is outside {}..{}{}",
                            range.start(),
                            range.end(),
                            ctx()
                        ),
                    )),
                    None => Err(Rejection::new(
                        reason,
                        format!("position has no {name}{}", ctx()),
                    )),
                }
            };
        let lat = required(self.lat, "lat", -90.0..=90.0, RejectReason::BadCoordinates)?;
        let lon = required(
            self.lon,
            "lon",
            -180.0..=180.0,
            RejectReason::BadCoordinates,
        )?;
        let ts = match self.ts {
            Some(t) if (0..=MAX_TS_MS).contains(&t) => t,
            Some(t) => {
                return Err(Rejection::new(
                    RejectReason::BadTimestamp,
                    format!("ts {t} is outside 0..{MAX_TS_MS}{}", ctx()),
                ));
            }
            None => {
                return Err(Rejection::new(
                    RejectReason::BadTimestamp,
                    format!("position has no ts{}", ctx()),
                ));
            }
        };
        let heading = match self.heading {
            None => None,
            Some(v) if v.is_finite() => Some(v.rem_euclid(360.0)),
            Some(v) => {
                return Err(Rejection::new(
                    RejectReason::InvalidField,
                    format!("heading {v} is not a number of degrees{}", ctx()),
                ));
            }
        };
        let speed = match self.speed {
            None => None,
            Some(v) if v.is_finite() && v >= 0.0 => Some(v),
            Some(v) => {
                return Err(Rejection::new(
                    RejectReason::InvalidField,
                    format!("speed {v} is not a speed in m/s{}", ctx()),
                ));
            }
        };
        for (field, value) in self.meta.named().into_iter().take(4) {
            if let Some(s) = value.copied()
                && s.len() > limits.max_text_bytes
            {
                return Err(Rejection::new(
                    RejectReason::InvalidField,
                    format!(
                        "{field} of {} bytes is over the {}-byte limit{}",
                        s.len(),
                        limits.max_text_bytes,
                        ctx()
                    ),
                ));
            }
        }
        let attrs = match self.meta.attrs.map(str::trim) {
            None | Some("null") => None,
            Some(a) if !a.starts_with('{') => {
                return Err(Rejection::new(
                    RejectReason::InvalidField,
                    format!("\"attrs\" is {}, not an object{}", truncate(a, 32), ctx()),
                ));
            }
            Some(a) if a.len() > limits.max_attrs_bytes => {
                return Err(Rejection::new(
                    RejectReason::InvalidField,
                    format!(
                        "attrs of {} bytes is over the {}-byte limit{}",
                        a.len(),
                        limits.max_attrs_bytes,
                        ctx()
                    ),
                ));
            }
            Some(a) => Some(a),
        };
        Ok(FixRef {
            id,
            lat,
            lon,
            ts,
            heading,
            speed,
            meta: Meta { attrs, ..self.meta },
        })
    }
}

/// A JSON number of milliseconds as ours: a fraction of a millisecond is dropped; a value
/// beyond i64 saturates, to be refused by the range check with the value in its message.
pub fn json_ms(v: f64) -> i64 {
    v as i64
}

pub(super) fn check_id<'a>(
    id: Option<&'a str>,
    limits: &DecodeLimits,
) -> Result<&'a str, Rejection> {
    match id {
        None => Err(Rejection::new(
            RejectReason::MissingId,
            "position has no id",
        )),
        Some("") => Err(Rejection::new(RejectReason::MissingId, "id is empty")),
        Some(s) if s.len() > limits.max_id_bytes => Err(Rejection::new(
            RejectReason::InvalidField,
            format!(
                "id of {} bytes is over the {}-byte limit ({:?})",
                s.len(),
                limits.max_id_bytes,
                truncate(s, 32)
            ),
        )),
        Some(s) => Ok(s),
    }
}
