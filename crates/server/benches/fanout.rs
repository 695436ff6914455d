//! Server fan-out, side by side with the obvious Python broadcast server
//! (`benches/fanout_peer.py`): 10,000 simulated vehicles each reporting once a second, 200 ms
//! ticks, and 50 to 2,000 viewers. For each server and viewer count, in the same run: the
//! server's CPU (its simulator included) and RSS, bytes per position, per-viewer throughput
//! (median and slowest), and viewers left behind (fleetview: resyncs, from its `/metrics`;
//! Python: viewers with over a second of data stuck in their write buffer).
//!
//!     cargo bench --bench fanout    (FANOUT_VIEWERS=50,200,500,1000,2000 FANOUT_SECS=20
//!                                    FANOUT_SERVERS=all|fleetview|compact|python)
//!
//! fleetview-server runs twice per row: viewers asking for protocol v1, then viewers asking for
//! the compact encoding (`"encoding":"compact"` in their subscribe).
//!
//! The viewers are raw sockets in this process: an upgrade request, a masked `subscribe`
//! frame, then every byte read and discarded unparsed, so the load generator stays cheap and
//! does not decide the result. Both servers get a long idle timeout (the raw sockets never
//! answer pings).

#[path = "../../../benches/common/process.rs"]
mod common;

use std::io::{BufRead, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{cpu_time, free_port, rss_bytes, wait_for_port};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const VEHICLES: usize = 10_000;

#[derive(Clone, Copy, PartialEq)]
enum Server {
    /// fleetview-server, its viewers asking for the compact encoding or not.
    Fleetview {
        compact: bool,
    },
    Python,
}

struct Cell {
    connected: usize,
    cpu_pct: f64,
    /// Of it, in the kernel (socket writes: on loopback the receiving side's TCP work too).
    system_pct: f64,
    rss_mb: f64,
    median_mbps: f64,
    slowest_mbps: f64,
    /// Positions the server sent each viewer per second.
    positions: f64,
    behind: String,
}

fn main() {
    let counts: Vec<usize> = std::env::var("FANOUT_VIEWERS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![50, 200, 500, 1_000, 2_000]);
    let secs: u64 = std::env::var("FANOUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!(
        "fan-out: {VEHICLES} simulated vehicles each reporting once a second, 200 ms ticks, {secs} s measured per cell"
    );
    println!(
        "| viewers | server | CPU (% of a core: user + kernel) | RSS | bytes/position | per-viewer MB/s (median / slowest) | viewers behind |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    let v1 = Server::Fleetview { compact: false };
    let compact = Server::Fleetview { compact: true };
    let servers: Vec<Server> = match std::env::var("FANOUT_SERVERS").as_deref() {
        Ok("fleetview") => vec![v1],
        Ok("compact") => vec![compact],
        Ok("python") => vec![Server::Python],
        _ => vec![v1, compact, Server::Python],
    };
    for &n in &counts {
        for &server in &servers {
            let c = cell(server, n, secs);
            let name = match server {
                Server::Fleetview { compact: false } => "fleetview-server, v1",
                Server::Fleetview { compact: true } => "fleetview-server, compact",
                Server::Python => "Python websockets.broadcast",
            };
            println!(
                "| {n} ({} connected) | {name} | {:.0} ({:.0} + {:.0}) | {:.0} MB ({:.0} KB/viewer) | {:.0} | {:.2} / {:.2} | {} |",
                c.connected,
                c.cpu_pct,
                c.cpu_pct - c.system_pct,
                c.system_pct,
                c.rss_mb,
                c.rss_mb * 1e3 / n as f64,
                c.median_mbps * 1e6 / c.positions,
                c.median_mbps,
                c.slowest_mbps,
                c.behind
            );
        }
    }
}

/// One server under `n` viewers for `secs` seconds.
fn cell(server: Server, n: usize, secs: u64) -> Cell {
    let port = free_port();
    let metrics_port = free_port();
    let (mut child, last_line) = start_server(server, port, metrics_port);
    let pid = child.id();
    wait_for_port(port);
    let subscribe: &'static [u8] = match server {
        Server::Fleetview { compact: true } => br#"{"type":"subscribe","encoding":"compact"}"#,
        _ => br#"{"type":"subscribe"}"#,
    };
    let (runtime, counters, connected) = connect_viewers(port, n, subscribe);
    // The snapshots go out; then a steady state is measured.
    std::thread::sleep(Duration::from_secs(5));
    let resyncs_before = metric(metrics_port, "fleetview_viewer_resyncs_total");
    let bytes_before: Vec<u64> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let cpu_before = cpu_time(pid);
    let system_before = system_time(pid);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    let cpu = cpu_time(pid) - cpu_before;
    let system = system_time(pid) - system_before;
    let elapsed = started.elapsed().as_secs_f64();
    let mut rates: Vec<f64> = counters
        .iter()
        .zip(&bytes_before)
        .map(|(c, b)| (c.load(Ordering::Relaxed) - b) as f64 / 1e6 / elapsed)
        .collect();
    rates.sort_by(f64::total_cmp);
    let rss = rss_bytes(pid) as f64 / 1e6;
    let peer: serde_json::Value = last_line
        .lock()
        .ok()
        .and_then(|l| serde_json::from_str(&l).ok())
        .unwrap_or_default();
    let (positions, behind) = match server {
        Server::Fleetview { .. } => {
            let behind = match (
                resyncs_before,
                metric(metrics_port, "fleetview_viewer_resyncs_total"),
            ) {
                (Some(a), Some(b)) => format!(
                    "{} resyncs; {} behind at the end",
                    b - a,
                    metric(metrics_port, "fleetview_viewers_behind").unwrap_or(0)
                ),
                _ => "? (no /metrics)".into(),
            };
            (VEHICLES as f64, behind)
        }
        Server::Python => {
            let behind = format!(
                "{} with > 1 s queued (largest {:.1} MB); ticks {} ms late",
                peer["behind"],
                peer["max_buffer"].as_f64().unwrap_or(0.0) / 1e6,
                peer["late_ms"]
            );
            (peer["positions"].as_f64().unwrap_or(f64::NAN), behind)
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    runtime.shutdown_timeout(Duration::from_secs(1));
    Cell {
        connected: connected.load(Ordering::Relaxed) as usize,
        cpu_pct: 100.0 * cpu.as_secs_f64() / elapsed,
        system_pct: 100.0 * system.as_secs_f64() / elapsed,
        rss_mb: rss,
        median_mbps: rates.get(rates.len() / 2).copied().unwrap_or(0.0),
        slowest_mbps: rates.first().copied().unwrap_or(0.0),
        positions,
        behind,
    }
}

/// Starts `server` on `port` (fleetview's /metrics on `metrics_port`); the peer's last report
/// line is kept as it prints them.
fn start_server(
    server: Server,
    port: u16,
    metrics_port: u16,
) -> (std::process::Child, Arc<Mutex<String>>) {
    let mut child = match server {
        Server::Fleetview { .. } => {
            std::process::Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .args(["--sim", &VEHICLES.to_string(), "--sim-report-every", "1s"])
                .args(["--device-listen", &format!("127.0.0.1:{metrics_port}")])
                .args([
                    "--max-connections-per-address",
                    "5000",
                    "--idle-timeout",
                    "10m",
                ])
                .args(["--log", "warn"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("start fleetview-server")
        }
        Server::Python => std::process::Command::new("python3")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/benches/fanout_peer.py"
            ))
            .args([port.to_string(), VEHICLES.to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start python3 benches/fanout_peer.py (pip install websockets)"),
    };
    // The peer's last report line.
    let last_line = Arc::new(Mutex::new(String::new()));
    if let Some(out) = child.stdout.take() {
        let last = last_line.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if let Ok(mut l) = last.lock() {
                    *l = line;
                }
            }
        });
    }
    (child, last_line)
}

/// `n` raw viewers on a runtime of their own (two threads); waits until they are connected.
fn connect_viewers(
    port: u16,
    n: usize,
    subscribe: &'static [u8],
) -> (tokio::runtime::Runtime, Arc<Vec<AtomicU64>>, Arc<AtomicU64>) {
    let counters: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let connected = Arc::new(AtomicU64::new(0));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for i in 0..n {
        let (counters, connected) = (counters.clone(), connected.clone());
        runtime.spawn(async move {
            let _ = viewer(port, subscribe, &counters[i], &connected).await;
        });
        if i % 50 == 49 {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while (connected.load(Ordering::Relaxed) as usize) < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    (runtime, counters, connected)
}

/// A viewer that reads and discards: the upgrade, a masked subscribe, then bytes counted.
async fn viewer(
    port: u16,
    payload: &[u8],
    bytes: &AtomicU64,
    connected: &AtomicU64,
) -> std::io::Result<()> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(
        b"GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Ok(());
    }
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    s.write_all(&frame).await?;
    connected.fetch_add(1, Ordering::Relaxed);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let got = s.read(&mut buf).await?;
        if got == 0 {
            return Ok(());
        }
        bytes.fetch_add(got as u64, Ordering::Relaxed);
    }
}

/// One of fleetview's /metrics values.
fn metric(port: u16, name: &str) -> Option<u64> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// A process's CPU time in the kernel so far, from /proc.
fn system_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let ticks = after
        .split_whitespace()
        .nth(12)
        .and_then(|f| f.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}
