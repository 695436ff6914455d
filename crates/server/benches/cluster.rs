//! Several servers as one fleet over NATS: 1, 2 and 3 `fleetview-server` nodes on one NATS
//! server (loopback). The first node runs the simulated fleet (10,000 vehicles, each reporting
//! once a second); a viewer on the *last* node counts the fixes that reach it and how old they
//! are on arrival. With one node that is the single-node figure, measured in the same run. For
//! the NATS server: its CPU and the bytes it took in per fix published.
//!
//!     cargo bench --bench cluster        (CLUSTER_SECS=10; needs nats-server on PATH or NATS_SERVER)

#[path = "../../../benches/common/process.rs"]
mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cpu_time, free_port, wait_for_port};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio_tungstenite::tungstenite::Message;

const VEHICLES: usize = 10_000;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nats_binary() -> PathBuf {
    std::env::var("NATS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            [
                "/usr/sbin/nats-server",
                "/usr/bin/nats-server",
                "/usr/local/bin/nats-server",
            ]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .unwrap_or_else(|| PathBuf::from("nats-server"))
        })
}

/// The NATS server's monitoring numbers (`/varz`).
fn varz(port: u16) -> serde_json::Value {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return serde_json::Value::Null;
    };
    let _ = s.write_all(b"GET /varz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_default()
}

struct Row {
    nodes: usize,
    rate: f64,
    lag_p50: f64,
    lag_p99: f64,
    nats_cpu_pct: f64,
    nats_bytes_per_fix: f64,
}

fn run(nodes: usize, secs: u64, dir: &std::path::Path) -> Row {
    let _ = std::fs::remove_dir_all(dir);
    let (port, monitor) = (free_port(), free_port());
    let nats = Killed(
        Command::new(nats_binary())
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-m",
                &monitor.to_string(),
            ])
            .arg("-js")
            .arg("-sd")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server (apt install nats-server, or set NATS_SERVER)"),
    );
    wait_for_port(port);
    let url = format!("nats://127.0.0.1:{port}");
    let mut servers = Vec::new();
    let mut last_port = 0;
    for i in 0..nodes {
        let p = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fleetview-server"));
        cmd.args(["--listen", &format!("127.0.0.1:{p}")])
            .args(["--log", "warn"])
            .stdout(Stdio::null());
        // One node is the plain server, without NATS: the single-node figure.
        if nodes > 1 {
            cmd.args(["--nats", &url, "--node-id", &format!("n{i}")]);
        }
        if i == 0 {
            cmd.args(["--sim", &VEHICLES.to_string(), "--sim-report-every", "1s"]);
        }
        servers.push(Killed(cmd.spawn().expect("start fleetview-server")));
        wait_for_port(p);
        last_port = p;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let nats_pid = nats.0.id();
    let (fixes, lag, elapsed, cpu, bytes_in) = runtime.block_on(async {
        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{last_port}/feed"))
                .await
                .expect("viewer");
        ws.send(Message::text(r#"{"type":"subscribe"}"#))
            .await
            .expect("subscribe");
        // Let the fleet settle, then measure.
        let warm = Instant::now() + Duration::from_secs(3);
        while Instant::now() < warm {
            let _ = tokio::time::timeout(Duration::from_millis(100), ws.next()).await;
        }
        let before = varz(monitor);
        let cpu_before = cpu_time(nats_pid);
        let started = Instant::now();
        let mut lag = Histogram::<u64>::new_with_bounds(1, 600_000, 3).expect("histogram");
        let mut fixes = 0u64;
        while started.elapsed() < Duration::from_secs(secs) {
            let Ok(Some(Ok(Message::Text(text)))) =
                tokio::time::timeout(Duration::from_millis(200), ws.next()).await
            else {
                continue;
            };
            let frame: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
            if frame["type"] != "positions" {
                continue;
            }
            let now = fleetview_core::clock::now_ms();
            for p in frame["positions"].as_array().into_iter().flatten() {
                fixes += 1;
                if let Some(ts) = p["ts"].as_i64() {
                    lag.saturating_record((now - ts).max(1) as u64);
                }
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let after = varz(monitor);
        let delta = |k: &str| after[k].as_f64().unwrap_or(0.0) - before[k].as_f64().unwrap_or(0.0);
        (
            fixes,
            lag,
            elapsed,
            cpu_time(nats_pid) - cpu_before,
            delta("in_bytes"),
        )
    });
    drop(servers);
    drop(nats);
    // The sim's fixes go out once (live) and once more per vehicle every few seconds (bucket).
    let published_fixes = VEHICLES as f64 * elapsed;
    Row {
        nodes,
        rate: fixes as f64 / elapsed,
        lag_p50: lag.value_at_quantile(0.5) as f64,
        lag_p99: lag.value_at_quantile(0.99) as f64,
        nats_cpu_pct: 100.0 * cpu.as_secs_f64() / elapsed,
        nats_bytes_per_fix: if nodes > 1 {
            bytes_in / published_fixes
        } else {
            f64::NAN
        },
    }
}

fn main() {
    let secs: u64 = std::env::var("CLUSTER_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("fleetview-bench-nats-{}", std::process::id()));
    println!(
        "cluster: {VEHICLES} simulated vehicles on the first node, reporting once a second; a viewer on the last node; {secs} s a row"
    );
    println!(
        "| nodes | fixes/s reaching the viewer | age on arrival p50 / p99 | NATS server CPU | NATS bytes in per fix |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for nodes in [1, 2, 3] {
        let r = run(nodes, secs, &dir);
        println!(
            "| {} {} | {:.0} | {:.0} ms / {:.0} ms | {:.1}% of a core | {} |",
            r.nodes,
            if r.nodes == 1 {
                "(single node, the viewer on it)"
            } else {
                "(viewer on another node)"
            },
            r.rate,
            r.lag_p50,
            r.lag_p99,
            r.nats_cpu_pct,
            if r.nats_bytes_per_fix.is_nan() {
                "-".to_owned()
            } else {
                format!("{:.0}", r.nats_bytes_per_fix)
            },
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
