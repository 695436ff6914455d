//! The server remembers, over real processes and sockets on loopback: `fleetview-server --sim
//! 300` killed with SIGKILL and started again serves the fleet as it was in its first snapshot,
//! even when the log's last record was torn (a power cut mid-write, made by cutting the file);
//! and the history routes answer over HTTP.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// One fleetview-server process on `port` with history in `dir`, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, port: u16, extra: &[&str]) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(dir)
            .args(["--tick", "100ms", "--log", "warn"])
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("start fleetview-server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the server never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    fn feed(&self) -> String {
        format!("ws://127.0.0.1:{}/feed", self.port)
    }

    #[allow(dead_code)] // the history routes' test (next commit) asks it
    fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGKILL: no chance to flush anything.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "fleetview-history-it-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Each vehicle's newest (ts, lat, lon) as the viewer holds it.
fn positions(viewer: &Viewer) -> std::collections::BTreeMap<String, (i64, f64, f64)> {
    viewer
        .fleet()
        .iter()
        .map(|(_, v)| (v.id().to_owned(), (v.fix.ts, v.fix.lat, v.fix.lon)))
        .collect()
}

/// Cuts `bytes` off the end of the live log, as a power cut in the middle of a write would.
fn tear_live_log(dir: &Path, bytes: u64) {
    let log = std::fs::read_dir(dir)
        .expect("history dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "wal"))
        .expect("a live log");
    let len = std::fs::metadata(&log).expect("log").len();
    assert!(len > bytes, "the log holds records");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .expect("open");
    file.set_len(len - bytes).expect("tear");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_write_comes_back_with_the_fleet_as_it_was() {
    let dir = temp_dir("kill");
    let port = free_port();
    let server = Server::start(&dir, port, &["--sim", "300", "--sim-report-every", "1s"]);
    let mut before = Viewer::start(config(&server.feed()));
    before.until("300 vehicles", |v| v.fleet().len() == 300);
    // Let a few seconds of reports reach the disk, then kill it while it writes.
    before.drain_for(Duration::from_secs(3));
    let seen = positions(&before);
    server.kill();
    drop(before);
    tear_live_log(&dir, 7);
    // Back without the simulator: whatever the first snapshot holds came from the disk.
    let server = Server::start(&dir, port, &[]);
    let mut after = Viewer::start(config(&server.feed()));
    after.until("the restored fleet", |v| v.fleet().len() == 300);
    let restored = positions(&after);
    assert_eq!(restored.len(), 300, "every simulated vehicle is back");
    for (id, (ts, lat, lon)) in &restored {
        let (seen_ts, _, _) = seen[id];
        assert!(
            *ts <= seen_ts + 1_000 && *ts >= seen_ts - 2_000,
            "{id}: restored at {ts}, last seen at {seen_ts}"
        );
        assert!(
            (-17.5..-16.5).contains(lat) && (145.0..146.5).contains(lon),
            "{id} in Cairns"
        );
    }
    let same = restored.iter().filter(|(id, p)| seen[*id] == **p).count();
    assert!(
        same >= 240,
        "most vehicles exactly where the viewer last saw them: {same} of 300"
    );
}
