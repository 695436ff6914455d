//! Faults the client must survive: the server killed and restarted again and again, the UI
//! stalling while thousands of vehicles report, and refusals that come with a reason.
//!
//! CI runs reduced forms; the full ones:
//!     FLEETVIEW_SOAK=1 cargo test --release --test faults -- --nocapture

mod common;

use std::time::{Duration, Instant};

use common::*;
use fleetview::feed::{BackoffConfig, FeedEvent};
use fleetview::server::{EmbeddedServer, ServerConfig};

fn soak() -> bool {
    std::env::var("FLEETVIEW_SOAK").is_ok_and(|v| v == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_and_restarted_again_and_again_is_followed_every_time() {
    let restarts = if soak() { 50 } else { 10 };
    let first =
        tokio::task::block_in_place(|| EmbeddedServer::start(ServerConfig::default(), None))
            .expect("server");
    let addr = first.addr().to_string();
    let url = first.url();
    tokio::task::block_in_place(|| drop(first));
    let mut cfg = config(&url);
    cfg.backoff = BackoffConfig {
        initial: Duration::from_millis(50),
        max: Duration::from_millis(400),
        jitter: 0.2,
        stable_after: Duration::from_secs(5),
    };
    let bounds = cfg.backoff.clone();
    let mut viewer = Viewer::start(cfg);
    for round in 0..restarts {
        let server = tokio::task::block_in_place(|| {
            EmbeddedServer::start_at(
                &addr,
                ServerConfig {
                    tick: Duration::from_millis(50),
                    ..ServerConfig::default()
                },
                None,
            )
        })
        .expect("restart on the same port");
        // Each incarnation holds a different fleet; the client must end up with exactly it.
        let mut publisher = publisher(&server.ingest_url(), None)
            .await
            .expect("publisher");
        let fleet: Vec<_> = (0..5)
            .map(|k| {
                pos(
                    &format!("r{round}-v{k}"),
                    -16.9 + k as f64 * 1e-3,
                    145.7,
                    ts(round),
                )
            })
            .collect();
        report(&mut publisher, fleet).await;
        let expected: Vec<String> = (0..5).map(|k| format!("r{round}-v{k}")).collect();
        viewer.until(&format!("the resync of incarnation {round}"), |v| {
            v.ids() == expected
        });
        drop(publisher);
        tokio::task::block_in_place(|| drop(server));
        viewer.until("the loss is noticed", |v| !v.status().link.is_connected());
    }
    // Every retry waited a delay within its bounds (failures since the last stable connection).
    let mut failures = 0u32;
    let mut checked = 0;
    for (_, e) in &viewer.log {
        match e {
            FeedEvent::Disconnected {
                retry_in: Some(d), ..
            } => {
                let (lo, hi) = bounds.bounds(failures);
                assert!(
                    *d >= lo && *d <= hi,
                    "retry after {failures} failures: {d:?} not in {lo:?}..={hi:?}"
                );
                failures += 1;
                checked += 1;
            }
            FeedEvent::Connected { .. } => {}
            _ => {}
        }
    }
    assert!(
        checked >= restarts,
        "{checked} retries for {restarts} restarts"
    );
    // The first incarnation is the first connection; every later one is a reconnect.
    assert_eq!(viewer.status().reconnects, restarts as u64 - 1);
    eprintln!(
        "survived {restarts} server restarts; {checked} retries, all within the backoff bounds"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_ui_keeps_memory_bounded_never_blocks_the_socket_and_ends_current() {
    let vehicles = 10_000;
    let stall = if soak() {
        Duration::from_secs(5)
    } else {
        Duration::from_millis(1500)
    };
    let (listener, url) = listen().await;
    let cfg = config(&url);
    let mut viewer = Viewer::with_capacity(cfg, fleetview::fleet::FleetConfig::default(), 8);
    let mut conn = accept(&listener).await;
    conn.snapshot(Vec::new()).await;
    // The UI thread stalls (nothing drains the channel) while every vehicle reports each 100 ms.
    let started = Instant::now();
    let mut round = 0i64;
    let mut slowest_send = Duration::ZERO;
    while started.elapsed() < stall {
        let batch = (0..vehicles)
            .map(|i| {
                pos(
                    &format!("v{i}"),
                    -16.9 + round as f64 * 1e-5,
                    145.7,
                    ts(round),
                )
            })
            .collect();
        let send = Instant::now();
        conn.positions(batch).await;
        slowest_send = slowest_send.max(send.elapsed());
        round += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing blocked the socket: the feed thread kept reading while the UI did nothing.
    assert!(
        slowest_send < Duration::from_millis(500),
        "a send took {slowest_send:?}"
    );
    let last_lat = -16.9 + (round - 1) as f64 * 1e-5;
    viewer.until("every vehicle shows its newest fix", |v| {
        v.fleet().len() == vehicles && v.fleet().iter().all(|(_, x)| x.fix.lat == last_lat)
    });
    let delivered: usize = viewer
        .log
        .iter()
        .map(|(_, e)| match e {
            FeedEvent::Positions(b) | FeedEvent::Snapshot(b) => b.len(),
            _ => 0,
        })
        .sum();
    // Bounded: what was queued while stalled is the channel's few batches plus one coalesced
    // set of distinct vehicles, not every fix sent.
    assert!(
        delivered <= (8 + 2) * vehicles,
        "{delivered} fixes handed over for {} sent",
        round as usize * vehicles
    );
    eprintln!(
        "stalled {stall:?} with {vehicles} vehicles reporting every 100 ms: {} fixes sent, {delivered} handed over, slowest send {slowest_send:?}",
        round as usize * vehicles
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_refusal_has_a_clear_reason_and_only_hopeless_ones_stop_retrying() {
    let server =
        tokio::task::block_in_place(|| EmbeddedServer::start(ServerConfig::default(), None))
            .expect("server");
    let cases = [
        (format!("ws://{}/nowhere", server.addr()), "404", true),
        (
            "ws://fleetview-no-such-host.invalid/feed".to_owned(),
            "",
            true,
        ),
        ("ws://127.0.0.1:9/feed".to_owned(), "refused", true),
        (server.url().replace("ws://", "wss://"), "TLS", true),
    ];
    for (url, words, retries) in cases {
        let mut cfg = config(&url);
        cfg.connect_timeout = Duration::from_secs(3);
        let mut viewer = Viewer::start(cfg);
        viewer.until(&format!("a refusal from {url}"), |v| {
            v.count(is_disconnected) >= 1
        });
        let (reason, retry) = viewer.first_disconnect().expect("disconnected");
        assert!(
            !reason.is_empty() && reason.contains(words),
            "{url}: {reason}"
        );
        assert_eq!(retry.is_some(), retries, "{url}: {reason}");
        // The status bar says it in words.
        let shown = viewer.status().link.describe(fleetview::clock::now_ms());
        assert!(shown.contains(&reason), "{shown}");
    }
    tokio::task::block_in_place(|| drop(server));
}
