//! A NATS outage under two `fleetview-server` nodes (all on loopback): `nats-server` killed for
//! [`OUTAGE`] while devices keep reporting to both nodes, then started again on the same port
//! with the same storage. All along, each node's viewer gets that node's own devices' fixes live;
//! once NATS is back, every node's viewer, and a fresh one, holds every vehicle at its newest fix,
//! the fixes reported while NATS was down included (half the devices fall silent halfway through
//! the outage, the rest just before NATS comes back, so no later fix can paper over one lost),
//! and so does a node started after, from the bucket.
//!
//! Needs `nats-server` as `tests/cluster.rs` does; takes about as long as [`OUTAGE`] and a few
//! seconds more.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::nats::{Nats, Node, free_port, nats_binary};
use common::*;
use fleetview_core::clock::now_ms;

/// How long NATS is down (issue 28: a minute).
const OUTAGE: Duration = Duration::from_secs(60);
/// How soon a fix must reach a viewer live, NATS down or not.
const LIVE_WITHIN: Duration = Duration::from_secs(3);
/// How soon after NATS is back every node must hold every vehicle at its newest fix.
const CONVERGE_WITHIN: Duration = Duration::from_secs(20);
/// Vehicles reporting to each node: a small fleet's worth, so that what a node could not
/// send while NATS was down is more than the NATS client buffers.
const VEHICLES: usize = 200;
/// Each device reports every 4 rounds of this, a quarter of them each round.
const EVERY: Duration = Duration::from_millis(250);
const NODES: [&str; 2] = ["a", "b"];

/// Each vehicle's newest fix time as its device sent it.
type Sent = Arc<Mutex<BTreeMap<String, i64>>>;

/// Every node's devices, reporting on tasks of their own.
struct Devices {
    sent: Sent,
    quiet: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Devices {
    /// [`VEHICLES`] devices for each node, named after it.
    fn start(nodes: &[Node]) -> Self {
        let sent = Sent::default();
        let quiet = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let tasks = nodes
            .iter()
            .zip(NODES)
            .map(|(node, name)| {
                let (sent, quiet, stop) = (sent.clone(), quiet.clone(), stop.clone());
                tokio::spawn(report_until(node.ingest(), name, sent, quiet, stop))
            })
            .collect();
        Self {
            sent,
            quiet,
            stop,
            tasks,
        }
    }

    /// From now on only the even devices report.
    fn quieten(&self) {
        self.quiet.store(true, Ordering::Relaxed);
    }

    /// The newest fix time of the node's vehicle that reported last: (id, time).
    fn latest(&self, node: &str) -> (String, i64) {
        let sent = self.sent.lock().expect("the sent times");
        let prefix = format!("{node}-");
        sent.iter()
            .filter(|(id, _)| id.starts_with(&prefix))
            .max_by_key(|(_, ts)| **ts)
            .map(|(id, ts)| (id.clone(), *ts))
            .unwrap_or_default()
    }

    /// Stops every device: each vehicle's newest fix time.
    async fn stop(self) -> BTreeMap<String, i64> {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            task.await.expect("the devices report until stopped");
        }
        self.sent.lock().expect("the sent times").clone()
    }
}

/// The devices of one node, `<prefix>-0..VEHICLES`, report over one `/ingest` socket, each
/// every 4 [`EVERY`]s (the fix time being the clock's, the place its own), until `stop`; once
/// `quiet`, only the even ones do.
async fn report_until(
    url: String,
    prefix: &str,
    sent: Sent,
    quiet: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let mut ws = publisher(&url, None).await.expect("a publisher");
    let mut every = tokio::time::interval(EVERY);
    for round in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        every.tick().await;
        let quiet = quiet.load(Ordering::Relaxed);
        let ts = now_ms();
        let ids: Vec<(usize, String)> = (0..VEHICLES)
            .filter(|i| i % 4 == round % 4 && (!quiet || i % 2 == 0))
            .map(|i| (i, format!("{prefix}-{i}")))
            .collect();
        if ids.is_empty() {
            continue;
        }
        let positions = ids
            .iter()
            .map(|(i, id)| pos(id, -16.9 - *i as f64 * 0.001, 145.7, ts))
            .collect();
        report(&mut ws, positions).await;
        let mut sent = sent.lock().expect("the sent times");
        for (_, id) in ids {
            sent.insert(id, ts);
        }
    }
    let _ = ws.close(None).await;
}

/// Applies the viewer's events until `done` holds (true) or `within` has passed (false).
fn poll(viewer: &mut Viewer, within: Duration, done: impl Fn(&Viewer) -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done(viewer) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        viewer.drain_for(Duration::from_millis(50));
    }
}

/// The vehicles the viewer does not hold at their newest fix: (id, its time there, the newest).
fn behind(viewer: &Viewer, newest: &BTreeMap<String, i64>) -> Vec<(String, Option<i64>, i64)> {
    newest
        .iter()
        .map(|(id, &ts)| (id.clone(), viewer.get(id).map(|v| v.fix.ts), ts))
        .filter(|(_, held, ts)| *held != Some(*ts))
        .collect()
}

/// [`behind`] for a message: how many, and the first few.
fn behind_text(viewer: &Viewer, newest: &BTreeMap<String, i64>) -> String {
    let behind = behind(viewer, newest);
    format!(
        "{} vehicles, the first {:?}",
        behind.len(),
        &behind[..behind.len().min(6)]
    )
}

/// Applies the viewer's events until it holds every vehicle at its newest fix, or panics
/// after `within`.
fn assert_holds_every_newest(
    viewer: &mut Viewer,
    newest: &BTreeMap<String, i64>,
    within: Duration,
    what: &str,
) {
    let done = poll(viewer, within, |v| behind(v, newest).is_empty());
    assert!(
        done,
        "{what}: after {within:?}, vehicles behind (id, its fix time there, the newest): {}",
        behind_text(viewer, newest)
    );
}

/// With NATS down, each node's viewer gets its own node's devices' fixes within [`LIVE_WITHIN`]
/// of their sending, round after round until [`OUTAGE`] has passed, and keeps the other node's
/// vehicles; halfway, the odd devices fall silent. The longest wait seen.
fn serve_through_outage(viewers: &mut [Viewer], devices: &Devices, logs: &Path) -> Duration {
    let down = Instant::now();
    let down_ms = now_ms();
    let mut worst = Duration::ZERO;
    let mut rounds = 0;
    while down.elapsed() < OUTAGE {
        if down.elapsed() >= OUTAGE / 2 {
            devices.quieten();
        }
        for v in viewers.iter_mut() {
            v.drain_for(Duration::from_millis(500));
        }
        for (v, name) in viewers.iter_mut().zip(NODES) {
            let (id, want) = devices.latest(name);
            assert!(want > down_ms, "{name}'s devices report while NATS is down");
            let asked = Instant::now();
            let live = poll(v, LIVE_WITHIN, |v| {
                v.get(&id).is_some_and(|x| x.fix.ts >= want)
            });
            assert!(
                live,
                "{:.1} s into the outage, node {name}'s viewer did not get {id}'s fix of {} ms \
                 after NATS went down within {LIVE_WITHIN:?} (logs: {})",
                down.elapsed().as_secs_f64(),
                want - down_ms,
                logs.display()
            );
            worst = worst.max(asked.elapsed());
            let held = v.fleet().len();
            assert_eq!(held, 2 * VEHICLES, "node {name} keeps every vehicle");
        }
        rounds += 1;
    }
    eprintln!("{rounds} rounds of live checks while NATS was down; the longest wait {worst:?}");
    worst
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nats_down_a_minute_each_node_serves_its_own_devices_live_and_then_every_node_holds_every_newest_fix()
 {
    let Some(binary) = nats_binary() else {
        assert!(
            std::env::var("CI").is_err(),
            "nats-server is missing: .ci/run installs it (or set NATS_SERVER)"
        );
        eprintln!("nats-server not found: skipping the NATS outage test outside CI");
        return;
    };
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("fleetview-nats-outage-{}", std::process::id()));
    let mut nats = Nats::start(&binary, &dir, None);
    let log = |name: &str| dir.join(format!("node-{name}.log"));
    let nodes: Vec<Node> = NODES
        .iter()
        .map(|name| Node::start_logged(&nats.url, name, free_port(), Some(&log(name))))
        .collect();
    let mut viewers: Vec<Viewer> = nodes
        .iter()
        .map(|n| Viewer::start(config(&n.feed())))
        .collect();
    let devices = Devices::start(&nodes);
    for v in &mut viewers {
        v.until("every node's vehicles", |v| v.fleet().len() == 2 * VEHICLES);
    }

    tokio::task::block_in_place(|| nats.kill());
    let worst = serve_through_outage(&mut viewers, &devices, &dir);
    // The devices stop before NATS is back: every vehicle's newest fix is from the outage.
    let newest = devices.stop().await;
    assert_eq!(newest.len(), 2 * VEHICLES);

    tokio::task::block_in_place(|| nats.start_again());
    let back = Instant::now();
    for (v, name) in viewers.iter_mut().zip(NODES) {
        let left = CONVERGE_WITHIN.saturating_sub(back.elapsed());
        let what = format!(
            "node {name}'s viewer once NATS is back (logs: {})",
            dir.display()
        );
        assert_holds_every_newest(v, &newest, left, &what);
    }
    let converged = back.elapsed();
    for (node, name) in nodes.iter().zip(NODES) {
        let mut fresh = Viewer::start(config(&node.feed()));
        let what = format!("a new viewer on node {name}");
        assert_holds_every_newest(&mut fresh, &newest, LIVE_WITHIN, &what);
    }
    // A node started now builds its fleet from the bucket: the outage's fixes are there too.
    let late = tokio::task::block_in_place(|| {
        Node::start_logged(&nats.url, "c", free_port(), Some(&log("c")))
    });
    let mut fresh = Viewer::start(config(&late.feed()));
    let what = "a node started after NATS came back";
    assert_holds_every_newest(&mut fresh, &newest, WAIT, what);
    eprintln!(
        "NATS down {OUTAGE:?} (live waits at most {worst:?}); every node at every newest fix \
         {converged:?} after it came back; {:?} in all",
        started.elapsed()
    );
    drop((viewers, fresh, late, nodes, nats));
    let _ = std::fs::remove_dir_all(&dir);
}
