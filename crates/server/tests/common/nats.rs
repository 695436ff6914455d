//! A `nats-server` with JetStream and `fleetview-server` nodes joined to it, as child processes
//! on loopback, for the cluster tests (`tests/cluster.rs`, `tests/cluster_outage.rs`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `nats-server` is: `NATS_SERVER`, else on PATH or in the sbin directories.
pub fn nats_binary() -> Option<PathBuf> {
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
pub struct Nats {
    child: Child,
    pub url: String,
    pub port: u16,
    dir: PathBuf,
    binary: PathBuf,
}

impl Nats {
    pub fn start(binary: &Path, dir: &Path, port: Option<u16>) -> Self {
        Self::start_with(binary, dir, port, &[])
    }

    pub fn start_with(binary: &Path, dir: &Path, port: Option<u16>, extra: &[&str]) -> Self {
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
    pub fn restart(&mut self) {
        self.kill();
        self.start_again();
    }

    /// Kills it (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again after [`Nats::kill`], on the same port with the same storage.
    pub fn start_again(&mut self) {
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
pub struct Node {
    child: Child,
    pub port: u16,
}

impl Node {
    pub fn start(nats: &str, name: &str, port: u16) -> Self {
        Self::start_logged(nats, name, port, None)
    }

    /// ... its log written to `log` (at the info level) rather than the test's stderr (warnings).
    pub fn start_logged(nats: &str, name: &str, port: u16, log: Option<&Path>) -> Self {
        let (stderr, level) = match log {
            Some(path) => (
                Stdio::from(std::fs::File::create(path).expect("a node's log file")),
                "info",
            ),
            None => (Stdio::inherit(), "warn"),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--nats", nats, "--node-id", name, "--tick", "50ms"])
            .args(["--log", level])
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start fleetview-server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "node {name} never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }

    pub fn feed(&self) -> String {
        format!("ws://127.0.0.1:{}/feed", self.port)
    }

    pub fn ingest(&self) -> String {
        format!("ws://127.0.0.1:{}/ingest", self.port)
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
