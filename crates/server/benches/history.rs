//! History: what keeping every fix costs, and how fast the store answers, beside SQLite.
//!
//!     cargo bench --bench history     (HISTORY_WRITE_SECS=120 HISTORY_HOURS=24; python3 for the peer)
//!
//! 1. Writing: the simulated fleet of the replay bench (10,000 vehicles, each reporting once a
//!    second) for `HISTORY_WRITE_SECS` of simulated time, appended to a store with the live log
//!    and sealed: bytes on disk per fix, and CPU per fix as a share of a core at 10,000 fixes/s.
//! 2. Reading: 1,000 vehicles x `HISTORY_HOURS` at one fix per 10 s (8.64 M fixes for a day) in
//!    a store: one vehicle's day as JSON and as GPX, the fleet at a moment, a day's trips (each
//!    the best of 5, after one warm-up).
//! 3. The peer, same run: the same fixes in SQLite through Python's `sqlite3` (one row per fix,
//!    an index on (id, ts), in one transaction), and the same queries (`history_peer.py`).
//! 4. Replay from the server: a server on that store, the window's fetch of 30 minutes of the
//!    whole fleet from midday (`/api/fleet`, then `/api/fixes` in pages, written as a
//!    recording) over loopback, then seeks in the replay (seek and catch up, 20 moments).

#[path = "../../../benches/common/process.rs"]
mod common;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::best_of;
use fleetview_core::export::{TrackFormat, TrackWriter};
use fleetview_core::protocol::FixBatch;
use fleetview_core::reports::{Thresholds, analyse};
use fleetview_core::sim::{Network, Sim, SimConfig};
use fleetview_server::history::store::Store;
use fleetview_server::history::{HistoryConfig, HistoryReader};

/// 2025-11-24T16:00:00Z, a whole hour.
const T0: i64 = 1_764_000_000_000;
const HOUR: i64 = 3_600_000;

fn env(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "fleetview-bench-history-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    d
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum()
}

/// Steps `sim` from `T0` for `secs` seconds, handing each second's fixes to `each`.
fn drive(sim: &mut Sim, secs: i64, mut each: impl FnMut(&FixBatch, i64)) -> u64 {
    let mut fixes = 0;
    for s in 0..secs {
        let now = T0 + s * 1000;
        let batch = sim.step(now);
        fixes += batch.len() as u64;
        each(&batch, now);
    }
    fixes
}

fn write_cost(secs: i64) {
    let dir = temp("write");
    let mut config = SimConfig::new(10_000, 7);
    config.report_every_ms = (1000, 1000);
    config.silence_chance = 0.0;
    let mut sim = Sim::new(Network::cairns().expect("routes"), config, T0);
    let (mut store, _) = Store::open(HistoryConfig::new(&dir), T0).expect("store");
    let mut spent = Duration::ZERO;
    let fixes = drive(&mut sim, secs, |batch, now| {
        let started = Instant::now();
        store.append(batch, now).expect("append");
        spent += started.elapsed();
    });
    let started = Instant::now();
    store.roll_if_due(T0 + secs * 1000 + HOUR).expect("seal");
    spent += started.elapsed();
    let bytes = dir_bytes(&dir);
    let per_fix = spent.as_secs_f64() / fixes as f64;
    println!(
        "write: {fixes} fixes of 10,000 vehicles at 1 Hz: {:.1} bytes/fix on disk (sealed), {:.2} us/fix = {:.1}% of a core at 10,000 fixes/s",
        bytes as f64 / fixes as f64,
        per_fix * 1e6,
        per_fix * 10_000.0 * 100.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A store of 1,000 vehicles at one fix per 10 s for `hours`, and the same fixes as CSV.
fn build(hours: i64, dir: &Path, csv: &Path) -> (HistoryReader, u64, Duration) {
    let mut config = SimConfig::new(1_000, 11);
    config.report_every_ms = (10_000, 10_000);
    config.silence_chance = 0.0;
    let mut sim = Sim::new(Network::cairns().expect("routes"), config, T0);
    let (mut store, _) = Store::open(HistoryConfig::new(dir), T0).expect("store");
    let mut out = BufWriter::new(std::fs::File::create(csv).expect("csv"));
    let mut spent = Duration::ZERO;
    let fixes = drive(&mut sim, hours * 3600, |batch, now| {
        let started = Instant::now();
        store.append(batch, now).expect("append");
        spent += started.elapsed();
        for f in batch.iter() {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                f.id,
                f.ts,
                f.lat,
                f.lon,
                f.speed.unwrap_or(-1.0),
                f.heading.unwrap_or(-1.0)
            );
        }
    });
    store.roll_if_due(T0 + hours * HOUR + HOUR).expect("seal");
    drop(out);
    let reader = Store::into_reader(store);
    (reader, fixes, spent)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn queries(reader: &HistoryReader, hours: i64, id: &str) {
    let (from, to) = (T0, T0 + hours.min(24) * HOUR);
    let track = |format: TrackFormat| {
        let page = reader
            .track(id, from, to, 100_000)
            .expect("query")
            .expect("known");
        let mut w = TrackWriter::begin(Vec::new(), format, id).expect("begin");
        for f in page.fixes.iter() {
            w.point(&f).expect("point");
        }
        w.end().expect("end").len()
    };
    let (json, bytes) = best_of(5, || track(TrackFormat::Json));
    println!("one vehicle's day as JSON: {} ({bytes} bytes)", ms(json));
    let (gpx, bytes) = best_of(5, || track(TrackFormat::Gpx));
    println!("one vehicle's day as GPX: {} ({bytes} bytes)", ms(gpx));
    let at = T0 + hours.min(24) * HOUR / 2;
    let (fleet, n) = best_of(5, || reader.fleet_at(at, 600_000).expect("fleet").len());
    println!("the fleet at a moment: {} ({n} vehicles)", ms(fleet));
    let (trips, n) = best_of(5, || {
        let page = reader
            .track(id, from, to, 100_000)
            .expect("query")
            .expect("known");
        let fixes: Vec<_> = page.fixes.iter().map(|f| f.fix()).collect();
        analyse(&fixes, &Thresholds::default()).trips.len()
    });
    println!("a day's trips: {} ({n} trips)", ms(trips));
}

fn main() {
    let write_secs = env("HISTORY_WRITE_SECS", 120);
    let hours = env("HISTORY_HOURS", 24);
    write_cost(write_secs);
    let dir = temp("read");
    let csv = dir.join("fixes.csv");
    let store_dir = dir.join("store");
    let (reader, fixes, spent) = build(hours, &store_dir, &csv);
    println!(
        "store: {fixes} fixes of 1,000 vehicles over {hours} h: {:.1} bytes/fix on disk, written in {:.1} s of CPU",
        dir_bytes(&store_dir) as f64 / fixes as f64,
        spent.as_secs_f64()
    );
    // A bus of the fleet (the first in id order at midday), asked for by both sides.
    let midday = T0 + hours.min(24) * HOUR / 2;
    let fleet = reader.fleet_at(midday, 600_000).expect("fleet");
    let id = fleet
        .iter()
        .map(|f| f.id.to_owned())
        .filter(|id| id.starts_with("bus"))
        .min()
        .expect("a bus");
    queries(&reader, hours, &id);
    let peer = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/history_peer.py");
    let status = Command::new("python3")
        .arg(peer)
        .arg(&csv)
        .arg(dir.join("peer.sqlite"))
        .arg(&id)
        .args([T0.to_string(), (T0 + hours.min(24) * HOUR).to_string()])
        .status();
    if !status.is_ok_and(|s| s.success()) {
        println!("peer: python3 with sqlite3 did not run");
    }
    drop(reader);
    replay_from_server(&store_dir, midday, &dir.join("replay.fvr"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A server on the store; the fleet from `at` for 30 minutes fetched as a recording; seeks in it.
fn replay_from_server(store_dir: &Path, at: i64, path: &Path) {
    use fleetview_core::fleet::FeedId;
    use fleetview_feeds::history::{ReplayQuery, Update};
    use fleetview_feeds::{FeedConfig, FeedSet, FeedSpec};
    use fleetview_server::{EmbeddedServer, ServerConfig};

    let mut history = HistoryConfig::new(store_dir);
    // The store's fixes arrived in 2025: keep them whatever today is.
    history.retention = Duration::from_secs(100 * 365 * 86_400);
    let config = ServerConfig {
        history: Some(history),
        ..ServerConfig::default()
    };
    let server = EmbeddedServer::start(config, None).expect("server");
    let feeds = FeedSet::spawn(std::sync::Arc::new(|| {})).expect("feeds");
    let mut spec = FeedSpec::fleetview(server.url());
    spec.enabled = false;
    feeds
        .add(FeedId(0), FeedConfig::from_spec(spec))
        .expect("feed");
    let until = at + 30 * 60_000;
    let started = Instant::now();
    let query = ReplayQuery {
        at_ms: at,
        until_ms: until,
        path: path.to_path_buf(),
        feed_name: "bench".into(),
    };
    let handle = feeds.replay(FeedId(0), query).expect("asked");
    let replayed = loop {
        match handle.recv_timeout(Duration::from_secs(120)) {
            Some(Update::Done(answer)) => break answer.expect("replayed"),
            Some(Update::Progress { .. }) => {}
            None => panic!("no answer in 120 s"),
        }
    };
    println!(
        "replay from the server, 30 min of the fleet: {} vehicles, {} fixes fetched and written in {}",
        replayed.vehicles,
        replayed.fixes,
        ms(started.elapsed())
    );
    seeks(path, at);
}

/// Seeks at 20 moments of the 30 minutes from `at` in the replay at `path`: how long each took.
fn seeks(path: &Path, at: i64) {
    use fleetview_core::fleet::FleetConfig;
    use fleetview_core::record::player::Player;
    use fleetview_core::session::Session;

    let config = FleetConfig::default();
    let mut player = Player::open(path).expect("a recording");
    let mut session = Session::new(config.clone());
    let mut rng = fastrand::Rng::with_seed(5);
    let mut took: Vec<Duration> = (0..20)
        .map(|_| {
            let t = at + rng.i64(0..30 * 60_000);
            let started = Instant::now();
            player.seek(t);
            assert!(player.catch_up(&mut session, &config, Duration::from_secs(10)));
            started.elapsed()
        })
        .collect();
    took.sort();
    println!(
        "a seek in it: median {}, slowest {} of 20 (target < 300 ms)",
        ms(took[10]),
        ms(took[19])
    );
}
