//! A simulated fleet on real streets: buses on the Cairns routes, plus vans and trucks, each
//! reporting like a GPS tracker.
//!
//! Deterministic: the same seed and the same sequence of `step` times give the same reports.
//! Cheap: a step is O(1) per vehicle, so 100k vehicles run for load tests.

mod motion;
mod network;
mod towns;

pub use motion::{Kind, Phase};
pub use network::{Network, NetworkError, Route, Shape};
pub use towns::AUSTRALIA;

use motion::Motion;

use crate::protocol::{FixBatch, FixRef, Meta};

#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub vehicles: usize,
    pub seed: u64,
    /// Shortest and longest reporting interval of a tracker, ms (each tracker picks one, then
    /// jitters every report by ±20%).
    pub report_every_ms: (i64, i64),
    /// Chance per report that a tracker goes silent (40 s to 8 min), so stale and lost show.
    pub silence_chance: f64,
    /// Share of vans and of trucks; the rest are buses.
    pub vans: f64,
    pub trucks: f64,
}

impl SimConfig {
    pub fn new(vehicles: usize, seed: u64) -> Self {
        Self {
            vehicles,
            seed,
            report_every_ms: (1_000, 5_000),
            silence_chance: 0.002,
            vans: 0.12,
            trucks: 0.08,
        }
    }
}

struct SimVehicle {
    id: Box<str>,
    label: Box<str>,
    motion: Motion,
    interval_ms: i64,
    next_report_ms: i64,
    silent_until_ms: i64,
    rng: fastrand::Rng,
}

pub struct Sim {
    network: Network,
    vehicles: Vec<SimVehicle>,
    config: SimConfig,
    last_ms: i64,
}

impl Sim {
    /// Places the fleet at sim time `start_ms`: buses spaced out along every shape of every
    /// route, vans and trucks scattered over the network.
    pub fn new(network: Network, config: SimConfig, start_ms: i64) -> Self {
        let mut rng = fastrand::Rng::with_seed(config.seed);
        let shapes = network.shapes.len();
        let n = config.vehicles;
        let n_vans = (n as f64 * config.vans).round() as usize;
        let n_trucks = (n as f64 * config.trucks).round() as usize;
        let n_buses = n.saturating_sub(n_vans + n_trucks);
        let mut vehicles = Vec::with_capacity(n);
        for i in 0..n {
            let mut vrng = fastrand::Rng::with_seed(
                config.seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let (kind, shape_index, s_frac, number) = if i < n_buses {
                // Buses round-robin over the shapes; the k-th bus of a shape sits at (k+0.5)/n.
                let shape = i % shapes;
                let per_shape = n_buses.div_ceil(shapes);
                let k = i / shapes;
                (Kind::Bus, shape, (k as f64 + 0.5) / per_shape as f64, i + 1)
            } else if i < n_buses + n_vans {
                (Kind::Van, rng.usize(0..shapes), rng.f64(), i - n_buses + 1)
            } else {
                (
                    Kind::Truck,
                    rng.usize(0..shapes),
                    rng.f64(),
                    i - n_buses - n_vans + 1,
                )
            };
            let shape = &network.shapes[shape_index];
            let motion = Motion::new(kind, shape, shape_index, s_frac * shape.length(), &mut vrng);
            let (lo, hi) = config.report_every_ms;
            let interval_ms = vrng.i64(lo.max(100)..=hi.max(lo.max(100)));
            let (id, label) = match kind {
                Kind::Bus => (
                    format!("bus-{number:04}"),
                    format!("Bus {} #{number}", network.routes[shape.route].name),
                ),
                Kind::Van => (format!("van-{number:03}"), format!("Van {number}")),
                Kind::Truck => (format!("truck-{number:03}"), format!("Truck {number}")),
            };
            vehicles.push(SimVehicle {
                id: id.into(),
                label: label.into(),
                motion,
                next_report_ms: start_ms + vrng.i64(0..interval_ms),
                interval_ms,
                silent_until_ms: 0,
                rng: vrng,
            });
        }
        Self {
            network,
            vehicles,
            config,
            last_ms: start_ms,
        }
    }

    pub fn network(&self) -> &Network {
        &self.network
    }

    pub fn len(&self) -> usize {
        self.vehicles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vehicles.is_empty()
    }

    /// The shape a vehicle is driving, by id.
    pub fn shape_of(&self, id: &str) -> Option<&Shape> {
        self.vehicles
            .iter()
            .find(|v| &*v.id == id)
            .map(|v| &self.network.shapes[v.motion.shape])
    }

    /// Every vehicle's current position (silent trackers too), stamped `now_ms`: what a
    /// server publishes once at start so viewers see the whole fleet at once.
    pub fn all(&mut self, now_ms: i64) -> FixBatch {
        let mut batch = FixBatch::with_capacity(self.vehicles.len(), self.vehicles.len() * 32);
        for v in &self.vehicles {
            push_report(&self.network, v, now_ms, &mut batch);
        }
        batch
    }

    /// Advances every vehicle to `now_ms` and returns the reports due, stamped `now_ms`.
    pub fn step(&mut self, now_ms: i64) -> FixBatch {
        let dt = ((now_ms - self.last_ms).max(0) as f64 / 1000.0).min(5.0);
        self.last_ms = now_ms;
        let mut batch = FixBatch::with_capacity(self.vehicles.len() / 8, self.vehicles.len() * 4);
        let silence_chance = self.config.silence_chance;
        for v in &mut self.vehicles {
            let shape = &self.network.shapes[v.motion.shape];
            v.motion.step(shape, dt, now_ms, &mut v.rng);
            if now_ms < v.next_report_ms {
                continue;
            }
            let jitter = 0.8 + 0.4 * v.rng.f64();
            v.next_report_ms = now_ms + (v.interval_ms as f64 * jitter) as i64;
            if now_ms < v.silent_until_ms {
                continue;
            }
            if v.rng.f64() < silence_chance {
                v.silent_until_ms = now_ms + v.rng.i64(40_000..=480_000);
                continue;
            }
            push_report(&self.network, v, now_ms, &mut batch);
        }
        batch
    }
}

fn push_report(network: &Network, v: &SimVehicle, now_ms: i64, batch: &mut FixBatch) {
    let shape = &network.shapes[v.motion.shape];
    let (lat, lon, heading) = v.motion.position(shape);
    batch.push(&FixRef {
        id: &v.id,
        lat,
        lon,
        ts: now_ms,
        heading: Some(heading as f32),
        speed: Some(v.motion.speed as f32),
        meta: Meta {
            label: Some(&v.label),
            kind: Some(v.motion.kind.as_str()),
            status: Some(v.motion.status()),
            route: (v.motion.kind == Kind::Bus)
                .then_some(network.routes[shape.route].name.as_str()),
            attrs: None,
        },
    });
}

#[cfg(test)]
mod tests;
