//! Trips, stops and a summary from one vehicle's fixes, after Traccar's reports: pure, one pass,
//! constant state (nothing allocated per fix beyond the answer).
//!
//! The rules, with their [`Thresholds`]:
//! - **Standing still.** A fix within `stop_radius_m` (30 m) of where the vehicle came to rest
//!   is standing still, whatever its speed: GPS wander and speed noise while parked make no
//!   distance and no trip. A fix beyond it is moving when its speed (reported, or derived from
//!   distance over time since the previous fix, the larger of the two) is above
//!   `moving_speed_mps` (0.01 knot, Traccar's `event.motion.speedThreshold`).
//! - **Stops.** Standing still for at least `min_stop_ms` (5 min, Traccar's
//!   `minimalParkingDuration`) is a stop, from its first fix to its last, placed at the mean of
//!   its fixes; a shorter halt (lights, traffic) stays inside its trip.
//! - **Trips.** The movement between two stops is a trip when it lasts at least `min_trip_ms` (5
//!   min, `minimalTripDuration`) or covers at least `min_trip_m` (500 m,
//!   `minimalTripDistance`). A shorter one is the vehicle re-parking: the stops on either side
//!   become one. A trip runs from the stop's last fix to the next stop's first fix.
//! - **Distance** is counted only while moving: along the fixes of a trip, and across a halt
//!   inside it only the halt's net displacement.
//! - **Holes.** Fixes more than `max_gap_ms` apart (1 h, `minimalNoDataDuration`) end a trip at
//!   the fix before the hole. If the vehicle is found again where it stood, the hole is part of
//!   a stop (a tracker asleep while parked); otherwise it is neither moving nor stopped, and its
//!   straight line is not distance.
//! - **Edges.** A stop going on when the range starts arrives at the first fix; one still going
//!   on when it ends departs at the last fix, and a trip still going on ends there too.
//!
//! Ignition is not used (Traccar's `useIgnition` defaults to false).

mod assemble;
mod model;
mod motion;
mod thresholds;

#[cfg(test)]
mod tests;

pub use model::{Place, Report, Stop, Summary, Trip};
pub use thresholds::Thresholds;

use crate::protocol::Fix;
use assemble::Assembler;
use motion::Segmenter;

/// Trips, stops and summary of `fixes`, which are one vehicle's in time order (the caller sorts
/// them; a fix no newer than the one before it, such as a repeat of the same time, is left out,
/// as is one with a non-finite position). Empty input gives an empty report with a zero
/// summary; a single fix, no trip and no stop.
pub fn analyse(fixes: &[Fix], t: &Thresholds) -> Report {
    let mut rest = fixes.iter();
    let Some(&first) = rest.find(|f| f.lat.is_finite() && f.lon.is_finite()) else {
        return Report::default();
    };
    let mut out = Assembler::new(t);
    let mut pass = Segmenter::new(t, first);
    for &fix in rest {
        pass.push(fix, &mut out);
    }
    let (count, last) = (pass.count(), pass.last());
    pass.finish(&mut out);
    let (trips, stops, mut summary) = out.finish();
    summary.start_ms = first.ts;
    summary.end_ms = last.ts;
    summary.fixes = count;
    Report {
        trips,
        stops,
        summary,
    }
}
