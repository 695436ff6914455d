//! The real feed client against a real WebSocket server on 127.0.0.1.
// accept_hdr_async's callback must return tungstenite's large ErrorResponse.
#![allow(clippy::result_large_err)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use fleetview::feed::{FeedCommand, FeedEvent};
use fleetview::fleet::FleetConfig;
use fleetview::protocol::{BBox, RejectReason, ServerMessage, Subscribe};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_snapshot_then_updates_reach_the_model() {
    let (listener, url) = listen().await;
    let mut cfg = config(&url);
    cfg.spec.credentials.token = Some("s3cret".into());
    cfg.subscribe.bbox = Some(BBox::from([145.0, -17.5, 146.5, -16.0]));
    let mut viewer = Viewer::start(cfg);
    let mut conn = accept(&listener).await;
    assert_eq!(conn.authorization.as_deref(), Some("Bearer s3cret"));
    assert_eq!(conn.subscribe["type"], "subscribe");
    assert_eq!(
        conn.subscribe["bbox"],
        serde_json::json!([145.0, -17.5, 146.5, -16.0])
    );
    assert_eq!(conn.subscribe["token"], "s3cret");

    let mut bus = pos("bus-1", -16.92, 145.77, ts(0));
    bus.label = Some("Bus 1".into());
    bus.kind = Some("bus".into());
    conn.snapshot(vec![bus, pos("van-2", -16.90, 145.75, ts(0))])
        .await;
    viewer.until("the snapshot is applied", |v| v.fleet().len() == 2);
    assert!(viewer.status().link.is_connected());

    conn.positions(vec![
        pos("bus-1", -16.93, 145.78, ts(1000)),
        pos("truck-3", -16.8, 145.7, ts(1000)),
    ])
    .await;
    viewer.until("the update is applied", |v| v.fleet().len() == 3);
    let bus = viewer.get("bus-1").expect("bus-1");
    assert_eq!((bus.fix.lat, bus.fix.lon), (-16.93, 145.78));
    assert_eq!(bus.label(), Some("Bus 1"));
    assert_eq!(bus.prev.map(|p| p.lat), Some(-16.92));
    assert!(viewer.wakes.load(std::sync::atomic::Ordering::Relaxed) >= 3);

    conn.send(&ServerMessage::Remove {
        ids: vec!["van-2".into()],
    })
    .await;
    viewer.until("the removal is applied", |v| v.get("van-2").is_none());
    assert_eq!(viewer.ids(), vec!["bus-1", "truck-3"]);
    assert!(viewer.status().rejected.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_counted_and_the_connection_survives() {
    let (listener, url) = listen().await;
    let mut cfg = config(&url);
    cfg.limits.max_frame_bytes = 64 * 1024;
    let mut viewer = Viewer::with_fleet(
        cfg,
        FleetConfig {
            max_vehicles: 3,
            ..FleetConfig::default()
        },
    );
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(0)), pos("b", 2.0, 2.0, ts(0))])
        .await;
    viewer.until("the snapshot", |v| v.fleet().len() == 2);

    conn.send_text(r#"{"type":"positions","positions":[{"id":"a","lat":1"#)
        .await;
    conn.send_text(r#"{"type":"teleport","positions":[]}"#)
        .await;
    conn.ws
        .send(Message::binary(vec![1u8, 2, 3]))
        .await
        .expect("binary");
    conn.send_text(format!(
        r#"{{"type":"positions","positions":[
            {{"id":"nan","lat":"NaN","lon":1,"ts":{t}}},
            {{"id":"far","lat":95,"lon":1,"ts":{t}}},
            {{"lat":1,"lon":1,"ts":{t}}},
            {{"id":"a","lat":1.5,"lon":1.5,"ts":{t}}}]}}"#,
        t = ts(1000)
    ))
    .await;
    let padding = "x".repeat(100 * 1024);
    conn.send_text(format!(
        r#"{{"type":"positions","positions":[],"pad":"{padding}"}}"#
    ))
    .await;
    // The cap is 3: "c" fills it; "d" evicts the stalest ("b", ts 0; "a" moved at ts 1000),
    // then "e" evicts "c" (ts 500).
    conn.positions(vec![pos("c", 3.0, 3.0, ts(500))]).await;
    conn.positions(vec![pos("d", 4.0, 4.0, ts(600))]).await;
    conn.positions(vec![pos("e", 5.0, 5.0, ts(700))]).await;
    conn.positions(vec![pos("a", 1.6, 1.6, ts(2000))]).await;
    viewer.until("the last valid update", |v| v.lat("a") == Some(1.6));

    let r = &viewer.status().rejected;
    assert_eq!(r.count(RejectReason::MalformedJson), 1, "{r:?}");
    assert_eq!(r.count(RejectReason::UnknownType), 1);
    assert_eq!(r.count(RejectReason::BinaryFrame), 1);
    assert_eq!(r.count(RejectReason::BadCoordinates), 2);
    assert_eq!(r.count(RejectReason::MissingId), 1);
    assert_eq!(r.count(RejectReason::Oversized), 1);
    assert_eq!(r.count(RejectReason::OverCapacity), 2);
    assert_eq!(viewer.ids(), vec!["a", "d", "e"]);
    assert_eq!(viewer.fleet().counters().evicted, 2);
    // One connection throughout.
    assert_eq!(viewer.count(is_connected), 1);
    assert_eq!(viewer.count(is_disconnected), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_too_large_to_skip_ends_the_connection_but_loses_no_vehicle() {
    let (listener, url) = listen().await;
    let mut cfg = config(&url);
    cfg.limits.max_frame_bytes = 32 * 1024; // transport ceiling: 64 KiB
    let mut viewer = Viewer::start(cfg);
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(0))]).await;
    viewer.until("the snapshot", |v| v.fleet().len() == 1);
    let huge = "x".repeat(1024 * 1024);
    let _ = conn
        .ws
        .send(Message::text(format!(
            r#"{{"type":"positions","positions":[],"pad":"{huge}"}}"#
        )))
        .await;
    viewer.until("the refusal", |v| {
        v.status().rejected.count(RejectReason::Oversized) == 1
    });
    assert_eq!(viewer.ids(), vec!["a"]);
    let mut again = accept(&listener).await;
    again.snapshot(vec![pos("a", 1.1, 1.0, ts(10))]).await;
    viewer.until("the resync", |v| v.lat("a") == Some(1.1));
    assert_eq!(viewer.status().reconnects, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_reconnects_within_the_backoff_bounds_and_resyncs() {
    let (listener, url) = listen().await;
    let addr = listener.local_addr().expect("addr");
    let cfg = config(&url);
    let bounds = cfg.backoff.clone();
    let mut viewer = Viewer::start(cfg);
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(0)), pos("b", 2.0, 2.0, ts(0))])
        .await;
    viewer.until("the first snapshot", |v| v.fleet().len() == 2);

    // The server goes away entirely, for about a second.
    drop(conn);
    drop(listener);
    let gone_at = Instant::now();
    viewer.until("the loss is noticed", |v| v.count(is_disconnected) >= 1);
    // Keep draining, as the UI does, so each event is seen when it is sent.
    viewer.drain_for(Duration::from_millis(1000));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("rebind the same port");
    let mut conn = accept(&listener).await;
    let back_after = gone_at.elapsed();
    conn.snapshot(vec![
        pos("b", 2.5, 2.0, ts(100)),
        pos("c", 3.0, 3.0, ts(100)),
    ])
    .await;
    viewer.until("the resync", |v| v.get("c").is_some());

    // The model equals the server's new state: "a" is gone, "b" moved, "c" arrived.
    assert_eq!(viewer.ids(), vec!["b", "c"]);
    assert_eq!(viewer.lat("b"), Some(2.5));
    assert_eq!(viewer.status().reconnects, 1);

    // Each retry waited a delay inside its backoff bounds, and did wait it.
    let delays: Vec<(Instant, Duration)> = viewer
        .log
        .iter()
        .filter_map(|(at, e)| match e {
            FeedEvent::Disconnected {
                retry_in: Some(d), ..
            } => Some((*at, *d)),
            _ => None,
        })
        .collect();
    assert!(
        delays.len() >= 2,
        "a refused attempt or two while the server was away"
    );
    for (failures, (_, d)) in delays.iter().enumerate() {
        let (lo, hi) = bounds.bounds(failures as u32);
        assert!(
            *d >= lo && *d <= hi,
            "retry {failures}: {d:?} not in {lo:?}..={hi:?}"
        );
    }
    let attempts: Vec<Instant> = viewer
        .log
        .iter()
        .filter_map(|(at, e)| matches!(e, FeedEvent::Connecting { .. }).then_some(*at))
        .collect();
    for (at, d) in &delays {
        let next = attempts
            .iter()
            .find(|a| *a > at)
            .expect("an attempt follows each delay");
        assert!(
            next.duration_since(*at) + Duration::from_millis(20) >= *d,
            "retried after {:?}, before its delay of {d:?}",
            next.duration_since(*at)
        );
    }
    // Back within the server's absence plus the longest delay it could have been waiting.
    let worst = bounds.bounds(delays.len() as u32).1;
    assert!(
        back_after <= Duration::from_millis(1000) + worst + Duration::from_millis(500),
        "{back_after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_gets_the_newest_fix_of_every_vehicle_with_bounded_queueing() {
    let (listener, url) = listen().await;
    let cfg = config(&url);
    let mut viewer = Viewer::with_capacity(cfg, FleetConfig::default(), 4);
    let mut conn = accept(&listener).await;
    const VEHICLES: usize = 500;
    const ROUNDS: i64 = 200;
    conn.snapshot(Vec::new()).await;
    for round in 0..ROUNDS {
        let batch = (0..VEHICLES)
            .map(|i| {
                pos(
                    &format!("v{i}"),
                    round as f64 * 0.001,
                    i as f64 * 0.001,
                    ts(round),
                )
            })
            .collect();
        conn.positions(batch).await;
    }
    // The UI is stalled while all of that arrives; then it catches up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let last_lat = (ROUNDS - 1) as f64 * 0.001;
    viewer.until("every vehicle has its newest fix", |v| {
        v.fleet().len() == VEHICLES && v.fleet().iter().all(|(_, x)| x.fix.lat == last_lat)
    });
    let delivered: usize = viewer
        .log
        .iter()
        .map(|(_, e)| match e {
            FeedEvent::Positions(b) | FeedEvent::Snapshot(b) => b.len(),
            _ => 0,
        })
        .sum();
    let sent = VEHICLES * ROUNDS as usize;
    eprintln!("slow consumer: {delivered} of {sent} fixes delivered");
    // Without coalescing every fix would have queued up; with it, at most the channel's few
    // batches plus one coalesced batch per vehicle set reach the consumer.
    assert!(
        delivered <= 8 * VEHICLES,
        "delivered {delivered} of {sent}: nothing was coalesced"
    );
    assert_eq!(
        viewer.status().rejected.count(RejectReason::OverCapacity),
        0
    );
    assert_eq!(
        viewer.count(is_connected),
        1,
        "the socket was never dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_fixes_are_ignored() {
    let (listener, url) = listen().await;
    let mut viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(5000))]).await;
    conn.positions(vec![pos("a", 9.0, 9.0, ts(1000))]).await;
    conn.positions(vec![
        pos("a", 2.0, 2.0, ts(6000)),
        pos("b", 3.0, 3.0, ts(6000)),
    ])
    .await;
    viewer.until("b arrives", |v| v.get("b").is_some());
    assert_eq!(viewer.lat("a"), Some(2.0));
    let a = viewer.get("a").expect("a");
    assert!(
        a.trail().all(|p| p.lat != 9.0),
        "the old fix never reached the trail"
    );
    assert_eq!(viewer.status().rejected.count(RejectReason::OutOfOrder), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_closes_the_connection_and_joins_the_thread() {
    let (listener, url) = listen().await;
    let mut viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(0))]).await;
    viewer.until("connected", |v| v.fleet().len() == 1);
    assert!(viewer.handle.is_running());
    let started = Instant::now();
    tokio::task::block_in_place(|| drop(viewer));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "drop took {:?}",
        started.elapsed()
    );
    // The server sees a proper close, then the end of the stream.
    let mut closed = false;
    while let Ok(Some(msg)) =
        tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut conn.ws)).await
    {
        if matches!(msg, Ok(Message::Close(_)) | Err(_)) {
            closed = true;
            break;
        }
    }
    assert!(closed, "no close frame");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_while_waiting_to_retry_returns_at_once() {
    let (listener, url) = listen().await;
    drop(listener);
    let mut cfg = config(&url);
    cfg.backoff.initial = Duration::from_secs(30);
    cfg.backoff.max = Duration::from_secs(30);
    let mut viewer = Viewer::start(cfg);
    viewer.until("the refusal", |v| v.count(is_disconnected) == 1);
    let started = Instant::now();
    tokio::task::block_in_place(|| drop(viewer));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_stops_answering_is_detected_by_the_heartbeat() {
    let (listener, url) = listen().await;
    let mut cfg = config(&url);
    cfg.ping_interval = Duration::from_millis(200);
    cfg.dead_after = Duration::from_millis(800);
    let mut viewer = Viewer::start(cfg);
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(0))]).await;
    viewer.until("the snapshot", |v| v.fleet().len() == 1);
    // Keep the TCP connection open but never read again: pings go unanswered.
    let silent_at = Instant::now();
    viewer.until("the dead peer is noticed", |v| {
        v.count(is_disconnected) == 1
    });
    let noticed = silent_at.elapsed();
    assert!(
        noticed >= Duration::from_millis(700),
        "declared dead too early: {noticed:?}"
    );
    assert!(
        noticed <= Duration::from_millis(2500),
        "declared dead too late: {noticed:?}"
    );
    let reason = viewer
        .first_disconnect()
        .map(|(reason, _)| reason)
        .expect("reason");
    assert!(reason.contains("presumed dead"), "{reason}");
    let _again = accept(&listener).await;
    assert_eq!(viewer.ids(), vec!["a"], "vehicles survive the reconnect");
    drop(conn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_but_healthy_server_answers_pings_and_stays_connected() {
    let (listener, url) = listen().await;
    let mut cfg = config(&url);
    cfg.ping_interval = Duration::from_millis(100);
    cfg.dead_after = Duration::from_millis(400);
    let mut viewer = Viewer::start(cfg);
    let mut conn = accept(&listener).await;
    conn.snapshot(vec![pos("a", 1.0, 1.0, ts(0))]).await;
    // The server reads (and so answers pings) but sends no data for 1.5 s.
    let reader = tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_millis(1500);
        let mut pings = 0;
        while let Ok(Some(Ok(msg))) =
            tokio::time::timeout_at(deadline.into(), futures_util::StreamExt::next(&mut conn.ws))
                .await
        {
            if matches!(msg, Message::Ping(_)) {
                pings += 1;
            }
        }
        (pings, conn)
    });
    viewer.drain_for(Duration::from_millis(1600));
    let (pings, _conn) = reader.await.expect("reader");
    assert!(pings >= 2, "only {pings} pings");
    assert_eq!(viewer.count(is_disconnected), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_settings_move_the_feed_to_the_other_server_and_resync() {
    let (first, url1) = listen().await;
    let (second, url2) = listen().await;
    let mut viewer = Viewer::start(config(&url1));
    let mut c1 = accept(&first).await;
    c1.snapshot(vec![pos("one", 1.0, 1.0, ts(0))]).await;
    viewer.until("the first feed", |v| v.fleet().len() == 1);
    let mut moved = config(&url2);
    moved.spec.credentials.token = Some("t2".into());
    viewer.handle.add(FEED, moved).expect("command");
    let mut c2 = accept(&second).await;
    assert_eq!(c2.authorization.as_deref(), Some("Bearer t2"));
    c2.snapshot(vec![pos("two", 2.0, 2.0, ts(0))]).await;
    viewer.until("the second feed", |v| v.get("two").is_some());
    // The feed's own snapshot replaced what its first server had sent.
    assert_eq!(viewer.ids(), vec!["two"]);
    assert!(
        matches!(&viewer.status().link, fleetview::session::Link::Connected { url, .. } if *url == url2)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_subscription_is_sent_on_the_open_connection() {
    let (listener, url) = listen().await;
    let viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    assert!(conn.subscribe.get("ids").is_none());
    viewer
        .handle
        .send(FeedCommand::Subscribe(
            FEED,
            Subscribe {
                ids: Some(vec!["bus-1".into()]),
                ..Subscribe::default()
            },
        ))
        .expect("command");
    let again = conn.next_json().await;
    assert_eq!(again["type"], "subscribe");
    assert_eq!(again["ids"], serde_json::json!(["bus-1"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_message_reaches_the_model() {
    let (listener, url) = listen().await;
    let mut viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    conn.send(&ServerMessage::Error {
        code: "bad_bbox".into(),
        message: "south above north".into(),
    })
    .await;
    viewer.until("the error", |v| v.server_error().is_some());
    assert_eq!(
        viewer.server_error(),
        Some(("bad_bbox", "south above north"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upgrade_stops_retrying_with_the_reason() {
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
    use tokio_tungstenite::tungstenite::http::StatusCode;
    // A rejected token (401) or a forbidden feed (403) stays refused: retrying only hammers it.
    for status in [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN] {
        let (listener, url) = listen().await;
        let mut viewer = Viewer::start(config(&url));
        let (stream, _) = listener.accept().await.expect("accept");
        let refused = tokio_tungstenite::accept_hdr_async(stream, |_: &Request, _: Response| {
            let mut e = ErrorResponse::new(Some("no".into()));
            *e.status_mut() = status;
            Err(e)
        })
        .await;
        assert!(refused.is_err());
        viewer.until("the refusal", |v| v.count(is_disconnected) == 1);
        let (reason, retry) = viewer.first_disconnect().expect("disconnected");
        assert!(reason.contains(status.as_str()), "{reason}");
        assert_eq!(retry, None);
        assert!(viewer.status().link.describe(0).starts_with("stopped: "));
        // No further attempt arrives.
        let again = tokio::time::timeout(Duration::from_millis(800), listener.accept()).await;
        assert!(again.is_err(), "it retried after HTTP {status}");
    }
}
