//! What travels between nodes: protocol v1 `report` frames (the same text a publisher sends, so
//! the receiving hub screens it with the same decoder), and the bucket's keys.

use base64::Engine;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::value::RawValue;

use fleetview_core::protocol::FixRef;
use fleetview_core::protocol::compact::{from_units, to_tenths, to_units};

/// A fix as a v1 position, every field it has, to the precision viewers get (7 decimals of a
/// degree, tenths of a degree and of a m/s): what a peer's viewers see is what this node's see.
struct Wire<'a, 'b>(&'b FixRef<'a>);

impl Serialize for Wire<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", f.id)?;
        map.serialize_entry("lat", &from_units(to_units(f.lat)))?;
        map.serialize_entry("lon", &from_units(to_units(f.lon)))?;
        map.serialize_entry("ts", &f.ts)?;
        let tenths = |v: f32| to_tenths(v) as f64 / 10.0;
        if let Some(h) = f.heading {
            map.serialize_entry("heading", &tenths(h))?;
        }
        if let Some(v) = f.speed {
            map.serialize_entry("speed", &tenths(v))?;
        }
        for (name, value) in f.meta.named() {
            let Some(value) = value else { continue };
            if name == "attrs" {
                if let Ok(raw) = RawValue::from_string((*value).to_owned()) {
                    map.serialize_entry(name, &raw)?;
                }
            } else {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

/// A `report` frame carrying `fixes`.
pub fn report_text<'a>(fixes: impl IntoIterator<Item = FixRef<'a>>) -> String {
    let positions: Vec<FixRef<'a>> = fixes.into_iter().collect();
    let wire: Vec<Wire<'_, '_>> = positions.iter().map(Wire).collect();
    #[derive(Serialize)]
    struct Report<'w, 'a, 'b> {
        #[serde(rename = "type")]
        kind: &'static str,
        positions: &'w [Wire<'a, 'b>],
    }
    // Plain strings and numbers (validated fixes are finite): serialising cannot fail.
    serde_json::to_string(&Report {
        kind: "report",
        positions: &wire,
    })
    .unwrap_or_default()
}

/// A vehicle's key in the bucket: its id when NATS takes it as a key, else `=` and the id in
/// URL-safe base64 (so no two ids share a key).
pub fn bucket_key(id: &str) -> String {
    let plain = !id.is_empty()
        && !id.starts_with('.')
        && !id.ends_with('.')
        && !id.contains("..")
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.'));
    if plain {
        id.to_owned()
    } else {
        format!(
            "={}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::protocol::{DecodeLimits, FixBatch, Position, RejectTally, decode_report};

    #[test]
    fn a_report_carries_every_field_and_reads_back_through_the_ingest_decoder() {
        let mut p = Position::new("bus-1", -16.92, 145.77, 1_764_000_000_000);
        p.heading = Some(90.5);
        p.speed = Some(8.3);
        p.label = Some("Bus 1".into());
        let mut attrs = serde_json::Map::new();
        attrs.insert("driver".into(), "Ana".into());
        p.attrs = Some(attrs);
        let batch = FixBatch::from_positions(&[p, Position::new("van 7", 1.0, 2.0, 3)]);
        let text = report_text(batch.iter());
        let mut refused = RejectTally::default();
        let back = decode_report(&text, &DecodeLimits::default(), &mut refused).expect("report");
        assert!(refused.is_empty());
        assert_eq!(back, batch);
    }

    #[test]
    fn ids_nats_refuses_as_keys_are_encoded_and_never_collide() {
        assert_eq!(bucket_key("bus-1"), "bus-1");
        assert_eq!(bucket_key("jane/phone"), "jane/phone");
        for odd in ["van 7", "a..b", ".x", "x.", "é", "=bus", "*", ">"] {
            let key = bucket_key(odd);
            assert!(key.starts_with('='), "{odd} -> {key}");
            assert!(
                key[1..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "{key}"
            );
        }
        assert_ne!(bucket_key("=bus"), bucket_key("bus"));
    }
}
