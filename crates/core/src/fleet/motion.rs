//! Where to draw a vehicle between fixes: smooth motion as pure functions of the model and time.
//!
//! When a fix arrives, the marker glides from wherever it was drawn at that moment to the new fix,
//! over the vehicle's observed reporting interval; so it is always continuous (it never teleports
//! on a normal update) and arrives about when the next fix is due. If that fix is late, the marker
//! carries on along its heading at its reported speed, briefly and capped, then waits.

use super::Vehicle;
use crate::geo::EARTH_RADIUS_M;

/// Shortest glide: faster feeds just move in small steps.
pub const MIN_GLIDE_MS: i64 = 250;
/// Longest glide: a vehicle heard from once a minute still jumps, but not by minutes.
pub const MAX_GLIDE_MS: i64 = 10_000;
/// Longest dead reckoning past the glide (and never more than half the glide).
pub const MAX_DEAD_RECKON_MS: i64 = 3_000;
/// Below this speed (m/s) a vehicle counts as stopped: no dead reckoning, a dot not an arrow.
pub const MOVING_SPEED: f32 = 0.5;

/// How long to glide to a fix taken `interval_ms` after the one before.
pub fn glide_ms(interval_ms: i64) -> i64 {
    interval_ms.clamp(MIN_GLIDE_MS, MAX_GLIDE_MS)
}

/// The point `metres` away from (lat, lon) along `heading_deg` (flat earth: fine for metres).
pub fn offset(lat: f64, lon: f64, heading_deg: f64, metres: f64) -> (f64, f64) {
    let h = heading_deg.to_radians();
    let dlat = metres * h.cos() / EARTH_RADIUS_M;
    let dlon = metres * h.sin() / (EARTH_RADIUS_M * lat.to_radians().cos().max(1e-6));
    (lat + dlat.to_degrees(), lon + dlon.to_degrees())
}

impl Vehicle {
    /// Whether the vehicle is moving by its last fix (reported speed, else the last move).
    pub fn is_moving(&self) -> bool {
        match self.fix.speed {
            Some(s) => s >= MOVING_SPEED,
            None => self
                .prev
                .is_some_and(|p| p.lat != self.fix.lat || p.lon != self.fix.lon),
        }
    }

    /// Where to draw the vehicle at `now_ms` (our clock).
    pub fn display_position(&self, now_ms: i64) -> (f64, f64) {
        let elapsed = now_ms - self.received_ms;
        let (lat, lon) = (self.fix.lat, self.fix.lon);
        if self.glide_ms > 0 && elapsed < self.glide_ms {
            let t = (elapsed.max(0) as f64) / self.glide_ms as f64;
            let (from_lat, from_lon) = self.glide_from;
            if (lon - from_lon).abs() > 180.0 {
                return (lat, lon); // across the antimeridian: no straight glide
            }
            return (
                from_lat + (lat - from_lat) * t,
                from_lon + (lon - from_lon) * t,
            );
        }
        let late_ms = (elapsed - self.glide_ms).clamp(0, self.dead_reckon_cap_ms());
        match (self.fix.speed, self.heading) {
            (Some(speed), Some(heading)) if speed >= MOVING_SPEED && late_ms > 0 => offset(
                lat,
                lon,
                heading as f64,
                speed as f64 * late_ms as f64 / 1000.0,
            ),
            _ => (lat, lon),
        }
    }

    /// How fast the drawn position moves at `now_ms`, degrees a second (lat, lon); `None` while
    /// it stands still. (The map turns it into pixels a second to decide how often to repaint.)
    pub fn drawn_velocity(&self, now_ms: i64) -> Option<(f64, f64)> {
        if !self.is_animating(now_ms) {
            return None;
        }
        let elapsed = now_ms - self.received_ms;
        let (lat, lon) = (self.fix.lat, self.fix.lon);
        if self.glide_ms > 0 && elapsed < self.glide_ms {
            let (from_lat, from_lon) = self.glide_from;
            if (lon - from_lon).abs() > 180.0 {
                return None;
            }
            let per_s = 1000.0 / self.glide_ms as f64;
            return Some(((lat - from_lat) * per_s, (lon - from_lon) * per_s));
        }
        let (speed, heading) = (self.fix.speed? as f64, self.heading? as f64);
        let h = heading.to_radians();
        let dlat = (speed * h.cos() / EARTH_RADIUS_M).to_degrees();
        let dlon =
            (speed * h.sin() / (EARTH_RADIUS_M * lat.to_radians().cos().max(1e-6))).to_degrees();
        Some((dlat, dlon))
    }

    /// Whether the drawn position still changes after `now_ms` (so the UI keeps repainting).
    pub fn is_animating(&self, now_ms: i64) -> bool {
        let elapsed = now_ms - self.received_ms;
        let gliding = self.glide_ms > 0
            && elapsed < self.glide_ms
            && self.glide_from != (self.fix.lat, self.fix.lon);
        let reckoning = self.fix.speed.is_some_and(|s| s >= MOVING_SPEED)
            && self.heading.is_some()
            && elapsed < self.glide_ms + self.dead_reckon_cap_ms();
        gliding || reckoning
    }

    fn dead_reckon_cap_ms(&self) -> i64 {
        (self.glide_ms / 2).min(MAX_DEAD_RECKON_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{FeedId, Fleet};
    use crate::protocol::{FixBatch, Position};

    const T0: i64 = 1_764_000_000_000;

    fn apply(fleet: &mut Fleet, p: Position, received: i64) {
        let mut b = FixBatch::from_positions(&[p]);
        b.received_ms = received;
        fleet.apply_batch(FeedId(0), &b, received);
    }

    fn moving(lat: f64, ts: i64, speed: f32) -> Position {
        let mut p = Position::new("a", lat, 0.0, ts);
        p.speed = Some(speed);
        p.heading = Some(0.0);
        p
    }

    #[test]
    fn a_marker_glides_from_fix_to_fix_over_the_reporting_interval() {
        let mut fleet = Fleet::default();
        apply(&mut fleet, moving(0.0, T0, 10.0), T0);
        apply(&mut fleet, moving(0.001, T0 + 2000, 10.0), T0 + 2000);
        let v = fleet.get(FeedId(0), "a").expect("a");
        assert_eq!(v.display_position(T0 + 2000), (0.0, 0.0));
        let (mid, _) = v.display_position(T0 + 3000);
        assert!((mid - 0.0005).abs() < 1e-12, "{mid}");
        assert_eq!(v.display_position(T0 + 4000), (0.001, 0.0));
        assert!(v.is_animating(T0 + 3000));
    }

    #[test]
    fn a_new_fix_mid_glide_starts_from_where_the_marker_is_so_it_never_teleports() {
        let mut fleet = Fleet::default();
        apply(&mut fleet, moving(0.0, T0, 10.0), T0);
        apply(&mut fleet, moving(0.001, T0 + 2000, 10.0), T0 + 2000);
        let before = fleet
            .get(FeedId(0), "a")
            .expect("a")
            .display_position(T0 + 2500);
        apply(&mut fleet, moving(0.002, T0 + 2500, 10.0), T0 + 2500);
        let after = fleet
            .get(FeedId(0), "a")
            .expect("a")
            .display_position(T0 + 2500);
        assert_eq!(before, after);
        // ... and glides on, monotonically, to the newest fix.
        let v = fleet.get(FeedId(0), "a").expect("a");
        let mut last = after.0;
        for t in (T0 + 2500..=T0 + 3000).step_by(50) {
            let (lat, _) = v.display_position(t);
            assert!(lat >= last);
            last = lat;
        }
        assert_eq!(v.display_position(T0 + 3000), (0.002, 0.0));
    }

    #[test]
    fn a_late_fix_is_dead_reckoned_briefly_then_the_marker_waits() {
        let mut fleet = Fleet::default();
        apply(&mut fleet, moving(0.0, T0, 10.0), T0);
        apply(&mut fleet, moving(0.001, T0 + 4000, 10.0), T0 + 4000);
        let v = fleet.get(FeedId(0), "a").expect("a");
        // The glide ends at T0 + 8000; one second later it is 10 m further north.
        let (lat, _) = v.display_position(T0 + 9000);
        let metres = (lat - 0.001).to_radians() * EARTH_RADIUS_M;
        assert!((metres - 10.0).abs() < 0.01, "{metres}");
        // Capped at half the glide (2 s): 20 m at most, however late.
        let (far, _) = v.display_position(T0 + 60_000);
        let metres = (far - 0.001).to_radians() * EARTH_RADIUS_M;
        assert!((metres - 20.0).abs() < 0.01, "{metres}");
        assert!(!v.is_animating(T0 + 60_000));
    }

    #[test]
    fn a_stopped_vehicle_is_not_animated_or_dead_reckoned() {
        let mut fleet = Fleet::default();
        apply(&mut fleet, moving(0.0, T0, 0.0), T0);
        apply(&mut fleet, moving(0.0, T0 + 2000, 0.0), T0 + 2000);
        let v = fleet.get(FeedId(0), "a").expect("a");
        assert!(!v.is_moving());
        assert!(!v.is_animating(T0 + 2100));
        assert_eq!(v.display_position(T0 + 9000), (0.0, 0.0));
    }

    #[test]
    fn a_first_fix_is_drawn_where_it_is() {
        let mut fleet = Fleet::default();
        apply(&mut fleet, moving(0.5, T0, 10.0), T0);
        let v = fleet.get(FeedId(0), "a").expect("a");
        assert_eq!(v.display_position(T0), (0.5, 0.0));
    }

    #[test]
    fn glides_are_clamped_to_sensible_durations() {
        assert_eq!(glide_ms(10), MIN_GLIDE_MS);
        assert_eq!(glide_ms(3000), 3000);
        assert_eq!(glide_ms(600_000), MAX_GLIDE_MS);
    }
}
