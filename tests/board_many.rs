//! The board with more vehicles in view than are placed one by one (over 2,000): the map draws
//! the cells of the fleet's spatial index, and still counts every vehicle once, keeps the
//! selection out of its cluster, says what a cluster holds, zooms into it on a click, and hides
//! with the filters what the table hides.

use egui::{Event, Key, Modifiers, PointerButton};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use fleetview::clock::now_ms;
use fleetview::feed::FeedEvent;
use fleetview::protocol::{FixBatch, Position};
use fleetview::ui::FleetApp;

mod common;

use common::window::*;

const SIDE: usize = 45;
const GROUP: u32 = (SIDE * SIDE) as u32;

/// Three square groups of 45 × 45 vehicles 33 m apart, 20 km from each other.
fn three_big_groups(tx: &Tx) {
    let t = now_ms();
    let mut all: Vec<Position> = Vec::new();
    for g in 0..3 {
        for i in 0..SIDE * SIDE {
            let lat = CAIRNS.0 + (i / SIDE) as f64 * 0.0003;
            let lon = CAIRNS.1 + g as f64 * 0.2 + (i % SIDE) as f64 * 0.0003;
            let (id, name) = (format!("g{g}-{i}"), format!("Group{g} #{i}"));
            all.push(vehicle(&id, &name, "bus", lat, lon, t));
        }
    }
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&all)))
        .expect("send");
}

fn counts(h: &Harness<'_, FleetApp>) -> Vec<u32> {
    let mut c: Vec<u32> = h.state().map_clusters().iter().map(|c| c.1).collect();
    c.sort();
    c
}

fn many() -> Harness<'static, FleetApp> {
    let (tx, rx) = channel();
    let mut h = app(rx);
    three_big_groups(&tx);
    h.run_steps(4);
    h
}

#[test]
fn many_vehicles_in_view_are_drawn_from_the_index_s_cells_each_counted_once() {
    let h = many();
    assert!(h.state().map_cells_level().is_some(), "drawn from cells");
    assert_eq!(counts(&h), vec![GROUP; 3]);
    assert_eq!(h.state().map_in_view(), (3 * GROUP as usize, true));
}

#[test]
fn the_selection_is_drawn_apart_from_its_cells_and_counted_once() {
    let mut h = many();
    h.key_press(Key::ArrowDown);
    h.run_steps(3);
    let id = selected(&h).expect("a selection");
    assert!(id.starts_with('g'), "{id}");
    let c = counts(&h);
    assert!(
        c.contains(&(GROUP - 1)),
        "its group counts the others: {c:?}"
    );
    let counted: u32 = c.iter().sum();
    assert_eq!(
        counted as usize,
        h.state().map_in_view().0,
        "it is drawn on its own"
    );
}

#[test]
fn a_cluster_of_cells_says_what_it_holds_and_a_click_zooms_into_it() {
    let mut h = many();
    let (at, n) = h.state().map_clusters()[0];
    assert_eq!(n, GROUP);
    h.event(Event::PointerMoved(at));
    h.run_steps(2);
    h.get_by_label(&format!("{GROUP} vehicles"));
    h.get_by_label(&format!("{GROUP} stopped"));
    h.get_by_label("and 2015 more");
    let zoom = h.state().map_view().1;
    click_at(&mut h, at);
    h.run_steps(2);
    assert!(h.state().map_view().1 > zoom + 1.0, "the map zoomed in");
    let (in_view, _) = h.state().map_in_view();
    assert_eq!(
        in_view, GROUP as usize,
        "to that cluster's vehicles, all of them"
    );
}

#[test]
fn a_search_hides_the_markers_it_hides_from_the_table() {
    let mut h = many();
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(Event::Text("Group1".into()));
    h.run_steps(3);
    assert_eq!(h.state().map_in_view().0, GROUP as usize);
    assert_eq!(counts(&h).iter().sum::<u32>(), GROUP);
    assert_eq!(h.state().map_cells_level(), None, "each vehicle asked");
    // Clearing the search brings every marker back (drawn from the cells again).
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert_eq!(
        h.state().map_in_view().0,
        3 * GROUP as usize,
        "the search cleared"
    );
    assert!(h.state().map_cells_level().is_some());
}

#[test]
fn a_right_click_on_a_cluster_of_cells_lists_the_first_thousand_by_name_to_pick_from() {
    let mut h = many();
    // The easternmost: group 2, whose names the table (at the top of "Group0") does not show.
    let clusters = h.state().map_clusters();
    let (at, _) = *clusters
        .iter()
        .max_by(|a, b| a.0.x.total_cmp(&b.0.x))
        .expect("clusters");
    h.event(Event::PointerMoved(at));
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at,
            button: PointerButton::Secondary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run_steps(2);
    h.get_by_label(&format!("{GROUP} vehicles here"));
    h.get_by_label("the first 1000 by name: zoom in to pick among the rest");
    // In name order, numbers as numbers (only the rows in sight are built).
    h.get_by_label("Group2 #0");
    h.get_by_label("Group2 #10");
}

#[test]
fn a_vehicle_with_an_sos_is_taken_out_of_its_cells_and_drawn_apart() {
    let (tx, rx) = channel();
    let builder = egui_kittest::Harness::builder();
    let engine = fleetview::alerts::Engine::default();
    let fleet = fleetview::fleet::FleetConfig::default();
    let mut h = app_with_alerts(builder, rx, fleet, Some(engine), None);
    three_big_groups(&tx);
    h.run_steps(4);
    let sos = fleetview::feed::VehicleNotice {
        id: "g1-7".into(),
        kind: "alarm".into(),
        ts: now_ms(),
        detail: Some("sos".into()),
    };
    tx.send(FeedEvent::Notices(vec![sos])).expect("send");
    h.run_steps(4);
    assert!(h.state().map_cells_level().is_some(), "drawn from cells");
    let alarmed = h.state().map_alarmed();
    assert_eq!(alarmed.len(), 1, "{alarmed:?}");
    assert_eq!(alarmed[0].0, "g1-7");
    let c = counts(&h);
    assert!(
        c.contains(&(GROUP - 1)),
        "its group counts the others: {c:?}"
    );
    let counted: u32 = c.iter().sum();
    assert_eq!(counted, 3 * GROUP - 1, "and it once, on its own");
}
