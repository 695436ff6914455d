//! AISStream (`wss://stream.aisstream.io/v0/stream`) as a feed, in the field names of its
//! message models (aisstream/ais-message-models).
//!
//! Within 3 s of connecting the viewer sends its subscription, `{"APIKey", "BoundingBoxes":
//! [[[lat, lon], [lat, lon]]], "FilterMessageTypes": [...]}`. Messages then arrive as **binary**
//! WebSocket frames holding JSON `{"MessageType", "MetaData", "Message": {"<type>": {...}}}`;
//! a refusal as `{"error": "..."}`. `PositionReport`, `StandardClassBPositionReport` and
//! `ExtendedClassBPositionReport` are fixes: id = MMSI (`UserID`, else `MetaData.MMSI` or
//! `MMSI_String`, which may arrive as a number), label = `MetaData.ShipName` trimmed,
//! `Latitude`/`Longitude` degrees, `Sog` **knots**, `TrueHeading` degrees (511: unknown, then
//! `Cog`), time = `MetaData.time_utc` in Go's format (`2024-09-17 14:38:55.281038479 +0000
//! UTC`, 0-9 fraction digits). Other message types are ignored.

use serde_json::{Map, Value};

use super::{Decoded, Format, ship};
use crate::events::FeedEvent;
use crate::protocol::{Candidate, DecodeLimits, FixBatch, Meta, RejectReason, Subscribe, truncate};

/// A box to watch: two corners, each `[lat, lon]`.
pub type Area = [[f64; 2]; 2];

/// The box used when a feed names none.
pub const WHOLE_WORLD: Area = [[-90.0, -180.0], [90.0, 180.0]];

/// The message types that carry positions (and the subscription's filter).
pub const POSITION_TYPES: [&str; 3] = [
    "PositionReport",
    "StandardClassBPositionReport",
    "ExtendedClassBPositionReport",
];

pub struct AisStream {
    limits: DecodeLimits,
    area: Area,
    key: Option<String>,
}

type Refused = (RejectReason, String);

impl AisStream {
    pub fn new(limits: DecodeLimits, area: Area, key: Option<String>) -> Self {
        Self { limits, area, key }
    }

    /// The subscription message.
    pub fn subscription(&self) -> String {
        serde_json::json!({
            "APIKey": self.key.as_deref().unwrap_or_default(),
            "BoundingBoxes": [self.area],
            "FilterMessageTypes": POSITION_TYPES,
        })
        .to_string()
    }

    fn position(
        &self,
        kind: &str,
        body: &Map<String, Value>,
        meta: Option<&Map<String, Value>>,
        received_ms: i64,
        batch: &mut FixBatch,
    ) -> Result<(), Refused> {
        let id = mmsi(body, meta).ok_or_else(|| {
            (
                RejectReason::MissingId,
                format!("{kind} without UserID or MetaData.MMSI"),
            )
        })?;
        let number = |k: &str| body.get(k).and_then(Value::as_f64);
        let ts = match meta.and_then(|m| m.get("time_utc")) {
            None | Some(Value::Null) => received_ms,
            Some(Value::String(s)) => go_time_ms(s).ok_or_else(|| {
                (
                    RejectReason::BadTimestamp,
                    format!("time_utc {:?} of ship {id} does not parse", truncate(s, 48)),
                )
            })?,
            Some(other) => {
                return Err((
                    RejectReason::BadTimestamp,
                    format!("time_utc is {}, not text", truncate(&other.to_string(), 32)),
                ));
            }
        };
        let label = meta
            .and_then(|m| m.get("ShipName"))
            .or(body.get("Name"))
            .and_then(Value::as_str)
            .and_then(ship::name);
        let status = number("NavigationalStatus").and_then(|n| ship::status(n as u8));
        let attrs = serde_json::json!({"mmsi": id.parse::<u64>().ok(), "message": kind});
        let attrs = attrs.to_string();
        let candidate = Candidate {
            id: Some(&id),
            lat: number("Latitude"),
            lon: number("Longitude"),
            ts: Some(ts),
            heading: ship::heading(number("TrueHeading"), number("Cog")),
            speed: ship::speed(number("Sog")),
            meta: Meta {
                label,
                kind: Some(ship::KIND),
                status,
                attrs: Some(&attrs),
                ..Meta::default()
            },
        };
        candidate
            .check_into(&self.limits, batch)
            .map_err(|r| (r.reason, r.detail))?;
        Ok(())
    }
}

/// The MMSI as text: the report's `UserID`, else the metadata's `MMSI` or `MMSI_String`
/// (a string or a number).
fn mmsi(body: &Map<String, Value>, meta: Option<&Map<String, Value>>) -> Option<String> {
    let from = |v: Option<&Value>| match v? {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    };
    from(body.get("UserID"))
        .or_else(|| meta.and_then(|m| from(m.get("MMSI"))))
        .or_else(|| meta.and_then(|m| from(m.get("MMSI_String"))))
}

/// Go's `time.Time.String()`: `2024-09-17 14:38:55.281038479 +0000 UTC`, as UTC ms.
pub fn go_time_ms(s: &str) -> Option<i64> {
    let mut parts = s.split_whitespace();
    let (date, clock, offset) = (parts.next()?, parts.next()?, parts.next()?);
    let mut d = date.splitn(3, '-').map(str::parse::<i32>);
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':').map(str::parse::<u8>);
    let (h, m, sec) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = format!("{fraction:0<9}").parse().ok()?;
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let off: i64 = offset.get(1..)?.parse().ok()?;
    let offset_s = sign * ((off / 100) * 3600 + (off % 100) * 60);
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month as u8).ok()?, day as u8)
            .ok()?;
    let clock = time::Time::from_hms_nano(h, m, sec, nanos).ok()?;
    let utc = time::PrimitiveDateTime::new(date, clock).assume_utc();
    Some((utc.unix_timestamp_nanos() / 1_000_000) as i64 - offset_s * 1000)
}

impl Format for AisStream {
    fn greeting(&self, _: &Subscribe, _: Option<&str>) -> Vec<String> {
        vec![self.subscription()]
    }

    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        let Some(map) = super::json_object(text, out) else {
            return;
        };
        if let Some(error) = map.get("error") {
            let message = error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned);
            out.events.push(FeedEvent::ServerError {
                code: "aisstream".into(),
                message,
            });
            return;
        }
        let kind = map.get("MessageType").and_then(Value::as_str).unwrap_or("");
        if !POSITION_TYPES.contains(&kind) {
            out.ignored += 1;
            return;
        }
        let Some(body) = map
            .get("Message")
            .and_then(|m| m.get(kind))
            .and_then(Value::as_object)
        else {
            out.rejected.record(
                RejectReason::InvalidField,
                &format!("a {kind} without Message.{kind}"),
            );
            return;
        };
        let meta = map.get("MetaData").and_then(Value::as_object);
        let mut batch = FixBatch::with_capacity(1, 96);
        batch.received_ms = received_ms;
        match self.position(kind, body, meta, received_ms, &mut batch) {
            Ok(()) => out.events.push(FeedEvent::Positions(batch)),
            Err((reason, detail)) => out.rejected.record(reason, &detail),
        }
    }

    /// AISStream sends its JSON in binary frames.
    fn decode_bytes(&mut self, bytes: &[u8], received_ms: i64, out: &mut Decoded) {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.decode(text, received_ms, out),
            Err(e) => out.rejected.record(
                RejectReason::MalformedJson,
                &format!(
                    "a binary frame of {} bytes that is not UTF-8 text: {e}",
                    bytes.len()
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
