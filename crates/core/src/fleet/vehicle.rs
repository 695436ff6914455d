//! One vehicle as the model holds it: the latest fix, what motion needs, and a bounded trail.

use std::collections::VecDeque;

use super::{FeedId, VehicleId};
use crate::geo;
use crate::protocol::{Fix, FixRef, MetaRef, OwnedMeta};

/// Moves shorter than this between fixes are GPS noise, too short to derive a heading from.
const MIN_MOVE_FOR_HEADING_M: f64 = 3.0;

/// A point of a trail. f32 degrees are good to ~1 m, plenty for a line drawn behind a marker,
/// and halve the trail's memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrailPoint {
    pub lat: f32,
    pub lon: f32,
    pub ts: i64,
}

#[derive(Debug, Clone)]
pub struct Vehicle {
    feed: FeedId,
    id: Box<str>,
    /// The newest fix; never replaced by an older one.
    pub fix: Fix,
    /// The fix before it: with `fix`, what interpolation glides between.
    pub prev: Option<Fix>,
    /// Reported heading, or the bearing of the last real move when the device sends none;
    /// kept through stops so a parked vehicle still points the way it came.
    pub heading: Option<f32>,
    /// Our clock (UTC ms) when the newest fix arrived: the glide to it starts then.
    pub received_ms: i64,
    /// Where the marker was drawn when the newest fix arrived (see `motion`).
    pub(crate) glide_from: (f64, f64),
    /// How long the glide to the newest fix lasts, ms (0: no glide, drawn at the fix).
    pub(crate) glide_ms: i64,
    meta: OwnedMeta,
    /// Older fixes, oldest first, at most the configured length. Allocated on the second fix,
    /// so vehicles seen once cost nothing here.
    trail: VecDeque<TrailPoint>,
    /// The snapshot generation that last mentioned this vehicle (for the resync sweep).
    pub(crate) seen_gen: u32,
}

impl Vehicle {
    pub(crate) fn new(feed: FeedId, fix: &FixRef<'_>, received_ms: i64, seen_gen: u32) -> Self {
        let mut v = Self {
            feed,
            id: fix.id.into(),
            fix: fix.fix(),
            prev: None,
            heading: fix.heading,
            received_ms,
            glide_from: (fix.lat, fix.lon),
            glide_ms: 0,
            meta: OwnedMeta::default(),
            trail: VecDeque::new(),
            seen_gen,
        };
        v.meta.merge(&fix.meta);
        v
    }

    /// Takes a fix newer than the held one (the caller has checked the order).
    pub(crate) fn advance(&mut self, fix: &FixRef<'_>, received_ms: i64, trail_len: usize) {
        let old = self.fix;
        let new = fix.fix();
        self.heading = match new.heading {
            Some(h) => Some(h),
            None if geo::approx_distance_m(old.lat, old.lon, new.lat, new.lon)
                >= MIN_MOVE_FOR_HEADING_M =>
            {
                Some(geo::bearing_deg(old.lat, old.lon, new.lat, new.lon) as f32)
            }
            None => self.heading,
        };
        if trail_len > 0 {
            if self.trail.len() >= trail_len {
                self.trail.pop_front();
            }
            self.trail.push_back(TrailPoint {
                lat: old.lat as f32,
                lon: old.lon as f32,
                ts: old.ts,
            });
        }
        // Start the glide from where the marker is now, so it never jumps.
        self.glide_from = self.display_position(received_ms);
        self.glide_ms = super::motion::glide_ms(new.ts - old.ts);
        self.prev = Some(old);
        self.fix = new;
        self.received_ms = received_ms;
        // A field the fix leaves out keeps its value (many feeds send the label only now and then).
        self.meta.merge(&fix.meta);
    }

    /// Takes the descriptive fields `fix` carries; a field it leaves out keeps its value.
    pub(crate) fn take_meta(&mut self, fix: &FixRef<'_>) {
        self.meta.merge(&fix.meta);
    }

    /// The id its feed gives it (unique within that feed only).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The feed it comes from.
    pub fn feed(&self) -> FeedId {
        self.feed
    }

    /// Its identity across feeds.
    pub fn vehicle_id(&self) -> VehicleId {
        VehicleId::new(self.feed, &*self.id)
    }

    /// Whether this is the vehicle `id` names.
    pub fn is(&self, id: &VehicleId) -> bool {
        self.feed == id.feed && *self.id == *id.id
    }

    pub fn label(&self) -> Option<&str> {
        self.meta.label.as_deref()
    }

    /// The label when there is one, else the id: what a list row shows.
    pub fn display_name(&self) -> &str {
        self.label().unwrap_or(&self.id)
    }

    pub fn kind(&self) -> Option<&str> {
        self.meta.kind.as_deref()
    }

    pub fn status(&self) -> Option<&str> {
        self.meta.status.as_deref()
    }

    pub fn route(&self) -> Option<&str> {
        self.meta.route.as_deref()
    }

    /// The raw JSON object of free attributes.
    pub fn attrs(&self) -> Option<&str> {
        self.meta.attrs.as_deref()
    }

    /// Every descriptive field held.
    pub fn meta(&self) -> MetaRef<'_> {
        self.meta.as_ref()
    }

    /// The newest fix with every descriptive field, as a feed would send it (keyframes, the
    /// state a recording starts from).
    pub fn as_fix(&self) -> FixRef<'_> {
        FixRef {
            id: &self.id,
            lat: self.fix.lat,
            lon: self.fix.lon,
            ts: self.fix.ts,
            heading: self.fix.heading,
            speed: self.fix.speed,
            meta: self.meta.as_ref(),
        }
    }

    /// Past positions, oldest first (the current fix is not included).
    pub fn trail(&self) -> impl ExactSizeIterator<Item = &TrailPoint> + '_ {
        self.trail.iter()
    }

    /// Heap bytes this vehicle holds beyond its struct, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.id.len()
            + self.meta.text_bytes()
            + self.trail.capacity() * std::mem::size_of::<TrailPoint>()
    }
}
