//! GTFS-Realtime VehiclePositions as a feed: one protobuf `FeedMessage` per poll (the transport
//! is `fleetview-feeds`'s HTTP polling).
//!
//! Each entity with a `vehicle` is a vehicle: its id is `vehicle.id`, else `vehicle.label`,
//! else the entity's id; its label `vehicle.label`, else the licence plate. `latitude` and
//! `longitude` are float32 degrees, `bearing` degrees, `speed` **m/s**, `timestamp` POSIX
//! **seconds** (else the header's; a feed with neither is stamped with the time of the poll).
//! The route is `trip.route_id`, the status `current_status` (`IN_TRANSIT_TO` when absent);
//! the trip, stop and occupancy go to attrs.
//!
//! A `FULL_DATASET` message (the default) is the feed's whole fleet: it becomes a snapshot, so
//! a vehicle missing from the next poll is removed. A `DIFFERENTIAL` one updates, and its
//! `is_deleted` entities remove. An entity without a position is skipped and counted
//! (`bad_coordinates`); trip updates and alerts are not positions and are ignored.

pub mod proto;

use std::collections::HashMap;

use prost::Message;
use serde_json::{Map, Value};

use super::{Decoded, Format};
use crate::events::FeedEvent;
use crate::protocol::{Candidate, DecodeLimits, FixBatch, Meta, RejectReason, Subscribe, truncate};
use proto::{FeedMessage, VehiclePosition};

pub struct GtfsRt {
    limits: DecodeLimits,
    /// Entity id -> vehicle id, from the polls so far: a deletion names only the entity.
    entities: HashMap<String, String>,
}

impl GtfsRt {
    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            limits,
            entities: HashMap::new(),
        }
    }

    /// Decodes one `FeedMessage` into the events it means.
    fn message(&mut self, message: &FeedMessage, received_ms: i64, out: &mut Decoded) {
        let full =
            message.header.incrementality.unwrap_or(proto::FULL_DATASET) != proto::DIFFERENTIAL;
        let header_ts = message.header.timestamp;
        if full {
            self.entities.clear();
        }
        let mut batch = FixBatch::with_capacity(message.entity.len(), message.entity.len() * 48);
        batch.received_ms = received_ms;
        let mut removed = Vec::new();
        for entity in &message.entity {
            if entity.is_deleted == Some(true) {
                if !full {
                    let id = self.entities.remove(&entity.id);
                    removed.push(id.unwrap_or_else(|| entity.id.clone()));
                }
                continue;
            }
            let Some(vehicle) = &entity.vehicle else {
                out.ignored += 1;
                continue;
            };
            let ts = vehicle.timestamp.or(header_ts);
            match self.position(&entity.id, vehicle, ts, received_ms, &mut batch) {
                Ok(id) => {
                    if self.entities.get(&entity.id) != Some(&id) {
                        self.entities.insert(entity.id.clone(), id);
                    }
                }
                Err((reason, detail)) => out.rejected.record(reason, &detail),
            }
        }
        if full {
            out.events.push(FeedEvent::Snapshot(batch));
        } else if !batch.is_empty() {
            out.events.push(FeedEvent::Positions(batch));
        }
        if !removed.is_empty() {
            out.events.push(FeedEvent::Removed(removed));
        }
    }

    /// Checks one vehicle's position and adds it to `batch`; returns its id.
    fn position(
        &self,
        entity: &str,
        v: &VehiclePosition,
        ts_s: Option<u64>,
        received_ms: i64,
        batch: &mut FixBatch,
    ) -> Result<String, (RejectReason, String)> {
        let descriptor = v.vehicle.as_ref();
        let label = descriptor.and_then(|d| {
            d.label
                .as_deref()
                .or(d.license_plate.as_deref())
                .filter(|s| !s.is_empty())
        });
        let id = descriptor
            .and_then(|d| d.id.as_deref())
            .filter(|s| !s.is_empty())
            .or(label)
            .unwrap_or(entity);
        let Some(position) = &v.position else {
            return Err((
                RejectReason::BadCoordinates,
                format!(
                    "vehicle {:?} (entity {:?}) has no position",
                    truncate(id, 64),
                    truncate(entity, 64)
                ),
            ));
        };
        let ts_ms = match ts_s {
            // Beyond i64 it saturates, to be refused by the range check.
            Some(s) => i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX),
            None => received_ms,
        };
        let attrs = attrs_of(v);
        let candidate = Candidate {
            id: Some(id),
            lat: Some(f64::from(position.latitude)),
            lon: Some(f64::from(position.longitude)),
            ts: Some(ts_ms),
            heading: position.bearing,
            speed: position.speed,
            meta: Meta {
                label,
                status: Some(status_name(v.current_status)),
                route: v
                    .trip
                    .as_ref()
                    .and_then(|t| t.route_id.as_deref())
                    .filter(|s| !s.is_empty()),
                attrs: attrs.as_deref(),
                ..Meta::default()
            },
        };
        candidate
            .check_into(&self.limits, batch)
            .map_err(|r| (r.reason, r.detail))?;
        Ok(id.to_owned())
    }
}

/// `current_status` as the specification names it (absent means `IN_TRANSIT_TO`).
fn status_name(status: Option<i32>) -> &'static str {
    match status.unwrap_or(proto::IN_TRANSIT_TO) {
        proto::INCOMING_AT => "INCOMING_AT",
        proto::STOPPED_AT => "STOPPED_AT",
        _ => "IN_TRANSIT_TO",
    }
}

/// The trip, the stop and the occupancy, as a JSON object's text.
fn attrs_of(v: &VehiclePosition) -> Option<String> {
    let mut attrs = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            attrs.insert(k.to_owned(), v);
        }
    };
    put(
        "trip_id",
        v.trip
            .as_ref()
            .and_then(|t| t.trip_id.clone())
            .map(Value::String),
    );
    put("stop_id", v.stop_id.clone().map(Value::String));
    put("stop_sequence", v.current_stop_sequence.map(Value::from));
    put(
        "occupancy",
        v.occupancy_status
            .and_then(proto::occupancy_name)
            .map(|s| Value::String(s.to_owned())),
    );
    (!attrs.is_empty()).then(|| Value::Object(attrs).to_string())
}

/// Why a body is not a protobuf, when it plainly is something else (an error page).
fn looks_like_text(bytes: &[u8]) -> Option<&'static str> {
    let start = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    match start {
        b'<' => Some("HTML or XML"),
        b'{' | b'[' => Some("JSON"),
        _ => None,
    }
}

impl Format for GtfsRt {
    fn greeting(&self, _: &Subscribe, _: Option<&str>) -> Vec<String> {
        Vec::new()
    }

    /// The format is binary; text that reaches it is refused.
    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        self.decode_bytes(text.as_bytes(), received_ms, out);
    }

    fn decode_bytes(&mut self, bytes: &[u8], received_ms: i64, out: &mut Decoded) {
        if let Some(what) = looks_like_text(bytes) {
            let start = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
            out.rejected.record(
                RejectReason::MalformedProtobuf,
                &format!(
                    "the answer is {what}, not a GTFS-Realtime protobuf: {}",
                    truncate(start.trim(), 64)
                ),
            );
            return;
        }
        match FeedMessage::decode(bytes) {
            Ok(message) => self.message(&message, received_ms, out),
            Err(e) => out.rejected.record(
                RejectReason::MalformedProtobuf,
                &format!(
                    "not a GTFS-Realtime FeedMessage ({} bytes): {e}",
                    bytes.len()
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests;
