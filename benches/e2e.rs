//! End to end on loopback: a WebSocket server sends recorded frames, in protocol v1 and in the
//! compact encoding; the real feed thread reads, decodes and hands them over the bounded channel;
//! a consumer applies them to the model. Beside each, the limit: the same frames from the same
//! kind of socket, drained and thrown away without parsing. Then latency from send to applied at
//! a steady 10,000 updates/s.
//!
//!     cargo bench --bench e2e        (E2E_SECONDS=60: how much of the fleet to send)

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::*;
use fleetview::clock::now_ms;
use fleetview::feed::{FeedConfig, FeedEvent, FeedId, FeedSet};
use fleetview::fleet::FleetConfig;
use fleetview::protocol::Encoding;
use fleetview::session::Session;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// Serves `frames` to the first viewer, pacing them by `every` (zero: as fast as it can), and
/// notes when each was sent (µs since `epoch`).
fn serve(
    frames: Arc<Vec<Utf8Bytes>>,
    every: Duration,
    sent_us: Arc<Vec<AtomicU64>>,
    epoch: Instant,
) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("ws://{}/feed", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let _ = stream.set_nodelay(true);
            let mut ws = tokio_tungstenite::accept_async(stream)
                .await
                .expect("upgrade");
            let _subscribe = ws.next().await;
            let mut tick = tokio::time::interval(every.max(Duration::from_micros(1)));
            for (i, frame) in frames.iter().enumerate() {
                if !every.is_zero() {
                    tick.tick().await;
                }
                sent_us[i].store(epoch.elapsed().as_micros() as u64, Ordering::Relaxed);
                if ws.send(Message::Text(frame.clone())).await.is_err() {
                    return;
                }
            }
            // Hold the connection until the client goes.
            while let Some(Ok(_)) = ws.next().await {}
        });
    });
    url
}

/// Socket to model as fast as it goes, beside the raw drain of the same frames: (rate, limit).
fn throughput(name: &str, recorded: Vec<String>, epoch: Instant) -> (f64, f64) {
    let updates = updates_in(&recorded);
    let bytes: usize = recorded.iter().map(String::len).sum();
    let frames: Arc<Vec<Utf8Bytes>> = Arc::new(recorded.into_iter().map(Utf8Bytes::from).collect());
    let n = frames.len();
    println!(
        "{name}: {n} frames, {updates} updates, {:.1} MB (10,000 simulated vehicles)",
        bytes as f64 / 1e6
    );

    // The limit: drain the socket, parse nothing.
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let url = serve(frames.clone(), Duration::ZERO, sent.clone(), epoch);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let drained = runtime.block_on(async {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("connect");
        ws.send(Message::text(r#"{"type":"subscribe"}"#))
            .await
            .expect("subscribe");
        let started = Instant::now();
        let mut got = 0;
        while got < n {
            if let Some(Ok(Message::Text(_))) = ws.next().await {
                got += 1;
            }
        }
        started.elapsed()
    });
    let limit = updates as f64 / drained.as_secs_f64();
    println!(
        "  limit (drain, no parsing): {} in {:.0} ms",
        fmt_rate(limit),
        drained.as_secs_f64() * 1e3
    );

    // The whole path as fast as it goes.
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let url = serve(frames.clone(), Duration::ZERO, sent.clone(), epoch);
    // Room for every frame: nothing coalesces, so every update is delivered, applied and counted.
    let feed = FeedSet::with_capacity(n + 16, Arc::new(|| {})).expect("feeds");
    feed.add(FeedId(0), FeedConfig::new(url)).expect("feed");
    let mut session = Session::new(FleetConfig::default());
    let mut started = None;
    let mut applied_updates = 0usize;
    let deadline = Instant::now() + Duration::from_secs(60);
    while applied_updates < updates && Instant::now() < deadline {
        if let Some((id, event)) = feed.recv_timeout(Duration::from_millis(100)) {
            if let FeedEvent::Connected { .. } = &event {
                started = Some(Instant::now());
            }
            if let FeedEvent::Positions(b) = &event {
                applied_updates += b.len();
            }
            let _ = session.apply(id, &event, now_ms());
        }
    }
    let took = started.map(|s| s.elapsed()).unwrap_or_default();
    drop(feed);
    let rate = applied_updates as f64 / took.as_secs_f64();
    println!(
        "  fleetview (socket -> feed thread -> channel -> model): {} in {:.0} ms, {:.0}% of the limit (target >= 50%)",
        fmt_rate(rate),
        took.as_secs_f64() * 1e3,
        100.0 * rate / limit
    );
    (rate, limit)
}

fn main() {
    let epoch = Instant::now();
    println!("end to end on loopback, each form beside the raw drain of its own bytes");
    // E2E_SECONDS: how much of the simulated fleet to send (longer runs, for a profiler).
    let secs = std::env::var("E2E_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    throughput(
        "v1",
        record_frames_as(Encoding::V1, 10_000, secs, 250),
        epoch,
    );
    throughput(
        "compact",
        record_frames_as(Encoding::Compact, 10_000, secs, 250),
        epoch,
    );

    // Latency at 10,000 updates/s: frames of ~100 updates every 10 ms, stamped by frame number.
    let base = now_ms() - 3_600_000;
    let paced: Arc<Vec<Utf8Bytes>> = Arc::new(
        (0..1000)
            .map(|f| {
                let positions: Vec<String> = (0..100)
                    .map(|v| format!(r#"{{"id":"v{v}","lat":-16.9{f:04},"lon":145.7{v:03},"ts":{},"speed":10.0,"heading":90.0}}"#, base + f))
                    .collect();
                let kind = if f == 0 { "snapshot" } else { "positions" };
                Utf8Bytes::from(format!(r#"{{"type":"{kind}","positions":[{}]}}"#, positions.join(",")))
            })
            .collect(),
    );
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..paced.len()).map(|_| AtomicU64::new(0)).collect());
    let url = serve(
        paced.clone(),
        Duration::from_millis(10),
        sent.clone(),
        epoch,
    );
    let feed = FeedSet::single(FeedId(0), FeedConfig::new(url), Arc::new(|| {})).expect("feed");
    let mut session = Session::new(FleetConfig::default());
    let mut latency = Histogram::<u64>::new_with_bounds(1, 10_000_000, 3).expect("histogram");
    let mut frames_seen = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while frames_seen < paced.len() - 1 && Instant::now() < deadline {
        if let Some((id, event)) = feed.recv_timeout(Duration::from_millis(100)) {
            let _ = session.apply(id, &event, now_ms());
            if let FeedEvent::Positions(b) = &event
                && let Some(first) = b.get(0)
            {
                let now_us = epoch.elapsed().as_micros() as u64;
                let frame = (first.ts - base) as usize;
                let sent_us = sent[frame].load(Ordering::Relaxed);
                latency.saturating_record(now_us.saturating_sub(sent_us).max(1));
                frames_seen += 1;
            }
        }
    }
    drop(feed);
    println!(
        "latency at 10,000 updates/s, send -> applied: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs over {} frames (target p99 < 1 ms)",
        latency.value_at_quantile(0.5) as f64,
        latency.value_at_quantile(0.99) as f64,
        latency.max() as f64,
        latency.len()
    );
}
