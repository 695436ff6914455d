//! The slow path: a frame serde's typed pass refused is read loosely, position by position, so
//! each bad one is refused with its reason and every valid one is kept.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::super::batch::FixBatch;
use super::super::reject::{RejectReason, RejectTally, Rejection, truncate};
use super::super::validate::{Candidate, check_id};
use super::{DecodeLimits, SERVER_TYPES, ServerFrame, malformed, missing_array, unknown_type};

pub(super) fn slow_server(
    text: &str,
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> Result<ServerFrame, Rejection> {
    let loose = loose_frame(text)?;
    match loose.kind.as_deref() {
        Some("snapshot") | Some("positions") => {
            let positions = loose.positions.ok_or_else(|| missing_array("positions"))?;
            let batch = slow_batch(&positions, limits, rejected);
            Ok(match (loose.kind.as_deref(), loose.more) {
                (Some("snapshot"), true) => ServerFrame::SnapshotPart(batch),
                (Some("snapshot"), false) => ServerFrame::Snapshot(batch),
                _ => ServerFrame::Positions(batch),
            })
        }
        Some("remove") => {
            let ids = loose.ids.ok_or_else(|| missing_array("ids"))?;
            let mut out = Vec::with_capacity(ids.len());
            for raw in ids {
                let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                let id = match &value {
                    Value::String(s) => check_id(Some(s), limits),
                    _ => Err(Rejection::new(
                        RejectReason::MissingId,
                        format!("id {} is not a string", truncate(raw.get(), 64)),
                    )),
                };
                match id {
                    Ok(id) => out.push(id.to_owned()),
                    Err(r) => rejected.add(&r),
                }
            }
            Ok(ServerFrame::Remove(out))
        }
        Some("error") => {
            let text_of = |raw: Option<&RawValue>| {
                raw.map(|r| match serde_json::from_str::<Value>(r.get()) {
                    Ok(Value::String(s)) => s,
                    _ => r.get().to_owned(),
                })
            };
            Ok(ServerFrame::Error {
                code: truncate(&text_of(loose.code).unwrap_or_else(|| "error".into()), 64),
                message: truncate(&text_of(loose.message).unwrap_or_default(), 1024),
            })
        }
        other => Err(unknown_type(other, SERVER_TYPES)),
    }
}

/// The frame's envelope with the positions left raw, for the slow path.
pub(super) struct Loose<'a> {
    pub(super) kind: Option<String>,
    pub(super) positions: Option<Vec<&'a RawValue>>,
    ids: Option<Vec<&'a RawValue>>,
    code: Option<&'a RawValue>,
    message: Option<&'a RawValue>,
    more: bool,
}

pub(super) fn loose_frame(text: &str) -> Result<Loose<'_>, Rejection> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(rename = "type", default, borrow)]
        kind: Option<&'a RawValue>,
        #[serde(default, borrow)]
        positions: Option<&'a RawValue>,
        #[serde(default, borrow)]
        ids: Option<&'a RawValue>,
        #[serde(default, borrow)]
        code: Option<&'a RawValue>,
        #[serde(default, borrow)]
        message: Option<&'a RawValue>,
        #[serde(default, borrow)]
        more: Option<&'a RawValue>,
    }
    let envelope: Envelope<'_> = serde_json::from_str(text).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            Rejection::new(
                RejectReason::UnknownType,
                format!("message is not a JSON object with a \"type\": {e}"),
            )
        } else {
            malformed(&e)
        }
    })?;
    let kind = match envelope
        .kind
        .map(|r| serde_json::from_str::<Value>(r.get()))
    {
        None | Some(Ok(Value::Null)) => None,
        Some(Ok(Value::String(s))) => Some(s),
        Some(_) => {
            return Err(Rejection::new(
                RejectReason::UnknownType,
                "\"type\" is not a string",
            ));
        }
    };
    fn array<'r>(
        raw: Option<&'r RawValue>,
        field: &str,
    ) -> Result<Option<Vec<&'r RawValue>>, Rejection> {
        match raw {
            None => Ok(None),
            Some(r) if r.get() == "null" => Ok(None),
            Some(r) => serde_json::from_str::<Vec<&RawValue>>(r.get())
                .map(Some)
                .map_err(|_| {
                    Rejection::new(
                        RejectReason::InvalidField,
                        format!("\"{field}\" is not an array"),
                    )
                }),
        }
    }
    Ok(Loose {
        kind,
        positions: array(envelope.positions, "positions")?,
        ids: array(envelope.ids, "ids")?,
        code: envelope.code,
        message: envelope.message,
        more: envelope.more.is_some_and(|m| m.get() == "true"),
    })
}

pub(super) fn slow_batch(
    positions: &[&RawValue],
    limits: &DecodeLimits,
    rejected: &mut RejectTally,
) -> FixBatch {
    let mut batch = FixBatch::with_capacity(positions.len(), positions.len() * 24);
    for raw in positions {
        let value = match serde_json::from_str::<Value>(raw.get()) {
            Ok(Value::Object(map)) => map,
            _ => {
                rejected.record(
                    RejectReason::InvalidField,
                    &format!("position {} is not an object", truncate(raw.get(), 64)),
                );
                continue;
            }
        };
        let attrs_text;
        let candidate = match Candidate::from_map(&value) {
            Ok(c) => c,
            Err(r) => {
                rejected.add(&r);
                continue;
            }
        };
        let mut candidate = candidate;
        if let Some(Value::Object(a)) = value.get("attrs") {
            attrs_text = Value::Object(a.clone()).to_string();
            candidate.meta.attrs = Some(attrs_text.as_str());
        }
        match candidate.check(limits) {
            Ok(fix) => batch.push(&fix),
            Err(r) => rejected.add(&r),
        }
    }
    batch
}
