//! Decode + apply: protocol v1 `positions` frames recorded from the simulator, decoded and
//! applied to the fleet model on one core; beside it, the same bytes through Python's `json`
//! into a dict (the seed's own stack: `websockets` hands frames to `json.loads`).
//!
//!     cargo bench --bench decode

mod common;

use std::process::Command;

use common::*;
use fleetview::feed::FeedEvent;
use fleetview::fleet::{FeedId, Fleet, FleetConfig};
use fleetview::protocol::{DecodeLimits, RejectTally, ServerFrame, decode_server};
use fleetview::session::Session;

fn main() {
    let frames = record_frames(10_000, 120, 250);
    let updates = updates_in(&frames);
    let bytes: usize = frames.iter().map(String::len).sum();
    println!(
        "decode+apply: {} frames, {updates} updates, {:.1} MB, from 10,000 simulated vehicles over 120 s",
        frames.len(),
        bytes as f64 / 1e6
    );
    let limits = DecodeLimits::default();
    let (elapsed, applied) = best_of(5, || {
        // Through the session, as the window and `stats` apply events.
        let mut session = Session::new(FleetConfig::default());
        let mut refused = RejectTally::default();
        for frame in &frames {
            let event = match decode_server(frame, &limits, &mut refused) {
                Ok(ServerFrame::Snapshot(b)) => FeedEvent::Snapshot(b),
                Ok(ServerFrame::Positions(b)) => FeedEvent::Positions(b),
                _ => continue,
            };
            let _ = session.apply(FeedId(0), &event, T0 + 200_000);
        }
        assert!(refused.is_empty(), "{refused:?}");
        session.fleet().counters().applied
    });
    let rate = updates as f64 / elapsed.as_secs_f64();
    println!(
        "fleetview: {} updates applied in {:.1} ms: {} ({:.0} MB/s of JSON)",
        applied,
        elapsed.as_secs_f64() * 1e3,
        fmt_rate(rate),
        bytes as f64 / 1e6 / elapsed.as_secs_f64()
    );

    // Where the time goes: decoding alone, then applying decoded batches alone.
    let (decode_only, batches) = best_of(3, || {
        let mut refused = RejectTally::default();
        frames
            .iter()
            .filter_map(|f| decode_server(f, &limits, &mut refused).ok())
            .collect::<Vec<_>>()
    });
    let (apply_only, _) = best_of(3, || {
        let mut fleet = Fleet::new(FleetConfig::default());
        for b in &batches {
            let _ = match b {
                ServerFrame::Snapshot(b) => fleet.apply_snapshot(FeedId(0), b, T0 + 200_000),
                ServerFrame::Positions(b) => fleet.apply_batch(FeedId(0), b, T0 + 200_000),
                _ => continue,
            };
        }
        fleet.len()
    });
    println!(
        "  of which decoding {:.1} ms ({}), applying {:.1} ms ({})",
        decode_only.as_secs_f64() * 1e3,
        fmt_rate(updates as f64 / decode_only.as_secs_f64()),
        apply_only.as_secs_f64() * 1e3,
        fmt_rate(updates as f64 / apply_only.as_secs_f64()),
    );

    let path = std::env::temp_dir().join("fleetview-bench-frames.jsonl");
    std::fs::write(&path, frames.join("\n")).expect("write frames");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python_peer.py");
    match Command::new("python3").arg(script).arg(&path).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let peer: f64 = text.trim().parse().unwrap_or(0.0);
            println!("python json.loads + dict: {}", fmt_rate(peer));
            println!(
                "ratio: {:.1}x (target >= 3,000,000 updates/s and >= 10x the peer)",
                rate / peer
            );
        }
        other => println!("python peer did not run: {other:?}"),
    }
}
