//! Hostile peers, client and server side: floods of ids, huge ids, floods of bad frames, too
//! many messages, a viewer that never reads, a browser from the wrong origin. Memory stays
//! bounded, refusals are counted, and valid data still gets through.
//!
//! CI runs reduced forms; the full ones (a million unique ids):
//!     FLEETVIEW_SOAK=1 cargo test --release --test hostile -- --nocapture
#![allow(clippy::result_large_err)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use fleetview::fleet::FleetConfig;
use fleetview::protocol::RejectReason;
use fleetview::server::{EmbeddedServer, ServerConfig};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn soak() -> bool {
    std::env::var("FLEETVIEW_SOAK").is_ok_and(|v| v == "1")
}

fn start(config: ServerConfig) -> EmbeddedServer {
    tokio::task::block_in_place(|| EmbeddedServer::start(config, None)).expect("server")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_unique_ids_leave_the_client_at_its_cap_with_every_refusal_counted() {
    let total: usize = if soak() { 1_000_000 } else { 100_000 };
    let cap = 5_000;
    let (listener, url) = listen().await;
    let mut viewer = Viewer::with_fleet(
        config(&url),
        FleetConfig {
            max_vehicles: cap,
            ..FleetConfig::default()
        },
    );
    let mut conn = accept(&listener).await;
    conn.snapshot(Vec::new()).await;
    for chunk in 0..total / 10_000 {
        let batch = (0..10_000)
            .map(|i| pos(&format!("flood-{chunk}-{i}"), 1.0, 1.0, ts(chunk as i64)))
            .collect();
        conn.positions(batch).await;
    }
    conn.positions(vec![pos("last", 2.0, 2.0, ts(100_000))])
        .await;
    viewer.until("the last one", |v| v.get("last").is_some());
    assert!(
        viewer.fleet().len() <= cap,
        "{} vehicles held",
        viewer.fleet().len()
    );
    let refused = viewer.status().rejected.count(RejectReason::OverCapacity);
    // Every id beyond the cap was evicted or refused, and counted (the feed's own pending set
    // may have refused some before the model saw them).
    assert!(
        refused as usize + viewer.fleet().len() >= total,
        "{refused} counted"
    );
    let bytes = viewer.fleet().heap_bytes();
    assert!(bytes < cap * 2_000, "{bytes} bytes for {cap} vehicles");
    eprintln!(
        "{total} unique ids: {} held, {refused} over capacity, model heap {:.1} MB",
        viewer.fleet().len(),
        bytes as f64 / 1e6
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_of_a_megabyte_and_a_flood_of_bad_frames_are_refused_and_counted() {
    let (listener, url) = listen().await;
    let mut viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("keep", 1.0, 1.0, ts(0))]).await;
    let huge = "i".repeat(1024 * 1024);
    conn.send_text(format!(
        r#"{{"type":"positions","positions":[{{"id":"{huge}","lat":1,"lon":1,"ts":{t}}},{{"id":"ok","lat":1,"lon":1,"ts":{t}}}]}}"#,
        t = ts(1)
    ))
    .await;
    let flood = if soak() { 200_000 } else { 20_000 };
    let started = Instant::now();
    for _ in 0..flood {
        conn.ws.feed(Message::text("x")).await.expect("feed");
    }
    conn.ws.flush().await.expect("flush");
    conn.positions(vec![pos("keep", 1.5, 1.0, ts(2))]).await;
    // Refusals coalesced while the channel was full arrive as one tally, possibly after the update.
    viewer.until(
        "the update after the flood, and every refusal counted",
        |v| {
            v.lat("keep") == Some(1.5)
                && v.status().rejected.count(RejectReason::MalformedJson) == flood as u64
        },
    );
    let r = &viewer.status().rejected;
    assert_eq!(r.count(RejectReason::InvalidField), 1, "the megabyte id");
    assert_eq!(r.count(RejectReason::MalformedJson), flood as u64);
    assert!(viewer.get("ok").is_some());
    assert_eq!(viewer.count(is_disconnected), 0, "the connection survived");
    eprintln!(
        "{flood} bad frames and a 1 MB id refused in {:?}; connection kept",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_from_an_origin_not_allowed_is_refused() {
    let server = start(ServerConfig {
        allowed_origins: vec!["https://dispatch.example".into()],
        ..ServerConfig::default()
    });
    let connect = |origin: Option<&'static str>| {
        let url = server.url();
        async move {
            let mut request = url.into_client_request().expect("request");
            if let Some(o) = origin {
                request
                    .headers_mut()
                    .insert("origin", o.parse().expect("header"));
            }
            tokio_tungstenite::connect_async(request).await.map(|_| ())
        }
    };
    let err = connect(Some("https://evil.example"))
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("403"), "{err}");
    connect(Some("https://dispatch.example"))
        .await
        .expect("allowed origin");
    connect(None)
        .await
        .expect("a client that is not a browser sends no origin");
    tokio::task::block_in_place(|| drop(server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_over_its_rate_is_told_once_and_its_excess_dropped() {
    let server = start(ServerConfig {
        max_reports_per_s: 20.0,
        ..ServerConfig::default()
    });
    let mut ws = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    for i in 0..200 {
        report(&mut ws, vec![pos(&format!("p{i}"), 1.0, 1.0, ts(0))]).await;
    }
    let answer = tokio::time::timeout(WAIT, ws.next())
        .await
        .expect("answer")
        .expect("open")
        .expect("frame");
    let text = answer.to_text().expect("text").to_owned();
    assert!(text.contains("rate_limited"), "{text}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stats = server.stats().get().await.expect("stats");
    // The burst (40) got through; the rest was dropped and counted.
    assert!((40..=50).contains(&stats.vehicles), "{stats:?}");
    assert!(stats.refused >= 150, "{stats:?}");
    // After a pause, the same connection publishes again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    report(&mut ws, vec![pos("after", 1.0, 1.0, ts(0))]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.stats().get().await.expect("stats").vehicles,
        stats.vehicles + 1
    );
    tokio::task::block_in_place(|| drop(server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_new_ids_stops_at_the_servers_cap() {
    let server = start(ServerConfig {
        max_vehicles: 1_000,
        max_reports_per_s: 1_000.0,
        ..ServerConfig::default()
    });
    let mut ws = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    for chunk in 0..5 {
        report(
            &mut ws,
            (0..1_000)
                .map(|i| pos(&format!("f{chunk}-{i}"), 1.0, 1.0, ts(0)))
                .collect(),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats = server.stats().get().await.expect("stats");
    assert_eq!(stats.vehicles, 1_000);
    assert_eq!(stats.over_capacity, 4_000);
    tokio::task::block_in_place(|| drop(server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_that_never_reads_is_let_go_within_its_idle_timeout() {
    let server = start(ServerConfig {
        tick: Duration::from_millis(50),
        viewer_queue: 2,
        idle_timeout: Duration::from_secs(1),
        ping_interval: Duration::from_millis(300),
        ..ServerConfig::default()
    });
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let stream = socket.connect(server.addr()).await.expect("connect");
    let (mut deaf, _) = tokio_tungstenite::client_async(server.url(), stream)
        .await
        .expect("upgrade");
    deaf.send(Message::text(r#"{"type":"subscribe"}"#))
        .await
        .expect("subscribe");
    let mut ws = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    let started = Instant::now();
    let mut gone = None;
    for round in 0..200 {
        report(
            &mut ws,
            (0..2_000)
                .map(|i| pos(&format!("v{i}"), 1.0 + round as f64 * 1e-4, 1.0, ts(round)))
                .collect(),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let stats = server.stats().get().await.expect("stats");
        if stats.viewers == 0 && round > 5 {
            gone = Some((started.elapsed(), stats));
            break;
        }
    }
    let (after, stats) = gone.expect("the deaf viewer is disconnected");
    // Within its idle timeout (no pong, or a write that cannot finish), plus a tick or two; all
    // the while it held at most its queue of 2 bundles.
    assert!(after < Duration::from_secs(4), "took {after:?}");
    assert_eq!(stats.groups, 0);
    eprintln!(
        "a viewer that never reads was let go after {after:?} ({} bundles queued to it, {} skipped)",
        stats.frames_queued, stats.frames_skipped
    );
    tokio::task::block_in_place(|| drop(server));
}

/// Waits until the server closes `stream` (end of stream or a reset), at most `within`;
/// returns how long that took, or `None` if it is still open.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<Duration> {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(
            within.saturating_sub(started.elapsed()),
            stream.read(&mut buf),
        )
        .await
        {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            // An HTTP answer (none is expected): keep reading until the close.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_upgrade_are_dropped_at_the_deadline_and_one_address_cannot_hold_every_slot()
 {
    use tokio::io::AsyncWriteExt;
    let server = start(ServerConfig {
        upgrade_timeout: Duration::from_millis(1_500),
        max_connections: 1_000,
        max_connections_per_address: 40,
        ..ServerConfig::default()
    });
    // Forty connections that never finish an upgrade: silent, or half a request.
    let mut stuck = Vec::new();
    for i in 0..40 {
        let mut s = tokio::net::TcpStream::connect(server.addr())
            .await
            .expect("connect");
        if i % 2 == 0 {
            s.write_all(b"GET /feed HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .await
                .expect("half a request");
        }
        stuck.push(s);
    }
    let opened = Instant::now();
    // The address holds its share: one more is closed at once, long before the deadline.
    let mut extra = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let at_once = closed_within(&mut extra, Duration::from_millis(1_000)).await;
    assert!(
        at_once.is_some_and(|t| t < Duration::from_millis(1_000)),
        "the 41st from one address was held: {at_once:?}"
    );
    // Every stuck connection is let go at the deadline (1.5 s), not at the idle timeout (60 s).
    for s in &mut stuck {
        let closed = closed_within(s, Duration::from_secs(5)).await;
        assert!(
            closed.is_some(),
            "a connection that never upgraded was still held after 5 s"
        );
    }
    let all_gone = opened.elapsed();
    assert!(
        all_gone >= Duration::from_millis(1_000) && all_gone < Duration::from_secs(5),
        "{all_gone:?}"
    );
    // With the slots back, a real client connects and is served.
    let mut ws = publisher(&server.ingest_url(), None)
        .await
        .expect("a publisher after the flood");
    report(&mut ws, vec![pos("after-flood", 1.0, 1.0, ts(0))]).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = server.stats().get().await.expect("stats");
        if stats.vehicles == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the report never arrived: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::task::block_in_place(|| drop(server));
}
