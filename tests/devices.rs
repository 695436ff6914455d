//! Tracker apps reporting to fleetview-server's device port over HTTP, sent by `curl` (a real
//! HTTP client) with the request lines of Traccar's own `OsmAndProtocolDecoderTest`, and checked
//! as a viewer sees them.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use fleetview::server::{EmbeddedServer, ServerConfig};

fn server() -> EmbeddedServer {
    EmbeddedServer::start(
        ServerConfig {
            tick: Duration::from_millis(50),
            device_listen: Some("127.0.0.1:0".into()),
            ..ServerConfig::default()
        },
        None,
    )
    .expect("server")
}

/// `curl` with `args`; the HTTP status and the body.
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl (install it: apt-get install curl)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

#[test]
fn every_osmand_form_sent_by_curl_reaches_a_viewer_and_bad_ones_are_told_why() {
    let server = server();
    let base = server.device_url().expect("device port");
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("connected", |v| v.status().link.is_connected());
    let get = |query: &str| curl(&[&format!("{base}?{query}")]);
    // Traccar's request lines, as Traccar Client and OsmAnd send them.
    for query in [
        "id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0",
        "lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7&speed=0.0&id=353861053849681",
        "id=123456&timestamp=1377177267&location=60.0,30.0",
        "lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=654321",
        "id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt=87",
        "id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24",
        "id=777&timestamp=1377177267&cell=257,02,16,2224&wifi=00-14-22-01-23-45,-80",
    ] {
        assert_eq!(get(query), (200, String::new()), "{query}");
    }
    // A form body (POST, empty query), and the JSON form of the newer Traccar Client.
    let (code, _) = curl(&["-d", "id=form-1&lat=-16.92&lon=145.77&speed=20", &base]);
    assert_eq!(code, 200);
    let json = r#"{"location":{"event":"motionchange","is_moving":false,"timestamp":"2021-07-21T08:06:34.444Z","odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,"speed":18.67,"heading":63,"altitude":35.7},"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}"#;
    let (code, _) = curl(&["-H", "Content-Type: application/json", "-d", json, &base]);
    assert_eq!(code, 200);
    // Refused with the reason; nothing valid is lost.
    assert_eq!(
        get("timestamp=1377177267&lat=60.0&lon=30.0"),
        (400, "no device id: send id= or deviceid=\n".to_owned())
    );
    let (code, body) = get("id=bad&lat=north&lon=30");
    assert_eq!((code, body.as_str()), (400, "bad lat: \"north\"\n"));
    let (code, body) = get("id=fast&lat=1&lon=1&speed=1000");
    assert_eq!(code, 400, "{body}");
    assert!(body.contains("beyond the limit"), "{body}");
    assert_eq!(curl(&[&format!("{base}healthz")]), (200, "ok\n".to_owned()));

    let ids = [
        "902064",
        "353861053849681",
        "123456",
        "654321",
        "861001000719969",
        "123456789012345",
        "form-1",
        "8737767034",
    ];
    viewer.until("every report", |v| ids.iter().all(|id| v.get(id).is_some()));
    let v = |id: &str| viewer.get(id).expect(id);
    assert_eq!(
        (v("902064").fix.lat, v("902064").fix.lon),
        (42.06288, -88.23412)
    );
    assert_eq!(v("902064").fix.ts, 1_453_920_947_000);
    assert_eq!((v("123456").fix.lat, v("123456").fix.lon), (60.0, 30.0));
    let knots40 = v("123456789012345").fix.speed.expect("speed");
    assert!((knots40 - 20.578).abs() < 0.05, "40 knots: {knots40} m/s");
    // m/s as sent, to the 0.1 m/s the server puts on the wire.
    assert_eq!(v("8737767034").fix.speed, Some(18.7));
    for refused in ["bad", "fast", "777"] {
        assert!(viewer.get(refused).is_none(), "{refused}");
    }
    // What was sent, counted: eight positions (the cells-only report places nothing), a
    // report without an id, a bad latitude and an impossible speed.
    let (code, metrics) = curl(&[&format!("{base}metrics")]);
    assert_eq!(code, 200);
    for line in [
        "fleetview_reports_accepted_total{endpoint=\"osmand\"} 8",
        "fleetview_reports_refused_total{endpoint=\"osmand\",reason=\"missing_id\"} 1",
        "fleetview_reports_refused_total{endpoint=\"osmand\",reason=\"invalid_field\"} 2",
        "fleetview_vehicles 8",
        "fleetview_viewers 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in:\n{metrics}");
    }
    drop(viewer);
    drop(server);
}

/// A cheap Argon2id hash for the test's users file (the cost travels in the PHC string).
fn hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let params = argon2::Params::new(8, 1, 1, None).expect("params");
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let salt = SaltString::from_b64("c2FsdHNhbHRzYWx0").expect("salt");
    argon
        .hash_password(password.as_bytes(), &salt)
        .expect("hash")
        .to_string()
}

#[test]
fn owntracks_http_mode_with_basic_auth_reaches_a_viewer_as_user_slash_device() {
    let users = fleetview::server::users::Users::parse(&format!("jane:{}\n", hash("s3cret")))
        .expect("users");
    let server = EmbeddedServer::start(
        ServerConfig {
            tick: Duration::from_millis(50),
            device_listen: Some("127.0.0.1:0".into()),
            users: Some(std::sync::Arc::new(users)),
            ..ServerConfig::default()
        },
        None,
    )
    .expect("server");
    let url = format!("{}owntracks", server.device_url().expect("device port"));
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("connected", |v| v.status().link.is_connected());
    // The booklet's example location, as the app posts it in HTTP mode.
    let location = format!(
        r#"{{"_type":"location","acc":13,"alt":0,"batt":100,"conn":"w","lat":48.85833,"lon":2.29513,"t":"u","tid":"JJ","tst":{},"vac":0,"vel":18}}"#,
        fleetview::clock::now_ms() / 1000
    );
    let post = |user: &str, extra: &[&str], body: &str| {
        let mut args = vec![
            "-u",
            user,
            "-H",
            "X-Limit-D: phone",
            "-H",
            "Content-Type: application/json",
        ];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-d", body, &url]);
        curl(&args)
    };
    assert_eq!(post("jane:s3cret", &[], &location), (200, "[]".to_owned()));
    // Other types and empty bodies: `[]`, nothing placed.
    assert_eq!(
        post("jane:s3cret", &[], r#"{"_type":"lwt","tst":1}"#),
        (200, "[]".to_owned())
    );
    // A wrong password, or none: 401 and nothing placed.
    assert_eq!(post("jane:wrong", &[], &location).0, 401);
    assert_eq!(post("bob:s3cret", &[], &location).0, 401);
    let (code, _) = curl(&[
        "-H",
        "X-Limit-U: jane",
        "-H",
        "X-Limit-D: tablet",
        "-d",
        &location,
        &url,
    ]);
    assert_eq!(code, 401);
    // A bad location is refused with the reason.
    let (code, body) = post(
        "jane:s3cret",
        &[],
        r#"{"_type":"location","lat":"north","lon":2,"tst":1}"#,
    );
    assert_eq!(code, 400);
    assert!(body.contains("lat"), "{body}");

    viewer.until("jane's phone", |v| v.get("jane/phone").is_some());
    let phone = viewer.get("jane/phone").expect("phone");
    assert_eq!((phone.fix.lat, phone.fix.lon), (48.85833, 2.29513));
    assert_eq!(phone.label(), Some("JJ"));
    assert_eq!(phone.fix.speed, Some(5.0), "18 km/h");
    assert!(viewer.get("jane/tablet").is_none());
    drop(viewer);
    drop(server);
}

#[test]
fn with_a_registry_only_listed_devices_report_named_as_it_names_them() {
    let registry = fleetview::server::registry::Registry::parse(
        r#"
[[device]]
id = "358240051111110"
label = "Truck 12"
kind = "truck"
secret = "k3y"

[[device]]
id = "jane/phone"
"#,
    )
    .expect("registry");
    let server = EmbeddedServer::start(
        ServerConfig {
            tick: Duration::from_millis(50),
            device_listen: Some("127.0.0.1:0".into()),
            registry: Some(std::sync::Arc::new(registry)),
            ..ServerConfig::default()
        },
        None,
    )
    .expect("server");
    let base = server.device_url().expect("device port");
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("connected", |v| v.status().link.is_connected());
    let truck = "id=358240051111110&lat=-16.92&lon=145.77&speed=10";
    assert_eq!(curl(&[&format!("{base}?{truck}")]).0, 401, "no secret");
    assert_eq!(curl(&[&format!("{base}?{truck}&secret=nope")]).0, 401);
    assert_eq!(
        curl(&[&format!("{base}?{truck}&secret=k3y")]),
        (200, String::new())
    );
    assert_eq!(
        curl(&[&format!("{base}?id=999&lat=1&lon=1")]),
        (404, "unknown device\n".to_owned())
    );
    let location = r#"{"_type":"location","lat":-16.93,"lon":145.78,"tid":"JJ","tst":1764000000}"#;
    let post = |device: &str| {
        curl(&[
            "-H",
            "X-Limit-U: jane",
            "-H",
            &format!("X-Limit-D: {device}"),
            "-d",
            location,
            &format!("{base}owntracks"),
        ])
    };
    assert_eq!(post("phone"), (200, "[]".to_owned()));
    assert_eq!(post("tablet").0, 404);
    viewer.until("both", |v| {
        v.get("358240051111110").is_some() && v.get("jane/phone").is_some()
    });
    let t = viewer.get("358240051111110").expect("truck");
    assert_eq!((t.label(), t.kind()), (Some("Truck 12"), Some("truck")));
    assert!(
        !t.attrs().unwrap_or("").contains("k3y"),
        "the secret is never passed on: {:?}",
        t.attrs()
    );
    assert!(viewer.get("999").is_none() && viewer.get("jane/tablet").is_none());
    let (_, metrics) = curl(&[&format!("{base}metrics")]);
    assert!(
        metrics.contains(
            "fleetview_reports_refused_total{endpoint=\"osmand\",reason=\"unknown_device\"} 1"
        ),
        "{metrics}"
    );
    drop(viewer);
    drop(server);
}

#[test]
fn the_websocket_port_serves_the_device_routes_on_their_paths_beside_feed_and_ingest() {
    // No device port at all: the WebSocket port's own paths.
    let server = EmbeddedServer::start(
        ServerConfig {
            tick: Duration::from_millis(50),
            ..ServerConfig::default()
        },
        None,
    )
    .expect("server");
    let base = format!("http://{}/", server.addr());
    let mut viewer = Viewer::start(config(&server.url()));
    viewer.until("connected", |v| v.status().link.is_connected());
    let sent = std::time::Instant::now();
    assert_eq!(
        curl(&[&format!(
            "{base}osmand?id=ws-port-1&lat=-16.92&lon=145.77&speed=5"
        )]),
        (200, String::new())
    );
    // It goes out with the next batch (a tick is 50 ms here): the viewer has it at once.
    viewer.until("the report", |v| v.get("ws-port-1").is_some());
    let took = sent.elapsed();
    assert!(took < Duration::from_millis(1_000), "{took:?}");
    let location = r#"{"_type":"location","lat":-16.93,"lon":145.78,"tid":"JJ","tst":1764000000}"#;
    let (code, body) = curl(&["-d", location, &format!("{base}owntracks?u=jane&d=phone")]);
    assert_eq!((code, body.as_str()), (200, "[]"));
    assert_eq!(curl(&[&format!("{base}healthz")]), (200, "ok\n".to_owned()));
    // A plain request on a WebSocket path, and a path that is nothing.
    assert_eq!(curl(&[&format!("{base}feed")]).0, 426);
    assert_eq!(curl(&[&format!("{base}nothing")]).0, 404);
    viewer.until("both reports", |v| {
        v.get("ws-port-1").is_some() && v.get("jane/phone").is_some()
    });
    let (_, metrics) = curl(&[&format!("{base}metrics")]);
    assert!(
        metrics.contains("fleetview_reports_accepted_total{endpoint=\"osmand\"} 1"),
        "{metrics}"
    );
    drop(viewer);
    drop(server);
}
