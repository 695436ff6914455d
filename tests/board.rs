//! The dispatch board under egui_kittest (no GPU, no display): clusters and their counts, fans,
//! labels that never overlap, the table's sorting, filters and search, the map's controls and
//! keys, and the details. Fleets arrive through the same bounded channel the feed thread uses.

use egui::accesskit::Role;
use egui::{Event, Key, Pos2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use fleetview::clock::now_ms;
use fleetview::feed::FeedEvent;
use fleetview::protocol::{FixBatch, Position};
use fleetview::ui::FleetApp;

mod common;

use common::window::*;

/// `per_group` vehicles in each of three tight groups (a 5-wide grid 16 m apart) 3.3 km apart.
fn three_groups(tx: &Tx, per_group: usize) {
    let t = now_ms();
    let mut all = Vec::new();
    for g in 0..3 {
        for i in 0..per_group {
            let lat = CAIRNS.0 + (i / 5) as f64 * 0.00015;
            let lon = CAIRNS.1 + g as f64 * 0.03 + (i % 5) as f64 * 0.00015;
            let name = format!("G{g} #{i}");
            all.push(vehicle(&format!("g{g}-{i}"), &name, "bus", lat, lon, t));
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

/// Whether the table shows a row for `name` (rows off screen are not built).
fn row_shown(h: &Harness<'_, FleetApp>, name: &str) -> bool {
    h.query_by(|n| n.label().as_deref() == Some(name) && n.role() == Role::Button)
        .is_some()
}

fn hover(h: &mut Harness<'_, FleetApp>, at: Pos2) {
    h.event(Event::PointerMoved(at));
    h.run_steps(2);
}

#[test]
fn nearby_vehicles_merge_into_clusters_with_counts_and_a_click_zooms_into_one() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    three_groups(&tx, 20);
    h.run_steps(4);
    assert_eq!(counts(&h), vec![20, 20, 20]);
    assert_eq!(h.state().map_in_view(), (60, true));
    // Hovering a cluster says what is in it.
    let (at, _) = h.state().map_clusters()[0];
    hover(&mut h, at);
    h.get_by_label("20 vehicles");
    h.get_by_label("20 stopped");
    h.get_by_label("20 bus");
    // ... and who: the first ten by name, how each is doing, and how many more.
    let tip: Vec<String> = h
        .query_all_by(|n| {
            n.label()
                .or_else(|| n.value())
                .is_some_and(|l| l.contains(" · stopped"))
        })
        .map(|n| {
            let n = n.accesskit_node();
            n.label().or_else(|| n.value()).unwrap_or_default()
        })
        .collect();
    assert_eq!(tip.len(), 10, "{tip:?}");
    assert!(
        tip[0].ends_with(" #0 · stopped") && tip[9].ends_with(" #9 · stopped"),
        "in name order: {tip:?}"
    );
    h.get_by_label("and 10 more");
    let zoom = h.state().map_view().1;
    click_at(&mut h, at);
    h.run_steps(2);
    assert!(h.state().map_view().1 > zoom + 2.0, "the map zoomed in");
    let (in_view, _) = h.state().map_in_view();
    assert_eq!(in_view, 20, "all of that cluster's vehicles are in view");
    assert!(
        counts(&h).iter().all(|c| *c < 20),
        "and no longer one cluster: {:?}",
        counts(&h)
    );
}

#[test]
fn vehicles_at_one_spot_fan_out_on_a_click_and_one_can_be_picked() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    let mut all: Vec<Position> = (0..5)
        .map(|i| {
            vehicle(
                &format!("depot-{i}"),
                &format!("Depot {i}"),
                "van",
                CAIRNS.0,
                CAIRNS.1,
                t,
            )
        })
        .collect();
    all.push(vehicle("far", "Far", "van", CAIRNS.0 + 0.05, CAIRNS.1, t));
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&all)))
        .expect("send");
    h.run_steps(4);
    assert_eq!(counts(&h), vec![5]);
    let (at, _) = h.state().map_clusters()[0];
    let zoom = h.state().map_view().1;
    click_at(&mut h, at);
    h.run_steps(2);
    assert_eq!(h.state().map_view().1, zoom, "no zoom can part them");
    let fanned = h.state().map_fanned();
    assert_eq!(fanned.len(), 5, "fanned out: {fanned:?}");
    assert!(counts(&h).is_empty());
    let (id, at) = fanned[2].clone();
    click_at(&mut h, at);
    assert_eq!(selected(&h), Some(id));
    // Esc folds the fan away first; the selection stays.
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.state().map_fanned().is_empty());
    assert!(selected(&h).is_some());
}

#[test]
fn the_selected_vehicle_is_never_hidden_in_a_cluster() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    three_groups(&tx, 20);
    h.run_steps(4);
    h.key_press(Key::ArrowDown);
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("g0-0"));
    // Its group's cluster counts the others only; it is drawn on its own, on top.
    let c = counts(&h);
    assert!(c.contains(&19) && c.iter().all(|n| *n <= 20), "{c:?}");
    assert_eq!(c.iter().sum::<u32>() as usize, h.state().map_in_view().0);
}

#[test]
fn labels_never_overlap_and_the_selection_is_always_labelled() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    // A 14 x 14 grid 55 m apart: at street zoom every marker stands alone, but the names
    // would collide if all were drawn.
    let all: Vec<Position> = (0..196)
        .map(|i| {
            let lat = CAIRNS.0 + (i / 14) as f64 * 0.0005;
            let lon = CAIRNS.1 + (i % 14) as f64 * 0.0005;
            vehicle(
                &format!("v{i:03}"),
                &format!("Vehicle number {i}"),
                "car",
                lat,
                lon,
                t,
            )
        })
        .collect();
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&all)))
        .expect("send");
    h.run_steps(4);
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    h.key_press(Key::Z);
    h.run_steps(3);
    assert_eq!(h.state().map_view().1, 16.0);
    assert!(counts(&h).is_empty(), "nothing clusters at street zoom");
    let labels = h.state().map_labels();
    let in_view = h.state().map_in_view().0;
    assert!(labels.len() >= 10, "{} labels", labels.len());
    assert!(
        labels.len() < in_view,
        "{} labels for {in_view}",
        labels.len()
    );
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            assert!(!a.intersects(*b), "{a:?} overlaps {b:?}");
        }
    }
    // L switches labels off (the selection keeps its own).
    h.key_press(Key::L);
    h.run_steps(2);
    assert!(!h.state().view().layers.labels);
    assert_eq!(h.state().map_labels().len(), 1);
}

fn with_speed(mut p: Position, speed: f32) -> Position {
    p.speed = Some(speed);
    p
}

#[test]
fn the_table_sorts_by_any_column_and_filters_by_status() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    let at = |id: &str, name: &str, ts: i64, speed: f32| {
        with_speed(vehicle(id, name, "bus", CAIRNS.0, CAIRNS.1, ts), speed)
    };
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&[
        at("a", "Alpha", t, 20.0),
        at("b", "Bravo", t, 10.0),
        at("c", "Charlie", t, 0.0),
        at("d", "Delta", t - 60_000, 5.0),
    ])))
    .expect("send");
    h.run_steps(4);
    assert_eq!(h.state().list_ids(), vec!["a", "b", "c", "d"]);
    h.get_by_label("Delta");
    h.get_by_label("stale");
    h.get_by_label("72 km/h");
    h.get_by_label("Speed").click();
    h.run_steps(2);
    assert_eq!(
        h.state().list_ids(),
        vec!["a", "b", "d", "c"],
        "fastest first"
    );
    h.get_by_label("Speed, sorted largest first").click();
    h.run_steps(2);
    assert_eq!(h.state().list_ids(), vec!["c", "d", "b", "a"]);
    h.get_by_label("Status").click();
    h.run_steps(2);
    assert_eq!(h.state().list_ids(), vec!["a", "b", "c", "d"]);
    h.get_by_label("Updated").click();
    h.run_steps(2);
    assert_eq!(h.state().list_ids().last().map(String::as_str), Some("d"));
    // A chip per status, with its count; a click hides that status from the table.
    h.get_by_label("2 moving");
    h.get_by_label("1 stopped").click();
    h.run_steps(2);
    assert!(!h.state().list_ids().contains(&"c".to_owned()));
    h.get_by_label("1 stale").click();
    h.run_steps(2);
    assert_eq!(h.state().list_ids(), vec!["a", "b"]);
    h.get_by_label("2 moving").click();
    h.run_steps(2);
    h.get_by_label("No vehicle in the statuses and feeds shown.");
}

#[test]
fn a_search_shows_its_first_match_says_when_none_and_clearing_it_keeps_the_selection_in_view() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    let all: Vec<Position> = (1..=300)
        .map(|i| {
            let lat = CAIRNS.0 + (i % 20) as f64 * 0.001;
            let lon = CAIRNS.1 + (i / 20) as f64 * 0.001;
            vehicle(&format!("bus-{i}"), &format!("Bus {i}"), "bus", lat, lon, t)
        })
        .collect();
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&all)))
        .expect("send");
    h.run_steps(4);
    // Up from nothing selects the last row, and the table scrolls down to it.
    h.key_press(Key::ArrowUp);
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("bus-300"));
    assert!(row_shown(&h, "Bus 300"));
    assert!(!row_shown(&h, "Bus 1"), "the top is out of view");
    // A search shows its first match, whatever the scroll was.
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(Event::Text("Bus 1".into()));
    h.run_steps(3);
    assert_eq!(h.state().list_ids()[0], "bus-1");
    assert!(row_shown(&h, "Bus 1"));
    // Clearing it brings the selection back into view.
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert_eq!(h.state().view().search, "");
    assert_eq!(selected(&h).as_deref(), Some("bus-300"));
    assert!(row_shown(&h, "Bus 300"));
    // No match says so.
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(Event::Text("zzz".into()));
    h.run_steps(3);
    h.get_by_label("No vehicle matches \u{201c}zzz\u{201d}.");
}

#[test]
fn home_fits_the_whole_fleet_and_z_zooms_to_the_selection() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    three_groups(&tx, 20);
    h.run_steps(4);
    for _ in 0..4 {
        h.key_press(Key::Plus);
    }
    h.run_steps(3);
    assert!(h.state().map_in_view().0 < 60, "zoomed in on part of it");
    h.key_press(Key::Home);
    h.run_steps(3);
    assert_eq!(h.state().map_in_view().0, 60, "every vehicle in view");
    // The button does the same.
    for _ in 0..4 {
        h.key_press(Key::Plus);
    }
    h.run_steps(3);
    h.get_by_label("Whole fleet").click();
    h.run_steps(3);
    assert_eq!(h.state().map_in_view().0, 60);
    // Z with nothing selected says why nothing happens; with a selection it zooms there.
    h.key_press(Key::Z);
    h.run_steps(2);
    h.get_by_label("Select a vehicle first");
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    h.key_press(Key::Z);
    h.run_steps(2);
    let ((lat, lon), zoom) = h.state().map_view();
    assert_eq!(zoom, 16.0);
    assert!((lat - CAIRNS.0).abs() < 1e-6 && (lon - CAIRNS.1).abs() < 1e-6);
}

#[test]
fn details_appear_only_with_a_selection_and_a_stale_vehicle_reads_as_last_known() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = now_ms();
    let mut old = vehicle("old", "Old bus", "bus", CAIRNS.0, CAIRNS.1, t - 120_000);
    old.speed = Some(13.9);
    old.status = Some("in_service".into());
    tx.send(FeedEvent::Snapshot(FixBatch::from_positions(&[old])))
        .expect("send");
    h.run_steps(4);
    assert!(
        h.query_by_label("Follow").is_none(),
        "no details without a selection"
    );
    h.key_press(Key::ArrowDown);
    h.run_steps(3);
    h.get_by_label("Follow");
    h.get_by_label_contains("stale: no data for 2 min; last known values");
    h.get_by_label("last speed");
    assert_eq!(
        h.query_all_by_label("50 km/h").count(),
        2,
        "in the table and the details"
    );
    h.get_by_label("in service");
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert!(h.query_by_label("Follow").is_none());
}

#[test]
fn question_mark_lists_every_key_and_the_layer_keys_switch_layers() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    three_groups(&tx, 2);
    h.run_steps(3);
    h.key_press(Key::Questionmark);
    h.run_steps(2);
    for (_, what) in fleetview::ui::KEYS {
        h.get_by_label(what);
    }
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(h.query_by_label("zoom to the whole fleet").is_none());
    h.key_press(Key::N);
    h.key_press(Key::T);
    h.run_steps(2);
    let layers = h.state().view().layers;
    assert!(!layers.network && !layers.trails && layers.labels);
    h.key_press(Key::N);
    h.run_steps(2);
    assert!(h.state().view().layers.network);
}
