//! A Traccar server (6.x) as a feed: the JSON frames of `/api/socket` and the device list of
//! `/api/devices`, in the field names and types of Traccar's own model (`Position.java`,
//! `Device.java`, `Event.java` in traccar/traccar).
//!
//! A socket frame is an object with any of `devices`, `positions` and `events`; on connecting
//! the server sends only `positions` (the latest per device), and `{}` every 55 s as a keepalive.
//! Positions name their device by its number (`deviceId`); the vehicle is the device's
//! `uniqueId`, labelled by its `name`, of kind `category`, with the device's `status`.
//! `speed` is in knots, `course` in degrees, `fixTime` ISO 8601 with an offset.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Decoded, Format};
use crate::events::{FeedEvent, VehicleNotice};
use crate::protocol::{
    Candidate, DecodeLimits, Fix, FixBatch, Meta, RejectReason, Subscribe, truncate,
};

/// Knots to metres per second.
pub const KNOT_MS: f64 = 0.514444;

/// The path of the device list, fetched on every (re)connection.
pub const DEVICES_PATH: &str = "/api/devices";

/// What is known of a device, from the device list and `devices` frames.
#[derive(Debug, Clone, Default)]
struct Device {
    unique_id: String,
    name: Option<String>,
    category: Option<String>,
    status: Option<String>,
}

pub struct Traccar {
    limits: DecodeLimits,
    devices: HashMap<i64, Device>,
    /// Each device's newest fix, kept so that a device change (a new name, going offline)
    /// reaches the map at once, carried by the fix it already has.
    last: HashMap<i64, Fix>,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(borrow, default)]
    devices: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    positions: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    events: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDevice {
    id: i64,
    unique_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePosition {
    device_id: i64,
    #[serde(default)]
    fix_time: Option<String>,
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    course: Option<f64>,
    #[serde(default)]
    altitude: Option<f64>,
    #[serde(default)]
    accuracy: Option<f64>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEvent {
    #[serde(rename = "type")]
    kind: String,
    device_id: i64,
    #[serde(default)]
    event_time: Option<String>,
    #[serde(default)]
    geofence_id: Option<i64>,
    #[serde(default)]
    attributes: Option<Map<String, Value>>,
}

impl Traccar {
    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            limits,
            devices: HashMap::new(),
            last: HashMap::new(),
        }
    }

    /// Takes the whole device list (the body of `GET /api/devices`): devices it no longer
    /// lists leave the map.
    pub fn device_list(&mut self, body: &str, received_ms: i64, out: &mut Decoded) {
        let items: Vec<&RawValue> = match serde_json::from_str(body) {
            Ok(items) => items,
            Err(e) => {
                out.rejected.record(
                    RejectReason::MalformedJson,
                    &format!("the device list is not a JSON array: {e}"),
                );
                return;
            }
        };
        let before: HashSet<String> = self.devices.values().map(|d| d.unique_id.clone()).collect();
        self.devices.clear();
        self.take_devices(&items, received_ms, out);
        let now: HashSet<&str> = self
            .devices
            .values()
            .map(|d| d.unique_id.as_str())
            .collect();
        let gone: Vec<String> = before
            .into_iter()
            .filter(|id| !now.contains(id.as_str()))
            .collect();
        self.last.retain(|id, _| self.devices.contains_key(id));
        if !gone.is_empty() {
            out.events.push(FeedEvent::Removed(gone));
        }
    }

    fn take_devices(&mut self, items: &[&RawValue], received_ms: i64, out: &mut Decoded) {
        let mut changed = FixBatch::default();
        for raw in items {
            let Some(device) = parse::<WireDevice>(raw, "device", out) else {
                continue;
            };
            if device.unique_id.trim().is_empty() {
                out.rejected.record(
                    RejectReason::MissingId,
                    &format!("device {} has an empty uniqueId", device.id),
                );
                continue;
            }
            let entry = Device {
                unique_id: device.unique_id.trim().to_owned(),
                name: device.name,
                category: device.category,
                status: device.status,
            };
            // A device that changed while its vehicle is on the map: carry the change on the
            // fix it already has (the model takes descriptive fields of a repeated fix).
            if let Some(last) = self.last.get(&device.id)
                && let Ok(fix) = candidate(&entry, last, None).check(&self.limits)
            {
                changed.push(&fix);
            }
            self.devices.insert(device.id, entry);
        }
        if !changed.is_empty() {
            changed.received_ms = received_ms;
            out.events.push(FeedEvent::Positions(changed));
        }
    }

    fn take_positions(&mut self, items: &[&RawValue], received_ms: i64, out: &mut Decoded) {
        let mut batch = FixBatch::with_capacity(items.len(), items.len() * 48);
        for raw in items {
            match Self::position(raw.get()) {
                Ok((device_id, last, attrs)) => {
                    let Some(device) = self.devices.get(&device_id) else {
                        out.rejected.record(
                            RejectReason::UnknownDevice,
                            &format!(
                                "position of device {device_id} that the device list does not have"
                            ),
                        );
                        continue;
                    };
                    match candidate(device, &last, attrs.as_deref()).check(&self.limits) {
                        Ok(fix) => {
                            batch.push(&fix);
                            self.last.insert(device_id, last);
                        }
                        Err(r) => out.rejected.add(&r),
                    }
                }
                Err((reason, detail)) => out.rejected.record(reason, &detail),
            }
        }
        if !batch.is_empty() {
            batch.received_ms = received_ms;
            out.events.push(FeedEvent::Positions(batch));
        }
    }

    /// One position: its device's number, its fix and its attributes as JSON text, or why it
    /// is refused.
    fn position(text: &str) -> Result<(i64, Fix, Option<String>), (RejectReason, String)> {
        let p: WirePosition = serde_json::from_str(text).map_err(|e| {
            let reason =
                if e.to_string().contains("latitude") || e.to_string().contains("longitude") {
                    RejectReason::BadCoordinates
                } else {
                    RejectReason::InvalidField
                };
            (
                reason,
                format!(
                    "position {} is not a Traccar position: {e}",
                    truncate(text, 64)
                ),
            )
        })?;
        let fix_time = p.fix_time.as_deref().unwrap_or_default();
        let ts = parse_time(fix_time).ok_or_else(|| {
            (
                RejectReason::BadTimestamp,
                format!(
                    "fixTime {:?} of device {} is not an ISO 8601 time",
                    truncate(fix_time, 40),
                    p.device_id
                ),
            )
        })?;
        let mut attrs = p.attributes.unwrap_or_default();
        for (key, value) in [("altitude", p.altitude), ("accuracy", p.accuracy)] {
            if let Some(v) = value.and_then(serde_json::Number::from_f64) {
                attrs.insert(key.into(), Value::Number(v));
            }
        }
        let attrs = (!attrs.is_empty()).then(|| Value::Object(attrs).to_string());
        // Traccar's units to ours, once: knots to m/s, the course to f32 degrees.
        let last = Fix {
            lat: p.latitude,
            lon: p.longitude,
            ts,
            speed: p.speed.map(|knots| (knots * KNOT_MS) as f32),
            heading: p.course.map(|c| c as f32),
        };
        Ok((p.device_id, last, attrs))
    }

    fn take_events(&self, items: &[&RawValue], out: &mut Decoded) {
        let mut notices = Vec::new();
        for raw in items {
            let Some(event) = parse::<WireEvent>(raw, "event", out) else {
                continue;
            };
            let Some(device) = self.devices.get(&event.device_id) else {
                out.rejected.record(
                    RejectReason::UnknownDevice,
                    &format!(
                        "{} event of device {} that the device list does not have",
                        event.kind, event.device_id
                    ),
                );
                continue;
            };
            let Some(ts) = event.event_time.as_deref().and_then(parse_time) else {
                out.rejected.record(
                    RejectReason::BadTimestamp,
                    &format!(
                        "{} event of device {} has no readable eventTime",
                        event.kind, event.device_id
                    ),
                );
                continue;
            };
            let alarm = event
                .attributes
                .as_ref()
                .and_then(|a| a.get("alarm"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            let geofence = event
                .geofence_id
                .filter(|g| *g > 0)
                .map(|g| format!("geofence {g}"));
            notices.push(VehicleNotice {
                id: device.unique_id.clone(),
                kind: event.kind,
                ts,
                detail: alarm.or(geofence),
            });
        }
        if !notices.is_empty() {
            out.events.push(FeedEvent::Notices(notices));
        }
    }
}

/// One item of a frame as Traccar's `what`, or refused (`invalid_field`) saying why.
fn parse<T: serde::de::DeserializeOwned>(
    raw: &RawValue,
    what: &str,
    out: &mut Decoded,
) -> Option<T> {
    serde_json::from_str(raw.get())
        .map_err(|e| {
            out.rejected.record(
                RejectReason::InvalidField,
                &format!(
                    "{what} {} is not a Traccar {what}: {e}",
                    truncate(raw.get(), 64)
                ),
            );
        })
        .ok()
}

/// A device's newest fix as a position to check: the device names it, `last` places it.
fn candidate<'a>(device: &'a Device, last: &Fix, attrs: Option<&'a str>) -> Candidate<'a> {
    Candidate::of(&device.unique_id, last, meta_of(device, attrs))
}

fn meta_of<'a>(device: &'a Device, attrs: Option<&'a str>) -> Meta<&'a str> {
    Meta {
        label: device.name.as_deref(),
        kind: device.category.as_deref(),
        status: device.status.as_deref(),
        route: None,
        attrs,
    }
}

/// Traccar's dates: ISO 8601 with an offset (`2024-05-01T10:00:00.000+00:00`; older servers
/// write `+0000`), or `Z`. UTC ms.
pub fn parse_time(s: &str) -> Option<i64> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let s = s.trim();
    let parsed = time::OffsetDateTime::parse(s, &Rfc3339)
        .or_else(|_| time::OffsetDateTime::parse(s, &Iso8601::DEFAULT))
        .ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
}

impl Format for Traccar {
    fn greeting(&self, _: &Subscribe, _: Option<&str>) -> Vec<String> {
        Vec::new()
    }

    fn http_answer(&mut self, path: &str, body: &str, received_ms: i64, out: &mut Decoded) {
        if path == DEVICES_PATH {
            self.device_list(body, received_ms, out);
        }
    }

    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        let frame: Frame<'_> = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => {
                out.rejected.record(
                    RejectReason::MalformedJson,
                    &format!("{e} in {}", truncate(text, 64)),
                );
                return;
            }
        };
        let mut any = false;
        if let Some(devices) = frame.devices {
            any = true;
            self.take_devices(&devices, received_ms, out);
        }
        if let Some(positions) = frame.positions {
            any = true;
            self.take_positions(&positions, received_ms, out);
        }
        if let Some(events) = frame.events {
            any = true;
            self.take_events(&events, out);
        }
        if !any {
            // `{}`: the keepalive.
            out.ignored += 1;
        }
    }
}

#[cfg(test)]
mod tests;
