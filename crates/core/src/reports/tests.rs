//! Hand-built tracks whose trips and stops were worked out by hand (in the comments).

use super::*;
use crate::geo;

/// Where every track starts (Cairns), and metres per degree there.
const LAT0: f64 = -16.92;
const LON0: f64 = 145.77;

fn metres_per_degree() -> (f64, f64) {
    geo::metres_per_degree(LAT0)
}

/// A vehicle driving due north from (LAT0, LON0) at time 0, one fix at a time.
struct Van {
    fixes: Vec<Fix>,
    north_m: f64,
    ts_s: i64,
    /// Whether fixes carry the speed (otherwise it must be derived).
    speeds: bool,
    rng: fastrand::Rng,
}

impl Van {
    fn new(speeds: bool) -> Self {
        let mut van = Self {
            fixes: Vec::new(),
            north_m: 0.0,
            ts_s: 0,
            speeds,
            rng: fastrand::Rng::with_seed(7),
        };
        van.fix(0.0, 0.0, 0.0);
        van
    }

    fn fix(&mut self, dn_m: f64, de_m: f64, speed: f32) {
        let (m_lat, m_lon) = metres_per_degree();
        self.fixes.push(Fix {
            lat: LAT0 + (self.north_m + dn_m) / m_lat,
            lon: LON0 + de_m / m_lon,
            ts: self.ts_s * 1000,
            speed: self.speeds.then_some(speed),
            heading: None,
        });
    }

    /// `metres` north at `mps`, a fix every `every_s` seconds.
    fn drive(&mut self, metres: f64, mps: f64, every_s: i64) -> &mut Self {
        let step = mps * every_s as f64;
        for _ in 0..(metres / step).round() as i64 {
            self.ts_s += every_s;
            self.north_m += step;
            self.fix(0.0, 0.0, mps as f32);
        }
        self
    }

    /// Standing for `seconds`, a fix every `every_s` seconds, each up to `jitter_m` off north
    /// and east (so up to 1.41 x `jitter_m` away).
    fn park(&mut self, seconds: i64, every_s: i64, jitter_m: f64) -> &mut Self {
        for _ in 0..seconds / every_s {
            self.ts_s += every_s;
            let dn = (self.rng.f64() * 2.0 - 1.0) * jitter_m;
            let de = (self.rng.f64() * 2.0 - 1.0) * jitter_m;
            self.fix(dn, de, 0.0);
        }
        self
    }

    /// No fix for `seconds`, during which the vehicle went `metres` north; then one fix.
    fn hole(&mut self, seconds: i64, metres: f64) -> &mut Self {
        self.ts_s += seconds;
        self.north_m += metres;
        self.fix(0.0, 0.0, 0.0);
        self
    }
}

fn near(value: f64, expected: f64, tolerance: f64) -> bool {
    (value - expected).abs() <= tolerance
}

/// The van of the issue: 2 km, 10 min stopped, 3 km, 7 min stopped, 1 km, at 10 m/s with a fix
/// every 10 s while driving (100 m apart) and every 30 s while parked, up to ~10 m of wander.
fn two_stops(speeds: bool, jitter_m: f64) -> Vec<Fix> {
    let mut van = Van::new(speeds);
    van.drive(2000.0, 10.0, 10) // 20 fixes, t 10..=200 s
        .park(600, 30, jitter_m) // 20 fixes, t 230..=800 s
        .drive(3000.0, 10.0, 10) // 30 fixes, t 810..=1100 s
        .park(420, 30, jitter_m) // 14 fixes, t 1130..=1520 s
        .drive(1000.0, 10.0, 10); // 10 fixes, t 1530..=1620 s
    van.fixes
}

#[test]
fn a_van_with_two_stops_makes_three_trips_and_two_stops_of_known_length() {
    let report = analyse(&two_stops(true, 7.0), &Thresholds::default());
    // Stops: from the first fix standing (the arrival) to the last (departure).
    let stops: Vec<_> = report
        .stops
        .iter()
        .map(|s| (s.arrival_ms, s.departure_ms, s.duration_ms))
        .collect();
    assert_eq!(
        stops,
        [(200_000, 800_000, 600_000), (1_100_000, 1_520_000, 420_000)]
    );
    // Trips: stop to stop. Leaving a parked fix that wandered up to 10 m changes the first
    // 100 m step by up to 10 m, so distances are within 10 m (0.5%) of 2, 3 and 1 km.
    let trips: Vec<_> = report
        .trips
        .iter()
        .map(|t| (t.start.ts, t.end.ts, t.fixes))
        .collect();
    assert_eq!(
        trips,
        [
            (0, 200_000, 21),
            (800_000, 1_100_000, 31),
            (1_520_000, 1_620_000, 11)
        ]
    );
    for (trip, km) in report.trips.iter().zip([2.0, 3.0, 1.0]) {
        assert!(near(trip.distance_m, km * 1000.0, km * 10.0), "{trip:?}");
        assert!(near(f64::from(trip.avg_speed_mps), 10.0, 0.1), "{trip:?}");
        assert_eq!(trip.max_speed_mps, 10.0);
    }
    // The stop sits where the van parked: the mean of 21 fixes each within 10 m of it.
    let (m_lat, _) = metres_per_degree();
    assert!(near(
        report.stops[0].lat,
        LAT0 + 2000.0 / m_lat,
        10.0 / m_lat
    ));
    // Summary: 6 km in 600 s of driving, 1020 s stopped, 95 fixes (1 + 20 + 20 + 30 + 14 + 10).
    let s = &report.summary;
    assert_eq!((s.start_ms, s.end_ms, s.fixes), (0, 1_620_000, 95));
    assert_eq!((s.moving_ms, s.stopped_ms), (600_000, 1_020_000));
    assert!(near(s.distance_m, 6000.0, 60.0), "{s:?}");
    assert_eq!(s.max_speed_mps, 10.0);
    assert!(near(f64::from(s.avg_speed_mps), 10.0, 0.1), "{s:?}");
}

#[test]
fn fixes_without_speed_still_find_motion() {
    // The same van with no speed on any fix and no wander: 100 m per 10 s is 10 m/s derived.
    let with = analyse(&two_stops(true, 0.0), &Thresholds::default());
    let without = analyse(&two_stops(false, 0.0), &Thresholds::default());
    assert_eq!(without.stops, with.stops);
    assert_eq!(without.trips.len(), 3);
    for (a, b) in without.trips.iter().zip(&with.trips) {
        assert_eq!((a.start, a.end, a.fixes), (b.start, b.end, b.fixes));
        assert!(near(a.distance_m, b.distance_m, 1e-6));
        assert!(near(f64::from(a.max_speed_mps), 10.0, 0.01), "{a:?}");
    }
    assert!(near(without.summary.distance_m, 6000.0, 0.1));
}

#[test]
fn gps_jitter_while_parked_adds_no_distance_and_no_trip() {
    // Two hours parked, a fix every 10 s up to 14 m off, half of them with a noisy speed of
    // 0.6 m/s and the rest none (derived from the wander: up to 2.8 m/s). Radius 30 m: still.
    let mut rng = fastrand::Rng::with_seed(3);
    let (m_lat, m_lon) = metres_per_degree();
    let fixes: Vec<Fix> = (0..=720)
        .map(|i| Fix {
            lat: LAT0 + (rng.f64() * 20.0 - 10.0) / m_lat,
            lon: LON0 + (rng.f64() * 20.0 - 10.0) / m_lon,
            ts: i * 10_000,
            speed: (i % 2 == 1).then_some(0.6),
            heading: None,
        })
        .collect();
    let report = analyse(&fixes, &Thresholds::default());
    assert_eq!(report.trips, []);
    assert_eq!(report.stops.len(), 1);
    let stop = &report.stops[0];
    assert_eq!((stop.arrival_ms, stop.departure_ms), (0, 7_200_000));
    let s = &report.summary;
    assert_eq!(
        (s.distance_m, s.moving_ms, s.stopped_ms),
        (0.0, 0, 7_200_000)
    );
    assert_eq!(s.fixes, 721);
}

#[test]
fn a_halt_of_two_minutes_at_lights_is_not_a_stop() {
    // 1 km (t 0..=100 s), 120 s standing (12 fixes, t 110..=220 s), 1 km (t 230..=320 s): one
    // trip of 2 km and 320 s, 33 fixes, no stop.
    let mut van = Van::new(true);
    van.drive(1000.0, 10.0, 10)
        .park(120, 10, 0.0)
        .drive(1000.0, 10.0, 10);
    let report = analyse(&van.fixes, &Thresholds::default());
    assert_eq!(report.stops, []);
    assert_eq!(report.trips.len(), 1);
    let trip = &report.trips[0];
    assert_eq!((trip.start.ts, trip.end.ts, trip.fixes), (0, 320_000, 33));
    assert!(near(trip.distance_m, 2000.0, 0.01), "{trip:?}");
    assert!(near(f64::from(trip.avg_speed_mps), 2000.0 / 320.0, 0.01));
    assert_eq!(
        (report.summary.moving_ms, report.summary.stopped_ms),
        (320_000, 0)
    );
}

#[test]
fn a_fix_less_gap_of_two_hours_splits_trips() {
    // 2 km (t 0..=200 s); no fix for 2 h while the van went 5 km; a fix at 7400 s, then 2 km
    // (t 7410..=7600 s). Two trips of 2 km; the hole is neither moving nor stopped and its
    // 5 km are not distance.
    let mut van = Van::new(true);
    van.drive(2000.0, 10.0, 10)
        .hole(7200, 5000.0)
        .drive(2000.0, 10.0, 10);
    let report = analyse(&van.fixes, &Thresholds::default());
    let trips: Vec<_> = report
        .trips
        .iter()
        .map(|t| (t.start.ts, t.end.ts, t.fixes))
        .collect();
    assert_eq!(trips, [(0, 200_000, 21), (7_400_000, 7_600_000, 21)]);
    assert_eq!(report.stops, []);
    let s = &report.summary;
    assert!(near(s.distance_m, 4000.0, 0.01), "{s:?}");
    assert_eq!(
        (s.moving_ms, s.stopped_ms, s.end_ms),
        (400_000, 0, 7_600_000)
    );
}

#[test]
fn two_silent_hours_in_the_same_place_are_a_stop() {
    // 2 km (t 0..=200 s); the tracker sleeps 2 h and wakes where it was (t 7400 s); 1 km
    // (t 7410..=7500 s). Trip, stop of 7200 s, trip.
    let mut van = Van::new(true);
    van.drive(2000.0, 10.0, 10)
        .hole(7200, 0.0)
        .drive(1000.0, 10.0, 10);
    let report = analyse(&van.fixes, &Thresholds::default());
    assert_eq!(report.stops.len(), 1);
    let stop = &report.stops[0];
    assert_eq!((stop.arrival_ms, stop.duration_ms), (200_000, 7_200_000));
    let ends: Vec<_> = report
        .trips
        .iter()
        .map(|t| (t.start.ts, t.end.ts))
        .collect();
    assert_eq!(ends, [(0, 200_000), (7_400_000, 7_500_000)]);
    assert_eq!(report.summary.stopped_ms, 7_200_000);
}

#[test]
fn a_move_too_short_to_be_a_trip_joins_the_stops_on_either_side() {
    // Parked 10 min (t 0..=600 s), 100 m at 2 m/s (fixes 20 m apart, t 610..=650 s), parked
    // 12 min (t 680..=1370 s). The 20 m fix at 610 s is still within 30 m of the first place,
    // so the first stop is 0..=610 s; the fixes at 620/630 s are a halt; the second stop is
    // 640..=1370 s (730 s, the longer). Between them 60 m in 30 s: no trip. One stop,
    // 0..=1370 s, placed at the second (its fixes: one at 80 m, 25 at 100 m: mean 99.2 m).
    let mut van = Van::new(true);
    van.park(600, 30, 0.0)
        .drive(100.0, 2.0, 10)
        .park(720, 30, 0.0);
    let report = analyse(&van.fixes, &Thresholds::default());
    assert_eq!(report.trips, []);
    assert_eq!(report.stops.len(), 1, "{:?}", report.stops);
    let stop = &report.stops[0];
    assert_eq!((stop.arrival_ms, stop.departure_ms), (0, 1_370_000));
    let (m_lat, _) = metres_per_degree();
    assert!(near((stop.lat - LAT0) * m_lat, 99.2, 0.1), "{stop:?}");
    assert_eq!(report.summary.distance_m, 0.0);
}

#[test]
fn a_slow_move_of_six_minutes_between_stops_is_a_trip_though_under_500_m() {
    // Parked 10 min, 400 m at 1.1 m/s (a fix every 30 s, 33 m apart: 12 fixes, 360 s), parked
    // 10 min. 360 s >= 300 s: a trip, though 400 m < 500 m.
    let mut van = Van::new(true);
    van.park(600, 30, 0.0)
        .drive(400.0, 400.0 / 360.0, 30)
        .park(600, 30, 0.0);
    let report = analyse(&van.fixes, &Thresholds::default());
    assert_eq!(report.stops.len(), 2);
    assert_eq!(report.trips.len(), 1);
    let trip = &report.trips[0];
    assert_eq!((trip.start.ts, trip.end.ts), (600_000, 960_000));
    assert!(near(trip.distance_m, 400.0, 0.01), "{trip:?}");
}

#[test]
fn a_stop_still_going_on_at_the_end_departs_at_the_last_fix() {
    // 1 km (t 0..=100 s), then parked 6 min (t 130..=460 s) when the range ends.
    let mut van = Van::new(true);
    van.drive(1000.0, 10.0, 10).park(360, 30, 5.0);
    let report = analyse(&van.fixes, &Thresholds::default());
    assert_eq!(report.trips.len(), 1);
    assert_eq!(report.stops.len(), 1);
    let stop = &report.stops[0];
    assert_eq!((stop.arrival_ms, stop.departure_ms), (100_000, 460_000));
}

#[test]
fn an_empty_input_and_a_single_fix_give_an_empty_report_with_a_zero_summary() {
    let t = Thresholds::default();
    assert_eq!(analyse(&[], &t), Report::default());
    let one = analyse(&[Fix::at(LAT0, LON0, 5_000)], &t);
    assert_eq!((one.trips.len(), one.stops.len()), (0, 0));
    let expected = Summary {
        start_ms: 5_000,
        end_ms: 5_000,
        fixes: 1,
        ..Summary::default()
    };
    assert_eq!(one.summary, expected);
}

#[test]
fn repeated_and_older_fixes_are_left_out() {
    let fixes = two_stops(true, 7.0);
    let mut noisy = Vec::new();
    for (i, f) in fixes.iter().enumerate() {
        noisy.push(*f);
        noisy.push(*f); // the same time again
        if i > 0 && i % 10 == 0 {
            noisy.push(fixes[i - 1]); // an older one, late
        }
    }
    noisy.push(Fix::at(f64::NAN, LON0, i64::MAX)); // no position
    let t = Thresholds::default();
    assert_eq!(analyse(&noisy, &t), analyse(&fixes, &t));
}
