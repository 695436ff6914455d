//! The soak: one `fleetview-server` (a release build, history on) for `SOAK_SECS` (1,200) under
//! churn: `SOAK_VEHICLES` (10,000) simulated vehicles reporting every 10 s, `SOAK_DEVICES`
//! (2,000) OsmAnd devices on the device port every 10 s (a new connection every ten minutes),
//! a publisher sending 100 fixes a second with bad input 1% of the time, and `SOAK_VIEWERS`
//! (500) viewer slots each joining, watching 20 s to 3 min (a tenth the whole fleet, the rest a
//! box; half in the compact encoding) and leaving again.
//!
//! The load first runs `SOAK_WARMUP` (600 s) unjudged: the allocator, the history's first
//! sealed segments and its retention take that long to reach their steady state (a first
//! two-hour run without it grew 14% between minutes 2 and 15, then only by the sealed
//! segments' indexes). Then, every 10 s, it samples the server's RSS and open file
//! descriptors. It passes when both, averaged over two minutes, end within 10% of minutes
//! 2-4 (counted from the end of the warm-up), no viewer is behind at the end
//! (the server's gauge, and each whole-fleet viewer's newest fix under 2 s old), and `/metrics`
//! agrees with what the clients counted.
//!
//! History is sealed into segments of `SOAK_SEGMENT` (5m) and kept for `SOAK_RETENTION` (20m):
//! the live segment's columns grow in memory by design until its span ends (an hour by
//! default), and each sealed segment keeps its index in memory (an entry of some 60 bytes a
//! vehicle) until retention drops it; either would hide a leak of the same size. Short
//! segments and retention also seal and drop segments two dozen times in two hours.
//!
//!     cargo bench --bench soak      (SOAK_SECS=7200 for the README's two hours)

#[path = "../../../../benches/common/process.rs"]
mod common;
#[path = "../../tests/common/load.rs"]
mod load;

mod clients;
mod verdict;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clients::{Counts, Phase, Slots};
use common::{free_port, rss_bytes, wait_for_port};
use tokio::sync::watch;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One sample of the server.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at_s: u64,
    pub rss: u64,
    pub fds: usize,
}

fn main() {
    let secs = env("SOAK_SECS", 1_200).max(150);
    let warmup = env("SOAK_WARMUP", 600);
    let (vehicles, devices, viewers) = (
        env("SOAK_VEHICLES", 10_000),
        env("SOAK_DEVICES", 2_000) as usize,
        env("SOAK_VIEWERS", 500) as usize,
    );
    let segment = std::env::var("SOAK_SEGMENT").unwrap_or_else(|_| "5m".into());
    let retention = std::env::var("SOAK_RETENTION").unwrap_or_else(|_| "20m".into());
    let _ = rlimit::increase_nofile_limit(4 * (devices + viewers) as u64 + 1_024);
    println!(
        "soak: {secs} s after a warm-up of {warmup} s, {vehicles} simulated vehicles, {devices} OsmAnd devices, {viewers} viewers churning, a publisher 1% bad, history on (segments of {segment}, kept {retention})"
    );
    let data = std::env::temp_dir().join(format!("fleetview-soak-{}", std::process::id()));
    let (port, device_port) = (free_port(), free_port());
    let history = [segment.as_str(), retention.as_str()];
    let mut server = start(port, device_port, vehicles, &data, history);
    let pid = server.id();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let counts = Arc::new(Counts::default());
    let slots = Arc::new(Slots::new(viewers));
    let (phase_tx, phase) = watch::channel(Phase::Churn);
    let ports = (port, device_port);
    spawn_clients(&rt, ports, (devices, viewers), (&counts, &slots), &phase);
    // The warm-up: the same load, not judged, while the allocator, the history's first
    // segments and its retention reach their steady state.
    std::thread::sleep(Duration::from_secs(warmup));
    let samples = sample(pid, secs, &counts);
    // The hold: churn stops, every slot still connected stays; then the final check.
    let _ = phase_tx.send(Phase::Hold);
    std::thread::sleep(Duration::from_secs(10));
    let metrics = rt.block_on(verdict::scrape(port));
    let passed = verdict::judge(&samples, &counts, &slots, &metrics);
    let _ = phase_tx.send(Phase::Stop);
    std::thread::sleep(Duration::from_millis(500));
    drop(rt);
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&data);
    if !passed {
        std::process::exit(1);
    }
}

/// The server under test, with history in `data` and the device port, once it listens.
fn start(
    port: u16,
    device_port: u16,
    vehicles: u64,
    data: &std::path::Path,
    [segment, retention]: [&str; 2],
) -> std::process::Child {
    let server = std::process::Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--device-listen", &format!("127.0.0.1:{device_port}")])
        .args(["--sim", &vehicles.to_string(), "--sim-report-every", "10s"])
        .args(["--data-dir", &data.display().to_string()])
        .args(["--history-segment", segment])
        .args(["--history-retention", retention])
        .args(["--log", "warn"])
        .spawn()
        .expect("start fleetview-server");
    wait_for_port(port);
    wait_for_port(device_port);
    server
}

/// The devices, the publisher and the viewer slots, on `rt`.
fn spawn_clients(
    rt: &tokio::runtime::Runtime,
    (port, device_port): (u16, u16),
    (devices, viewers): (usize, usize),
    (counts, slots): (&Arc<Counts>, &Arc<Slots>),
    phase: &watch::Receiver<Phase>,
) {
    for i in 0..devices {
        rt.spawn(clients::device(
            device_port,
            i,
            counts.clone(),
            phase.clone(),
        ));
    }
    rt.spawn(clients::publisher(port, counts.clone(), phase.clone()));
    for slot in 0..viewers {
        let (counts, slots) = (counts.clone(), slots.clone());
        rt.spawn(clients::viewer_slot(
            port,
            slot,
            counts,
            slots,
            phase.clone(),
        ));
    }
}

/// Samples RSS and open descriptors every 10 s for `secs`, printing a row a minute.
fn sample(pid: u32, secs: u64, counts: &Counts) -> Vec<Sample> {
    println!(
        "minute | RSS MB | fds | viewers now | joins | snapshots | device reports ok | published good / bad"
    );
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut at_s = 0;
    while at_s <= secs {
        let wake = started + Duration::from_secs(at_s);
        std::thread::sleep(wake.saturating_duration_since(Instant::now()));
        let s = Sample {
            at_s,
            rss: rss_bytes(pid),
            fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count),
        };
        samples.push(s);
        if at_s % 60 == 0 {
            println!(
                "{:>6} | {:>6.1} | {:>4} | {:>11} | {:>5} | {:>9} | {:>17} | {} / {}",
                at_s / 60,
                s.rss as f64 / 1e6,
                s.fds,
                counts.watching.load(Ordering::Relaxed),
                counts.joins.load(Ordering::Relaxed),
                counts.snapshots.load(Ordering::Relaxed),
                counts.device_ok.load(Ordering::Relaxed),
                counts.published_good.load(Ordering::Relaxed),
                counts.published_bad.load(Ordering::Relaxed),
            );
        }
        at_s += 10;
    }
    samples
}
