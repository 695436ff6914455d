//! How one simulated vehicle moves along its shape: accelerate to a cruise speed, slow for
//! corners, brake to a stop and dwell, turn round at the end of the line.

use super::network::Shape;

/// Kinds of simulated vehicle, each with its own pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Stops at every bus stop of its route, 10-40 s; lays over 1-3 min at each terminus.
    Bus,
    /// Delivery stops every 300-1,500 m for 1-5 min.
    Van,
    /// Slower, with long stops every 2-6 km.
    Truck,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bus => "bus",
            Kind::Van => "van",
            Kind::Truck => "truck",
        }
    }

    /// (cruise speed range m/s, acceleration m/s², braking m/s²).
    fn dynamics(self) -> ((f64, f64), f64, f64) {
        match self {
            Kind::Bus => ((11.0, 15.0), 1.0, 1.3),
            Kind::Van => ((11.0, 16.0), 1.4, 1.8),
            Kind::Truck => ((8.0, 12.0), 0.6, 1.0),
        }
    }
}

/// Speed through a sharp corner, m/s (about 20 km/h).
const CORNER_SPEED: f64 = 5.5;
/// How far ahead a driver looks for a corner, metres.
const LOOK_AHEAD_M: f64 = 35.0;
/// A heading change above this within the look-ahead counts as a corner, degrees.
const CORNER_DEG: f64 = 35.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    Moving,
    /// Standing at a stop (bus stop, delivery, terminus) until this sim time, ms.
    Dwelling {
        until_ms: i64,
        at_terminus: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Motion {
    pub kind: Kind,
    pub shape: usize,
    /// Distance along the shape, metres.
    pub s: f64,
    /// +1 along the shape, -1 back along it.
    pub dir: f64,
    /// m/s, >= 0.
    pub speed: f64,
    cruise: f64,
    pub phase: Phase,
    /// Distance of the next stop in the direction of travel.
    next_stop: Option<f64>,
    segment: usize,
}

impl Motion {
    pub fn new(
        kind: Kind,
        shape: &Shape,
        shape_index: usize,
        s: f64,
        rng: &mut fastrand::Rng,
    ) -> Self {
        let ((lo, hi), _, _) = kind.dynamics();
        let mut m = Self {
            kind,
            shape: shape_index,
            s: s.clamp(0.0, shape.length()),
            dir: 1.0,
            speed: 0.0,
            cruise: lo + (hi - lo) * rng.f64(),
            phase: Phase::Moving,
            next_stop: None,
            segment: 0,
        };
        m.segment = shape.segment_at(m.s, 0);
        m.next_stop = m.find_next_stop(shape, rng);
        m
    }

    /// Position and heading of travel.
    pub fn position(&self, shape: &Shape) -> (f64, f64, f64) {
        let (lat, lon, heading) = shape.at(self.s, self.segment);
        let heading = if self.dir < 0.0 {
            (heading + 180.0) % 360.0
        } else {
            heading
        };
        (lat, lon, heading)
    }

    pub fn status(&self) -> &'static str {
        match (self.kind, self.phase) {
            (
                _,
                Phase::Dwelling {
                    at_terminus: true, ..
                },
            ) => "layover",
            (Kind::Bus, Phase::Dwelling { .. }) => "at_stop",
            (_, Phase::Dwelling { .. }) => "delivering",
            (_, Phase::Moving) => "in_service",
        }
    }

    /// Advances by `dt` seconds at sim time `now_ms`.
    pub fn step(&mut self, shape: &Shape, dt: f64, now_ms: i64, rng: &mut fastrand::Rng) {
        if let Phase::Dwelling {
            until_ms,
            at_terminus,
        } = self.phase
        {
            if now_ms < until_ms {
                return;
            }
            self.phase = Phase::Moving;
            if at_terminus {
                self.dir = -self.dir;
                self.next_stop = self.find_next_stop(shape, rng);
            }
        }
        let (_, accel, brake) = self.kind.dynamics();
        let length = shape.length();
        let end = if self.dir > 0.0 { length } else { 0.0 };
        let to_end = (end - self.s).abs();
        let to_stop = self
            .next_stop
            .map(|x| (x - self.s).abs())
            .unwrap_or(f64::INFINITY);
        let to_halt = to_end.min(to_stop);

        // The highest speed from which we can still stop in `to_halt`, and the corner limit.
        let mut target = self.cruise.min((2.0 * brake * to_halt).sqrt());
        if self.corner_ahead(shape) {
            target = target.min(CORNER_SPEED);
        }
        self.speed = if self.speed < target {
            (self.speed + accel * dt).min(target)
        } else {
            (self.speed - brake * dt).max(target)
        };
        // Creep the last metre so a stop is always reached.
        if to_halt < 2.0 {
            self.speed = self.speed.max(1.0);
        }
        let travel = (self.speed * dt).min(to_halt);
        self.s = (self.s + self.dir * travel).clamp(0.0, length);
        self.segment = shape.segment_at(self.s, self.segment);

        if travel >= to_halt - 1e-9 {
            self.speed = 0.0;
            let at_terminus = to_end <= to_stop;
            let dwell_s = if at_terminus {
                60.0 + 120.0 * rng.f64()
            } else {
                match self.kind {
                    Kind::Bus => 10.0 + 30.0 * rng.f64(),
                    Kind::Van => 60.0 + 240.0 * rng.f64(),
                    Kind::Truck => 120.0 + 480.0 * rng.f64(),
                }
            };
            self.phase = Phase::Dwelling {
                until_ms: now_ms + (dwell_s * 1000.0) as i64,
                at_terminus,
            };
            if !at_terminus {
                self.next_stop = self.find_next_stop(shape, rng);
            }
        }
    }

    /// Whether the heading turns sharply within the look-ahead distance.
    fn corner_ahead(&self, shape: &Shape) -> bool {
        let ahead = (self.s + self.dir * LOOK_AHEAD_M).clamp(0.0, shape.length());
        let (_, _, now) = shape.at(self.s, self.segment);
        let (_, _, then) = shape.at(ahead, shape.segment_at(ahead, self.segment));
        let turn = (then - now).rem_euclid(360.0);
        turn.min(360.0 - turn) > CORNER_DEG
    }

    fn find_next_stop(&self, shape: &Shape, rng: &mut fastrand::Rng) -> Option<f64> {
        let beyond = |x: f64| (x - self.s) * self.dir > 1.0;
        match self.kind {
            Kind::Bus => {
                if self.dir > 0.0 {
                    shape.stops.iter().copied().find(|&x| beyond(x))
                } else {
                    shape.stops.iter().rev().copied().find(|&x| beyond(x))
                }
            }
            Kind::Van | Kind::Truck => {
                let (lo, hi) = if self.kind == Kind::Van {
                    (300.0, 1500.0)
                } else {
                    (2000.0, 6000.0)
                };
                let x = self.s + self.dir * (lo + (hi - lo) * rng.f64());
                (0.0..=shape.length()).contains(&x).then_some(x)
            }
        }
    }
}
