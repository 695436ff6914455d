//! A restart storm over real sockets: `fleetview-server` (history on) holds a fleet of OsmAnd
//! devices, is stopped and started again, and at once `STORM_VIEWERS` (2,000) viewers and
//! `STORM_DEVICES` (5,000) devices come back from many loopback addresses (200 viewers and 500
//! devices an address, under the per-address cap of 256). Viewers retry on the window's own
//! backoff (`fleetview_feeds::Backoff`: 0.5 s doubling, ±20% jitter, a random seed each, as
//! every window and `fleetview stats` draws its own), devices send their report within the first
//! second. Every viewer must hold a full snapshot (the fleet as it was, restored from history
//! before the first viewer is served) within 5 s of the server listening, every report must be
//! taken, and the viewers' attempts must not land in one 100 ms. (The 5 s is judged on an
//! optimised build; a debug build, as `cargo test` makes, is held to 30 s.)
//!
//! The same test at full size in a release build is what the README reports:
//! `cargo test --release -p fleetview-server --test storm -- --nocapture`.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::time::{Duration, Instant};

use common::load::{Device, Viewer, http_get, metric, source_address};
use common::server::{ServerProcess, free_port, temp_dir, wait_listening};
use fleetview_core::clock::now_ms;
use fleetview_core::protocol::{Encoding, Subscribe};
use fleetview_feeds::{Backoff, BackoffConfig};
use tokio::task::JoinSet;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A server with history in `dir` and the device port.
fn start(dir: &Path, port: u16, device_port: u16) -> ServerProcess {
    let device = format!("127.0.0.1:{device_port}");
    let args: Vec<OsString> = vec![
        "--device-listen".into(),
        device.into(),
        "--data-dir".into(),
        dir.into(),
    ];
    ServerProcess::spawn(port, args)
}

/// Device `i`'s place: spread over Cairns.
fn place(i: usize) -> (f64, f64) {
    (
        -16.80 - (i % 100) as f64 * 0.002,
        145.70 + (i / 100) as f64 * 0.002,
    )
}

/// Device `i` reports once, from `start` on, retrying (a new connection) on the app's backoff
/// while the server is not there: the HTTP status it got.
async fn device(port: u16, i: usize, start: tokio::time::Instant) -> u16 {
    let mut backoff = Backoff::new(BackoffConfig::default(), fastrand::u64(..));
    let mut at = start;
    loop {
        tokio::time::sleep_until(at).await;
        let source = source_address(3, i, 500);
        if let Ok(mut d) = Device::connect(source, port, format!("storm-{i:05}")).await {
            let (lat, lon) = place(i);
            if let Ok(status) = d.report(lat, lon, now_ms()).await {
                return status;
            }
        }
        at = tokio::time::Instant::now() + backoff.next_delay();
    }
}

/// What one viewer saw: when it got in and when its snapshot was whole, and of how many.
struct Arrival {
    /// When the attempt that got in was made.
    attempted: Instant,
    connected: Instant,
    full: Instant,
    vehicles: usize,
}

/// A viewer whose connection just dropped: it retries on the window's backoff until it is in,
/// then reads its snapshot.
async fn viewer(port: u16, i: usize, dropped: Instant) -> Result<Arrival, String> {
    let mut backoff = Backoff::new(BackoffConfig::default(), fastrand::u64(..));
    let mut at = tokio::time::Instant::from_std(dropped) + backoff.next_delay();
    let encoding = if i.is_multiple_of(10) {
        Encoding::V1
    } else {
        Encoding::Compact
    };
    loop {
        tokio::time::sleep_until(at).await;
        let attempted = Instant::now();
        let source = source_address(2, i, 200);
        match Viewer::connect(source, port, Subscribe::default(), encoding, false).await {
            Ok(mut v) => {
                let connected = Instant::now();
                // One viewer in 20 decodes with the window's own decoder; the rest count.
                let wait = Duration::from_secs(20);
                let vehicles = if i.is_multiple_of(20) {
                    v.until_snapshot(wait).await
                } else {
                    v.until_snapshot_unread(wait).await
                }
                .map_err(|e| format!("viewer {i}: {e:?}"))?;
                return Ok(Arrival {
                    attempted,
                    connected,
                    full: Instant::now(),
                    vehicles,
                });
            }
            Err(e) => {
                if i.is_multiple_of(100) {
                    eprintln!("viewer {i}, {:?} after the stop: {e:?}", dropped.elapsed());
                }
                at = tokio::time::Instant::now() + backoff.next_delay()
            }
        }
    }
}

/// The `fleetview_vehicles` gauge.
async fn vehicles(port: u16) -> usize {
    let Ok((_, body)) = http_get(port, "/metrics", None).await else {
        return 0;
    };
    metric(&String::from_utf8_lossy(&body), "fleetview_vehicles", &[]) as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_storm_of_viewers_and_devices_is_served_in_full_within_five_seconds() {
    let viewers = env_or("STORM_VIEWERS", 2_000);
    let devices = env_or("STORM_DEVICES", 5_000);
    let _ = rlimit::increase_nofile_limit((3 * (viewers + devices) + 1_024) as u64);
    let dir = temp_dir("storm");
    let (port, device_port) = (free_port(), free_port());

    // Before: the server holds every device's fix (and so does its history).
    let server = start(&dir, port, device_port);
    wait_listening(port);
    let now = tokio::time::Instant::now();
    let mut set = JoinSet::new();
    for i in 0..devices {
        set.spawn(device(device_port, i, now));
    }
    let first: Vec<u16> = set.join_all().await;
    assert!(first.iter().all(|&s| s == 200), "every first report taken");
    let deadline = Instant::now() + Duration::from_secs(20);
    while vehicles(port).await < devices {
        assert!(Instant::now() < deadline, "the fleet never filled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();

    // The restart: everyone comes back at once.
    let dropped = Instant::now();
    let server = start(&dir, port, device_port);
    let mut viewer_tasks = JoinSet::new();
    for i in 0..viewers {
        viewer_tasks.spawn(viewer(port, i, dropped));
    }
    let mut device_tasks = JoinSet::new();
    let mut rng = fastrand::Rng::with_seed(5);
    for i in 0..devices {
        let at = tokio::time::Instant::from_std(dropped) + Duration::from_millis(rng.u64(0..1_000));
        device_tasks.spawn(device(device_port, i, at));
    }
    let listening = tokio::spawn(async move {
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Instant::now()
    });
    let arrivals = tokio::time::timeout(Duration::from_secs(120), viewer_tasks.join_all())
        .await
        .expect("every viewer done within two minutes");
    let statuses = device_tasks.join_all().await;
    let listening = listening.await.expect("probe");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    judge(arrivals, &statuses, devices, dropped, listening);
}

/// How many viewers did something (`at`) in each 100 ms since `dropped`.
fn by_100ms(
    arrivals: &[Arrival],
    dropped: Instant,
    at: fn(&Arrival) -> Instant,
) -> BTreeMap<u64, usize> {
    let mut buckets = BTreeMap::new();
    for a in arrivals {
        let ms = at(a).saturating_duration_since(dropped).as_millis() as u64;
        *buckets.entry(ms / 100).or_default() += 1;
    }
    buckets
}

fn judge(
    arrivals: Vec<Result<Arrival, String>>,
    statuses: &[u16],
    devices: usize,
    dropped: Instant,
    listening: Instant,
) {
    let arrivals: Vec<Arrival> = arrivals
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("every viewer got in");
    let taken = statuses.iter().filter(|&&s| s == 200).count();
    let mut full: Vec<f64> = arrivals
        .iter()
        .map(|a| a.full.saturating_duration_since(listening).as_secs_f64())
        .collect();
    full.sort_by(f64::total_cmp);
    let pct = |q: f64| full[((full.len() - 1) as f64 * q) as usize];
    let attempts = by_100ms(&arrivals, dropped, |a| a.attempted);
    let got_in = by_100ms(&arrivals, dropped, |a| a.connected);
    let busiest = attempts.values().copied().max().unwrap_or(0);
    println!(
        "restart storm: {} viewers, {devices} devices; listening {:.2} s after the stop",
        arrivals.len(),
        listening.duration_since(dropped).as_secs_f64()
    );
    println!(
        "viewers whole (s after listening): p50 {:.2}, p99 {:.2}, last {:.2}; reports taken {taken} of {}",
        pct(0.5),
        pct(0.99),
        pct(1.0),
        statuses.len()
    );
    println!("viewers' successful attempts, per 100 ms since the stop: {attempts:?}");
    println!("viewers in (handshake done), per 100 ms since the stop: {got_in:?}");
    let sizes = arrivals
        .iter()
        .fold(BTreeMap::<usize, usize>::new(), |mut m, a| {
            *m.entry(a.vehicles).or_default() += 1;
            m
        });
    println!("vehicles in the viewers' first snapshots: {sizes:?}");
    assert_eq!(
        sizes.keys().collect::<Vec<_>>(),
        [&devices],
        "snapshots short of vehicles"
    );
    // The 5 s target holds for an optimised build (`--release`, the README's figures); a debug
    // build's server is several times slower, so there the bound only catches a server that
    // does not serve everyone at all (timed targets are not judged on debug builds).
    let bound = if cfg!(debug_assertions) { 30.0 } else { 5.0 };
    assert!(
        pct(1.0) < bound,
        "the last viewer was whole {:.2} s after listening",
        pct(1.0)
    );
    assert_eq!(taken, statuses.len(), "reports refused");
    // The first retry waits 0.5 s x (1 ± 0.2): uniform over 200 ms, so half at most in one
    // 100 ms (and only while no client was held up); 60% leaves nine standard deviations.
    assert!(
        busiest * 10 < arrivals.len() * 6,
        "{busiest} of {} viewers tried within the same 100 ms",
        arrivals.len()
    );
}
