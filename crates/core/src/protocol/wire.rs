//! The owned message types of protocol v1, used to encode (server, simulator, tests) and to
//! decode the rarer, small messages (`subscribe`, `report`).
//!
//! Every message is a JSON object with a `type` field; unknown fields are ignored so the protocol
//! can grow without breaking older peers.

use serde::{Deserialize, Serialize};

/// One vehicle's position at one instant, as it travels on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Stable vehicle identifier chosen by the device or gateway.
    pub id: String,
    /// WGS84 latitude in degrees, -90..=90.
    pub lat: f64,
    /// WGS84 longitude in degrees, -180..=180.
    pub lon: f64,
    /// When the fix was taken, UTC milliseconds since the Unix epoch (device clock).
    pub ts: i64,
    /// Course over ground in degrees clockwise from north; absent when the device does not know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<f32>,
    /// Speed in metres per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<f32>,
    /// What a dispatcher calls the vehicle ("Bus 131").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// bus, truck, van, car, ... (free text; the map colours known kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Operational status as the fleet names it (in_service, depot, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Route the vehicle is running, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Anything else the fleet wants to carry; shown, never interpreted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attrs: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Position {
    /// A bare position: id, coordinates and time, nothing optional.
    pub fn new(id: impl Into<String>, lat: f64, lon: f64, ts: i64) -> Self {
        Self {
            id: id.into(),
            lat,
            lon,
            ts,
            heading: None,
            speed: None,
            label: None,
            kind: None,
            status: None,
            route: None,
            attrs: None,
        }
    }
}

/// A geographic box, on the wire as `[west, south, east, north]` in degrees (the GeoJSON order).
/// `west > east` means the box crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "[f64; 4]", into = "[f64; 4]")]
pub struct BBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl From<[f64; 4]> for BBox {
    fn from([west, south, east, north]: [f64; 4]) -> Self {
        Self {
            west,
            south,
            east,
            north,
        }
    }
}

impl From<BBox> for [f64; 4] {
    fn from(b: BBox) -> Self {
        [b.west, b.south, b.east, b.north]
    }
}

impl BBox {
    /// Whether the box is well-formed: finite, in range, south not above north.
    pub fn is_valid(&self) -> bool {
        let lat_ok = |v: f64| v.is_finite() && (-90.0..=90.0).contains(&v);
        let lon_ok = |v: f64| v.is_finite() && (-180.0..=180.0).contains(&v);
        lat_ok(self.south)
            && lat_ok(self.north)
            && lon_ok(self.west)
            && lon_ok(self.east)
            && self.south <= self.north
    }

    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let lat_in = lat >= self.south && lat <= self.north;
        let lon_in = if self.west <= self.east {
            lon >= self.west && lon <= self.east
        } else {
            lon >= self.west || lon <= self.east
        };
        lat_in && lon_in
    }
}

/// What a viewer asks for. Every field is optional: an empty subscribe means "everything".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subscribe {
    /// Only vehicles inside this box.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BBox>,
    /// Only these vehicles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<String>>,
    /// Viewer token, for servers that want one in the message rather than the upgrade header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The encoding asked for: `"compact"`, or v1 when absent (or unknown to the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

/// viewer -> server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Subscribe(Subscribe),
}

/// server -> viewer (the owned form, for encoding; viewers decode with
/// [`decode_server`](super::decode_server)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The whole current set matching the subscription; replaces what the viewer held. A large
    /// one comes in parts, each but the last with `more: true`.
    Snapshot {
        positions: Vec<Position>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        more: bool,
    },
    /// Changes since the last batch; only vehicles that moved or changed.
    Positions { positions: Vec<Position> },
    /// Vehicles that left (silent too long, or out of the subscription).
    Remove { ids: Vec<String> },
    /// Something the server refused or cannot do; `code` is machine-readable.
    Error { code: String, message: String },
}

/// device or gateway -> server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeviceMessage {
    Report { positions: Vec<Position> },
}

/// Encodes any message as one JSON text frame. Fails only on values JSON cannot carry
/// (serde_json refuses nothing here, but would write NaN as `null`; callers validate first).
pub fn encode<T: Serialize>(message: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscribe_encodes_with_its_type_and_only_the_fields_given() {
        let msg = ClientMessage::Subscribe(Subscribe {
            bbox: Some(BBox::from([145.6, -17.1, 145.9, -16.7])),
            ids: None,
            token: None,
            encoding: None,
        });
        let text = encode(&msg).expect("encodes");
        assert_eq!(
            text,
            r#"{"type":"subscribe","bbox":[145.6,-17.1,145.9,-16.7]}"#
        );
        let back: ClientMessage = serde_json::from_str(&text).expect("decodes");
        assert_eq!(back, msg);
    }

    #[test]
    fn a_bbox_across_the_antimeridian_contains_both_sides() {
        let b = BBox::from([170.0, -10.0, -170.0, 10.0]);
        assert!(b.is_valid());
        assert!(b.contains(0.0, 175.0));
        assert!(b.contains(0.0, -175.0));
        assert!(!b.contains(0.0, 0.0));
        assert!(!b.contains(20.0, 175.0));
    }

    #[test]
    fn a_bbox_with_south_above_north_is_invalid() {
        assert!(!BBox::from([0.0, 10.0, 1.0, 5.0]).is_valid());
        assert!(!BBox::from([0.0, f64::NAN, 1.0, 5.0]).is_valid());
    }

    #[test]
    fn optional_position_fields_are_left_out_when_absent() {
        let text = encode(&ServerMessage::Positions {
            positions: vec![Position::new("bus-1", -16.9, 145.7, 1_700_000_000_000)],
        })
        .expect("encodes");
        assert_eq!(
            text,
            r#"{"type":"positions","positions":[{"id":"bus-1","lat":-16.9,"lon":145.7,"ts":1700000000000}]}"#
        );
    }
}
