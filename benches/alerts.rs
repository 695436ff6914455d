//! The alert engine on one core: 1,000 geofences (circles and polygons over the Cairns area)
//! and 100,000 vehicles moving, every fix checked against every rule (enter/exit with
//! hysteresis, overspeed), beside the cost of applying the same fixes to the model alone.
//!
//!     cargo bench --bench alerts

mod common;

use std::time::Instant;

use common::*;
use fleetview::alerts::{Area, Engine, Geofence, Geofences, Rules};
use fleetview::fleet::{FeedId, Fleet, FleetConfig};
use fleetview::protocol::{FixBatch, FixRef, Meta};

const FENCES: usize = 1000;
const VEHICLES: usize = 100_000;
const ROUNDS: usize = 10;

fn fences(rng: &mut fastrand::Rng) -> Geofences {
    let fences = (0..FENCES)
        .map(|i| {
            let (lat, lon) = (-17.2 + rng.f64() * 0.6, 145.5 + rng.f64() * 0.6);
            let area = if i % 2 == 0 {
                Area::Circle {
                    centre: geo::Point::new(lon, lat),
                    radius_m: 100.0 + rng.f64() * 900.0,
                }
            } else {
                let d = 0.002 + rng.f64() * 0.01;
                let ring = vec![
                    (lon, lat),
                    (lon + d, lat),
                    (lon + d, lat + d),
                    (lon, lat + d),
                    (lon, lat),
                ];
                Area::Polygons(geo::MultiPolygon(vec![geo::Polygon::new(
                    ring.into(),
                    vec![],
                )]))
            };
            Geofence {
                name: format!("g{i}"),
                area,
                depot: false,
                speed_limit_kmh: (i % 10 == 0).then_some(40.0),
            }
        })
        .collect();
    Geofences::new(fences)
}

fn main() {
    let mut rng = fastrand::Rng::with_seed(5);
    let rules = Rules::parse(
        "[geofence]\nenter = true\nexit = true\n[overspeed]\nenabled = true\ndefault_kmh = 90\n",
        "bench",
    )
    .expect("rules");
    let mut positions: Vec<(f64, f64)> = (0..VEHICLES)
        .map(|_| (-17.2 + rng.f64() * 0.6, 145.5 + rng.f64() * 0.6))
        .collect();
    let ids: Vec<String> = (0..VEHICLES).map(|i| format!("v{i}")).collect();
    let batches: Vec<FixBatch> = (0..ROUNDS)
        .map(|round| {
            let mut batch = FixBatch::with_capacity(VEHICLES, VEHICLES * 8);
            for (i, p) in positions.iter_mut().enumerate() {
                p.0 += (rng.f64() - 0.5) * 0.002;
                p.1 += (rng.f64() - 0.5) * 0.002;
                batch.push(&FixRef {
                    id: &ids[i],
                    lat: p.0,
                    lon: p.1,
                    ts: T0 + round as i64 * 1000,
                    heading: None,
                    speed: Some(rng.f32() * 30.0),
                    meta: Meta::default(),
                });
            }
            batch
        })
        .collect();
    let fixes = VEHICLES * ROUNDS;
    // The model alone, then the model and the engine on what it says changed.
    let (model, _) = best_of(3, || {
        let mut fleet = Fleet::new(FleetConfig::default());
        for b in &batches {
            let _ = fleet.apply_batch(FeedId(0), b, T0 + 100_000);
        }
        fleet.len()
    });
    let geofences = fences(&mut rng);
    let (mut engine_time, mut alerts) = (std::time::Duration::MAX, 0);
    for _ in 0..3 {
        let mut fleet = Fleet::new(FleetConfig::default());
        let mut engine = Engine::new(
            rules.clone(),
            Geofences::new(geofences.iter().cloned().collect()),
        );
        let mut out = Vec::new();
        let mut spent = std::time::Duration::ZERO;
        for b in &batches {
            let changes = fleet.apply_batch(FeedId(0), b, T0 + 100_000);
            let started = Instant::now();
            engine.observe(&fleet, &changes, &mut out);
            spent += started.elapsed();
        }
        engine_time = engine_time.min(spent);
        alerts = out.len();
    }
    println!(
        "alerts: {FENCES} geofences, {VEHICLES} vehicles, {fixes} fixes: the engine checks {} ({alerts} alerts); \
         the model applies the same fixes at {} (target: engine >= 1 M fixes/s)",
        fmt_rate(fixes as f64 / engine_time.as_secs_f64()),
        fmt_rate(fixes as f64 / model.as_secs_f64()),
    );
}
