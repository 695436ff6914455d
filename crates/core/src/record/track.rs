//! A vehicle's whole track in a recording, and where it stopped. The scan reads every chunk but
//! parses only the rows of that vehicle (a byte-prefix test first), on a thread of its own so
//! the window never waits; a new request cancels the old one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, bounded};

use super::format;
use super::{Recording, RecordingError};
use crate::fleet::VehicleId;
use crate::protocol::Fix;
use crate::reports::{self, Thresholds};

/// Where a vehicle stayed put.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stop {
    pub lat: f64,
    pub lon: f64,
    pub from_ms: i64,
    pub until_ms: i64,
}

/// Moves within this radius are standing still (GPS wanders).
pub const STOP_RADIUS_M: f64 = 30.0;
/// Standing still at least this long is a stop.
pub const STOP_MIN_MS: i64 = 60_000;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Track {
    pub points: Vec<Fix>,
    pub stops: Vec<Stop>,
}

/// Reads `vehicle`'s every fix from `recording`, in time order (older fixes a feed repeated
/// are left out, as the model leaves them out), with its stops.
pub fn scan(
    recording: &mut Recording,
    vehicle: &VehicleId,
    cancel: &AtomicBool,
) -> Result<Track, RecordingError> {
    let mut points = Vec::new();
    let mut last = None;
    for i in 0..recording.chunks().len() {
        if cancel.load(Ordering::Relaxed) {
            break;
        }
        let text = recording.payload(i)?;
        format::track_rows(&text, (vehicle.feed, &vehicle.id), &mut last, &mut points);
    }
    let mut last = i64::MIN;
    points.retain(|p| {
        let newer = p.ts > last;
        last = last.max(p.ts);
        newer
    });
    let stops = stops(&points, STOP_RADIUS_M, STOP_MIN_MS);
    Ok(Track { points, stops })
}

/// Where the track stood still (within `radius_m` of where it came to rest) for at least
/// `min_ms`: the stops of [`reports::analyse`] with the other thresholds at their defaults.
pub fn stops(points: &[Fix], radius_m: f64, min_ms: i64) -> Vec<Stop> {
    let thresholds = Thresholds {
        stop_radius_m: radius_m,
        min_stop_ms: min_ms,
        ..Thresholds::default()
    };
    reports::analyse(points, &thresholds)
        .stops
        .iter()
        .map(|s| Stop {
            lat: s.lat,
            lon: s.lon,
            from_ms: s.arrival_ms,
            until_ms: s.departure_ms,
        })
        .collect()
}

/// A scan running on its own thread; dropping it cancels and joins it.
pub struct TrackJob {
    vehicle: VehicleId,
    cancel: Arc<AtomicBool>,
    result: Receiver<Result<Track, RecordingError>>,
    thread: Option<JoinHandle<()>>,
}

impl TrackJob {
    pub fn start(path: &Path, vehicle: VehicleId) -> Self {
        let (tx, result) = bounded(1);
        let cancel = Arc::new(AtomicBool::new(false));
        let (path, who, stop): (PathBuf, VehicleId, Arc<AtomicBool>) =
            (path.to_path_buf(), vehicle.clone(), cancel.clone());
        let thread = std::thread::Builder::new()
            .name("fleetview-track".into())
            .spawn(move || {
                let track = Recording::open(&path).and_then(|mut r| scan(&mut r, &who, &stop));
                let _ = tx.send(track);
            })
            .ok();
        Self {
            vehicle,
            cancel,
            result,
            thread,
        }
    }

    pub fn vehicle(&self) -> &VehicleId {
        &self.vehicle
    }

    /// The track, once the scan is done.
    pub fn try_take(&self) -> Option<Result<Track, RecordingError>> {
        self.result.try_recv().ok()
    }
}

impl Drop for TrackJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, ts_s: i64) -> Fix {
        Fix::at(lat, 145.0, ts_s * 1000)
    }

    #[test]
    fn a_vehicle_standing_still_for_a_minute_or_more_is_a_stop_and_a_shorter_halt_is_not() {
        // Moving, 2 minutes parked (with GPS wander of ~10 m), moving, 30 s at lights, moving.
        let mut points = vec![at(-16.90, 0), at(-16.91, 10)];
        points.extend(
            (0..=12).map(|i| at(-16.92 + if i % 2 == 0 { 0.0 } else { 0.0001 }, 20 + i * 10)),
        );
        points.extend([
            at(-16.93, 150),
            at(-16.94, 160),
            at(-16.94, 190),
            at(-16.95, 200),
        ]);
        let found = stops(&points, STOP_RADIUS_M, STOP_MIN_MS);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].from_ms, found[0].until_ms), (20_000, 140_000));
    }
}
