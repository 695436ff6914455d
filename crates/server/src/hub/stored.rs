//! A vehicle as the hub holds it ([`Stored`]) and as a frame carries it ([`Sent`]): whole,
//! or only where and when, in centimetres and tenths.

use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

use fleetview_core::protocol::{Fix, FixRef, Meta, update_text};

/// A vehicle's latest fix as the server holds and sends it.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub(super) id: Arc<str>,
    pub(super) fix: Fix,
    pub(super) label: Option<Box<str>>,
    pub(super) kind: Option<Box<str>>,
    pub(super) status: Option<Box<str>>,
    pub(super) route: Option<Box<str>>,
    pub(super) attrs: Option<Box<RawValue>>,
    pub(super) last_seen_ms: i64,
    pub(super) dirty: bool,
    /// Its descriptive fields (label, kind, status, route, attrs) changed since the last tick:
    /// batches carry them only then (protocol v1: a field left out keeps its value).
    pub(super) described: bool,
}

/// A position as a frame carries it (protocol v1's fields, in its order): with its descriptive
/// fields (new to the group, or changed), or only where and when.
pub(super) struct Sent<'a> {
    vehicle: &'a Stored,
    full: bool,
}

impl<'a> Sent<'a> {
    pub(super) fn of(vehicle: &'a Stored, full: bool) -> Self {
        Self { vehicle, full }
    }
}

impl Serialize for Sent<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.vehicle;
        let f = &v.fix;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("id", &*v.id)?;
        map.serialize_entry("lat", &centimetres(f.lat))?;
        map.serialize_entry("lon", &centimetres(f.lon))?;
        map.serialize_entry("ts", &f.ts)?;
        if let Some(h) = f.heading {
            map.serialize_entry("heading", &tenths(h))?;
        }
        if let Some(speed) = f.speed {
            map.serialize_entry("speed", &tenths(speed))?;
        }
        if self.full {
            let texts = [
                ("label", &v.label),
                ("kind", &v.kind),
                ("status", &v.status),
                ("route", &v.route),
            ];
            for (key, value) in texts {
                if let Some(value) = value {
                    map.serialize_entry(key, &**value)?;
                }
            }
            if let Some(attrs) = &v.attrs {
                map.serialize_entry("attrs", &**attrs)?;
            }
        }
        map.end()
    }
}

/// Sets `held` to `sent` when it brings a new value; whether it did.
fn changed_text(held: &mut Option<Box<str>>, sent: Option<&str>) -> bool {
    let new = sent.is_some_and(|v| held.as_deref() != Some(v));
    update_text(held, sent);
    new
}

/// Degrees to 7 decimals (about 1 cm): GPS is not better, and 17 digits cost bytes on every
/// viewer's wire and time in every viewer's parser.
fn centimetres(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Headings and speeds to a tenth (of a degree, of a m/s).
fn tenths(v: f32) -> f64 {
    (f64::from(v) * 10.0).round() / 10.0
}

impl Stored {
    /// A vehicle first heard now, with everything its first fix says.
    pub(super) fn new(id: Arc<str>, fix: &FixRef<'_>, now_ms: i64) -> Self {
        let mut stored = Self {
            id,
            fix: fix.fix(),
            label: None,
            kind: None,
            status: None,
            route: None,
            attrs: None,
            last_seen_ms: now_ms,
            dirty: true,
            described: true,
        };
        stored.update(fix, now_ms);
        stored
    }

    /// The vehicle as a fix, with its descriptive fields.
    pub(super) fn as_ref(&self) -> FixRef<'_> {
        let meta = Meta {
            label: self.label.as_deref(),
            kind: self.kind.as_deref(),
            status: self.status.as_deref(),
            route: self.route.as_deref(),
            attrs: self.attrs.as_deref().map(RawValue::get),
        };
        self.fix.named(&self.id, meta)
    }

    pub(super) fn update(&mut self, f: &FixRef<'_>, now_ms: i64) {
        self.fix = f.fix();
        let mut described = changed_text(&mut self.label, f.meta.label);
        described |= changed_text(&mut self.kind, f.meta.kind);
        described |= changed_text(&mut self.status, f.meta.status);
        described |= changed_text(&mut self.route, f.meta.route);
        // Parsed (and allocated) only when they changed: most reports repeat them or send none.
        if let Some(a) = f.meta.attrs
            && self.attrs.as_deref().map(RawValue::get) != Some(a)
            && let Ok(raw) = RawValue::from_string(a.to_owned())
        {
            self.attrs = Some(raw);
            described = true;
        }
        self.described |= described;
        self.last_seen_ms = now_ms;
    }
}
