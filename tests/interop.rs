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

#[test]
fn stats_counts_a_python_websockets_feed_correctly() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/python_feed.py");
    if !python_websockets() {
        return;
    }
    let mut server = Command::new("python3")
        .args([script, &N.to_string(), &ROUNDS.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the python feed");
    let mut port = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut port)
        .expect("the feed prints its port");
    let url = format!("ws://127.0.0.1:{}/", port.trim());
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .args(["stats", &url, "--duration", "2s", "--json"])
        .output()
        .expect("run fleetview stats");
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
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
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/traccar_owntracks.py"
    );
    if !python_websockets() {
        return;
    }
    let mut server = Command::new("python3")
        .args([script, "6", "3", "20"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the python servers");
    let mut port = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut port)
        .expect("the servers print their port");
    let port = port.trim();
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .args([
            "stats",
            "--feed",
            &format!("depot=traccar:http://127.0.0.1:{port}?token=demo-token"),
            "--feed",
            &format!("phones=owntracks:ws://127.0.0.1:{port}"),
            "--duration",
            "3s",
            "--json",
        ])
        .output()
        .expect("run fleetview stats");
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
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
