//! Transit and ship feeds end to end, against loopback fakes speaking the real formats: a
//! GTFS-Realtime agency polled over HTTP, a raw AIS server over TCP, AISStream's WebSocket, and
//! fleetview-server's own GTFS-Realtime export. Every test uses the real sample files.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::transit::*;
use common::*;
use fleetview::feed::{FeedEvent, FeedSpec};
use fleetview::protocol::RejectReason;
use fleetview::server::{EmbeddedServer, ServerConfig};

fn gtfs_config(url: &str, poll_ms: u64) -> fleetview::feed::FeedConfig {
    let mut spec = FeedSpec::parse(&format!("bus=gtfs-rt:{url}")).expect("spec");
    spec.credentials.token = Some("s3cret-key".into());
    spec.options.poll = Some(Duration::from_millis(poll_ms));
    spec_config(spec)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gtfs_rt_feed_is_polled_with_its_key_and_an_unchanged_feed_costs_a_304() {
    let agency = FakeAgency::start(Reply::Feed {
        body: KIT_PB.to_vec(),
        etag: "\"v1\"".into(),
    })
    .await;
    let mut viewer = Viewer::start(gtfs_config(&agency.url, 150));
    viewer.until("the kit's three vehicles and the one skipped", |v| {
        v.fleet().len() == 3 && !v.status().rejected.is_empty()
    });
    assert_eq!(viewer.ids(), ["V/15/1", "V/15/7", "V/175/2"]);
    let bus = viewer.get("V/15/1").expect("bus");
    assert_eq!(bus.fix.speed, Some(8.5));
    assert_eq!(bus.route(), Some("15"));
    assert_eq!(
        viewer.status().rejected.count(RejectReason::BadCoordinates),
        1,
        "the entity without a position is counted"
    );
    viewer.until("two more polls", |_| agency.requests().len() >= 3);
    let seen = agency.requests();
    assert!(
        seen.iter()
            .all(|r| r.api_key.as_deref() == Some("s3cret-key"))
    );
    assert_eq!(seen[0].if_none_match, None);
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    // A FULL_DATASET without two of them: they are removed.
    agency.set(Reply::Feed {
        body: BINDINGS_PB.to_vec(),
        etag: "\"v2\"".into(),
    });
    viewer.until("the new dataset replaces the old", |v| v.ids() == ["1"]);
    assert_eq!(viewer.count(is_disconnected), 0, "304s are not failures");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_agency_never_has_two_requests_from_one_feed_at_once() {
    let agency = FakeAgency::start(Reply::Feed {
        body: KIT_PB.to_vec(),
        etag: "\"v1\"".into(),
    })
    .await;
    *agency.delay.lock().expect("lock") = Duration::from_millis(400);
    let mut viewer = Viewer::start(gtfs_config(&agency.url, 50));
    viewer.drain_for(Duration::from_millis(1500));
    let asked = agency.requests().len();
    assert!(
        (2..=5).contains(&asked),
        "{asked} requests in 1.5 s at 400 ms each"
    );
    assert_eq!(agency.most_at_once.load(Ordering::SeqCst), 1);
    assert_eq!(viewer.fleet().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agency_that_asks_for_a_wait_is_not_asked_again_sooner() {
    let agency = FakeAgency::start(Reply::Status {
        code: 503,
        retry_after: Some(3),
    })
    .await;
    let mut viewer = Viewer::start(gtfs_config(&agency.url, 100));
    viewer.until("the 503", |v| v.count(is_disconnected) >= 1);
    let (reason, retry_in) = viewer.first_disconnect().expect("disconnect");
    assert!(reason.contains("503"), "{reason}");
    assert!(retry_in >= Some(Duration::from_secs(3)), "{retry_in:?}");
    viewer.drain_for(Duration::from_millis(1000));
    assert_eq!(agency.requests().len(), 1, "no request inside the wait");
    // A refused key stops the feed until the dispatcher retries.
    agency.set(Reply::Status {
        code: 401,
        retry_after: None,
    });
    viewer.until("the 401", |v| v.count(is_disconnected) >= 2);
    let last = viewer.log.iter().rev().find_map(|(_, e)| match e {
        FeedEvent::Disconnected { reason, retry_in } => Some((reason.clone(), *retry_in)),
        _ => None,
    });
    let (reason, retry_in) = last.expect("disconnect");
    assert!(reason.contains("refused the key"), "{reason}");
    assert_eq!(retry_in, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_a_huge_answer_and_a_lying_length_are_refused_and_counted() {
    let agency = FakeAgency::start(Reply::Html).await;
    let mut config = gtfs_config(&agency.url, 100);
    config.limits.max_frame_bytes = 1024 * 1024;
    let mut viewer = Viewer::start(config);
    viewer.until("the HTML refused", |v| {
        v.status().rejected.count(RejectReason::MalformedProtobuf) >= 1
    });
    assert!(
        viewer
            .status()
            .rejected
            .example(RejectReason::MalformedProtobuf)
            .is_some_and(|e| e.contains("HTML")),
    );
    // 200 MB offered: refused after the first megabyte.
    agency.set(Reply::Endless {
        bytes: 200 * 1024 * 1024,
    });
    viewer.until("the endless answer refused", |v| {
        v.status().rejected.count(RejectReason::Oversized) >= 1
    });
    agency.set(Reply::Declared {
        length: 200 * 1024 * 1024,
    });
    viewer.until("the declared length refused", |v| {
        v.status().rejected.count(RejectReason::Oversized) >= 2
    });
    // And the feed recovers when the agency does.
    agency.set(Reply::Feed {
        body: KIT_PB.to_vec(),
        etag: "\"v3\"".into(),
    });
    viewer.until("the feed back", |v| v.fleet().len() == 3);
}

/// The JSON a script in tests/transit/ prints for `arg`; `None` (skipped) where python3 or
/// `package` is missing, unless FLEETVIEW_REQUIRE_INTEROP=1 (CI), where it fails.
fn python_json(script: &str, arg: &str, package: &str) -> Option<serde_json::Value> {
    let script = format!("{}/tests/transit/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(arg)
        .output();
    match out {
        Ok(out) if out.status.success() => Some(serde_json::from_slice(&out.stdout).expect("json")),
        other => {
            assert!(
                std::env::var("FLEETVIEW_REQUIRE_INTEROP").as_deref() != Ok("1"),
                "python3 with {package} is required here: {other:?}"
            );
            eprintln!("SKIPPED: python3 with {package} is not installed (pip install {package})");
            None
        }
    }
}

/// What pyais makes of the sample: each ship's last position and its name.
fn pyais_ships() -> Option<serde_json::Value> {
    python_json(
        "pyais_decode.py",
        &fixture_path("ais/AisHubSample.nmea"),
        "pyais",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aishub_sample_over_tcp_decodes_as_pyais_decodes_it() {
    let url = ais_server(AISHUB.as_bytes().to_vec()).await;
    let mut viewer = Viewer::start(spec_config(
        FeedSpec::parse(&format!("ais:{url}")).expect("spec"),
    ));
    let Some(expected) = tokio::task::block_in_place(pyais_ships) else {
        return;
    };
    let ships = expected.as_object().expect("object");
    viewer.until("every ship pyais found", |v| v.fleet().len() >= ships.len());
    viewer.drain_for(Duration::from_millis(200));
    assert_eq!(viewer.fleet().len(), ships.len(), "{:?}", viewer.ids());
    for (mmsi, ship) in ships {
        let v = viewer.get(mmsi).unwrap_or_else(|| panic!("ship {mmsi}"));
        let (lat, lon) = (ship["lat"].as_f64(), ship["lon"].as_f64());
        assert!((v.fix.lat - lat.expect("lat")).abs() < 1e-5, "{mmsi}");
        assert!((v.fix.lon - lon.expect("lon")).abs() < 1e-5, "{mmsi}");
        assert_eq!(v.label(), ship["name"].as_str(), "{mmsi}");
        assert_eq!(v.kind(), Some("ship"));
        if let Some(knots) = ship["knots"].as_f64() {
            let ms = f64::from(v.fix.speed.expect("speed"));
            assert!(
                (ms - knots * 0.514444).abs() < 0.01,
                "{mmsi}: {ms} m/s, {knots} kn"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_nmea_garbage_and_an_endless_line_leave_the_good_sentences_read() {
    let mut text = Vec::new();
    for i in 0..5000 {
        text.extend_from_slice(format!("!AIVDM,1,1,,A,garbage{i},0*00\n$$$\n").as_bytes());
    }
    text.extend(std::iter::repeat_n(b'x', 100_000));
    text.push(b'\n');
    text.extend_from_slice(AISHUB.as_bytes());
    let url = ais_server(text).await;
    let mut viewer = Viewer::start(spec_config(
        FeedSpec::parse(&format!("ais:{url}")).expect("spec"),
    ));
    viewer.until("the sample's ships after the garbage", |v| {
        v.fleet().len() >= 40
    });
    let rejected = &viewer.status().rejected;
    assert_eq!(rejected.count(RejectReason::MalformedNmea), 5000);
    assert_eq!(
        rejected.count(RejectReason::Oversized),
        1,
        "the endless line"
    );
    assert_eq!(viewer.count(is_disconnected), 0, "garbage is never fatal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nmea_file_is_read_to_its_end_and_the_feed_stays() {
    let spec =
        FeedSpec::parse(&format!("ais:{}", fixture_path("ais/AisHubSample.nmea"))).expect("spec");
    let mut viewer = Viewer::start(spec_config(spec));
    viewer.until("the file's ships", |v| v.fleet().len() >= 40);
    viewer.drain_for(Duration::from_millis(300));
    assert_eq!(viewer.count(is_disconnected), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aisstream_feed_subscribes_in_time_and_reads_binary_frames() {
    let now = go_now();
    let frames = vec![
        ais_position(259000420, "AUGUSTSON", -16.91, 145.78, 10.0, &now),
        b"\x00\x01 not json".to_vec(),
        ais_position(503123456, "REEF RUNNER", -16.93, 145.79, 0.0, &now),
    ];
    let (url, subscriptions) = aisstream_server(frames).await;
    let mut spec = FeedSpec::parse(&format!("harbour=aisstream:{url}")).expect("spec");
    spec.credentials.token = Some("ais-key".into());
    spec.options.area = Some([[-17.5, 145.0], [-16.0, 146.5]]);
    let mut viewer = Viewer::start(spec_config(spec));
    viewer.until("two ships", |v| v.fleet().len() == 2);
    let ship = viewer.get("259000420").expect("ship");
    assert_eq!(ship.label(), Some("AUGUSTSON"));
    assert!((f64::from(ship.fix.speed.expect("sog")) - 5.14444).abs() < 1e-3);
    assert_eq!(ship.fix.heading, Some(235.0));
    viewer.until("the bad frame counted", |v| {
        v.status().rejected.count(RejectReason::MalformedJson) == 1
    });
    let sub = subscriptions.lock().expect("lock")[0].clone();
    assert_eq!(sub["APIKey"], "ais-key");
    assert_eq!(
        sub["BoundingBoxes"],
        serde_json::json!([[[-17.5, 145.0], [-16.0, 146.5]]])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_cairns_fleet_round_trips_through_the_servers_gtfs_rt_export() {
    let sim = fleetview::sim::SimConfig::new(300, 7);
    let server =
        tokio::task::spawn_blocking(|| EmbeddedServer::start(ServerConfig::default(), Some(sim)))
            .await
            .expect("join")
            .expect("server");
    let url = server.http_url(fleetview::server::gtfs_rt::PATH);
    let mut viewer = Viewer::start(gtfs_config(&url, 200));
    viewer.until("all 300 simulated vehicles", |v| v.fleet().len() == 300);
    let buses: Vec<_> = viewer
        .fleet()
        .iter()
        .filter_map(|(_, v)| v.route().map(str::to_owned))
        .collect();
    assert!(!buses.is_empty());
    assert!(
        buses.iter().all(|r| r.ends_with("-423")),
        "routes named by the Cairns GTFS route_id: {buses:?}"
    );
    assert!(viewer.status().rejected.is_empty());
    let theirs = tokio::task::block_in_place(|| {
        python_json("gtfs_rt_decode.py", &url, "gtfs-realtime-bindings")
    });
    if let Some(theirs) = theirs {
        assert_eq!(theirs["content_type"], "application/x-protobuf");
        assert_eq!(theirs["incrementality"], 0, "FULL_DATASET");
        let vehicles = theirs["vehicles"].as_object().expect("vehicles");
        assert_eq!(vehicles.len(), 300);
        for (id, v) in vehicles {
            let ours = viewer.get(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(v["label"].as_str(), ours.label(), "{id}");
            // Both read the same float32; the fleet may have moved on by a poll.
            assert!(
                (v["lat"].as_f64().expect("lat") - ours.fix.lat).abs() < 0.01,
                "{id}"
            );
        }
    }
    tokio::task::block_in_place(|| drop(server));
}
