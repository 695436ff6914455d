//! Recordings for the replay tests: the simulated Cairns fleet written straight through the
//! recording writer on a clock of its own (so a minute of it takes a moment), and what a
//! dispatcher sees of a fleet, to compare states.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fleetview::events::FeedEvent;
use fleetview::fleet::{FeedId, Fleet};
use fleetview::record::{Writer, Written};
use fleetview::sim::{Network, Sim, SimConfig};

/// 2026-11-25 14:00:00 UTC.
pub const T0: i64 = 1_795_615_200_000;

/// A fresh directory for this test's files.
pub fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fleetview-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `seconds` of a simulated fleet of `vehicles` (one feed, "Simulated Cairns fleet"): a
/// snapshot, then what it reports every 200 ms.
pub fn sim_recording(path: &Path, vehicles: usize, seconds: i64) -> Written {
    let network = Network::cairns().expect("the Cairns network");
    let mut sim = Sim::new(network, SimConfig::new(vehicles, 1), T0);
    let file = std::fs::File::create(path).expect("create");
    let mut w = Writer::new(file, T0).expect("header");
    let feed = FeedId(0);
    w.name(T0, feed, "Simulated Cairns fleet").expect("name");
    let up = FeedEvent::Connected {
        url: "ws://127.0.0.1:9000/".into(),
    };
    w.event(T0, feed, &up).expect("write");
    w.event(T0 + 5, feed, &FeedEvent::Snapshot(sim.all(T0)))
        .expect("write");
    let mut t = T0;
    while t < T0 + seconds * 1000 {
        t += 200;
        let batch = sim.step(t);
        if !batch.is_empty() {
            w.event(t, feed, &FeedEvent::Positions(batch))
                .expect("write");
        }
        w.tick(t).expect("tick");
    }
    w.tick(i64::MAX).expect("close");
    let written = w.written();
    w.finish().expect("finish");
    written
}

/// What a dispatcher sees of each vehicle: where, when, how fast, and its fields.
pub fn state(fleet: &Fleet) -> BTreeMap<(FeedId, String), String> {
    fleet
        .iter()
        .map(|(_, v)| {
            let f = v.as_fix();
            let key = (v.feed(), v.id().to_owned());
            let seen = format!(
                "{:.7} {:.7} {} {:?} {:?} {:?}",
                f.lat, f.lon, f.ts, f.heading, f.speed, f.meta
            );
            (key, seen)
        })
        .collect()
}
