//! Frame cost without a GPU: egui layout (the app's whole frame: map and markers plugin, list,
//! details, status bar) plus tessellation, at 1280x800, with 1k, 10k, 100k and 1M vehicles in
//! view;
//! and 1k vehicles with a History of a day at 1 Hz (86,400 points) in view, against the same
//! without it (what the track, its stops and the speed chart add).
//!
//!     cargo bench --bench frame

mod common;

use std::time::{Duration, Instant};

use egui::{RawInput, Rect, Vec2};
use fleetview::clock::now_ms;
use fleetview::feed::{FeedEvent, FeedId};
use fleetview::fleet::FleetConfig;
use fleetview::protocol::{FixBatch, FixRef, Meta};
use fleetview::ui::{AppConfig, FeedSource, FleetApp, TileSpec};

fn main() {
    println!("frame cost (layout + tessellation, median of 40 frames, 1280x800, no GPU)");
    // FRAME_N=10000 measures one size only.
    let sizes: Vec<usize> = match std::env::var("FRAME_N").ok().and_then(|n| n.parse().ok()) {
        Some(n) => vec![n],
        None => vec![1_000, 10_000, 100_000, 1_000_000],
    };
    for n in sizes {
        let (ctx, mut app) = fleet_app(n);
        let (total, layout, tessellation) = measure(&ctx, &mut app);
        let (in_view, clustered) = app.map_in_view();
        println!(
            "{n:>7} vehicles: {total:.2} ms a frame (layout {layout:.2} ms + tessellation {tessellation:.2} ms); {in_view} in view{}",
            if clustered { ", drawn as clusters" } else { "" }
        );
    }
    println!("targets: 10k < 3 ms, 100k < 6 ms, 1M < 16 ms");
    history_row();
}

/// 1,000 vehicles, then the same with a day's History (86,400 fixes) shown and fitted.
fn history_row() {
    let (ctx, mut app) = fleet_app(1_000);
    let (without, ..) = measure(&ctx, &mut app);
    let (from, day) = a_day_at_one_hz();
    let id = fleetview::fleet::VehicleId::new(FeedId(0), "veh-0");
    app.show_history_day(id, day, from, from + 86_400_000);
    let (with, layout, tessellation) = measure(&ctx, &mut app);
    println!(
        "  1000 vehicles + a History of 86,400 fixes: {with:.2} ms a frame (layout {layout:.2} ms + tessellation {tessellation:.2} ms), {:.2} ms added (target < 4 ms)",
        with - without
    );
}

/// A day at one fix a second around Cairns: loops of 5 km radius at speeds from 0 to 100 km/h.
fn a_day_at_one_hz() -> (i64, fleetview::feed::history::HistoryDay) {
    let from = now_ms() - 86_400_000;
    let mut fixes = FixBatch::with_capacity(86_400, 86_400 * 8);
    for i in 0..86_400i64 {
        let a = i as f64 / 3_600.0 * std::f64::consts::TAU;
        let r = 0.045 * (1.0 + 0.2 * (a * 7.0).sin());
        fixes.push(&FixRef {
            speed: Some(((a * 3.0).sin().abs() * 28.0) as f32),
            heading: Some(0.0),
            ..FixRef::bare(
                "veh-0",
                -16.92 + r * a.sin(),
                145.77 + r * a.cos(),
                from + i * 1000,
            )
        });
    }
    let report = fleetview::reports::analyse(
        &fixes.iter().map(|f| f.fix()).collect::<Vec<_>>(),
        &fleetview::reports::Thresholds::default(),
    );
    let day = fleetview::feed::history::HistoryDay {
        fixes,
        report,
        server: "bench",
    };
    (from, day)
}

/// The app on `n` vehicles spread over Cairns, moving (arrows) and stamped now.
fn fleet_app(n: usize) -> (egui::Context, FleetApp) {
    {
        let ctx = egui::Context::default();
        let (tx, rx) = crossbeam_channel::bounded(4);
        let mut app = FleetApp::with_context(
            &ctx,
            None,
            AppConfig {
                source: FeedSource::Events {
                    feeds: vec![(FeedId(0), "bench".into())],
                    events: rx,
                },
                prefer_remembered: false,
                tiles: TileSpec::None,
                fleet: FleetConfig {
                    max_vehicles: n.max(FleetConfig::default().max_vehicles),
                    ..FleetConfig::default()
                },
                routes: cairns_routes(),
                alerts: None,
                geofences_file: None,
                clock: fleetview::clock::system(),
                record: None,
            },
        );
        // N vehicles spread over Cairns, moving (arrows) and stamped now.
        let now = now_ms();
        let mut rng = fastrand::Rng::with_seed(n as u64);
        let ids: Vec<String> = (0..n).map(|i| format!("veh-{i}")).collect();
        let labels: Vec<String> = (0..n).map(|i| format!("Vehicle {i}")).collect();
        let mut batch = FixBatch::with_capacity(n, n * 24);
        for i in 0..n {
            batch.push(&FixRef {
                heading: Some(rng.f32() * 360.0),
                speed: Some(10.0),
                meta: Meta {
                    label: Some(&labels[i]),
                    kind: Some(["bus", "van", "truck"][i % 3]),
                    route: (i % 3 == 0).then_some("110"),
                    ..Meta::default()
                },
                ..FixRef::bare(
                    &ids[i],
                    -17.05 + rng.f64() * 0.3,
                    145.65 + rng.f64() * 0.2,
                    now,
                )
            });
        }
        tx.send((FeedId(0), FeedEvent::Snapshot(batch)))
            .expect("send");
        app.logic(&ctx);
        (ctx, app)
    }
}

/// Median ms of a frame, its layout and its tessellation, over 40 frames after 3 to warm up.
fn measure(ctx: &egui::Context, app: &mut FleetApp) -> (f64, f64, f64) {
    {
        let input = |t: f64| RawInput {
            screen_rect: Some(Rect::from_min_size(
                egui::Pos2::ZERO,
                Vec2::new(1280.0, 800.0),
            )),
            time: Some(t),
            ..RawInput::default()
        };
        for i in 0..3 {
            app.logic(ctx);
            let out = ctx.run_ui(input(i as f64 / 60.0), |ui| app.draw(ui));
            let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
        }
        let (mut layout, mut tessellation, mut total) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..40 {
            let started = Instant::now();
            app.logic(ctx);
            let out = ctx.run_ui(input(1.0 + i as f64 / 60.0), |ui| app.draw(ui));
            let laid_out = Instant::now();
            let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
            let done = Instant::now();
            std::hint::black_box(primitives);
            layout.push(laid_out - started);
            tessellation.push(done - laid_out);
            total.push(done - started);
        }
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2].as_secs_f64() * 1e3
        };
        (
            median(&mut total),
            median(&mut layout),
            median(&mut tessellation),
        )
    }
}

/// The route lines the binary hands the window (the simulated fleet's Cairns network).
fn cairns_routes() -> Option<fleetview::routes::RouteLines> {
    fleetview::sim::Network::cairns()
        .ok()
        .map(|n| n.route_lines())
}
