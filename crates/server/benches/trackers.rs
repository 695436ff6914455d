//! Hardware trackers at load, side by side with the obvious Python asyncio Teltonika server
//! (`benches/trackers_peer.py`): `TRACKERS_N` (10,000) Teltonika connections on loopback, each
//! logged in and sending one codec 8 record stamped with the time it is sent, first every 10 s,
//! then every 2 s (5,000 records/s at 10,000), each phase `TRACKERS_SECS` (30) long. Per server
//! and phase: records sent and acknowledged, the server's CPU, and the age of each record when
//! a viewer sees it (fleetview: a real viewer through the feeds thread; Python: a socket reading
//! its lines); and the server's RSS per tracker connection.
//!
//!     cargo bench --bench trackers    (TRACKERS_N=10000 TRACKERS_SECS=30
//!                                      TRACKERS_SERVERS=all|fleetview|python)

#[path = "../../../benches/common/process.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{cpu_time, free_port, rss_bytes, wait_for_port};
use fleetview_core::clock::now_ms;
use fleetview_core::formats::tracker::crc16_ibm;
use hdrhistogram::Histogram;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The fleetview server's tick: the target for a record's age is this plus 50 ms.
const TICK_MS: u64 = 100;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What the trackers and the viewer count, shared with their tasks.
#[derive(Default)]
struct Counts {
    logged_in: AtomicU64,
    sent: AtomicU64,
    acked: AtomicU64,
    /// Milliseconds between sending and sending again.
    period_ms: AtomicU64,
    ages: Mutex<Option<Histogram<u64>>>,
}

impl Counts {
    fn age(&self, ms: i64) {
        if let Ok(mut h) = self.ages.lock()
            && let Some(h) = h.as_mut()
        {
            let _ = h.record(ms.max(0) as u64);
        }
    }
}

fn main() {
    let n = env("TRACKERS_N", 10_000) as usize;
    let secs = env("TRACKERS_SECS", 30);
    let which = std::env::var("TRACKERS_SERVERS").unwrap_or_else(|_| "all".into());
    let _ = rlimit::increase_nofile_limit(4 * n as u64 + 1_024);
    println!("{n} Teltonika trackers, {secs} s a phase, a record each every 10 s then every 2 s");
    println!(
        "server      | phase | records/s | acknowledged | CPU (server) | age p50 / p99 at the viewer | RSS per tracker"
    );
    for server in ["fleetview", "python"] {
        if which == "all" || which == server {
            run(server, n, secs);
        }
    }
    println!(
        "targets: every record acknowledged; age p99 < tick ({TICK_MS} ms) + 50 ms; <= 16 KB a tracker"
    );
}

/// One server through both phases.
fn run(server: &str, n: usize, secs: u64) {
    let (tracker_port, viewer_port, metrics_port) = (free_port(), free_port(), free_port());
    let mut child = start(server, tracker_port, viewer_port, metrics_port);
    wait_for_port(tracker_port);
    wait_for_port(viewer_port);
    let pid = child.id();
    let counts = Arc::new(Counts::default());
    counts.period_ms.store(10_000, Ordering::Relaxed);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let _viewer = watch(server, viewer_port, &counts, &rt);
    std::thread::sleep(Duration::from_secs(1));
    let rss_before = rss_bytes(pid);
    for i in 0..n {
        rt.spawn(tracker(tracker_port, i, counts.clone()));
        if i % 200 == 199 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while (counts.logged_in.load(Ordering::Relaxed) as usize) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let logged_in = counts.logged_in.load(Ordering::Relaxed);
    // Let the first records (sent at random moments of the first period) settle.
    std::thread::sleep(Duration::from_secs(11));
    let per_tracker = rss_bytes(pid).saturating_sub(rss_before) as f64 / n as f64;
    for period in [10_000u64, 2_000] {
        counts.period_ms.store(period, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(period));
        phase(
            server,
            pid,
            &counts,
            secs,
            period,
            per_tracker,
            logged_in,
            n,
        );
    }
    drop(rt);
    let _ = child.kill();
    let _ = child.wait();
}

fn start(server: &str, tracker: u16, viewer: u16, metrics: u16) -> std::process::Child {
    let mut command = if server == "fleetview" {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_fleetview-server"));
        c.args(["--listen", &format!("127.0.0.1:{viewer}")])
            .args(["--teltonika-listen", &format!("127.0.0.1:{tracker}")])
            .args(["--device-listen", &format!("127.0.0.1:{metrics}")])
            .args(["--tick", &format!("{TICK_MS}ms"), "--no-history"])
            .args(["--idle-timeout", "10m", "--drop-after", "10m"])
            .args(["--log", "warn"]);
        c
    } else {
        let mut c = std::process::Command::new("python3");
        c.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/benches/trackers_peer.py"
        ))
        .args([tracker.to_string(), viewer.to_string()]);
        c
    };
    command
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the server")
}

/// One phase: counters reset, then `secs` of sending; a row of the table.
#[allow(clippy::too_many_arguments)]
fn phase(
    server: &str,
    pid: u32,
    counts: &Counts,
    secs: u64,
    period: u64,
    per_tracker: f64,
    logged_in: u64,
    n: usize,
) {
    if let Ok(mut h) = counts.ages.lock() {
        *h = Histogram::new(3).ok();
    }
    let (sent0, acked0) = (
        counts.sent.load(Ordering::Relaxed),
        counts.acked.load(Ordering::Relaxed),
    );
    let (cpu0, wall0) = (cpu_time(pid), Instant::now());
    std::thread::sleep(Duration::from_secs(secs));
    // The last records' answers.
    std::thread::sleep(Duration::from_millis(500));
    let wall = wall0.elapsed().as_secs_f64();
    let cpu = (cpu_time(pid) - cpu0).as_secs_f64() / wall * 100.0;
    let sent = counts.sent.load(Ordering::Relaxed) - sent0;
    let acked = counts.acked.load(Ordering::Relaxed) - acked0;
    let (p50, p99) = counts
        .ages
        .lock()
        .ok()
        .and_then(|h| {
            h.as_ref()
                .map(|h| (h.value_at_quantile(0.5), h.value_at_quantile(0.99)))
        })
        .unwrap_or_default();
    println!(
        "{server:<11} | {:>4} s | {:>9.0} | {acked} of {sent} ({logged_in} of {n} logged in) | {cpu:>5.1}% | {p50} / {p99} ms | {:.1} KB",
        period / 1000,
        sent as f64 / wall,
        per_tracker / 1024.0
    );
}

/// One tracker: logs in, then sends a record stamped now each period (at a moment of its own
/// within it) and reads the answer.
async fn tracker(port: u16, i: usize, counts: Arc<Counts>) -> Option<()> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    let imei = format!("35{i:013}");
    let mut hello = 15u16.to_be_bytes().to_vec();
    hello.extend_from_slice(imei.as_bytes());
    s.write_all(&hello).await.ok()?;
    let mut one = [0u8; 1];
    s.read_exact(&mut one).await.ok()?;
    if one[0] != 1 {
        return None;
    }
    counts.logged_in.fetch_add(1, Ordering::Relaxed);
    let offset = fastrand::u64(0..10_000);
    tokio::time::sleep(Duration::from_millis(offset)).await;
    let lat = -16.8 - (i % 1000) as f64 * 1e-4;
    let lon = 145.7 + (i / 1000) as f64 * 1e-3;
    loop {
        let started = tokio::time::Instant::now();
        s.write_all(&packet(now_ms(), lat, lon)).await.ok()?;
        counts.sent.fetch_add(1, Ordering::Relaxed);
        let mut ack = [0u8; 4];
        s.read_exact(&mut ack).await.ok()?;
        if ack == [0, 0, 0, 1] {
            counts.acked.fetch_add(1, Ordering::Relaxed);
        }
        let period = counts.period_ms.load(Ordering::Relaxed);
        tokio::time::sleep_until(started + Duration::from_millis(period)).await;
    }
}

/// A codec 8 packet of one record with two IO elements.
fn packet(ts: i64, lat: f64, lon: f64) -> Vec<u8> {
    let mut data = vec![0x08, 1];
    data.extend_from_slice(&(ts as u64).to_be_bytes());
    data.push(0);
    data.extend_from_slice(&((lon * 1e7) as i32).to_be_bytes());
    data.extend_from_slice(&((lat * 1e7) as i32).to_be_bytes());
    data.extend_from_slice(&[0, 10, 0, 90, 9, 0, 40]);
    data.extend_from_slice(&[0, 2, 2, 239, 1, 240, 1, 0, 0, 0]);
    data.push(1);
    let mut out = vec![0, 0, 0, 0];
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&u32::from(crc16_ibm(&data)).to_be_bytes());
    out
}

/// The viewer: each record's age when it arrives.
fn watch(
    server: &str,
    port: u16,
    counts: &Arc<Counts>,
    rt: &tokio::runtime::Runtime,
) -> Option<fleetview_feeds::FeedSet> {
    let counts = counts.clone();
    if server == "python" {
        rt.spawn(async move {
            let s = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()?;
            let mut lines = tokio::io::BufReader::new(s).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(ts) = line.split(' ').nth(1).and_then(|t| t.parse::<i64>().ok()) {
                    counts.age(now_ms() - ts);
                }
            }
            Some(())
        });
        return None;
    }
    let url = format!("ws://127.0.0.1:{port}/feed");
    let config = fleetview_feeds::FeedConfig::new(url);
    let set = fleetview_feeds::FeedSet::single(fleetview_feeds::FeedId(0), config, Arc::new(|| {}))
        .ok()?;
    let events = set.events().clone();
    std::thread::Builder::new()
        .name("bench-viewer".into())
        .spawn(move || {
            while let Ok((_, event)) = events.recv() {
                if let fleetview_feeds::FeedEvent::Positions(batch) = event {
                    let now = now_ms();
                    for fix in batch.iter() {
                        counts.age(now - fix.ts);
                    }
                }
            }
        })
        .ok()?;
    Some(set)
}
