//! "Which vehicle is nearest this place?": a right-click on the map offers the nearest vehicles,
//! and the window ranks a hand-placed set by straight-line distance, says which are coming
//! closer, leaves a lost vehicle out however close, and a click selects one. Driven through
//! egui_kittest (no GPU, no display).

mod common;

use egui::{Event, Modifiers, PointerButton, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use common::window::*;
use fleetview::clock::now_ms;
use fleetview::feed::FeedEvent;
use fleetview::protocol::{FixBatch, Position};
use fleetview::ui::FleetApp;

fn right_click_at(h: &mut Harness<'_, FleetApp>, pos: Pos2) {
    h.event(Event::PointerMoved(pos));
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos,
            button: PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run_steps(2);
}

/// A vehicle placed by hand: name, lat, lon, speed, heading, age of its fix (ms).
type Placed<'a> = (&'a str, f64, f64, Option<f32>, Option<f32>, i64);

/// Around Cairns Central, so that the fitted map is centred on it: (name, lat, lon, speed,
/// heading, age of the fix in ms).
fn placed(t: i64) -> Vec<Position> {
    let (lat, lon) = CAIRNS;
    let spots: [Placed<'_>; 5] = [
        ("Van A", lat, lon + 0.004, Some(12.0), Some(90.0), 1_000),
        ("Van B", lat + 0.01, lon, Some(12.0), Some(180.0), 1_000),
        ("Van C", lat - 0.01, lon + 0.002, Some(0.0), None, 5_000),
        ("Van D", lat, lon - 0.02, Some(8.0), None, 2_000),
        ("Van E", lat, lon + 0.02, None, None, 3_600_000),
    ];
    spots
        .iter()
        .map(|&(name, lat, lon, speed, heading, age)| {
            let id = name.to_lowercase().replace(' ', "-");
            let mut p = vehicle(&id, name, "van", lat, lon, t - age);
            p.speed = speed;
            p.heading = heading;
            p
        })
        .collect()
}

/// The window's words of one kind, top to bottom (each label once, not its text run too).
fn words_in(h: &Harness<'_, FleetApp>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    h.query_all_by(|n| {
        n.role() == egui::accesskit::Role::Label
            && n.label().or_else(|| n.value()).is_some_and(|l| keep(&l))
    })
    .filter_map(|n| {
        let n = n.accesskit_node();
        n.label().or_else(|| n.value())
    })
    .collect()
}

/// The window, fed the hand-placed vans.
fn window_with_placed() -> Harness<'static, FleetApp> {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let vans = FixBatch::from_positions(&placed(now_ms()));
    tx.send(FeedEvent::Snapshot(vans)).expect("send");
    h.run_steps(4);
    h
}

#[test]
fn a_right_click_ranks_the_nearest_live_vehicles_and_a_click_selects_one() {
    let mut h = window_with_placed();
    let centre = h.state().map_rect().center();
    right_click_at(&mut h, centre);
    h.get_by_label("Nearest vehicles").click();
    h.run_steps(3);
    let distances = words_in(&h, |l| l.ends_with(" m") || l.ends_with(" km"));
    assert_eq!(
        distances,
        ["430 m", "1.1 km", "1.1 km", "2.1 km"],
        "closest first"
    );
    let closing = [
        "approaching",
        "moving away",
        "not moving",
        "heading unknown",
    ];
    let words = words_in(&h, |l| closing.contains(&l));
    assert_eq!(
        words,
        [
            "moving away",
            "approaching",
            "not moving",
            "heading unknown"
        ],
        "A drives away, B towards it, C is parked, D sends no heading; E is lost: not listed"
    );
    pick(&mut h, "Van B");
    assert_eq!(selected(&h), Some("van-b".into()));
}

/// Clicks the button named `name` (a row of the window or the menu, not the table's).
fn pick(h: &mut Harness<'_, FleetApp>, name: &str) {
    h.query_all_by_label(name)
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::Button)
        .unwrap_or_else(|| panic!("a button {name:?}"))
        .click();
    h.run_steps(2);
}

#[test]
fn a_right_click_on_a_cluster_lists_every_vehicle_in_it_to_pick_from() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    let depot: Vec<Position> = (1..=12)
        .map(|i| {
            let (lat, lon) = (CAIRNS.0 + (i % 3) as f64 * 1e-5, CAIRNS.1);
            vehicle(&format!("van-{i}"), &format!("Van {i}"), "van", lat, lon, t)
        })
        .collect();
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&depot)))
        .expect("send");
    h.run_steps(4);
    let (at, count) = h.state().map_clusters()[0];
    assert_eq!(count, 12);
    right_click_at(&mut h, at);
    h.get_by_label("12 vehicles here");
    pick(&mut h, "Van 11");
    assert_eq!(selected(&h), Some("van-11".into()));
}

#[test]
fn coordinates_typed_in_the_search_open_the_nearest_vehicles_and_filter_nothing() {
    let mut h = window_with_placed();
    h.key_press(egui::Key::Slash);
    h.run_steps(2);
    h.event(Event::Text(format!("{}, {}", CAIRNS.0, CAIRNS.1)));
    h.run_steps(3);
    h.get_by_label("Nearest vehicles");
    let distances = words_in(&h, |l| l.ends_with(" m") || l.ends_with(" km"));
    assert_eq!(distances, ["430 m", "1.1 km", "1.1 km", "2.1 km"]);
    assert!(
        h.query_by_label("Clear filters").is_none(),
        "a place is not a filter: every vehicle stays shown"
    );
}
