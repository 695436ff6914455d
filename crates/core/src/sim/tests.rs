use super::*;

const T0: i64 = 1_764_000_000_000;

fn run(seed: u64, vehicles: usize, seconds: i64, step_ms: i64) -> (Sim, Vec<FixBatch>) {
    let mut sim = Sim::new(
        Network::cairns().expect("asset"),
        SimConfig::new(vehicles, seed),
        T0,
    );
    let mut out = Vec::new();
    let mut t = T0;
    while t < T0 + seconds * 1000 {
        t += step_ms;
        out.push(sim.step(t));
    }
    (sim, out)
}

#[test]
fn simulated_vehicles_stay_within_a_metre_of_their_route_geometry() {
    let (sim, batches) = run(7, 120, 600, 250);
    let mut checked = 0;
    for batch in &batches {
        for fix in batch.iter() {
            let shape = sim.shape_of(fix.id).expect("known vehicle");
            let off = shape.distance_to(fix.lat, fix.lon);
            assert!(off < 1.0, "{} is {off:.2} m off its shape", fix.id);
            checked += 1;
        }
    }
    assert!(checked > 120 * 100, "only {checked} reports checked");
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let (_, a) = run(42, 60, 120, 200);
    let (_, b) = run(42, 60, 120, 200);
    let (_, c) = run(43, 60, 120, 200);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn trackers_report_every_one_to_five_seconds_with_jitter() {
    let (_, batches) = run(3, 50, 300, 100);
    let mut last: std::collections::HashMap<String, i64> = Default::default();
    let mut gaps = Vec::new();
    for batch in &batches {
        for fix in batch.iter() {
            if let Some(prev) = last.insert(fix.id.to_owned(), fix.ts) {
                gaps.push(fix.ts - prev);
            }
        }
    }
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    assert!(gaps[0] >= 700, "a gap of {} ms", gaps[0]);
    assert!((1_000..=5_000).contains(&median), "median gap {median} ms");
    assert!(gaps.iter().filter(|&&g| g <= 6_000).count() as f64 > 0.95 * gaps.len() as f64);
}

#[test]
fn buses_change_speed_dwell_at_stops_and_some_trackers_go_silent() {
    let mut config = SimConfig::new(150, 11);
    config.silence_chance = 0.01;
    let mut sim = Sim::new(Network::cairns().expect("asset"), config, T0);
    let mut statuses = std::collections::HashMap::<String, usize>::new();
    let mut speeds = Vec::new();
    let mut reports = std::collections::HashMap::<String, Vec<i64>>::new();
    let mut t = T0;
    while t < T0 + 900_000 {
        t += 500;
        for fix in sim.step(t).iter() {
            *statuses
                .entry(fix.meta.status.unwrap_or("").to_owned())
                .or_default() += 1;
            speeds.push(fix.speed.unwrap_or(0.0));
            reports.entry(fix.id.to_owned()).or_default().push(fix.ts);
        }
    }
    for status in ["in_service", "at_stop", "delivering", "layover"] {
        assert!(
            statuses.get(status).copied().unwrap_or(0) > 0,
            "no {status}: {statuses:?}"
        );
    }
    let moving: Vec<f32> = speeds.iter().copied().filter(|&s| s > 0.5).collect();
    let max = moving.iter().copied().fold(0.0, f32::max);
    let min = moving.iter().copied().fold(f32::MAX, f32::min);
    assert!(max > 10.0 && max <= 16.0, "max speed {max}");
    assert!(min < 6.0, "nobody slowed down: {min}");
    // A tracker silent for over 40 s shows up as a gap in its reports.
    let silent = reports
        .values()
        .filter(|ts| ts.windows(2).any(|w| w[1] - w[0] >= 40_000))
        .count();
    assert!(silent > 0, "no tracker went silent");
    assert_eq!(reports.len(), 150);
}

#[test]
fn a_hundred_thousand_vehicles_step_and_report() {
    let mut sim = Sim::new(
        Network::cairns().expect("asset"),
        SimConfig::new(100_000, 1),
        T0,
    );
    let mut reports = 0;
    for i in 1..=10 {
        reports += sim.step(T0 + i * 500).len();
    }
    // 5 s of sim time: on average every tracker reports about twice.
    assert!((100_000..300_000).contains(&reports), "{reports}");
}
