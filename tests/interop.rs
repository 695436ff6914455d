//! Interoperability: `fleetview stats` against a feed served by a third-party stack (Python's
//! `websockets` package and `json` module), not by anything of ours.
//!
//! Needs python3 with `websockets` (`pip install websockets`). Where that is missing the test
//! says so and skips, unless FLEETVIEW_REQUIRE_INTEROP=1 (set by CI), where it fails.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use fleetview::server::{EmbeddedServer, ServerConfig};

const N: usize = 50;
const ROUNDS: usize = 10;

/// Whether python3 with `websockets` is here; where it is required (CI) and missing, fails.
fn python_websockets() -> bool {
    let has = Command::new("python3")
        .args(["-c", "import websockets"])
        .status()
        .is_ok_and(|s| s.success());
    if !has {
        assert!(
            std::env::var("FLEETVIEW_REQUIRE_INTEROP").as_deref() != Ok("1"),
            "python3 with the websockets package is required here"
        );
        eprintln!("SKIPPED: python3 with websockets is not installed (pip install websockets)");
    }
    has
}

/// A Python server from `tests/interop/`, killed when dropped, and the port it printed.
struct PythonServer {
    child: std::process::Child,
    port: String,
}

impl PythonServer {
    fn start(script: &str, args: &[&str]) -> Self {
        let path = format!("{}/tests/interop/{script}", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("python3")
            .arg(path)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the python server");
        let mut port = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut port)
            .expect("the server prints its port");
        Self {
            child,
            port: port.trim().to_owned(),
        }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `fleetview stats ARGS --json`, its report.
fn stats_json(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .arg("stats")
        .args(args)
        .arg("--json")
        .output()
        .expect("run fleetview stats");
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

#[test]
fn stats_counts_a_python_websockets_feed_correctly() {
    if !python_websockets() {
        return;
    }
    let server = PythonServer::start("python_feed.py", &[&N.to_string(), &ROUNDS.to_string()]);
    let url = format!("ws://127.0.0.1:{}/", server.port);
    let report = stats_json(&[&url, "--duration", "2s"]);
    assert_eq!(report["vehicles"], N, "{report:#}");
    assert_eq!(report["live"], N);
    assert_eq!(report["snapshots"], 1);
    assert_eq!(report["updates"], N * ROUNDS);
    assert_eq!(report["rejected_total"], 1);
    assert_eq!(report["rejected"]["malformed_json"], 1);
    assert_eq!(report["reconnects"], 0);
    assert_eq!(report["latency_ms"]["samples"], N * ROUNDS);
}

#[test]
fn a_report_published_with_python_websockets_shows_up_in_stats() {
    if !python_websockets() {
        return;
    }
    let server = EmbeddedServer::start(
        ServerConfig {
            publisher_token: Some("pub-token".into()),
            ..ServerConfig::default()
        },
        None,
    )
    .expect("server starts");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/publish.py");
    let published = Command::new("python3")
        .args([script, &server.ingest_url(), "pub-token"])
        .output()
        .expect("run the publisher");
    assert_eq!(
        String::from_utf8_lossy(&published.stdout).trim(),
        "published",
        "stderr: {}",
        String::from_utf8_lossy(&published.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .args(["stats", &server.url(), "--duration", "1s", "--json"])
        .output()
        .expect("run fleetview stats");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["vehicles"], 1, "{report:#}");
    assert_eq!(report["live"], 1);
    assert_eq!(report["rejected_total"], 0);
}

#[test]
fn stats_reads_traccar_and_owntracks_as_a_python_stack_serves_them() {
    if !python_websockets() {
        return;
    }
    let server = PythonServer::start("traccar_owntracks.py", &["6", "3", "20"]);
    let port = &server.port;
    let report = stats_json(&[
        "--feed",
        &format!("depot=traccar:http://127.0.0.1:{port}?token=demo-token"),
        "--feed",
        &format!("phones=owntracks:ws://127.0.0.1:{port}"),
        "--duration",
        "3s",
    ]);
    let feeds = &report["feeds"];
    assert_eq!(feeds[0]["name"], "depot");
    assert_eq!(feeds[0]["vehicles"], 6, "{report:#}");
    assert!(
        feeds[0]["updates"].as_u64().expect("updates") >= 12,
        "{report:#}"
    );
    assert_eq!(feeds[1]["name"], "phones");
    assert_eq!(feeds[1]["vehicles"], 3, "{report:#}");
    assert_eq!(report["rejected_total"], 0, "{report:#}");
    assert_eq!(report["live"], 9);
}
