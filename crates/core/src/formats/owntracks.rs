//! An OwnTracks Recorder as a feed: its `/ws/last` WebSocket (see the recorder's `http.c`).
//!
//! After connecting the viewer sends the text `LAST`; the recorder echoes it (it echoes whatever
//! a viewer sends), then sends each device's last location as one JSON object per device (not
//! an array), then pushes every message it receives, of any `_type`. Only `location` objects are
//! positions; the echo, empty frames (pings) and other types are ignored, not refused.
//!
//! A vehicle is the MQTT `topic` (`owntracks/jane/phone`), else `username/device`; its label the
//! card's `name`, else the `tid`. `tst` is epoch **seconds**, `vel` **km/h**, `cog` degrees;
//! -1 or absence means unknown. `batt`, `acc`, `alt`, `conn` and a few more go to attrs.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::{Decoded, Format};
use crate::events::FeedEvent;
use crate::protocol::{
    Candidate, DecodeLimits, FixBatch, Meta, RejectReason, Subscribe, json_ms, truncate,
};

/// What the viewer sends to get every device's last location.
pub const LAST: &str = "LAST";

/// Fields copied into attrs when present.
const ATTRS: [&str; 9] = [
    "batt", "acc", "alt", "conn", "bs", "vac", "t", "addr", "ghash",
];

pub struct OwnTracks {
    limits: DecodeLimits,
    /// Topics whose card name has been seen: their label stays the name when a live location
    /// carries only the `tid`.
    named: HashSet<String>,
}

impl OwnTracks {
    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            limits,
            named: HashSet::new(),
        }
    }

    /// One location object on its own (the server's HTTP mode): its fix, or why it is refused.
    pub fn one_location(&mut self, map: &Map<String, Value>) -> Result<FixBatch, Refused> {
        let mut batch = FixBatch::with_capacity(1, 64);
        self.location(map, &mut batch)?;
        Ok(batch)
    }

    fn location(&mut self, map: &Map<String, Value>, batch: &mut FixBatch) -> Result<(), Refused> {
        let text = |k: &str| map.get(k).and_then(Value::as_str);
        let id = id_of(map)?;
        let number = |k: &str, reason| number(map, k, reason, &id);
        let tst = number("tst", RejectReason::BadTimestamp)?.ok_or_else(|| {
            (
                RejectReason::BadTimestamp,
                format!("location without tst (topic {:?})", truncate(&id, 64)),
            )
        })?;
        // -1 (or less) means the device does not know.
        let known = |v: Option<f64>| v.filter(|v| *v >= 0.0);
        let vel_kmh = known(number("vel", RejectReason::InvalidField)?);
        let cog = known(number("cog", RejectReason::InvalidField)?);
        let attrs = attrs_of(map);
        let candidate = Candidate {
            id: Some(&id),
            lat: number("lat", RejectReason::BadCoordinates)?,
            lon: number("lon", RejectReason::BadCoordinates)?,
            // OwnTracks' units to ours, once: seconds to ms, km/h to m/s.
            ts: Some(json_ms(tst * 1000.0)),
            heading: cog.map(|v| v as f32),
            speed: vel_kmh.map(|v| (v / 3.6) as f32),
            meta: Meta {
                label: self.label(&id, text("name"), text("tid")),
                attrs: attrs.as_deref(),
                ..Meta::default()
            },
        };
        candidate
            .check_into(&self.limits, batch)
            .map_err(|r| (r.reason, r.detail))?;
        Ok(())
    }

    /// The card's name when there is one; the tid only for a device never named (a label left
    /// out keeps the one held).
    fn label<'a>(
        &mut self,
        id: &str,
        name: Option<&'a str>,
        tid: Option<&'a str>,
    ) -> Option<&'a str> {
        match name {
            Some(name) => {
                if !self.named.contains(id) {
                    self.named.insert(id.to_owned());
                }
                Some(name)
            }
            None if self.named.contains(id) => None,
            None => tid,
        }
    }
}

/// Why a location is refused.
pub type Refused = (RejectReason, String);

/// The vehicle: the MQTT topic, else `username/device`.
fn id_of(map: &Map<String, Value>) -> Result<std::borrow::Cow<'_, str>, Refused> {
    let text = |k: &str| map.get(k).and_then(Value::as_str);
    match (text("topic"), text("username"), text("device")) {
        (Some(topic), _, _) => Ok(topic.into()),
        (None, Some(user), Some(device)) => Ok(format!("{user}/{device}").into()),
        _ => Err((
            RejectReason::MissingId,
            "location without topic or username/device".into(),
        )),
    }
}

/// A number field, absent as `None`, of another type refused for `reason`.
fn number(
    map: &Map<String, Value>,
    key: &str,
    reason: RejectReason,
    id: &str,
) -> Result<Option<f64>, Refused> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err((
            reason,
            format!(
                "\"{key}\" is {}, not a number (topic {:?})",
                truncate(&other.to_string(), 32),
                truncate(id, 64)
            ),
        )),
    }
}

/// The phone's state worth showing, as a JSON object's text.
fn attrs_of(map: &Map<String, Value>) -> Option<String> {
    let attrs: Map<String, Value> = ATTRS
        .iter()
        .filter_map(|k| {
            map.get(*k)
                .filter(|v| !v.is_null())
                .map(|v| ((*k).to_owned(), v.clone()))
        })
        .collect();
    (!attrs.is_empty()).then(|| Value::Object(attrs).to_string())
}

impl Format for OwnTracks {
    fn greeting(&self, _: &Subscribe, _: Option<&str>) -> Vec<String> {
        vec![LAST.into()]
    }

    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        let text = text.trim();
        if text.is_empty() || text == LAST {
            out.ignored += 1;
            return;
        }
        let Some(map) = super::json_object(text, out) else {
            return;
        };
        if map.get("_type").and_then(Value::as_str) != Some("location") {
            out.ignored += 1;
            return;
        }
        let mut batch = FixBatch::with_capacity(1, 96);
        match self.location(&map, &mut batch) {
            Ok(()) => {
                batch.received_ms = received_ms;
                out.events.push(FeedEvent::Positions(batch));
            }
            Err((reason, detail)) => out.rejected.record(reason, &detail),
        }
    }
}

#[cfg(test)]
mod tests;
