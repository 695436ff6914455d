//! What counts as moving, as a stop, as a trip and as a hole in the data: the numbers the
//! reports apply, with Traccar's defaults converted to fleetview's units.

use serde::Serialize;

/// One knot in m/s.
const KNOT_MPS: f32 = 1852.0 / 3600.0;

/// The detection thresholds. [`Default`] gives Traccar's defaults in fleetview's units, plus a
/// stop radius (Traccar has no such setting in its classic rules; see `stop_radius_m`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// A fix more than `stop_radius_m` from where the vehicle stood is moving when its speed is
    /// above this, in m/s: the larger of the speed the device reported and the one derived from
    /// the distance and time since the previous fix. Default 0.01 knot = 0.00514 m/s (Traccar's
    /// `event.motion.speedThreshold`), i.e. any speed at all; raise it to treat slow drift as
    /// standing still.
    pub moving_speed_mps: f32,
    /// Standing still (within `stop_radius_m`) for at least this long is a stop; a shorter halt
    /// (lights, traffic) stays part of its trip. Default 300 s (Traccar's
    /// `report.trip.minimalParkingDuration`).
    pub min_stop_ms: i64,
    /// A move between stops lasting at least this long is a trip... Default 300 s (Traccar's
    /// `report.trip.minimalTripDuration`).
    pub min_trip_ms: i64,
    /// ...or covering at least this distance, in metres. A move under both is the vehicle
    /// re-parking: between two stops it joins them into one. Default 500 m (Traccar's
    /// `report.trip.minimalTripDistance`).
    pub min_trip_m: f64,
    /// Two consecutive fixes further apart in time than this are a hole in the data: a trip
    /// ends at the fix before it. Where the vehicle is found again in the same place (within
    /// `stop_radius_m`) the hole is part of a stop (a tracker asleep while parked); otherwise it
    /// is neither moving nor stopped time, and its straight line is not counted as distance.
    /// Zero or less: no limit. Default 3600 s (Traccar's `report.trip.minimalNoDataDuration`).
    pub max_gap_ms: i64,
    /// Fixes within this many metres of where the vehicle came to rest are standing still
    /// whatever their speed, so a parked vehicle whose GPS position wanders (typically 5 to 20
    /// m, more between tall buildings) and whose speed is noisy or derived from that wander
    /// makes neither distance nor a trip. Default 30 m (the radius the window's track view
    /// already uses). Traccar's classic rules have no radius and count the wander as distance
    /// unless `coordinates.filter` is set; its newer rules (`report.trip.newLogic`) use a
    /// distance of 200 m.
    pub stop_radius_m: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            moving_speed_mps: 0.01 * KNOT_MPS,
            min_stop_ms: 300_000,
            min_trip_ms: 300_000,
            min_trip_m: 500.0,
            max_gap_ms: 3_600_000,
            stop_radius_m: 30.0,
        }
    }
}

impl Thresholds {
    /// Whether `dt_ms` between two fixes is a hole in the data.
    pub(super) fn is_gap(&self, dt_ms: i64) -> bool {
        self.max_gap_ms > 0 && dt_ms > self.max_gap_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_speed_threshold_is_a_hundredth_of_a_knot() {
        let t = Thresholds::default();
        assert!(
            (t.moving_speed_mps - 0.005_144).abs() < 1e-6,
            "{}",
            t.moving_speed_mps
        );
        assert!(t.is_gap(3_600_001) && !t.is_gap(3_600_000));
        let no_limit = Thresholds { max_gap_ms: 0, ..t };
        assert!(!no_limit.is_gap(i64::MAX));
    }
}
