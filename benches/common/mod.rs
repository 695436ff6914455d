//! Shared by the benchmarks: frames recorded from the simulator through the real server hub,
//! and small measuring helpers.
#![allow(dead_code)]

mod process;
#[allow(unused_imports)] // not every benchmark measures a process
pub use process::*;

use fleetview::protocol::Encoding;
use fleetview::server::{Filter, Hub, Outgoing};
use fleetview::sim::{Network, Sim, SimConfig};

pub const T0: i64 = 1_764_000_000_000;

/// `seconds` of a simulated fleet of `vehicles`, stepped and ticked every `tick_ms` through the
/// server's hub, as the text frames a viewer receives (the snapshot first).
pub fn record_frames(vehicles: usize, seconds: i64, tick_ms: i64) -> Vec<String> {
    record_frames_as(Encoding::V1, vehicles, seconds, tick_ms)
}

/// The same, in `encoding`: the frames a viewer that asked for it receives (a compact viewer's
/// snapshot comes at the first tick).
pub fn record_frames_as(
    encoding: Encoding,
    vehicles: usize,
    seconds: i64,
    tick_ms: i64,
) -> Vec<String> {
    let network = Network::cairns().expect("route asset");
    let mut sim = Sim::new(network, SimConfig::new(vehicles, 7), T0);
    let mut hub = Hub::new(600_000);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Outgoing>(1 << 16);
    hub.report(&sim.all(T0), T0);
    hub.join(1, Filter::all().with_encoding(encoding), tx);
    let mut frames = Vec::new();
    let mut t = T0;
    while t < T0 + seconds * 1000 {
        t += tick_ms;
        hub.report(&sim.step(t), t);
        hub.tick(t);
        while let Ok(bundle) = rx.try_recv() {
            frames.extend(bundle.iter().map(|f| f.as_str().to_owned()));
        }
    }
    frames
}

/// Updates carried by `positions` frames, v1 or compact (snapshots, in however many parts,
/// left out).
pub fn updates_in(frames: &[String]) -> usize {
    frames
        .iter()
        .filter(|f| f.starts_with(r#"{"type":"positions""#) || f.starts_with(r#"{"type":"p""#))
        .map(|f| fixes_in(f))
        .sum()
}

/// Positions in a frame: its ids (v1), or its rows (compact).
pub fn fixes_in(frame: &str) -> usize {
    if frame.starts_with(r#"{"type":"p""#) || frame.starts_with(r#"{"type":"s""#) {
        let value: serde_json::Value = serde_json::from_str(frame).unwrap_or_default();
        return value["rows"].as_array().map_or(0, Vec::len);
    }
    frame.matches("\"id\":").count()
}
