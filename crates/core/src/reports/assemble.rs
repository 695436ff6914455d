//! Turns the pass's legs, dwells and holes into trips and stops: a leg is a trip when it lasts
//! or covers enough; a stop, a leg too short to be a trip and another stop are one stop (the
//! vehicle re-parked); the summary adds them up.

use super::model::{Place, Stop, Summary, Trip, speed_mps};
use super::motion::{At, Dwell, Leg};
use super::thresholds::Thresholds;

/// A stop that may still grow by merging with the next one.
#[derive(Debug, Clone)]
struct Held {
    stop: Stop,
    /// The longest part's duration: a merged stop sits where the vehicle stood longest.
    longest_ms: i64,
}

/// Collects trips and stops in time order.
pub(super) struct Assembler<'t> {
    t: &'t Thresholds,
    trips: Vec<Trip>,
    stops: Vec<Stop>,
    held: Option<Held>,
    /// Since the held stop came only a leg too short to be a trip.
    bridged: bool,
}

impl<'t> Assembler<'t> {
    pub fn new(t: &'t Thresholds) -> Self {
        Self {
            t,
            trips: Vec::new(),
            stops: Vec::new(),
            held: None,
            bridged: false,
        }
    }

    pub fn leg(&mut self, leg: &Leg) {
        let moved = leg.end.k > leg.start.k;
        let long = leg.duration_ms() >= self.t.min_trip_ms || leg.distance_m >= self.t.min_trip_m;
        if moved && long {
            self.release();
            self.trips.push(trip(leg));
        } else if moved {
            self.bridged = self.held.is_some();
        }
    }

    pub fn stop(&mut self, dwell: &Dwell) {
        let (lat, lon) = dwell.place();
        let next = Stop {
            lat,
            lon,
            arrival_ms: dwell.anchor.fix.ts,
            departure_ms: dwell.last.fix.ts,
            duration_ms: dwell.duration_ms(),
        };
        match self.held.take() {
            Some(held) if self.bridged => self.held = Some(merge(held, next)),
            held => {
                self.stops.extend(held.map(|h| h.stop));
                self.held = Some(Held {
                    longest_ms: next.duration_ms,
                    stop: next,
                });
            }
        }
        self.bridged = false;
    }

    /// A hole in the data across which the vehicle moved: nothing joins across it.
    pub fn gap(&mut self) {
        self.release();
    }

    /// The trips, the stops and their summary (whose span and count the caller fills in).
    pub fn finish(mut self) -> (Vec<Trip>, Vec<Stop>, Summary) {
        self.release();
        let summary = summarise(&self.trips, &self.stops);
        (self.trips, self.stops, summary)
    }

    fn release(&mut self) {
        self.stops.extend(self.held.take().map(|h| h.stop));
        self.bridged = false;
    }
}

/// `held`, the short leg after it and `next` as one stop.
fn merge(held: Held, next: Stop) -> Held {
    let arrival_ms = held.stop.arrival_ms;
    let departure_ms = next.departure_ms;
    let (place, longest_ms) = if next.duration_ms > held.longest_ms {
        ((next.lat, next.lon), next.duration_ms)
    } else {
        ((held.stop.lat, held.stop.lon), held.longest_ms)
    };
    Held {
        stop: Stop {
            lat: place.0,
            lon: place.1,
            arrival_ms,
            departure_ms,
            duration_ms: departure_ms - arrival_ms,
        },
        longest_ms,
    }
}

fn trip(leg: &Leg) -> Trip {
    let place = |at: At| Place {
        ts: at.fix.ts,
        lat: at.fix.lat,
        lon: at.fix.lon,
    };
    let duration_ms = leg.duration_ms();
    Trip {
        start: place(leg.start),
        end: place(leg.end),
        distance_m: leg.distance_m,
        duration_ms,
        avg_speed_mps: speed_mps(leg.distance_m, duration_ms),
        max_speed_mps: leg.max_speed_mps,
        fixes: leg.end.k - leg.start.k + 1,
    }
}

fn summarise(trips: &[Trip], stops: &[Stop]) -> Summary {
    let distance_m = trips.iter().map(|t| t.distance_m).sum();
    let moving_ms = trips.iter().map(|t| t.duration_ms).sum();
    Summary {
        distance_m,
        moving_ms,
        stopped_ms: stops.iter().map(|s| s.duration_ms).sum(),
        max_speed_mps: trips.iter().map(|t| t.max_speed_mps).fold(0.0, f32::max),
        avg_speed_mps: speed_mps(distance_m, moving_ms),
        ..Summary::default()
    }
}
