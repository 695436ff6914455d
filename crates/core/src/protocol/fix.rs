//! Where a vehicle was, when, and how it moved: the one declaration of a position's numbers,
//! in the units every layer uses (degrees as f64, device time as UTC ms in an i64, speed in
//! m/s and heading in degrees as f32). A format converts its units into these once; nothing
//! downstream converts again.
//!
//! The identity and the descriptive fields travel beside it: borrowed in a [`FixRef`] (what a
//! [`FixBatch`](super::FixBatch) yields), owned in the model's vehicle and the server's hub.

use super::batch::FixRef;
use super::meta::MetaRef;

/// A position at an instant, without who it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fix {
    /// WGS84 degrees.
    pub lat: f64,
    pub lon: f64,
    /// Device time, UTC ms.
    pub ts: i64,
    /// m/s, when the device sent one.
    pub speed: Option<f32>,
    /// Degrees clockwise from north, when the device sent one.
    pub heading: Option<f32>,
}

impl Fix {
    /// Where and when, not moving as far as anyone said.
    pub fn at(lat: f64, lon: f64, ts: i64) -> Self {
        Self {
            lat,
            lon,
            ts,
            speed: None,
            heading: None,
        }
    }
}

impl Fix {
    /// This fix as vehicle `id`'s, with its descriptive fields.
    pub fn named<'a>(&self, id: &'a str, meta: MetaRef<'a>) -> FixRef<'a> {
        FixRef {
            id,
            lat: self.lat,
            lon: self.lon,
            ts: self.ts,
            heading: self.heading,
            speed: self.speed,
            meta,
        }
    }
}

impl FixRef<'_> {
    /// Its numbers, without who it is.
    pub fn fix(&self) -> Fix {
        Fix {
            lat: self.lat,
            lon: self.lon,
            ts: self.ts,
            speed: self.speed,
            heading: self.heading,
        }
    }
}
