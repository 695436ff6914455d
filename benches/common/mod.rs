//! Shared by the benchmarks: frames recorded from the simulator through the real server hub,
//! and small measuring helpers.
#![allow(dead_code)]

use std::time::{Duration, Instant};

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

/// The fastest of `runs` timings of `f`, after one warm-up run.
pub fn best_of<R>(runs: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut result = f();
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let started = Instant::now();
        result = f();
        best = best.min(started.elapsed());
    }
    (best, result)
}

/// This process's CPU time so far (user + system), from /proc.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

/// Resident memory of a process, bytes.
pub fn rss_bytes(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

pub fn fmt_rate(per_s: f64) -> String {
    if per_s >= 1e6 {
        format!("{:.2} M/s", per_s / 1e6)
    } else if per_s >= 1e3 {
        format!("{:.1} k/s", per_s / 1e3)
    } else {
        format!("{per_s:.0} /s")
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits until something listens on `port` (20 s at most).
pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listened on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
