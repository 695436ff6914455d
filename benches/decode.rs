//! Decode + apply on one core: the frames a viewer receives from 10,000 simulated vehicles
//! (through the real hub), in protocol v1 and in the compact encoding, decoded and applied to the
//! fleet model through the session. Beside them, on the same bytes: plain serde_json into
//! borrowed structs (the obvious Rust), and Python's `json.loads` into a dict (the seed's own
//! stack: `websockets` hands frames to `json.loads`).
//!
//!     cargo bench --bench decode
//!
//! `DECODE_PROFILE=v1` (or `compact`, or `apply-v1`) only decodes (or only applies) that form
//! for ten seconds, for `perf record`.

mod common;

use std::process::Command;

use common::*;
use fleetview::feed::FeedEvent;
use fleetview::fleet::{FeedId, Fleet, FleetConfig};
use fleetview::protocol::{
    DecodeLimits, Dictionary, Encoding, RejectTally, ServerFrame, decode_frame,
};
use fleetview::session::Session;
use serde::Deserialize;
use serde_json::value::RawValue;

struct Form {
    name: &'static str,
    frames: Vec<String>,
    updates: usize,
    bytes: usize,
}

fn form(name: &'static str, encoding: Encoding) -> Form {
    let frames = record_frames_as(encoding, 10_000, 120, 250);
    Form {
        name,
        updates: updates_in(&frames),
        bytes: frames.iter().map(String::len).sum(),
        frames,
    }
}

fn decode_all(frames: &[String]) -> Vec<ServerFrame> {
    let limits = DecodeLimits::default();
    let mut dict = Dictionary::new(FleetConfig::default().max_vehicles);
    let mut refused = RejectTally::default();
    let out = frames
        .iter()
        .filter_map(|f| decode_frame(f, &mut dict, &limits, &mut refused).ok())
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    out
}

/// Decode + apply through the session, as the window and `stats` do; then each alone.
fn measure(form: &Form) -> f64 {
    let limits = DecodeLimits::default();
    let (elapsed, applied) = best_of(5, || {
        let mut session = Session::new(FleetConfig::default());
        let mut dict = Dictionary::new(FleetConfig::default().max_vehicles);
        let mut refused = RejectTally::default();
        for frame in &form.frames {
            let event = match decode_frame(frame, &mut dict, &limits, &mut refused) {
                Ok(ServerFrame::Snapshot(b)) => FeedEvent::Snapshot(b),
                Ok(ServerFrame::Positions(b)) => FeedEvent::Positions(b),
                _ => continue,
            };
            let _ = session.apply(FeedId(0), &event, T0 + 200_000);
        }
        assert!(refused.is_empty(), "{refused:?}");
        session.fleet().counters().applied
    });
    let rate = form.updates as f64 / elapsed.as_secs_f64();
    println!(
        "{}: {} frames, {} updates, {:.1} MB ({:.1} bytes/update): {} updates applied in {:.1} ms: {} decode + apply",
        form.name,
        form.frames.len(),
        form.updates,
        form.bytes as f64 / 1e6,
        form.bytes as f64 / form.updates as f64,
        applied,
        elapsed.as_secs_f64() * 1e3,
        fmt_rate(rate),
    );
    let (decode_only, batches) = best_of(3, || decode_all(&form.frames));
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
        fmt_rate(form.updates as f64 / decode_only.as_secs_f64()),
        apply_only.as_secs_f64() * 1e3,
        fmt_rate(form.updates as f64 / apply_only.as_secs_f64()),
    );
    rate
}

/// The obvious Rust: `serde_json::from_str` into borrowed structs, nothing validated or kept.
#[allow(dead_code)] // the structs' fields are parsed, which is what is measured, and not read
mod obvious {
    use super::*;

    #[derive(Deserialize)]
    pub struct V1<'a> {
        #[serde(rename = "type")]
        pub kind: &'a str,
        #[serde(borrow, default)]
        pub positions: Vec<Position<'a>>,
    }

    #[derive(Deserialize)]
    pub struct Position<'a> {
        pub id: &'a str,
        pub lat: f64,
        pub lon: f64,
        pub ts: i64,
        pub heading: Option<f32>,
        pub speed: Option<f32>,
        #[serde(borrow)]
        pub label: Option<&'a str>,
        #[serde(borrow)]
        pub kind: Option<&'a str>,
        #[serde(borrow)]
        pub status: Option<&'a str>,
        #[serde(borrow)]
        pub route: Option<&'a str>,
        #[serde(borrow)]
        pub attrs: Option<&'a RawValue>,
    }

    #[derive(Deserialize)]
    pub struct Compact<'a> {
        #[serde(rename = "type")]
        pub kind: &'a str,
        #[serde(default)]
        pub t: i64,
        #[serde(borrow, default)]
        pub def: Vec<(u32, &'a str)>,
        #[serde(borrow, default)]
        pub rows: Vec<Vec<&'a RawValue>>,
    }

    /// Updates decoded per second, best of three.
    pub fn rate(form: &Form) -> f64 {
        let (took, n) = best_of(3, || {
            let mut n = 0usize;
            for text in &form.frames {
                if form.name == "v1" {
                    let f: V1<'_> = serde_json::from_str(text).expect("v1 frame");
                    n += usize::from(f.kind == "positions") * f.positions.len();
                } else if text.starts_with(r#"{"type":"r""#) {
                    continue;
                } else {
                    let f: Compact<'_> = serde_json::from_str(text).expect("compact frame");
                    // The integers of each row, as a reader of the form must take them.
                    for row in &f.rows {
                        for v in row.iter().take(6) {
                            std::hint::black_box(v.get().parse::<i64>().ok());
                        }
                    }
                    n += usize::from(f.kind == "p") * f.rows.len();
                    std::hint::black_box(f.t);
                }
            }
            n
        });
        assert_eq!(n, form.updates);
        n as f64 / took.as_secs_f64()
    }
}

fn python(form: &Form) -> Option<f64> {
    let path = std::env::temp_dir().join(format!("fleetview-bench-frames-{}.jsonl", form.name));
    std::fs::write(&path, form.frames.join("\n")).expect("write frames");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/python_peer.py");
    match Command::new("python3").arg(script).arg(&path).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().parse().ok(),
        other => {
            println!("python peer did not run: {other:?}");
            None
        }
    }
}

/// Ten seconds of one phase alone, for a profiler.
fn profile(what: &str, forms: &[Form]) {
    let (apply, name) = match what.strip_prefix("apply-") {
        Some(name) => (true, name),
        None => (false, what),
    };
    let form = forms
        .iter()
        .find(|f| f.name == name)
        .expect("v1 or compact");
    let batches = decode_all(&form.frames);
    let started = std::time::Instant::now();
    let mut rounds = 0;
    while started.elapsed().as_secs() < 10 {
        if apply {
            let mut fleet = Fleet::new(FleetConfig::default());
            for b in &batches {
                if let ServerFrame::Snapshot(b) | ServerFrame::Positions(b) = b {
                    let _ = fleet.apply_batch(FeedId(0), b, T0 + 200_000);
                }
            }
        } else {
            std::hint::black_box(decode_all(&form.frames));
        }
        rounds += 1;
    }
    let rate = (rounds * form.updates) as f64 / started.elapsed().as_secs_f64();
    println!("{what}: {} over {rounds} rounds", fmt_rate(rate));
}

fn main() {
    let forms = [form("v1", Encoding::V1), form("compact", Encoding::Compact)];
    if let Ok(what) = std::env::var("DECODE_PROFILE") {
        return profile(&what, &forms);
    }
    println!("decode + apply on one core: 10,000 simulated vehicles over 120 s, 250 ms ticks");
    let mut rates = Vec::new();
    for f in &forms {
        let rate = measure(f);
        let serde = obvious::rate(f);
        let py = python(f);
        println!(
            "  peers on the same bytes: serde_json into borrowed structs {} (decode alone); python json.loads + dict {}",
            fmt_rate(serde),
            py.map_or("-".into(), fmt_rate),
        );
        rates.push((rate, py));
    }
    let (v1, v1_py) = rates[0];
    let (compact, compact_py) = rates[1];
    println!(
        "v1: {} (target >= 3,000,000/s), {:.1}x python; compact: {} (target >= 6,000,000/s), {:.1}x python on its bytes, {:.1}x python on v1",
        fmt_rate(v1),
        v1 / v1_py.unwrap_or(f64::NAN),
        fmt_rate(compact),
        compact / compact_py.unwrap_or(f64::NAN),
        compact / v1_py.unwrap_or(f64::NAN),
    );
}
