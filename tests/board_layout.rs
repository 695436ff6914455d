//! The board in a small window (900x600) under egui_kittest: with every panel open the map
//! keeps half the width and nothing drawn overlaps; the details start at the top for each
//! vehicle; the tiles' attribution shows only while a tile is drawn (never needing real tiles:
//! none, an unreachable loopback server, or a loopback server of one small PNG).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use egui::{Event, Key, Modifiers, MouseWheelSource, MouseWheelUnit, Rect, TouchPhase, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use fleetview::clock::now_ms;
use fleetview::feed::FeedEvent;
use fleetview::protocol::{FixBatch, Position};
use fleetview::ui::{FleetApp, TileSpec};

mod common;

use common::window::*;

const ATTRIBUTION: &str = "© OpenStreetMap contributors";
const LONG_NAME: &str = "Refrigerated delivery van number three of the northern depot";

/// The app at 900x600 on `tiles`, fed through the channel.
fn small_app(
    rx: crossbeam_channel::Receiver<(fleetview::feed::FeedId, FeedEvent)>,
    tiles: TileSpec,
) -> Harness<'static, FleetApp> {
    sized_app(rx, tiles, Vec2::new(900.0, 600.0))
}

fn sized_app(
    rx: crossbeam_channel::Receiver<(fleetview::feed::FeedId, FeedEvent)>,
    tiles: TileSpec,
    size: Vec2,
) -> Harness<'static, FleetApp> {
    Harness::builder()
        .with_size(size)
        .with_max_steps(20)
        .build_eframe(|cc| FleetApp::new(cc, config(events_of(rx), tiles)))
}

/// A vehicle with many attributes, so its details need scrolling.
fn with_attrs(id: &str, label: &str, lat: f64) -> Position {
    let mut p = vehicle(id, label, "van", lat, CAIRNS.1, now_ms());
    let attrs = serde_json::json!({
        "batteryLevel": 87.0, "power": 12.61, "totalDistance": 152340.5, "altitude": 12.3,
        "accuracy": 4.0, "ignition": true, "motion": false, "sat": 9, "hdop": 0.8,
        "rssi": 4, "hours": 7200000, "distance": 12.3, "fuelType": "diesel",
        "note": "a very long note that cannot fit in any cell of the details grid at all"
    });
    p.attrs = attrs.as_object().cloned();
    p
}

fn send_fleet(tx: &Tx) {
    let batch = FixBatch::from_positions(&[
        with_attrs("van-1", "Van 1", CAIRNS.0),
        with_attrs("van-2", "Van 2", CAIRNS.0 + 0.004),
        with_attrs("van-3", LONG_NAME, CAIRNS.0 + 0.008),
    ]);
    tx.send(FeedEvent::Connected {
        url: "ws://test.invalid/feed".into(),
    })
    .expect("send");
    tx.send(FeedEvent::Snapshot(batch)).expect("send");
}

/// Whether two rectangles overlap by more than the hairline panels share.
fn overlap(a: Rect, b: Rect) -> bool {
    let i = a.intersect(b);
    i.width() > 1.0 && i.height() > 1.0
}

/// The widget whose label starts with `label` drawn inside `within` (the same words may be
/// elsewhere too).
fn rect_in(h: &Harness<'_, FleetApp>, label: &str, within: Rect) -> Rect {
    h.query_all_by(|n| {
        let text = n.label().or_else(|| n.value());
        n.bounding_box().is_some() && text.is_some_and(|l| l.starts_with(label))
    })
    .map(|n| n.rect())
    .find(|r| within.expand(1.0).contains_rect(*r))
    .unwrap_or_else(|| panic!("no {label:?} inside {within:?}"))
}

/// The top of the highest widget labelled `label` in the columns of `panel` (scrolled out of
/// it, or not).
fn top_in_columns(h: &Harness<'_, FleetApp>, label: &str, panel: Rect) -> f32 {
    h.query_all_by_label(label)
        .map(|n| n.rect())
        .filter(|r| r.left() >= panel.left() - 1.0 && r.right() <= panel.right() + 1.0)
        .map(|r| r.top())
        .fold(f32::INFINITY, f32::min)
}

#[test]
fn at_900_by_600_with_every_panel_open_the_map_keeps_half_the_width_and_nothing_overlaps() {
    let (tx, rx) = channel();
    let mut h = small_app(rx, TileSpec::None);
    send_fleet(&tx);
    h.run_steps(3);
    h.get_by_label("Feeds").click();
    h.get_by_label("Alerts").click();
    h.run_steps(2);
    h.get_by_label_contains("Refrigerated").click();
    h.run_steps(4);
    assert_eq!(selected(&h).as_deref(), Some("van-3"));
    let board = h.state().board();
    let map = board.map.expect("map");
    let panels = [
        ("feeds", board.feeds.expect("Feeds panel open")),
        ("table", board.table.expect("table")),
        ("details", board.details.expect("details open")),
        ("alerts", board.alerts.expect("Alerts panel open")),
        ("map", map),
    ];
    assert!(map.width() >= 450.0, "the map is {} wide", map.width());
    let window = Rect::from_min_size(egui::Pos2::ZERO, Vec2::new(900.0, 600.0));
    for (i, (a, ra)) in panels.iter().enumerate() {
        assert!(
            window.expand(1.0).contains_rect(*ra),
            "{a} {ra:?} off the window"
        );
        for (b, rb) in &panels[i + 1..] {
            assert!(!overlap(*ra, *rb), "{a} {ra:?} overlaps {b} {rb:?}");
        }
    }
    let details = board.details.expect("details");
    // The title stops short of the Follow button.
    let follow = rect_in(&h, "Follow", details);
    // (Clipped: only its start is shown, the whole on hover.)
    let title = rect_in(&h, "Refrigerated", details);
    assert!(
        !overlap(title, follow),
        "title {title:?} under Follow {follow:?}"
    );
    // Every header button of the Alerts panel is whole, inside it.
    let alerts = board.alerts.expect("alerts");
    for label in ["Acknowledge all", "Geofences", "Sound"] {
        rect_in(&h, label, alerts);
    }
    // The map's buttons are on the map.
    for label in ["Whole fleet", "Layers"] {
        rect_in(&h, label, map);
    }
    // Attributes read as words with units, not raw JSON.
    // (Further down the details, which scroll.)
    for words in ["87%", "supply voltage", "12.6 V", "152.3 km"] {
        assert!(top_in_columns(&h, words, details).is_finite(), "{words}");
    }
    assert!(h.query_by_label_contains("batteryLevel").is_none());
}

#[test]
fn in_a_window_too_narrow_for_both_side_panels_the_feeds_float_over_the_map() {
    let (tx, rx) = channel();
    let mut h = sized_app(rx, TileSpec::None, Vec2::new(760.0, 560.0));
    send_fleet(&tx);
    h.run_steps(3);
    h.get_by_label("Feeds").click();
    h.run_steps(3);
    let board = h.state().board();
    let (map, table) = (board.map.expect("map"), board.table.expect("table"));
    let feeds = board.feeds.expect("the Feeds panel is open");
    assert!(map.width() >= 380.0, "the map is {} wide", map.width());
    assert!(!overlap(map, table));
    assert!(
        map.contains_rect(feeds.shrink(1.0)),
        "the Feeds panel {feeds:?} floats over the map {map:?}"
    );
    h.get_by_label("Add feed…");
}

/// Scrolls the wheel over `at`, down by `points`.
fn wheel(h: &mut Harness<'_, FleetApp>, at: egui::Pos2, points: f32) {
    h.event(Event::PointerMoved(at));
    h.event(Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: Vec2::new(0.0, -points),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Unknown,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(3);
}

#[test]
fn the_details_start_at_the_top_for_each_newly_selected_vehicle() {
    let (tx, rx) = channel();
    let mut h = small_app(rx, TileSpec::None);
    send_fleet(&tx);
    h.run_steps(3);
    h.get_by_label_contains("Van 1").click();
    h.run_steps(3);
    let details = h.state().board().details.expect("details");
    // The first row of the grid ("feed"), under the title.
    let top = top_in_columns(&h, "feed", details);
    assert!(top >= details.top() - 1.0, "starts at the top");
    wheel(&mut h, details.center(), 300.0);
    let scrolled = top_in_columns(&h, "feed", details);
    assert!(
        scrolled < details.top() - 50.0,
        "scrolled: {scrolled} vs {}",
        details.top()
    );
    // The next vehicle, by key, with the pointer still over the details.
    h.key_press(Key::ArrowDown);
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("van-2"));
    let details = h.state().board().details.expect("details");
    let first = top_in_columns(&h, "feed", details);
    assert!(
        (first - top).abs() < 1.0,
        "the next vehicle's details start at the top: {first} (was {top})"
    );
}

#[test]
fn no_attribution_without_tiles() {
    let (tx, rx) = channel();
    let mut h = small_app(rx, TileSpec::None);
    send_fleet(&tx);
    h.run_steps(4);
    assert!(h.state().board().map.is_some());
    assert!(h.query_by_label(ATTRIBUTION).is_none());
}

#[test]
fn no_attribution_while_no_tile_has_loaded() {
    let (_tx, rx) = channel();
    // Nothing listens on the discard port: every tile fails.
    let tiles = TileSpec::Template("http://127.0.0.1:9/{z}/{x}/{y}.png".into());
    let mut h = small_app(rx, tiles);
    let until = Instant::now() + Duration::from_secs(2);
    while Instant::now() < until {
        h.step();
        assert!(
            h.query_by_label(ATTRIBUTION).is_none(),
            "no tile, no credit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A 1x1 PNG (one translucent pixel).
const PNG: [u8; 70] = [
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x70, 0x68, 0x38, 0xf0,
    0x1f, 0x00, 0x05, 0x04, 0x02, 0x80, 0x3c, 0x9e, 0x03, 0x80, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A loopback tile server answering every request with the PNG; its URL template.
fn tile_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\
                     Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                    PNG.len()
                );
                let _ = s.write_all(head.as_bytes());
                let _ = s.write_all(&PNG);
            });
        }
    });
    format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png")
}

#[test]
fn the_attribution_shows_once_tiles_are_drawn() {
    let (_tx, rx) = channel();
    let mut h = small_app(rx, TileSpec::Template(tile_server()));
    let until = Instant::now() + Duration::from_secs(10);
    while h.query_by_label(ATTRIBUTION).is_none() {
        assert!(
            Instant::now() < until,
            "tiles from the loopback server were never drawn"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn in_a_narrow_window_the_status_bar_wraps_clear_of_the_theme_buttons() {
    let (tx, rx) = channel();
    let mut h = sized_app(rx, TileSpec::None, Vec2::new(800.0, 560.0));
    send_fleet(&tx);
    h.run_steps(4);
    let window = Rect::from_min_size(egui::Pos2::ZERO, Vec2::new(800.0, 560.0));
    let auto = rect_in(&h, "Auto", window);
    let rejected = rect_in(&h, "0 rejected", window);
    let feeds = rect_in(&h, "Feeds", window);
    assert!(!overlap(auto, rejected), "{auto:?} over {rejected:?}");
    assert!(
        rejected.right() <= auto.left(),
        "the bar's words stay left of the theme"
    );
    // At most two rows: the bar never grows over the map.
    assert!(
        feeds.top() > 560.0 - 70.0,
        "the bar starts at {}",
        feeds.top()
    );
    let map = h.state().map_rect();
    assert!(map.height() > 300.0, "the map is {} tall", map.height());
}
