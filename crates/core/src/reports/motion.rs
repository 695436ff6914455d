//! One pass over a vehicle's fixes, cutting them into dwells (the vehicle stayed within the stop
//! radius of where it came to rest), legs (it moved) and holes in the data, and handing each to
//! the [`Assembler`]. Constant state per vehicle, nothing allocated per fix.
//!
//! The newest fix always belongs to the current dwell: a fix that stays near the dwell's first
//! fix (its anchor) joins it; one that leaves closes it and anchors a new dwell of its own. A
//! dwell long enough is a stop; a shorter one is a halt inside the current leg, which gains only
//! the halt's net displacement (anchor to last fix), so GPS wander during the halt adds nothing.

use super::assemble::Assembler;
use super::thresholds::Thresholds;
use crate::geo;
use crate::protocol::Fix;

/// A fix and its position among the fixes analysed (repeats left out).
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    pub fix: Fix,
    pub k: usize,
}

/// Where the vehicle stayed within the stop radius of `anchor`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dwell {
    pub anchor: At,
    pub last: At,
    /// Offsets of every fix from the anchor, in degrees, for the mean place.
    sum_dlat: f64,
    sum_dlon: f64,
}

impl Dwell {
    fn new(at: At) -> Self {
        Self {
            anchor: at,
            last: at,
            sum_dlat: 0.0,
            sum_dlon: 0.0,
        }
    }

    fn push(&mut self, at: At) {
        self.sum_dlat += at.fix.lat - self.anchor.fix.lat;
        self.sum_dlon += wrap_lon(at.fix.lon - self.anchor.fix.lon);
        self.last = at;
    }

    pub fn duration_ms(&self) -> i64 {
        self.last.fix.ts - self.anchor.fix.ts
    }

    /// The mean of its fixes (offsets taken from the anchor, so the antimeridian is harmless).
    pub fn place(&self) -> (f64, f64) {
        let n = (self.last.k - self.anchor.k + 1) as f64;
        let a = self.anchor.fix;
        (
            a.lat + self.sum_dlat / n,
            wrap_lon(a.lon + self.sum_dlon / n),
        )
    }
}

/// A movement since the last stop or hole: a candidate trip.
#[derive(Debug, Clone, Copy)]
pub(super) struct Leg {
    pub start: At,
    pub end: At,
    pub distance_m: f64,
    pub max_speed_mps: f32,
}

impl Leg {
    fn at(at: At) -> Self {
        Self {
            start: at,
            end: at,
            distance_m: 0.0,
            max_speed_mps: 0.0,
        }
    }

    fn extend(&mut self, to: At, distance_m: f64, speed_mps: f32) {
        self.end = to;
        self.distance_m += distance_m;
        self.max_speed_mps = self.max_speed_mps.max(speed_mps);
    }

    pub fn duration_ms(&self) -> i64 {
        self.end.fix.ts - self.start.fix.ts
    }
}

/// The pass's state between two fixes.
pub(super) struct Segmenter<'t> {
    t: &'t Thresholds,
    dwell: Dwell,
    leg: Leg,
    count: usize,
}

impl<'t> Segmenter<'t> {
    /// Starts at the first fix.
    pub fn new(t: &'t Thresholds, first: Fix) -> Self {
        let at = At { fix: first, k: 0 };
        Self {
            t,
            dwell: Dwell::new(at),
            leg: Leg::at(at),
            count: 1,
        }
    }

    /// Fixes analysed so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The newest fix analysed.
    pub fn last(&self) -> Fix {
        self.dwell.last.fix
    }

    /// Takes the next fix; one no newer than the last (a repeat) is left out.
    pub fn push(&mut self, fix: Fix, out: &mut Assembler<'_>) {
        let prev = self.dwell.last.fix;
        if fix.ts <= prev.ts || !fix.lat.is_finite() || !fix.lon.is_finite() {
            return;
        }
        let at = At { fix, k: self.count };
        self.count += 1;
        let dt_ms = fix.ts - prev.ts;
        let anchor = self.dwell.anchor.fix;
        if geo::distance_m(anchor.lat, anchor.lon, fix.lat, fix.lon) <= self.t.stop_radius_m {
            self.dwell.push(at);
            return;
        }
        let step_m = geo::distance_m(prev.lat, prev.lon, fix.lat, fix.lon);
        let derived = (step_m * 1000.0 / dt_ms as f64) as f32;
        let gap = self.t.is_gap(dt_ms);
        if !gap && fix.speed.unwrap_or(0.0).max(derived) <= self.t.moving_speed_mps {
            // Slow drift beyond the radius: still standing, as far as the threshold says.
            self.dwell.push(at);
            return;
        }
        self.close_dwell(out);
        if gap {
            out.leg(&self.leg);
            out.gap();
            self.leg = Leg::at(at);
        } else {
            self.leg.extend(at, step_m, fix.speed.unwrap_or(derived));
        }
        self.dwell = Dwell::new(at);
    }

    /// Ends the pass at the last fix: a stop still going on ends there.
    pub fn finish(mut self, out: &mut Assembler<'_>) {
        self.close_dwell(out);
        out.leg(&self.leg);
    }

    /// The vehicle left the current dwell (or the fixes ended): a long dwell is a stop that ends
    /// the leg before it and starts the next at its last fix; a short one is a halt in the leg.
    fn close_dwell(&mut self, out: &mut Assembler<'_>) {
        let dwell = self.dwell;
        let duration = dwell.duration_ms();
        if duration > 0 && duration >= self.t.min_stop_ms {
            out.leg(&self.leg);
            out.stop(&dwell);
            self.leg = Leg::at(dwell.last);
        } else {
            let (a, l) = (dwell.anchor.fix, dwell.last.fix);
            let net_m = geo::distance_m(a.lat, a.lon, l.lat, l.lon);
            self.leg.extend(dwell.last, net_m, 0.0);
        }
    }
}

/// A longitude difference or sum brought back into -180..=180.
fn wrap_lon(lon: f64) -> f64 {
    if lon > 180.0 {
        lon - 360.0
    } else if lon < -180.0 {
        lon + 360.0
    } else {
        lon
    }
}
