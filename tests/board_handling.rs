//! The board handles like the maps people know, and every part of it tells the same truth
//! (egui_kittest, no GPU): the plain wheel zooms about the pointer; the chips, the search and
//! hidden feeds filter the map, its clusters, the table and "Whole fleet" alike; sorting shows
//! its direction, starts at row 1 and never shows rows out of order; a replay says so.

use std::time::{Duration, Instant};

use egui::{Event, Key, Modifiers, MouseWheelSource, MouseWheelUnit, Pos2, TouchPhase, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

mod common;

use common::window::*;
use fleetview::clock::now_ms;
use fleetview::feed::FeedEvent;
use fleetview::protocol::{FixBatch, Position};
use fleetview::ui::FleetApp;

fn wheel(h: &mut Harness<'_, FleetApp>, at: Pos2, notches: f32) {
    h.event(Event::PointerMoved(at));
    h.event(Event::MouseWheel {
        unit: MouseWheelUnit::Line,
        delta: Vec2::new(0.0, notches),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
    // egui spreads a notch over a few frames.
    for _ in 0..20 {
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A bus with a speed: moving above 1 m/s, stopped below.
fn bus(i: usize, lat: f64, lon: f64, speed: f32, t: i64) -> Position {
    let mut p = vehicle(&format!("bus-{i}"), &format!("Bus {i}"), "bus", lat, lon, t);
    p.speed = Some(speed);
    p.heading = Some(90.0);
    p.route = Some(if i.is_multiple_of(10) { "110" } else { "7" }.into());
    p
}

/// `n` buses on a line 300 m apart, every third one stopped; bus-0, 10, 20... run route 110.
fn line_of_buses(tx: &Tx, n: usize) -> i64 {
    let t = now_ms();
    let all: Vec<Position> = (0..n)
        .map(|i| {
            let speed = if i.is_multiple_of(3) {
                0.0
            } else {
                5.0 + i as f32
            };
            bus(i, CAIRNS.0, CAIRNS.1 + i as f64 * 0.003, speed, t)
        })
        .collect();
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&all)))
        .expect("send");
    t
}

fn label_shown(h: &Harness<'_, FleetApp>, text: &str) -> bool {
    h.query_by_label(text).is_some()
}

#[test]
fn the_plain_wheel_zooms_about_the_pointer_and_scrolling_back_zooms_out() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(4);
    let ((lat0, lon0), zoom0) = h.state().map_view();
    let rect = h.state().map_rect();
    let at = rect.center() + Vec2::new(150.0, -100.0);
    wheel(&mut h, at, 1.0);
    let ((lat1, lon1), zoom1) = h.state().map_view();
    assert!(
        (zoom1 - zoom0 - 1.0).abs() < 0.05,
        "one notch, one level: {zoom0} -> {zoom1}"
    );
    // About the pointer: the centre moved towards it (east and north), by half the way at one
    // level (the place under the pointer stayed there).
    assert!(lon1 > lon0 && lat1 > lat0, "{lat0},{lon0} -> {lat1},{lon1}");
    wheel(&mut h, at, -1.0);
    let ((lat2, lon2), zoom2) = h.state().map_view();
    assert!((zoom2 - zoom0).abs() < 0.05, "back out: {zoom2}");
    assert!(
        (lat2 - lat0).abs() < 1e-4 && (lon2 - lon0).abs() < 1e-4,
        "and back where it was"
    );
}

#[test]
fn a_hidden_status_leaves_no_marker_on_the_map_and_the_cluster_counts_drop() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    // 30 buses at one spot (a cluster of 30), 10 of them stopped.
    let all: Vec<Position> = (0..30usize)
        .map(|i| {
            let speed = if i.is_multiple_of(3) { 0.0 } else { 8.0 };
            bus(i, CAIRNS.0 + (i / 6) as f64 * 1e-4, CAIRNS.1, speed, t)
        })
        .collect();
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&all)))
        .expect("send");
    h.run_steps(4);
    assert_eq!(h.state().map_in_view().0, 30);
    let total: u32 = h.state().map_clusters().iter().map(|c| c.1).sum();
    assert_eq!(total, 30);
    h.get_by_label("10 stopped").click();
    h.run_steps(3);
    assert_eq!(h.state().map_in_view().0, 20, "no marker for a stopped bus");
    let total: u32 = h.state().map_clusters().iter().map(|c| c.1).sum();
    assert_eq!(total, 20, "the clusters count only what is shown");
    assert_eq!(h.state().list_ids().len(), 20);
    assert!(label_shown(&h, "20 of 30 shown"));
    // One control clears every filter.
    h.get_by_label("Clear filters").click();
    h.run_steps(3);
    assert_eq!(h.state().map_in_view().0, 30);
    assert!(h.query_by_label_contains("of 30 shown").is_none());
    assert!(h.query_by_label("Clear filters").is_none());
}

#[test]
fn a_search_filters_the_map_the_table_and_whole_fleet_alike() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    line_of_buses(&tx, 40);
    h.run_steps(4);
    h.key_press(Key::Home);
    h.run_steps(3);
    assert_eq!(h.state().map_in_view().0, 40);
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(Event::Text("110".into()));
    h.run_steps(3);
    // bus-0, 10, 20 and 30 run route 110.
    assert_eq!(h.state().list_ids().len(), 4);
    assert!(label_shown(&h, "4 of 40 shown"));
    assert_eq!(h.state().map_in_view().0, 4, "the map shows the same four");
    // Whole fleet fits what is shown: the four span 9 km, not 12.
    let wide = h.state().map_view().1;
    // Leave the search box (a click on empty map), then Home.
    let empty = h.state().map_rect().center() + Vec2::new(0.0, 200.0);
    click_at(&mut h, empty);
    h.key_press(Key::Home);
    h.run_steps(2);
    let ((_, lon), zoom) = h.state().map_view();
    assert!(zoom >= wide, "{zoom} vs {wide}");
    assert!(
        (lon - (CAIRNS.1 + 0.045)).abs() < 1e-6,
        "centred on bus-0..bus-30: {lon}"
    );
}

#[test]
fn a_selected_vehicle_that_a_filter_hides_says_so_in_its_details() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    line_of_buses(&tx, 6);
    h.run_steps(4);
    h.get_by_label("Bus 3").click();
    h.run_steps(2);
    assert_eq!(selected(&h).as_deref(), Some("bus-3"));
    h.get_by_label("2 stopped").click();
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("bus-3"), "still selected");
    h.get_by_label_contains("Filtered out: stopped vehicles are hidden");
    h.get_all_by_label("Clear filters")
        .last()
        .expect("the details' button")
        .click();
    h.run_steps(3);
    assert!(h.query_by_label_contains("Filtered out").is_none());
}

/// The Speed column's words, row by row, as the table shows them.
fn speeds(h: &Harness<'_, FleetApp>) -> Vec<f32> {
    let words = |n: &egui_kittest::kittest::AccessKitNode<'_>| n.label().or_else(|| n.value());
    h.query_all_by(|n| words(n).is_some_and(|l| l.ends_with(" km/h")))
        .filter_map(|n| {
            let text = words(&n.accesskit_node())?;
            text.trim_end_matches("km/h").trim().parse().ok()
        })
        .collect()
}

#[test]
fn every_sorted_column_shows_its_direction_and_a_header_click_shows_row_one() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    line_of_buses(&tx, 120);
    h.run_steps(4);
    h.get_by_label("Name, sorted smallest first");
    // Far down the list.
    h.get_by_label("Bus 3").click();
    for _ in 0..100 {
        h.key_press(Key::ArrowDown);
        h.run_steps(1);
    }
    h.run_steps(4);
    assert!(h.query_by_label("Bus 0").is_none(), "row 1 scrolled away");
    h.get_by_label("Speed").click();
    h.run_steps(4);
    h.get_by_label("Speed, sorted largest first");
    assert!(h.query_by_label("Name, sorted smallest first").is_none());
    let fastest = h.state().list_ids()[0].clone();
    assert_eq!(fastest, "bus-119");
    assert!(
        h.query_by_label("Bus 119").is_some(),
        "the first row is in view"
    );
    for column in ["Status", "Updated", "Name"] {
        h.get_by_label(column).click();
        h.run_steps(3);
        h.get_by_label(&format!("{column}, sorted smallest first"));
    }
}

#[test]
fn a_table_sorted_by_speed_never_shows_rows_out_of_order() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = line_of_buses(&tx, 12);
    h.run_steps(4);
    h.get_by_label("Speed").click();
    h.run_steps(3);
    let before = speeds(&h);
    assert!(before.len() >= 8, "{before:?}");
    // Within the second: the slowest moving bus overtakes every other.
    let mut p = bus(1, CAIRNS.0, CAIRNS.1, 40.0, t + 100);
    p.ts = t + 100;
    let mut b = FixBatch::from_positions(&[p]);
    b.received_ms = now_ms();
    tx.send(FeedEvent::Positions(b)).expect("send");
    let deadline = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < deadline {
        h.run_steps(1);
        let now = speeds(&h);
        assert!(
            now.windows(2).all(|w| w[0] >= w[1]),
            "rows out of order: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    h.run_steps(2);
    assert_eq!(
        h.state().list_ids()[0],
        "bus-1",
        "re-sorted within a second"
    );
    assert_eq!(speeds(&h)[0], 144.0);
}
