//! What the reports answer: trips, stops and a summary, as plain serializable data (field names
//! in snake_case, times in UTC ms, distances in metres, speeds in m/s).

use serde::{Deserialize, Serialize};

/// A moment and a place.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Place {
    pub ts: i64,
    pub lat: f64,
    pub lon: f64,
}

/// A move from one stop (or the start of the range, or a hole in the data) to the next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    /// The last fix where the vehicle stood before leaving (or the trip's first fix).
    pub start: Place,
    /// The first fix where it came to rest (or the trip's last fix).
    pub end: Place,
    /// Along the fixes; a halt inside the trip adds only how far the vehicle got during it.
    pub distance_m: f64,
    /// `end.ts - start.ts`, halts shorter than a stop included.
    pub duration_ms: i64,
    /// `distance_m` over `duration_ms`.
    pub avg_speed_mps: f32,
    /// The highest speed of a moving fix: as reported, or derived from distance and time.
    pub max_speed_mps: f32,
    /// Fixes from `start` to `end`, both included.
    pub fixes: usize,
}

/// Where the vehicle stood still for at least the minimum stop duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stop {
    /// The mean of the stop's fixes (GPS wander averages out).
    pub lat: f64,
    pub lon: f64,
    /// Its first fix there. A stop already going on when the range starts arrives at the first
    /// fix.
    pub arrival_ms: i64,
    /// Its last fix there. A stop still going on when the range ends departs at the last fix.
    pub departure_ms: i64,
    /// `departure_ms - arrival_ms`.
    pub duration_ms: i64,
}

/// The range as a whole, added up from its trips and stops.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The first and the last fix (0 when there are none).
    pub start_ms: i64,
    pub end_ms: i64,
    /// The trips' distances added up: only moving counts (GPS wander while stopped does not).
    pub distance_m: f64,
    /// The trips' durations added up.
    pub moving_ms: i64,
    /// The stops' durations added up. `end_ms - start_ms - moving_ms - stopped_ms` is time
    /// neither: holes in the data across which the vehicle moved, and moves too short to be a
    /// trip that are not between two stops.
    pub stopped_ms: i64,
    /// The trips' highest.
    pub max_speed_mps: f32,
    /// `distance_m` over `moving_ms`.
    pub avg_speed_mps: f32,
    /// Fixes analysed (repeated times left out).
    pub fixes: usize,
}

/// Trips, stops and summary of one vehicle over a range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub trips: Vec<Trip>,
    pub stops: Vec<Stop>,
    pub summary: Summary,
}

/// Metres over milliseconds as m/s; zero for no time.
pub(super) fn speed_mps(distance_m: f64, duration_ms: i64) -> f32 {
    if duration_ms > 0 {
        (distance_m * 1000.0 / duration_ms as f64) as f32
    } else {
        0.0
    }
}
