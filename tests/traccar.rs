//! A Traccar feed against a fake Traccar 6 on loopback (real HTTP login with a cookie, the device
//! list, `/api/socket` in Traccar's JSON forms): the model ends with the right vehicles, names,
//! units and times; a wrong password is a reason and no retry storm; a dropped socket reconnects
//! with the same session and fetches the devices again; an expired session logs in again.

mod common;

use std::time::Duration;

use common::traccar::{self, FakeTraccar};
use common::*;
use fleetview::feed::{Credentials, FeedEvent, FeedSpec};
use fleetview::formats::FeedKind;
use fleetview::protocol::RejectReason;

fn login_spec(url: &str, password: &str) -> FeedSpec {
    FeedSpec::new(
        Some("depot".into()),
        FeedKind::Traccar,
        url,
        Credentials {
            user: Some(traccar::EMAIL.into()),
            password: Some(password.into()),
            ..Credentials::default()
        },
    )
    .expect("spec")
}

fn positions_frame(ts_offset_ms: i64) -> String {
    format!(
        r#"{{"positions":[{},{}]}}"#,
        traccar::position(
            1001,
            7,
            -16.92031,
            145.77099,
            &traccar::iso(ts_offset_ms),
            19.4384
        ),
        traccar::position(
            1002,
            8,
            -16.95,
            145.74,
            &traccar::iso(ts_offset_ms - 2000),
            0.0
        )
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traccar_feed_shows_its_devices_with_names_units_and_times() {
    let server = FakeTraccar::start(positions_frame(-5000)).await;
    let mut viewer = Viewer::start(spec_config(login_spec(&server.url, traccar::PASSWORD)));
    viewer.until("both devices", |v| v.fleet().len() == 2);
    let van = viewer
        .get("358240051111110")
        .expect("the van, by its uniqueId");
    assert_eq!(van.label(), Some("Van 7"));
    assert_eq!(van.kind(), Some("van"));
    assert_eq!(van.status(), Some("online"));
    assert!(
        (van.fix.speed.expect("speed") - 10.0).abs() < 0.01,
        "knots to m/s"
    );
    assert_eq!(van.heading, Some(92.0));
    let age = fleetview::clock::now_ms() - van.fix.ts;
    assert!((4_000..60_000).contains(&age), "fixTime kept: {age} ms old");
    assert!(van.attrs().is_some_and(|a| a.contains("\"ignition\":true")));
    assert_eq!(
        viewer.get("truck-12").and_then(|t| t.label()),
        Some("Truck 12")
    );
    assert_eq!(server.count(|s| &s.logins), 1);
    assert_eq!(server.count(|s| &s.origins), 0, "no Origin on the upgrade");
    assert!(viewer.status().link.is_connected());

    // Live frames: a move, a device change, an alarm, the keepalive, a stranger's position.
    server.push(format!(
        r#"{{"positions":[{}]}}"#,
        traccar::position(1003, 7, -16.921, 145.772, &traccar::iso(-1000), 9.71922)
    ));
    server.push(r#"{"devices":[{"id":8,"attributes":{},"groupId":0,"calendarId":0,"name":"Truck 12","uniqueId":"truck-12","status":"offline","lastUpdate":null,"positionId":1002,"phone":null,"model":null,"contact":null,"category":"truck","disabled":false,"expirationTime":null}]}"#);
    server.push(format!(
        r#"{{"events":[{{"id":55,"attributes":{{"alarm":"sos"}},"deviceId":7,"type":"alarm","eventTime":"{}","positionId":1003,"geofenceId":0,"maintenanceId":0}}]}}"#,
        traccar::iso(-500)
    ));
    server.push("{}");
    server.push(format!(
        r#"{{"positions":[{}]}}"#,
        traccar::position(1004, 99, -16.9, 145.7, &traccar::iso(0), 1.0)
    ));
    viewer.until("the stranger is refused", |v| {
        v.status().rejected.count(RejectReason::UnknownDevice) == 1
    });
    let van = viewer.get("358240051111110").expect("van");
    assert_eq!(van.fix.lat, -16.921);
    assert!((van.fix.speed.expect("speed") - 5.0).abs() < 0.01);
    assert_eq!(
        viewer.get("truck-12").and_then(|t| t.status()),
        Some("offline")
    );
    let alarm = viewer
        .status()
        .notice_of("358240051111110")
        .expect("the alarm");
    assert_eq!(
        (alarm.kind.as_str(), alarm.detail.as_deref()),
        ("alarm", Some("sos"))
    );
    assert_eq!(
        viewer.status().rejected.total(),
        1,
        "the keepalive is no refusal"
    );
    assert_eq!(viewer.fleet().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_clear_reason_and_no_retry_storm() {
    let server = FakeTraccar::start(positions_frame(-5000)).await;
    let mut viewer = Viewer::start(spec_config(login_spec(&server.url, "wrong")));
    viewer.until("the refusal", |v| v.first_disconnect().is_some());
    let (reason, retry) = viewer.first_disconnect().expect("reason");
    assert!(reason.contains("wrong email or password"), "{reason}");
    assert_eq!(retry, None, "retrying a wrong password cannot help");
    viewer.drain_for(Duration::from_millis(1500));
    assert_eq!(
        server.count(|s| &s.failed_logins),
        1,
        "one attempt, no storm"
    );
    assert!(viewer.status().link.describe(0).starts_with("stopped: "));
    assert!(viewer.fleet().is_empty());
    // Retry (the Feeds panel's button) tries once more, at once, and stops again.
    viewer
        .handle
        .send(fleetview::feed::FeedCommand::Resume(FEED))
        .expect("retry");
    viewer.until("the second refusal", |v| {
        v.count(|e| matches!(e, FeedEvent::Disconnected { retry_in: None, .. })) == 2
    });
    assert_eq!(server.count(|s| &s.failed_logins), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_reconnects_and_fetches_the_devices_again() {
    let server = FakeTraccar::start(positions_frame(-5000)).await;
    let mut viewer = Viewer::start(spec_config(login_spec(&server.url, traccar::PASSWORD)));
    viewer.until("both devices", |v| v.fleet().len() == 2);
    // Truck 12 is deleted in Traccar while the socket is down.
    *server.seen.devices.lock().expect("lock") = format!(
        "[{}]",
        traccar::DEVICES
            .split("},{\"id\":8")
            .next()
            .expect("the van")
            .trim_start_matches('[')
            .to_owned()
            + "}"
    );
    *server.seen.on_connect.lock().expect("lock") = format!(
        r#"{{"positions":[{}]}}"#,
        traccar::position(1010, 7, -16.93, 145.78, &traccar::iso(-100), 0.0)
    );
    server.drop_sockets();
    viewer.until("the reconnection", |v| v.status().reconnects == 1);
    viewer.until("the new position", |v| {
        v.get("358240051111110")
            .is_some_and(|van| van.fix.lat == -16.93)
    });
    assert_eq!(server.count(|s| &s.device_fetches), 2);
    assert_eq!(
        server.count(|s| &s.logins),
        1,
        "the session outlives the socket: reused"
    );
    assert!(
        viewer.get("truck-12").is_none(),
        "a deleted device leaves the map"
    );
    assert_eq!(viewer.count(|e| matches!(e, FeedEvent::Removed(_))), 1);
    // The session expires (a Traccar restart): the next connection logs in again.
    server.expire_sessions();
    server.drop_sockets();
    viewer.until("the second reconnection", |v| v.status().reconnects == 2);
    assert_eq!(server.count(|s| &s.logins), 2);
    assert_eq!(
        server.count(|s| &s.device_fetches),
        3,
        "refused once (not counted), then fetched"
    );
    assert!(viewer.get("358240051111110").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_opens_the_socket_without_a_login() {
    let server = FakeTraccar::start(positions_frame(-5000)).await;
    let spec =
        FeedSpec::parse(&format!("traccar:{}?token={}", server.url, traccar::TOKEN)).expect("spec");
    assert_eq!(spec.credentials.token.as_deref(), Some(traccar::TOKEN));
    let mut viewer = Viewer::start(spec_config(spec));
    viewer.until("both devices", |v| v.fleet().len() == 2);
    assert_eq!(server.count(|s| &s.logins), 0);
    assert_eq!(server.count(|s| &s.device_fetches), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traccar_over_https_logs_in_and_reads_the_socket_over_wss_with_a_custom_ca() {
    let dir = std::env::temp_dir().join(format!("fleetview-traccar-tls-{}", std::process::id()));
    let (ca, cert, key) = common::pki::make_pki(&dir);
    let acceptor = fleetview::server::tls_acceptor(&fleetview::server::TlsFiles { cert, key })
        .expect("acceptor");
    let server = FakeTraccar::start_tls(positions_frame(-5000), acceptor).await;
    assert!(server.url.starts_with("https://"));
    let mut spec = login_spec(&server.url, traccar::PASSWORD);
    spec.ca_file = Some(ca);
    let mut viewer = Viewer::start(spec_config(spec.clone()));
    viewer.until("both devices over TLS", |v| v.fleet().len() == 2);
    assert_eq!(server.count(|s| &s.logins), 1);
    assert_eq!(server.count(|s| &s.upgrades), 1);
    // Without the CA the login itself is refused, with the reason.
    spec.ca_file = None;
    let mut untrusting = Viewer::start(spec_config(spec));
    untrusting.until("the refusal", |v| v.first_disconnect().is_some());
    let (reason, _) = untrusting.first_disconnect().expect("reason");
    assert!(reason.contains("cannot log in to Traccar"), "{reason}");
    assert!(untrusting.fleet().is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}
