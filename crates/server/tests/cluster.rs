//! Three `fleetview-server` processes as one fleet over one NATS server (all on loopback):
//! viewers on every node see every vehicle at its newest fix; a node killed with SIGKILL leaves
//! the others holding every vehicle; started again, it serves a whole snapshot from the bucket;
//! the NATS server restarted, the nodes reconnect and converge.
//!
//! Needs `nats-server` on PATH (or `NATS_SERVER`); `.ci/run` installs Debian's. Outside CI the
//! test says it is missing and passes; in CI (`CI=true`) a missing server fails it.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::nats::{Nats, Node, free_port, nats_binary};
use common::*;
use fleetview_core::protocol::{DeviceMessage, Position, encode};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

/// Publishes vehicles `prefix-0..n` at latitude `lat` through a node's ingest (the further
/// south, the later).
async fn publish(node: &Node, prefix: &str, n: usize, lat: f64) {
    let mut ws = publisher(&node.ingest(), None).await.expect("publisher");
    let positions = (0..n)
        .map(|i| {
            Position::new(
                format!("{prefix}-{i}"),
                lat,
                145.0 + i as f64 * 0.01,
                ts(0) + (-lat * 1000.0) as i64,
            )
        })
        .collect();
    let text = encode(&DeviceMessage::Report { positions }).expect("encode");
    ws.send(Message::text(text)).await.expect("send");
    let _ = ws.close(None).await;
}

/// The times of `/api/fixes` from the node on `port`, in the order given.
fn fleet_fixes(port: u16, from: i64, to: i64) -> Vec<i64> {
    let url = format!("http://127.0.0.1:{port}/api/fixes?from={from}&to={to}");
    let (status, body) = tokio::task::block_in_place(|| curl(&url, None));
    assert_eq!(status, 200, "{body}");
    let fixes: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    fixes["fixes"]
        .as_array()
        .expect("fixes")
        .iter()
        .filter_map(|f| f["ts"].as_i64())
        .collect()
}

fn holds_all(viewer: &Viewer, lat: f64) -> bool {
    viewer.fleet().len() == 30 && viewer.fleet().iter().all(|(_, v)| v.fix.lat == lat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_are_one_fleet_through_a_kill_a_restart_and_a_nats_restart() {
    let Some(binary) = nats_binary() else {
        assert!(
            std::env::var("CI").is_err(),
            "nats-server is missing: .ci/run installs it (or set NATS_SERVER)"
        );
        eprintln!("nats-server not found: skipping the cluster test outside CI");
        return;
    };
    let dir = std::env::temp_dir().join(format!("fleetview-nats-{}", std::process::id()));
    let mut nats = Nats::start(&binary, &dir, None);
    let ports = [free_port(), free_port(), free_port()];
    let mut nodes: Vec<Node> = ["a", "b", "c"]
        .iter()
        .zip(ports)
        .map(|(name, port)| Node::start(&nats.url, name, port))
        .collect();
    let mut viewers: Vec<Viewer> = nodes
        .iter()
        .map(|n| Viewer::start(config(&n.feed())))
        .collect();
    // Publishers spread over the nodes, twice: every viewer must end at the newest fix.
    for (node, prefix) in nodes.iter().zip(["a", "b", "c"]) {
        publish(node, prefix, 10, -16.0).await;
    }
    for (node, prefix) in nodes.iter().zip(["a", "b", "c"]) {
        publish(node, prefix, 10, -16.5).await;
    }
    for v in &mut viewers {
        v.until("every vehicle at its newest fix", |v| holds_all(v, -16.5));
    }
    // The bucket takes each node's newest fixes (written at once the first time).
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Kill node b: the others keep every vehicle, b's included, where it was.
    tokio::task::block_in_place(|| nodes[1].kill());
    drop(viewers.remove(1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    for v in &mut viewers {
        v.drain_for(Duration::from_millis(200));
        assert!(holds_all(v, -16.5), "{} vehicles", v.fleet().len());
    }

    // History lives in JetStream: what was written through b, node a answers with b dead.
    let (from, to) = (ts(0) - 60_000, ts(0) + 60_000);
    let track = format!(
        "http://127.0.0.1:{}/api/track?id=b-3&from={from}&to={to}",
        ports[0]
    );
    let (status, body) = tokio::task::block_in_place(|| curl(&track, None));
    assert_eq!(status, 200, "{body}");
    let track: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let lats: Vec<f64> = track["fixes"]
        .as_array()
        .expect("fixes")
        .iter()
        .filter_map(|f| f["lat"].as_f64())
        .collect();
    assert_eq!(lats, [-16.0, -16.5], "both of b-3's fixes, in time order");
    let fleet = format!(
        "http://127.0.0.1:{}/api/fleet?at={}",
        ports[2],
        ts(0) + 20_000
    );
    let (status, body) = tokio::task::block_in_place(|| curl(&fleet, None));
    let fleet: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        fleet["vehicles"].as_array().map(Vec::len),
        Some(30),
        "every node's vehicles"
    );
    // The whole fleet's fixes in time order (what a replay from the server reads).
    let times = fleet_fixes(ports[2], from, to);
    assert_eq!(times.len(), 60, "both fixes of every node's vehicles");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order");

    // Start b again: a new viewer on it gets the whole fleet from the bucket.
    nodes[1] = tokio::task::block_in_place(|| Node::start(&nats.url, "b", ports[1]));
    let mut late = Viewer::start(config(&nodes[1].feed()));
    late.until("the whole fleet from the bucket", |v| holds_all(v, -16.5));

    // Restart NATS: the nodes reconnect, and a new fix on a reaches viewers on b and c.
    tokio::task::block_in_place(|| nats.restart());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        publish(&nodes[0], "a", 10, -17.0).await;
        late.drain_for(Duration::from_millis(300));
        if late
            .fleet()
            .iter()
            .filter(|(_, v)| v.fix.lat == -17.0)
            .count()
            == 10
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the nodes never reconnected to NATS"
        );
    }
    viewers[1].until("c hears a's new fixes after the NATS restart", |v| {
        v.fleet().iter().filter(|(_, x)| x.fix.lat == -17.0).count() == 10
    });
    drop(nodes);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_refused_nats_login_stops_the_node_with_the_reason() {
    let Some(binary) = nats_binary() else {
        assert!(std::env::var("CI").is_err(), "nats-server is missing");
        return;
    };
    let dir = std::env::temp_dir().join(format!("fleetview-nats-auth-{}", std::process::id()));
    let nats = Nats::start_with(&binary, &dir, None, &["--auth", "right-token"]);
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
        .args(["--listen", &format!("127.0.0.1:{}", free_port())])
        .args([
            "--nats",
            &nats.url,
            "--node-id",
            "a",
            "--nats-token",
            "wrong",
        ])
        .args(["--log", "error"])
        .output()
        .expect("run fleetview-server");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("cannot connect to NATS at") && err.to_lowercase().contains("author"),
        "{err}"
    );
    assert!(!err.contains("wrong"), "the token is never printed: {err}");
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);
}
