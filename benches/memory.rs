//! Memory: bytes per vehicle at 100k vehicles without trails (the model's own accounting, and the
//! growth of this process's resident memory), the bound trails add, and RSS with 100k vehicles;
//! and, on that fleet, how long the ten nearest vehicles to a point take to find.
//!
//!     cargo bench --bench memory

mod common;

use common::*;
use fleetview::fleet::{FeedId, Fleet, FleetConfig, TrailPoint};
use fleetview::protocol::{FixBatch, FixRef, Meta};

fn fleet_of(n: usize, trail_len: usize, updates: i64) -> Fleet {
    let mut fleet = Fleet::new(FleetConfig {
        trail_len,
        ..FleetConfig::default()
    });
    let ids: Vec<String> = (0..n).map(|i| format!("bus-{i:06}")).collect();
    let labels: Vec<String> = (0..n).map(|i| format!("Bus {i}")).collect();
    for u in 0..updates {
        let mut batch = FixBatch::with_capacity(n, n * 24);
        for i in 0..n {
            batch.push(&FixRef {
                heading: Some(90.0),
                speed: Some(11.0),
                meta: Meta {
                    label: Some(&labels[i]),
                    kind: Some("bus"),
                    status: Some("in_service"),
                    route: Some("110"),
                    attrs: None,
                },
                ..FixRef::bare(
                    &ids[i],
                    -16.9 + u as f64 * 1e-4,
                    145.7 + i as f64 * 1e-6,
                    T0 + u * 1000,
                )
            });
        }
        let _ = fleet.apply_batch(FeedId(0), &batch, T0 + updates * 1000);
    }
    fleet
}

fn main() {
    let pid = std::process::id();
    let before = rss_bytes(pid);
    let fleet = fleet_of(100_000, 0, 2);
    let after = rss_bytes(pid);
    let per = fleet.heap_bytes() as f64 / 1e5
        + std::mem::size_of::<Option<fleetview::fleet::Vehicle>>() as f64 * 0.0;
    println!(
        "100,000 vehicles, no trails: {:.0} bytes per vehicle by the model's accounting; RSS grew {:.0} bytes per vehicle (target <= 1 KB)",
        per,
        (after.saturating_sub(before)) as f64 / 1e5
    );
    // Who is nearest an incident, among 100,000 live vehicles (the Nearest vehicles window).
    let now = T0 + 2_000;
    let (took, found) = best_of(20, || fleet.nearest(-16.9, 145.75, 10, now).len());
    println!(
        "the {found} nearest of 100,000 live vehicles: {:.2} ms (target < 5 ms)",
        took.as_secs_f64() * 1e3
    );
    drop(fleet);
    let point = std::mem::size_of::<TrailPoint>();
    let trail_len = FleetConfig::default().trail_len;
    let with_trails = fleet_of(10_000, trail_len, trail_len as i64 + 5);
    println!(
        "trails: at most {trail_len} points of {point} bytes = {} bytes per vehicle; 10,000 vehicles with full trails: {:.0} bytes per vehicle in all",
        trail_len * point,
        with_trails.heap_bytes() as f64 / 1e4
    );
    println!(
        "this process's RSS now: {:.1} MB",
        rss_bytes(pid) as f64 / 1e6
    );
}
