//! The Alerts board with no rules file, under egui_kittest: an SOS a Traccar feed reports is a
//! critical alert pinned above 50 overspeed alarms raised after it, until acknowledged; the
//! panel's severity buttons and search filter the list. The Traccar frames go through the real
//! Traccar decoder and reach the window on the channel the feeds thread uses; a last test runs
//! the whole way from the fake Traccar server.

mod common;

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fleetview::alerts::Severity;
use fleetview::feed::FeedEvent;
use fleetview::fleet::FleetConfig;
use fleetview::formats::Format;
use fleetview::formats::traccar::{DEVICES_PATH, Traccar};
use fleetview::protocol::DecodeLimits;
use fleetview::ui::{AlertFilter, FleetApp};

use common::traccar::{self, FakeTraccar};
use common::window::*;

/// Devices 1..=50 (vans that will speed) and 51 (the truck whose driver presses SOS).
fn devices() -> String {
    let device = |id: i64| {
        let name = if id == 51 {
            "Truck 51".to_owned()
        } else {
            format!("Van {id}")
        };
        format!(
            r#"{{"id":{id},"attributes":{{}},"name":"{name}","uniqueId":"dev-{id}","status":"online","category":"van","disabled":false}}"#
        )
    };
    let all: Vec<String> = (1..=51).map(device).collect();
    format!("[{}]", all.join(","))
}

/// A position of `device` a few hundred metres from Cairns, carrying `alarm`.
fn position(id: i64, device: i64, alarm: &str, speed_knots: f64) -> String {
    let (lat, lon) = (CAIRNS.0 + device as f64 * 0.0005, CAIRNS.1);
    traccar::position(id, device, lat, lon, &traccar::iso(-2000), speed_knots).replace(
        r#""batteryLevel":87.0"#,
        &format!(r#""alarm":"{alarm}","batteryLevel":87.0"#),
    )
}

/// Decodes Traccar frames as the feed would and sends what they say to the window.
struct Feed {
    tx: Tx,
    traccar: Traccar,
}

impl Feed {
    fn new(tx: Tx) -> Self {
        let mut feed = Self {
            tx,
            traccar: Traccar::new(DecodeLimits::default()),
        };
        feed.tx
            .send(FeedEvent::Connected {
                url: "ws://traccar.invalid/api/socket".into(),
            })
            .expect("send");
        let mut out = fleetview::formats::Decoded::default();
        let now = fleetview::clock::now_ms();
        feed.traccar
            .http_answer(DEVICES_PATH, &devices(), now, &mut out);
        feed.forward(out);
        feed
    }

    fn frame(&mut self, text: &str) {
        let mut out = fleetview::formats::Decoded::default();
        self.traccar
            .decode(text, fleetview::clock::now_ms(), &mut out);
        assert!(out.rejected.is_empty(), "{:?}", out.rejected);
        self.forward(out);
    }

    fn forward(&self, out: fleetview::formats::Decoded) {
        for event in out.events {
            self.tx.send(event).expect("send");
        }
    }
}

/// The window with no rules file (no engine given), every device placed, then the truck's SOS
/// (as Traccar sends it: the position carrying the alarm, and the alarm event), then 50 vans'
/// overspeed alarms.
fn sos_then_fifty_overspeeds() -> Harness<'static, FleetApp> {
    let (tx, rx) = channel();
    let mut h = app_with_alerts(Harness::builder(), rx, FleetConfig::default(), None, None);
    let mut feed = Feed::new(tx);
    let all: Vec<String> = (1..=51)
        .map(|d| {
            traccar::position(
                d,
                d,
                CAIRNS.0 + d as f64 * 0.0005,
                CAIRNS.1,
                &traccar::iso(-4000),
                0.0,
            )
        })
        .collect();
    feed.frame(&format!(r#"{{"positions":[{}]}}"#, all.join(",")));
    h.run_steps(3);
    assert_eq!(h.state().fleet().len(), 51);
    assert_eq!(
        h.state().alert_log().len(),
        0,
        "nothing routine without rules"
    );
    feed.frame(&format!(
        r#"{{"positions":[{}]}}"#,
        position(100, 51, "sos", 0.0)
    ));
    feed.frame(&format!(
        r#"{{"events":[{{"id":9,"attributes":{{"alarm":"sos"}},"deviceId":51,"type":"alarm","eventTime":"{}","positionId":100,"geofenceId":0,"maintenanceId":0}}]}}"#,
        traccar::iso(-2000)
    ));
    h.run_steps(3);
    let speeding: Vec<String> = (1..=50)
        .map(|d| position(200 + d, d, "overspeed", 60.0))
        .collect();
    feed.frame(&format!(r#"{{"positions":[{}]}}"#, speeding.join(",")));
    h.run_steps(3);
    h.get_by_label("Alerts: 1 critical, 51 new").click();
    h.run_steps(4);
    h
}

/// The panel's rows for `what`, top to bottom.
fn rows_top(h: &Harness<'_, FleetApp>, what: &str) -> Vec<f32> {
    let mut tops: Vec<f32> = h
        .query_all_by_label_contains(what)
        .map(|n| n.rect().min.y)
        .collect();
    tops.sort_by(f32::total_cmp);
    tops
}

#[test]
fn an_sos_with_no_rules_file_is_one_critical_alert_pinned_above_fifty_overspeeds() {
    let mut h = sos_then_fifty_overspeeds();
    let log = h.state().alert_log();
    let critical: Vec<_> = log
        .iter()
        .filter(|(a, _)| a.severity == Severity::Critical)
        .collect();
    assert_eq!(
        critical.len(),
        1,
        "the position and the event are one alarm"
    );
    assert_eq!(critical[0].0.label, "Truck 51");
    assert_eq!(log.open_critical(), 1);
    let names = std::collections::BTreeMap::new();
    let (rows, _) = log.rows(None, &AlertFilter::default(), &names);
    assert_eq!(rows.len(), 51);
    assert_eq!(rows[0].0.detail, "sos", "pinned first though the oldest");
    assert!(
        rows[1..]
            .iter()
            .all(|(a, _)| a.severity == Severity::Warning)
    );
    // On screen: the SOS row is above every overspeed row, says so in words, and the header
    // counts it, as does the status bar.
    h.get_by_label("1 critical");
    h.get_by_label("Alerts: 1 critical, 51 new");
    let sos = h.get_by_label_contains("alarm: sos");
    let sos_top = sos.rect().min.y;
    // (Two spaces after the word: a row, not the filter's button.)
    let critical_row = h.get_by_label_contains("CRITICAL  ");
    assert_eq!(critical_row.rect(), sos.rect(), "the SOS row says CRITICAL");
    let overspeed = rows_top(&h, "alarm: overspeed");
    assert!(!overspeed.is_empty());
    assert!(
        overspeed.iter().all(|y| *y > sos_top),
        "{sos_top} {overspeed:?}"
    );
    // Acknowledged, it is no longer pinned: it goes below the newer alerts.
    let first_ack = h
        .query_all_by_label("Ack")
        .min_by(|a, b| a.rect().min.y.total_cmp(&b.rect().min.y))
        .expect("an Ack button");
    first_ack.click();
    h.run_steps(3);
    assert_eq!(h.state().alert_log().open_critical(), 0);
    let log = h.state().alert_log();
    let (rows, _) = log.rows(None, &AlertFilter::default(), &names);
    assert_eq!(rows.last().map(|(a, _)| a.detail.as_str()), Some("sos"));
}

#[test]
fn the_panel_filters_by_severity_and_searches() {
    let mut h = sos_then_fifty_overspeeds();
    assert!(!rows_top(&h, "alarm: overspeed").is_empty());
    // Hide the warnings: only the SOS is left.
    h.get_by_label("warning").click();
    h.run_steps(3);
    assert!(!h.state().alert_filter().shows(Severity::Warning));
    assert!(rows_top(&h, "alarm: overspeed").is_empty());
    h.get_by_label_contains("alarm: sos");
    // Show them again, and search instead: every word must be found, in any field ("dev-7"
    // is one device's id; "7" alone would find Van 17, 27, ... too).
    h.get_by_label("warning").click();
    h.run_steps(3);
    let search = h
        .query_all_by(|n| n.role() == Role::TextInput && n.placeholder() == Some("Search alerts"))
        .next()
        .expect("the search box");
    search.focus();
    search.type_text("dev-7 overspeed");
    h.run_steps(3);
    assert_eq!(h.state().alert_filter().text, "dev-7 overspeed");
    let shown = rows_top(&h, "alarm: overspeed");
    assert_eq!(shown.len(), 1, "Van 7 only");
    assert!(h.query_by_label_contains("alarm: sos").is_none());
    h.get_by_label("Clear filter").click();
    h.run_steps(3);
    assert_eq!(*h.state().alert_filter(), AlertFilter::default());
    h.get_by_label_contains("alarm: sos");
}

#[test]
fn an_sos_from_a_traccar_server_is_a_critical_alert_with_no_rules_file() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sos = traccar::position(1, 8, CAIRNS.0, CAIRNS.1, &traccar::iso(-3000), 0.0)
        .replace(r#""batteryLevel""#, r#""alarm":"sos","batteryLevel""#);
    let van = traccar::position(2, 7, CAIRNS.0 + 0.003, CAIRNS.1, &traccar::iso(-3000), 10.0);
    let server = rt.block_on(FakeTraccar::start(format!(
        r#"{{"positions":[{sos},{van}]}}"#
    )));
    let spec = fleetview::feed::FeedSpec::new(
        Some("Depot Traccar".into()),
        fleetview::formats::FeedKind::Traccar,
        &server.url,
        fleetview::feed::Credentials {
            user: Some(traccar::EMAIL.into()),
            password: Some(traccar::PASSWORD.into()),
            ..fleetview::feed::Credentials::default()
        },
    )
    .expect("traccar");
    let mut h = feeds_app(vec![spec]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.state().alert_log().is_empty() {
        assert!(Instant::now() < deadline, "timed out waiting for the SOS");
        std::thread::sleep(Duration::from_millis(50));
        h.run_steps(1);
    }
    h.run_steps(2);
    let log = h.state().alert_log();
    assert_eq!(log.len(), 1, "the van's plain fix raises nothing");
    let (alert, acked) = log.iter().next().expect("the alert");
    assert_eq!(
        (
            alert.severity,
            alert.label.as_str(),
            alert.detail.as_str(),
            acked
        ),
        (Severity::Critical, "Truck 12", "sos", false)
    );
    server.kill();
}

#[test]
fn a_vehicle_with_an_sos_is_never_inside_a_cluster_and_a_click_picks_it() {
    let mut h = sos_then_fifty_overspeeds();
    // Far enough out that all 51 would be one cluster.
    for _ in 0..5 {
        h.key_press(egui::Key::Minus);
        h.run_steps(1);
    }
    h.run_steps(3);
    let clustered: u32 = h.state().map_clusters().iter().map(|c| c.1).sum();
    assert_eq!(clustered, 50, "the 50 vans cluster; the truck does not");
    assert_eq!(h.state().map_in_view().0, 51);
    let alarmed = h.state().map_alarmed();
    assert_eq!(alarmed.len(), 1, "{alarmed:?}");
    let (id, at) = alarmed[0].clone();
    click_at(&mut h, at);
    assert_eq!(selected(&h), Some(id));
    // Acknowledged, it is a vehicle like the others again.
    let sos = h
        .state()
        .alert_log()
        .iter()
        .find(|(a, _)| a.severity == Severity::Critical);
    assert!(sos.is_some());
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    h.get_all_by_label("Ack")
        .next()
        .expect("the SOS row's Ack")
        .click();
    h.run_steps(3);
    assert!(h.state().map_alarmed().is_empty());
}
