//! Idle and light load, without a GPU: the app on an egui context driven the way eframe drives
//! it (a frame when egui asks for one, at most 60 a second; woken by the repaint callback, which
//! the feed thread triggers on data). Counts frames per second and the UI thread's CPU: with a
//! connected feed sending nothing, then with 1,000 vehicles each reporting every 2 s.
//!
//!     cargo bench --bench idle
//!
//! (Rasterising the frames on a GPU is not included: there is none here.)

mod common;

use std::time::{Duration, Instant};

use egui::{RawInput, Rect, Vec2, ViewportId};
use fleetview::fleet::FleetConfig;
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::SimConfig;
use fleetview::ui::{AppConfig, FeedSource, FleetApp, TileSpec};

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn run(label: &str, vehicles: usize, seconds: u64) {
    let mut sim = SimConfig::new(vehicles, 9);
    sim.report_every_ms = (2_000, 2_000);
    sim.silence_chance = 0.0;
    let server = EmbeddedServer::start(ServerConfig::default(), (vehicles > 0).then_some(sim))
        .expect("server");
    let ctx = egui::Context::default();
    let (wake_tx, wake_rx) = crossbeam_channel::bounded::<Duration>(256);
    ctx.set_request_repaint_callback(move |info| {
        let _ = wake_tx.try_send(info.delay);
    });
    let mut app = FleetApp::with_context(
        &ctx,
        None,
        AppConfig {
            source: FeedSource::Live {
                feeds: vec![fleetview::feed::FeedSpec::fleetview(server.url())],
                embedded: None,
            },
            prefer_remembered: false,
            tiles: TileSpec::None,
            fleet: FleetConfig::default(),
            routes: cairns_routes(),
            alerts: None,
            geofences_file: None,
            clock: fleetview::clock::system(),
            record: None,
        },
    );
    let started = Instant::now();
    let frame = |app: &mut FleetApp| -> Duration {
        let input = RawInput {
            screen_rect: Some(Rect::from_min_size(
                egui::Pos2::ZERO,
                Vec2::new(1280.0, 800.0),
            )),
            time: Some(started.elapsed().as_secs_f64()),
            ..RawInput::default()
        };
        app.logic(&ctx);
        let out = ctx.run_ui(input, |ui| app.draw(ui));
        let delay = out
            .viewport_output
            .get(&ViewportId::ROOT)
            .map_or(Duration::MAX, |v| v.repaint_delay);
        std::hint::black_box(ctx.tessellate(out.shapes, out.pixels_per_point));
        delay
    };
    // Settle: connect, take the snapshot, fit the map.
    while started.elapsed() < Duration::from_secs(3) {
        let delay = frame(&mut app);
        std::thread::sleep(delay.clamp(Duration::from_millis(16), Duration::from_millis(100)));
    }
    // The last settling frame's own request, if any, decides whether the next one is due.
    let settle = frame(&mut app);
    while wake_rx.try_recv().is_ok() {}
    let cpu_before = thread_cpu();
    let measure_from = Instant::now();
    let end = measure_from + Duration::from_secs(seconds);
    let mut frames = 0u64;
    let mut due: Option<Instant> =
        (settle < Duration::from_secs(3600)).then(|| Instant::now() + settle);
    let mut last_frame = Instant::now() - Duration::from_secs(1);
    while Instant::now() < end {
        let wait = due
            .map_or(end, |d| d.min(end))
            .saturating_duration_since(Instant::now());
        if let Ok(delay) = wake_rx.recv_timeout(wait) {
            let at = Instant::now() + delay;
            due = Some(due.map_or(at, |d| d.min(at)));
        }
        if due.is_some_and(|d| Instant::now() >= d) {
            // vsync: no more than 60 frames a second.
            let since = last_frame.elapsed();
            if since < Duration::from_micros(16_667) {
                std::thread::sleep(Duration::from_micros(16_667) - since);
            }
            last_frame = Instant::now();
            frames += 1;
            let delay = frame(&mut app);
            due = (delay < Duration::from_secs(3600)).then(|| Instant::now() + delay);
        }
    }
    let wall = measure_from.elapsed().as_secs_f64();
    let cpu = (thread_cpu() - cpu_before).as_secs_f64();
    println!(
        "{label}: {:.1} frames/s, UI thread CPU {:.2}% over {seconds} s ({} vehicles held)",
        frames as f64 / wall,
        100.0 * cpu / wall,
        app.fleet().len()
    );
    drop(app);
    drop(server);
}

fn main() {
    run("idle (connected, no data, nothing selected)", 0, 10);
    run("1,000 vehicles each reporting every 2 s", 1_000, 10);
    println!("targets: idle 0 repaints and < 1% CPU");
}

/// The route lines the binary hands the window (the simulated fleet's Cairns network).
fn cairns_routes() -> Option<fleetview::routes::RouteLines> {
    fleetview::sim::Network::cairns()
        .ok()
        .map(|n| n.route_lines())
}
