//! The Alerts panel under egui_kittest: a bus driving into a geofence raises an alert that the
//! status bar counts from anywhere; clicking it selects the bus; acknowledging clears the count
//! and the ring on its marker.

mod common;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use fleetview::alerts::{Engine, Geofences, Rules};
use fleetview::fleet::FleetConfig;

use common::window::*;

/// A square around CAIRNS (from window.rs), about 200 m a side.
fn square() -> Geofences {
    let (lat, lon) = CAIRNS;
    let d = 0.001;
    let ring = format!(
        "[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]",
        w = lon - d,
        e = lon + d,
        s = lat - d,
        n = lat + d
    );
    let json = format!(
        r#"{{"type":"Feature","properties":{{"name":"Depot gate"}},
        "geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}"#
    );
    Geofences::parse(&json, "test").expect("geofence")
}

/// The window with an enter rule on the square and three vehicles shown; when they were stamped.
fn gate_app() -> (
    Tx,
    egui_kittest::Harness<'static, fleetview::ui::FleetApp>,
    i64,
) {
    let rules = Rules::parse("[geofence]\nenter = true\n", "test").expect("rules");
    let (tx, rx) = channel();
    let mut h = app_with_alerts(
        egui_kittest::Harness::builder(),
        rx,
        FleetConfig::default(),
        Some(Engine::new(rules, square())),
        None,
    );
    let t = fleet_of_three(&tx);
    h.run_steps(3);
    (tx, h, t)
}

#[test]
fn an_alert_is_counted_listed_selects_its_vehicle_and_is_acknowledged() {
    let (tx, mut h, t) = gate_app();
    h.get_by_label("Alerts");
    // Bus 2 is 440 m north of the square; it drives in and stays two fixes.
    let (lat, lon) = CAIRNS;
    for (i, dlat) in [0.003, 0.0005, 0.0002].iter().enumerate() {
        tx.send(moved("bus-2", lat + dlat, lon, t + 1000 * (i as i64 + 1)))
            .expect("send");
    }
    h.run_steps(3);
    assert_eq!(h.state().alert_log().unacknowledged(), 1);
    h.get_by_label("Alerts: 1 new").click();
    h.run_steps(3);
    h.get_by_label_contains("enter: entered Depot gate").click();
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("bus-2"));
    h.get_by_label("Ack").click();
    h.run_steps(3);
    assert_eq!(h.state().alert_log().unacknowledged(), 0);
    h.get_by_label("Alerts: 0 new");
    // The sound is off until asked for, and remembered as a setting.
    assert!(!h.state().view().alert_sound);
    h.get_by_label("Sound").click();
    h.run_steps(2);
    assert!(h.state().view().alert_sound);
}

#[test]
fn a_geofence_is_drawn_on_the_map_renamed_saved_and_deleted() {
    let path =
        std::env::temp_dir().join(format!("fleetview-fences-{}.geojson", std::process::id()));
    let (tx, rx) = channel();
    let mut h = app_with_alerts(
        egui_kittest::Harness::builder(),
        rx,
        FleetConfig::default(),
        None,
        Some(path.clone()),
    );
    let _ = fleet_of_three(&tx);
    h.run_steps(3);
    h.get_by_label("Alerts").click();
    h.run_steps(2);
    h.get_by_label("Geofences").click();
    h.run_steps(2);
    assert!(
        h.state().view().geofences_open,
        "the Geofences window opens"
    );
    h.run_steps(4);
    h.get_by_label("Draw polygon").click();
    h.run_steps(2);
    for (x, y) in [(200.0, 200.0), (320.0, 200.0), (320.0, 320.0)] {
        click_at(&mut h, egui::pos2(x, y));
    }
    let drawn = h.state().view().drawing.clone().expect("drawing");
    assert_eq!(drawn.points.len(), 3, "each click on the map is a corner");
    assert_eq!(selected(&h), None, "clicks while drawing pick nothing");
    // The empty text boxes: the table's search, then the new geofence's name (drawn last).
    let name = h
        .query_all_by(|n| n.role() == Role::TextInput && n.value().as_deref() == Some(""))
        .last()
        .expect("the name box");
    name.focus();
    name.type_text("Yard");
    h.run_steps(2);
    h.get_by_label("Finish").click();
    h.run_steps(2);
    let fences = h
        .state()
        .alert_engine()
        .expect("engine")
        .geofences()
        .to_vec();
    assert_eq!(fences.len(), 1);
    assert_eq!(fences[0].name, "Yard");
    h.get_by_label("Save").click();
    h.run_steps(2);
    let saved = Geofences::load(&path).expect("saved GeoJSON reads back");
    assert_eq!(saved.to_vec(), fences);
    h.get_by_label("Delete").click();
    h.run_steps(2);
    assert!(
        h.state()
            .alert_engine()
            .expect("engine")
            .geofences()
            .is_empty()
    );
    let _ = std::fs::remove_file(&path);
}

#[test]
fn the_alerts_list_holds_still_under_the_pointer_while_new_alerts_come() {
    let (tx, mut h, t) = gate_app();
    let (lat, lon) = CAIRNS;
    let drive_in = |id: &str, from: i64| {
        for (i, dlat) in [0.003, 0.0005, 0.0002].iter().enumerate() {
            tx.send(moved(id, lat + dlat, lon, from + 1000 * (i as i64 + 1)))
                .expect("send");
        }
    };
    drive_in("bus-2", t);
    h.run_steps(3);
    h.get_by_label("Alerts: 1 new").click();
    h.run_steps(3);
    // The pointer rests on the list's one row.
    let row = h.get_by_label_contains("entered Depot gate").rect();
    let at = egui::pos2((row.min.x + row.max.x) / 2.0, (row.min.y + row.max.y) / 2.0);
    h.event(egui::Event::PointerMoved(at));
    h.run_steps(2);
    assert!(h.state().view().alerts_held.is_some());
    // Another bus drives in: the list does not move; the newer alert waits above it.
    tx.send(moved("bus-1", lat + 0.003, lon, t + 10_000))
        .expect("send");
    drive_in("bus-1", t + 10_000);
    h.run_steps(3);
    assert_eq!(h.state().alert_log().unacknowledged(), 2);
    h.get_by_label_contains("1 newer alert (shown when the pointer leaves the list)");
    assert_eq!(h.get_all_by_label_contains("entered Depot gate").count(), 1);
    // The pointer leaves: both are listed, newest first.
    h.event(egui::Event::PointerMoved(egui::pos2(5.0, 5.0)));
    h.run_steps(3);
    assert!(h.state().view().alerts_held.is_none());
    assert_eq!(h.get_all_by_label_contains("entered Depot gate").count(), 2);
}
