//! A vehicle as the hub holds it ([`Stored`]) and as a frame carries it ([`Sent`]): whole,
//! or only where and when, in centimetres and tenths.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;

use fleetview_core::protocol::{FixRef, update_text};

/// A vehicle's latest fix as the server holds and sends it.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Stored {
    pub(super) id: Arc<str>,
    #[serde(serialize_with = "centimetres")]
    pub(super) lat: f64,
    #[serde(serialize_with = "centimetres")]
    pub(super) lon: f64,
    pub(super) ts: i64,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "tenths")]
    pub(super) heading: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "tenths")]
    pub(super) speed: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) label: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) kind: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) status: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) route: Option<Box<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) attrs: Option<Box<RawValue>>,
    #[serde(skip)]
    pub(super) last_seen_ms: i64,
    #[serde(skip)]
    pub(super) dirty: bool,
    /// Its descriptive fields (label, kind, status, route, attrs) changed since the last tick:
    /// batches carry them only then (protocol v1: a field left out keeps its value).
    #[serde(skip)]
    pub(super) described: bool,
}

/// A position as a batch sends it: with its descriptive fields (new to the group, or changed),
/// or only where and when.
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Sent<'a> {
    Full(&'a Stored),
    Brief(Brief<'a>),
}

#[derive(Serialize)]
pub(super) struct Brief<'a> {
    id: &'a str,
    #[serde(serialize_with = "centimetres")]
    lat: f64,
    #[serde(serialize_with = "centimetres")]
    lon: f64,
    ts: i64,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "tenths")]
    heading: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "tenths")]
    speed: Option<f32>,
}

impl<'a> Sent<'a> {
    pub(super) fn of(v: &'a Stored, full: bool) -> Self {
        if full {
            Self::Full(v)
        } else {
            Self::Brief(Brief {
                id: &v.id,
                lat: v.lat,
                lon: v.lon,
                ts: v.ts,
                heading: v.heading,
                speed: v.speed,
            })
        }
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
fn centimetres<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((v * 1e7).round() / 1e7)
}

/// Headings and speeds to a tenth (of a degree, of a m/s).
fn tenths<S: serde::Serializer>(v: &Option<f32>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_f64((f64::from(*v) * 10.0).round() / 10.0),
        None => s.serialize_none(),
    }
}

impl Stored {
    /// A vehicle first heard now, with everything its first fix says.
    pub(super) fn new(id: Arc<str>, fix: &FixRef<'_>, now_ms: i64) -> Self {
        let mut stored = Self {
            id,
            lat: fix.lat,
            lon: fix.lon,
            ts: fix.ts,
            heading: None,
            speed: None,
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
    pub(super) fn fix(&self) -> FixRef<'_> {
        FixRef {
            id: &self.id,
            lat: self.lat,
            lon: self.lon,
            ts: self.ts,
            heading: self.heading,
            speed: self.speed,
            meta: fleetview_core::protocol::Meta {
                label: self.label.as_deref(),
                kind: self.kind.as_deref(),
                status: self.status.as_deref(),
                route: self.route.as_deref(),
                attrs: self.attrs.as_deref().map(RawValue::get),
            },
        }
    }

    pub(super) fn update(&mut self, f: &FixRef<'_>, now_ms: i64) {
        self.lat = f.lat;
        self.lon = f.lon;
        self.ts = f.ts;
        self.heading = f.heading;
        self.speed = f.speed;
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
