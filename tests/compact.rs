//! The compact encoding between real peers on loopback: negotiated in `subscribe`, old and new
//! servers and viewers in every pairing, and a hostile compact stream refused with reasons, after
//! which the viewer asks for a fresh snapshot.

mod common;

use std::time::Duration;

use common::*;
use fleetview::feed::FeedSpec;
use fleetview::protocol::{Encoding, RejectReason};
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::SimConfig;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

fn sim_server(vehicles: usize) -> EmbeddedServer {
    let config = ServerConfig {
        tick: Duration::from_millis(50),
        ..ServerConfig::default()
    };
    tokio::task::block_in_place(|| EmbeddedServer::start(config, Some(SimConfig::new(vehicles, 5))))
        .expect("server starts")
}

/// The `type` of the first frame a raw client gets after sending `subscribe`.
async fn first_frame_type(url: &str, subscribe: &str) -> String {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    ws.send(Message::text(subscribe)).await.expect("subscribe");
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame in time")
            .expect("open")
            .expect("frame");
        if let Message::Text(t) = msg {
            let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("JSON");
            return v["type"].as_str().unwrap_or_default().to_owned();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_speaks_compact_only_to_viewers_that_ask() {
    let server = sim_server(50);
    let url = server.url();
    assert_eq!(
        first_frame_type(&url, r#"{"type":"subscribe"}"#).await,
        "snapshot"
    );
    assert_eq!(
        first_frame_type(&url, r#"{"type":"subscribe","encoding":"compact"}"#).await,
        "s"
    );
    // An encoding the server does not know yet gets v1, which every viewer reads.
    assert_eq!(
        first_frame_type(&url, r#"{"type":"subscribe","encoding":"zstd-2030"}"#).await,
        "snapshot"
    );
    tokio::task::block_in_place(|| drop(server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_and_v1_viewers_of_one_server_hold_the_same_fleet() {
    let server = sim_server(300);
    let mut compact = Viewer::start(config(&server.url()));
    let mut spec = FeedSpec::fleetview(server.url());
    spec.options.encoding = Some(Encoding::V1);
    let mut v1 = Viewer::start(spec_config(spec));
    compact.until("the whole fleet", |v| v.fleet().len() == 300);
    v1.until("the whole fleet", |v| v.fleet().len() == 300);
    compact.until("vehicles move", |v| {
        v.fleet().iter().filter(|(_, x)| x.prev.is_some()).count() > 100
    });
    assert_eq!(compact.ids(), v1.ids());
    // Descriptive fields travel once, with the vehicle's first row.
    let labelled = compact
        .fleet()
        .iter()
        .filter(|(_, v)| v.label().is_some() && v.kind().is_some())
        .count();
    assert_eq!(labelled, 300);
    for viewer in [&compact, &v1] {
        assert!(
            viewer.status().rejected.is_empty(),
            "{:?}",
            viewer.status().rejected
        );
    }
    drop((compact, v1));
    tokio::task::block_in_place(|| drop(server));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_viewer_asks_for_compact_and_reads_a_server_that_only_speaks_v1() {
    let (listener, url) = listen().await;
    let mut viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    assert_eq!(conn.subscribe["encoding"], "compact");
    conn.snapshot(vec![pos("bus-1", -16.9, 145.7, ts(0))]).await;
    conn.positions(vec![pos("bus-1", -16.91, 145.71, ts(1))])
        .await;
    viewer.until("the v1 update", |v| v.lat("bus-1") == Some(-16.91));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_compact_stream_is_refused_with_reasons_and_the_viewer_asks_again() {
    let (listener, url) = listen().await;
    let mut viewer = Viewer::start(config(&url));
    let mut conn = accept(&listener).await;
    let t = ts(0);
    conn.send_text(format!(
        r#"{{"type":"s","t":{t},"def":[[0,"bus-1"]],"rows":[[0,-169000000,1457000000,0]]}}"#
    ))
    .await;
    // An index never defined, one past any bound, and a def re-pointing a live index.
    conn.send_text(format!(
        r#"{{"type":"p","t":{t},"def":[[0,"intruder"]],"rows":[[7,1,1,1],[99999999999,1,1,1],[0,5,5,2]]}}"#
    ))
    .await;
    let again = conn.next_json().await;
    assert_eq!(again["type"], "subscribe", "the viewer asks for a snapshot");
    assert_eq!(again["encoding"], "compact");
    conn.send_text(format!(
        r#"{{"type":"s","t":{t},"def":[[3,"bus-1"],[4,"van-2"]],"rows":[[3,-169100000,1457100000,5],[4,-169200000,1457200000,5]]}}"#
    ))
    .await;
    viewer.until("the fresh snapshot", |v| v.lat("van-2") == Some(-16.92));
    assert_eq!(
        viewer.lat("bus-1"),
        Some(-16.91),
        "bus-1 never took the intruder's row"
    );
    assert!(viewer.get("intruder").is_none());
    let refused = &viewer.status().rejected;
    assert_eq!(refused.count(RejectReason::BadIndex), 4, "{refused:?}");
}
