//! `fleetview-server` as a child process on loopback: started with the flags a test gives,
//! waited for until it listens, stopped (SIGTERM) or killed (SIGKILL) when the test says, and
//! killed on drop whatever happens.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    pub child: Child,
    pub port: u16,
}

impl ServerProcess {
    /// Starts it on 127.0.0.1:`port` with `args` (its log at the warn level) and waits until it
    /// listens (20 s at most).
    pub fn start<S: AsRef<OsStr>>(port: u16, args: impl IntoIterator<Item = S>) -> Self {
        let server = Self::spawn(port, args);
        wait_listening(port);
        server
    }

    /// Starts it without waiting.
    pub fn spawn<S: AsRef<OsStr>>(port: u16, args: impl IntoIterator<Item = S>) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_fleetview-server"))
            .args(["--listen", &format!("127.0.0.1:{port}"), "--log", "warn"])
            .args(args)
            .stdout(Stdio::null())
            .spawn()
            .expect("start fleetview-server");
        Self { child, port }
    }

    pub fn feed(&self) -> String {
        format!("ws://127.0.0.1:{}/feed", self.port)
    }

    pub fn http(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends it `signal` (`TERM`, `HUP`, ...) with kill(1).
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill(1) runs");
        assert!(status.success(), "kill -{signal}");
    }

    /// SIGTERM, as systemd stops or restarts it, and waits for it to go.
    pub fn stop(mut self) {
        self.signal("TERM");
        let _ = self.child.wait();
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until something listens on 127.0.0.1:`port` (20 s at most).
pub fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the server never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An empty directory of this test process's own, under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fleetview-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("a temporary directory");
    d
}
