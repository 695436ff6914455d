//! Record and replay: disk use, write speed, seek time, and the window replaying at 100x.
//!
//!     cargo bench --bench replay            (REPLAY_MINUTES=60 by default)
//!
//! The simulated Cairns fleet (every vehicle reporting once a second, as in the other
//! benchmarks) is run for an hour of its own time and written through the recording writer.
//! The peer, on the same fixes in the same run: the protocol v1 frames a viewer receives from
//! the server's hub for that hour (descriptive fields only when they change), logged as JSON
//! lines, raw and through a zstd stream at the same level: what "log the wire and compress
//! it" would cost on disk, with no seeking.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{RawInput, Rect, Vec2};
use fleetview::clock::SystemClock;
use fleetview::events::FeedEvent;
use fleetview::fleet::{FeedId, FleetConfig};
use fleetview::record::Writer;
use fleetview::record::player::Player;
use fleetview::server::{Filter, Hub, Outgoing};
use fleetview::session::Session;
use fleetview::sim::{Network, Sim, SimConfig};
use fleetview::ui::{AppConfig, FeedSource, FleetApp, TileSpec};

const T0: i64 = 1_795_615_200_000;

struct Made {
    fixes: u64,
    bytes: u64,
    keyframes: u64,
    write_secs: f64,
    wire_raw: u64,
    wire_zstd: u64,
}

/// An hour (or `minutes`) of `vehicles` written to `path`, and the wire peer beside it.
fn make(path: &std::path::Path, vehicles: usize, minutes: i64) -> Made {
    let network = Network::cairns().expect("route asset");
    let mut config = SimConfig::new(vehicles, 5);
    config.report_every_ms = (1_000, 1_000);
    config.silence_chance = 0.0;
    let mut sim = Sim::new(network, config, T0);
    let file = std::fs::File::create(path).expect("create");
    let mut writer = Writer::new(file, T0).expect("header");
    let mut hub = Hub::new(600_000);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Outgoing>(1 << 16);
    let all = sim.all(T0);
    hub.report(&all, T0);
    hub.join(1, Filter::all(), tx);
    let mut wire_raw = 0u64;
    let mut zstd_out = Counter(0);
    let mut wire_zstd = zstd::stream::Encoder::new(&mut zstd_out, 3).expect("zstd");
    let mut write = Duration::ZERO;
    let started = Instant::now();
    writer
        .name(T0, FeedId(0), "Simulated Cairns fleet")
        .expect("name");
    writer
        .event(T0, FeedId(0), &FeedEvent::Snapshot(all))
        .expect("write");
    write += started.elapsed();
    let mut t = T0;
    while t < T0 + minutes * 60_000 {
        t += 200;
        let batch = sim.step(t);
        hub.report(&batch, t);
        hub.tick(t);
        while let Ok(bundle) = rx.try_recv() {
            for frame in bundle.iter() {
                wire_raw += frame.as_str().len() as u64 + 1;
                let _ = wire_zstd.write_all(frame.as_str().as_bytes());
                let _ = wire_zstd.write_all(b"\n");
            }
        }
        let started = Instant::now();
        writer
            .event(t, FeedId(0), &FeedEvent::Positions(batch))
            .expect("write");
        writer.tick(t).expect("tick");
        write += started.elapsed();
    }
    let started = Instant::now();
    writer.tick(i64::MAX).expect("close");
    let written = writer.written();
    writer.finish().expect("finish");
    write += started.elapsed();
    wire_zstd.finish().expect("zstd");
    Made {
        fixes: written.fixes,
        bytes: written.bytes,
        keyframes: written.keyframes,
        write_secs: write.as_secs_f64(),
        wire_raw,
        wire_zstd: zstd_out.0,
    }
}

struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let minutes: i64 = std::env::var("REPLAY_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(60);
    let dir = std::env::temp_dir().join(format!("fleetview-bench-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    println!("record and replay: the simulated fleet, every vehicle once a second, {minutes} min");
    let mut ten_k = None;
    for vehicles in [1_000, 10_000] {
        let path = dir.join(format!("{vehicles}.fvr"));
        let m = make(&path, vehicles, minutes);
        let per_hour = |bytes: u64| bytes as f64 / 1e6 * 60.0 / minutes as f64;
        println!(
            "{vehicles:>6} vehicles: {} fixes, {:.1} bytes/fix on disk ({:.0} MB/hour, {} keyframes), written at {:.2} M fixes/s on one core",
            m.fixes,
            m.bytes as f64 / m.fixes as f64,
            per_hour(m.bytes),
            m.keyframes,
            m.fixes as f64 / m.write_secs / 1e6
        );
        println!(
            "        peer, the v1 wire logged: {:.1} bytes/fix raw ({:.0} MB/hour), {:.1} bytes/fix through zstd -3 ({:.0} MB/hour)",
            m.wire_raw as f64 / m.fixes as f64,
            per_hour(m.wire_raw),
            m.wire_zstd as f64 / m.fixes as f64,
            per_hour(m.wire_zstd)
        );
        if vehicles == 10_000 {
            ten_k = Some(path);
        }
    }
    let Some(path) = ten_k else { return };
    seeks(&path);
    replay_window(&path);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Random seeks in the 10k recording: from the seek to the session holding that moment.
fn seeks(path: &std::path::Path) {
    let config = FleetConfig::default();
    let mut player = Player::open(path).expect("open");
    let (first, last) = player.span();
    let mut session = Session::new(config.clone());
    let mut rng = fastrand::Rng::with_seed(3);
    let mut times = Vec::new();
    for _ in 0..30 {
        let t = rng.i64(first..=last);
        let started = Instant::now();
        player.seek(t);
        assert!(player.catch_up(&mut session, &config, Duration::from_secs(30)));
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "seek anywhere in the 10k-vehicle recording, to the model holding that moment (30 random seeks): p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms ({} vehicles); target < 200 ms",
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        times[times.len() - 1],
        session.fleet().len()
    );
}

/// The window replaying the 10k recording at 100x for 10 s of wall time, frames as fast as
/// they come (layout and tessellation, no GPU), at 1280x800.
fn replay_window(path: &std::path::Path) {
    let ctx = egui::Context::default();
    let player = Player::open(path).expect("open");
    let mut app = FleetApp::with_context(
        &ctx,
        None,
        AppConfig {
            source: FeedSource::Replay(Box::new(player)),
            prefer_remembered: false,
            tiles: TileSpec::None,
            fleet: FleetConfig::default(),
            routes: Network::cairns().ok().map(|n| n.route_lines()),
            alerts: None,
            geofences_file: None,
            clock: Arc::new(SystemClock),
            record: None,
        },
    );
    let input = |t: f64, events: Vec<egui::Event>| RawInput {
        screen_rect: Some(Rect::from_min_size(
            egui::Pos2::ZERO,
            Vec2::new(1280.0, 800.0),
        )),
        time: Some(t),
        events,
        ..RawInput::default()
    };
    let frame = |app: &mut FleetApp, t: f64, events: Vec<egui::Event>| {
        app.logic(&ctx);
        let out = ctx.run_ui(input(t, events), |ui| app.draw(ui));
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
    };
    let key = |key: egui::Key| egui::Event::Key {
        key,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    };
    let started = Instant::now();
    let now = || started.elapsed().as_secs_f64();
    // The first frames load the opening state.
    while app.replay().is_some_and(|p| !p.is_caught_up())
        && started.elapsed() < Duration::from_secs(10)
    {
        frame(&mut app, now(), Vec::new());
    }
    // 1x to 100x: six steps of `]`, one a frame; then Space.
    for _ in 0..6 {
        frame(&mut app, now(), vec![key(egui::Key::CloseBracket)]);
    }
    frame(&mut app, now(), vec![key(egui::Key::Space)]);
    let from = app.replay().map_or(0, Player::position);
    let mut frames = 0u32;
    let mut lags = Vec::new();
    let run = Instant::now();
    while run.elapsed() < Duration::from_secs(10) {
        frame(&mut app, now(), Vec::new());
        frames += 1;
        lags.push(app.replay().map_or(0, Player::lag_ms));
    }
    let secs = run.elapsed().as_secs_f64();
    let to = app.replay().map_or(0, Player::position);
    let speed = app.replay().map_or(0.0, Player::speed);
    lags.sort();
    println!(
        "replay of the 10k-vehicle recording at {speed:.0}x in the window (1280x800, no GPU): {:.0} frames/s, {:.0} s of recording in {secs:.0} s; the shown state trailed replay time by p50 {:.1} s, max {:.1} s; {} vehicles",
        f64::from(frames) / secs,
        (to - from) as f64 / 1000.0,
        lags[lags.len() / 2] as f64 / 1000.0,
        lags[lags.len() - 1] as f64 / 1000.0,
        app.fleet().len()
    );
}
