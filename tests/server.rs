//! The feed server with real viewers and publishers on 127.0.0.1.
#![allow(clippy::result_large_err)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use fleetview::feed::FeedEvent;
use fleetview::fleet::Fleet;
use fleetview::protocol::{BBox, DecodeLimits, RejectTally, ServerFrame, decode_server};
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::SimConfig;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn quick() -> ServerConfig {
    ServerConfig {
        tick: Duration::from_millis(50),
        ..ServerConfig::default()
    }
}

fn start(config: ServerConfig) -> EmbeddedServer {
    tokio::task::block_in_place(|| EmbeddedServer::start(config, None)).expect("server starts")
}

fn close_down(server: EmbeddedServer) {
    tokio::task::block_in_place(|| drop(server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_gets_a_snapshot_then_updates() {
    let server = start(quick());
    let mut publisher = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    report(
        &mut publisher,
        vec![pos("a", -16.9, 145.7, ts(0)), pos("b", -16.8, 145.7, ts(0))],
    )
    .await;
    // Let the report reach the hub before the viewer joins: it must come in the snapshot.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("the snapshot", |v| v.fleet().len() == 2);
    assert!(
        matches!(viewer.log.iter().find(|(_, e)| matches!(e, FeedEvent::Snapshot(_))), Some((_, FeedEvent::Snapshot(b))) if b.len() == 2)
    );
    report(&mut publisher, vec![pos("a", -16.95, 145.75, ts(1000))]).await;
    viewer.until("the update", |v| v.lat("a") == Some(-16.95));
    assert_eq!(viewer.lat("b"), Some(-16.8));
    drop(viewer);
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_viewers_with_different_filters_get_what_their_filters_say() {
    let server = start(quick());
    let mut cairns_box = config(&server.url());
    cairns_box.subscribe.bbox = Some(BBox::from([145.6, -17.1, 145.9, -16.7]));
    let mut just_x = config(&server.url());
    just_x.subscribe.ids = Some(vec!["x".into()]);
    let mut boxed = Viewer::start(cairns_box);
    let mut by_id = Viewer::start(just_x);
    boxed.until("connected", |v| v.status().link.is_connected());
    by_id.until("connected", |v| v.status().link.is_connected());
    let mut publisher = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    report(
        &mut publisher,
        vec![
            pos("in", -16.9, 145.7, ts(0)),
            pos("x", -33.9, 151.2, ts(0)),
            pos("out", 0.0, 0.0, ts(0)),
        ],
    )
    .await;
    boxed.until("the box's vehicles", |v| v.fleet().len() == 1);
    by_id.until("the id's vehicle", |v| v.fleet().len() == 1);
    assert_eq!(boxed.ids(), vec!["in"]);
    assert_eq!(by_id.ids(), vec!["x"]);
    // "in" drives out of the box: the boxed viewer is told to remove it.
    report(&mut publisher, vec![pos("in", -20.0, 140.0, ts(1000))]).await;
    boxed.until("the removal", |v| v.fleet().is_empty());
    let stats = server.stats().get().await.expect("stats");
    assert_eq!(stats.groups, 2);
    drop((boxed, by_id));
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_report_reaches_every_viewer() {
    let server = start(quick());
    let mut viewers: Vec<Viewer> = (0..3)
        .map(|_| Viewer::start(config(&server.url())))
        .collect();
    for v in &mut viewers {
        v.until("connected", |v| v.status().link.is_connected());
    }
    let mut publisher = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    report(&mut publisher, vec![pos("bus-9", -16.9, 145.7, ts(0))]).await;
    for v in &mut viewers {
        v.until("the report", |v| v.get("bus-9").is_some());
    }
    let stats = server.stats().get().await.expect("stats");
    assert_eq!(
        stats.groups, 1,
        "three viewers, one filter: one serialisation"
    );
    drop(viewers);
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_wrong_token_is_refused() {
    let server = start(ServerConfig {
        viewer_token: Some("look".into()),
        publisher_token: Some("write".into()),
        ..quick()
    });
    for token in [None, Some("wrong")] {
        let err = publisher(&server.ingest_url(), token)
            .await
            .expect_err("refused");
        assert!(err.to_string().contains("401"), "{err}");
    }
    let mut ok = publisher(&server.ingest_url(), Some("write"))
        .await
        .expect("accepted");
    report(&mut ok, vec![pos("a", 1.0, 1.0, ts(0))]).await;

    // A viewer with no token is told why and let go; with the token it gets the fleet.
    let mut anonymous = Viewer::start(config(&server.url()));
    anonymous.until("the refusal", |v| v.server_error().is_some());
    assert_eq!(anonymous.server_error().map(|e| e.0), Some("unauthorized"));
    assert!(anonymous.fleet().is_empty());
    let mut wrong = config(&server.url());
    wrong.spec.credentials.token = Some("nope".into());
    let mut wrong = Viewer::start(wrong);
    wrong.until("the refusal", |v| v.count(is_disconnected) >= 1);
    let reason = wrong.first_disconnect();
    assert!(
        matches!(&reason, Some((r, None)) if r.contains("401")),
        "{reason:?}"
    );
    let mut right = config(&server.url());
    right.spec.credentials.token = Some("look".into());
    let mut right = Viewer::start(right);
    right.until("the fleet", |v| v.fleet().len() == 1);
    drop((anonymous, wrong, right));
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_viewer_stays_bounded_and_ends_current_while_a_fast_one_is_not_delayed() {
    // Several snapshot parts (1,000 positions each), so resyncs come in parts.
    const VEHICLES: usize = 6000;
    const ROUNDS: i64 = 40;
    let server = start(ServerConfig {
        viewer_queue: 4,
        ..quick()
    });
    // The slow viewer: a tiny receive buffer, and it stops reading after subscribing.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("small buffer");
    let stream = socket.connect(server.addr()).await.expect("connect");
    let (mut slow, _) = tokio_tungstenite::client_async(server.url(), stream)
        .await
        .expect("upgrade");
    slow.send(Message::text(r#"{"type":"subscribe"}"#))
        .await
        .expect("subscribe");
    let mut fast = Viewer::start(config(&server.url()));
    fast.until("connected", |v| v.status().link.is_connected());

    let mut publisher = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    let mut worst_lag = Duration::ZERO;
    for round in 0..ROUNDS {
        let positions = (0..VEHICLES)
            .map(|i| {
                pos(
                    &format!("v{i}"),
                    -16.9 + round as f64 * 1e-4,
                    145.7 + i as f64 * 1e-5,
                    ts(round),
                )
            })
            .collect();
        report(&mut publisher, positions).await;
        let sent = Instant::now();
        let lat = -16.9 + round as f64 * 1e-4;
        fast.until("the fast viewer has the round", |v| {
            v.fleet().len() == VEHICLES
                && v.fleet()
                    .iter()
                    .all(|(_, x)| (x.fix.lat - lat).abs() < 1e-6)
        });
        worst_lag = worst_lag.max(sent.elapsed());
    }
    assert!(
        worst_lag < Duration::from_secs(2),
        "the fast viewer lagged {worst_lag:?}"
    );
    let stats = server.stats().get().await.expect("stats");
    assert!(
        stats.frames_skipped > 0,
        "the slow viewer never fell behind: {stats:?}"
    );

    // The slow viewer reads again, and ends with the newest fix of every vehicle.
    let mut model = Fleet::default();
    let last_lat = -16.9 + (ROUNDS - 1) as f64 * 1e-4;
    let mut received = 0;
    let mut parts = fleetview::protocol::FixBatch::default();
    let deadline = Instant::now() + WAIT;
    while !(model.len() == VEHICLES
        && model
            .iter()
            .all(|(_, v)| (v.fix.lat - last_lat).abs() < 1e-6))
    {
        assert!(Instant::now() < deadline, "the slow viewer never caught up");
        let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_secs(2), slow.next()).await
        else {
            panic!("the slow viewer's connection ended");
        };
        if let Message::Text(text) = msg {
            let mut refused = RejectTally::default();
            match decode_server(text.as_str(), &DecodeLimits::default(), &mut refused)
                .expect("valid frame")
            {
                ServerFrame::SnapshotPart(b) => {
                    received += b.len();
                    parts.append(&b);
                }
                ServerFrame::Snapshot(b) => {
                    received += b.len();
                    parts.append(&b);
                    let _ = model.apply_snapshot(
                        FEED,
                        &std::mem::take(&mut parts),
                        fleetview::clock::now_ms(),
                    );
                }
                ServerFrame::Positions(b) => {
                    received += b.len();
                    let _ = model.apply_batch(FEED, &b, fleetview::clock::now_ms());
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let stats = server.stats().get().await.expect("stats");
    assert!(stats.resyncs >= 1, "{stats:?}");
    // Bounded: it was sent far fewer positions than were published; the rest were coalesced
    // into the snapshots that resynced it.
    let published = VEHICLES * ROUNDS as usize;
    assert!(
        received < published / 2,
        "{received} positions of {published} published"
    );
    drop(fast);
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_vehicles_are_removed_after_the_timeout() {
    let server = start(ServerConfig {
        drop_after: Duration::from_millis(1500),
        ..quick()
    });
    let mut viewer = Viewer::start(config(&server.url()));
    let mut publisher = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    report(
        &mut publisher,
        vec![
            pos("quiet", 1.0, 1.0, ts(0)),
            pos("chatty", 2.0, 2.0, ts(0)),
        ],
    )
    .await;
    viewer.until("both", |v| v.fleet().len() == 2);
    let started = Instant::now();
    for i in 1..=8 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        report(&mut publisher, vec![pos("chatty", 2.0, 2.0, ts(i * 250))]).await;
    }
    viewer.until("the silent one is removed", |v| v.get("quiet").is_none());
    assert!(started.elapsed() >= Duration::from_millis(1400));
    assert_eq!(viewer.ids(), vec!["chatty"]);
    drop(viewer);
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_report_is_answered_with_reasons_and_the_valid_part_and_connection_survive() {
    let server = start(quick());
    let mut viewer = Viewer::start(config(&server.url()));
    let mut publisher = publisher(&server.ingest_url(), None)
        .await
        .expect("publisher");
    publisher.send(Message::text("{nope")).await.expect("send");
    let answer = tokio::time::timeout(WAIT, publisher.next())
        .await
        .expect("answer")
        .expect("open")
        .expect("frame");
    let answer: serde_json::Value =
        serde_json::from_str(answer.to_text().expect("text")).expect("JSON");
    assert_eq!(answer["type"], "error");
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("malformed_json"),
        "{answer}"
    );
    let future = fleetview::clock::now_ms() + 3_600_000;
    let mut fast = pos("fast", 1.0, 1.0, ts(0));
    fast.speed = Some(500.0);
    report(
        &mut publisher,
        vec![
            pos("ok", 1.0, 1.0, ts(0)),
            pos("later", 1.0, 1.0, future),
            fast,
        ],
    )
    .await;
    let answer = tokio::time::timeout(WAIT, publisher.next())
        .await
        .expect("answer")
        .expect("open")
        .expect("frame");
    let text = answer.to_text().expect("text").to_owned();
    assert!(
        text.contains("future_timestamp x1") && text.contains("invalid_field x1"),
        "{text}"
    );
    viewer.until("the valid vehicle", |v| v.get("ok").is_some());
    assert_eq!(viewer.ids(), vec!["ok"]);
    let stats = server.stats().get().await.expect("stats");
    assert_eq!(stats.refused, 3);
    drop(viewer);
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_refused_with_503() {
    let server = start(ServerConfig {
        max_connections: 1,
        ..quick()
    });
    let _first = publisher(&server.ingest_url(), None).await.expect("first");
    let err = publisher(&server.ingest_url(), None)
        .await
        .expect_err("second refused");
    assert!(err.to_string().contains("503"), "{err}");
    close_down(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_server_with_its_simulated_fleet_serves_cairns_and_stops_on_drop() {
    let server = tokio::task::block_in_place(|| {
        EmbeddedServer::start(quick(), Some(SimConfig::new(200, 7)))
    })
    .expect("server starts");
    let addr = server.addr();
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("the whole fleet", |v| v.fleet().len() == 200);
    let cairns = BBox::from([145.3, -17.4, 146.0, -16.6]);
    assert!(
        viewer
            .fleet()
            .iter()
            .all(|(_, v)| cairns.contains(v.fix.lat, v.fix.lon))
    );
    let buses = viewer
        .fleet()
        .iter()
        .filter(|(_, v)| v.kind() == Some("bus"))
        .count();
    assert!(buses >= 150, "{buses} buses");
    viewer.until("vehicles move", |v| {
        v.fleet().iter().any(|(_, x)| x.prev.is_some())
    });
    drop(viewer);
    close_down(server);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still listening after drop"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_larger_than_one_snapshot_frame_arrives_whole_in_one_snapshot() {
    let server = tokio::task::block_in_place(|| {
        EmbeddedServer::start(quick(), Some(SimConfig::new(12_000, 3)))
    })
    .expect("server starts");
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("the whole fleet", |v| v.fleet().len() == 12_000);
    let snapshot = viewer.log.iter().find_map(|(_, e)| match e {
        FeedEvent::Snapshot(b) => Some(b.len()),
        _ => None,
    });
    assert_eq!(
        snapshot,
        Some(12_000),
        "three parts assembled into one snapshot"
    );
    assert!(
        viewer.status().rejected.is_empty(),
        "{:?}",
        viewer.status().rejected
    );
    drop(viewer);
    close_down(server);
}
