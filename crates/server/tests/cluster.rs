//! Three `fleetview-server` processes as one fleet over one NATS server (all on loopback):
//! viewers on every node see every vehicle at its newest fix; a node killed with SIGKILL leaves
//! the others holding every vehicle; started again, it serves a whole snapshot from the bucket;
//! the NATS server restarted, the nodes reconnect and converge.
//!
//! Needs `nats-server` on PATH (or `NATS_SERVER`); `.ci/run` installs Debian's. Outside CI the
//! test says it is missing and passes; in CI (`CI=true`) a missing server fails it.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fleetview_core::protocol::{DeviceMessage, Position, encode};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

fn nats_binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("NATS_SERVER") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
            .map(|dir| dir.join("nats-server"))
            .find(|p| p.is_file())
    })
}

/// A NATS server with JetStream on a loopback port, killed on drop.
struct Nats {
    child: Child,
    url: String,
    port: u16,
    dir: PathBuf,
    binary: PathBuf,
}

impl Nats {
    fn start(binary: &Path, dir: &Path, port: Option<u16>) -> Self {
        Self::start_with(binary, dir, port, &[])
    }

    fn start_with(binary: &Path, dir: &Path, port: Option<u16>, extra: &[&str]) -> Self {
        let _ = std::fs::create_dir_all(dir);
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().extension().is_some_and(|e| e == "ports") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let port_arg = port.map_or("-1".to_owned(), |p| p.to_string());
        let child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", &port_arg, "-js", "-sd"])
            .arg(dir)
            .arg("--ports_file_dir")
            .arg(dir)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        let url = loop {
            let ports = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .find(|e| e.path().extension().is_some_and(|x| x == "ports"));
            if let Some(entry) = ports
                && let Ok(text) = std::fs::read_to_string(entry.path())
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                && let Some(url) = v["nats"][0].as_str()
            {
                break url.to_owned();
            }
            assert!(Instant::now() < deadline, "nats-server wrote no ports file");
            std::thread::sleep(Duration::from_millis(20));
        };
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("port");
        Self {
            child,
            url,
            port,
            dir: dir.to_owned(),
            binary: binary.to_owned(),
        }
    }

    /// Stops it and starts it again on the same port with the same storage.
    fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let again = Self::start(&self.binary, &self.dir, Some(self.port));
        *self = again;
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One fleetview-server node, killed on drop.
struct Node {
    child: Child,
    port: u16,
}

impl Node {
    fn start(nats: &str, name: &str, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--nats", nats, "--node-id", name, "--tick", "50ms"])
            .args(["--log", "warn"])
            .stdout(Stdio::null())
            .spawn()
            .expect("start fleetview-server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "node {name} never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    fn feed(&self) -> String {
        format!("ws://127.0.0.1:{}/feed", self.port)
    }

    fn ingest(&self) -> String {
        format!("ws://127.0.0.1:{}/ingest", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

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
