//! A GTFS-Realtime feed, a raw AIS feed over TCP and an AISStream feed (loopback fakes speaking
//! the real formats, with the real sample files) at once beside the simulated fleet: in the
//! window (egui_kittest) and in `fleetview stats`.

mod common;

use std::time::Duration;

use common::transit::*;
use common::window::{feeds_app, wait_until};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fleetview::feed::{FeedId, FeedSpec};
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::ui::FleetApp;

/// The four feeds: the simulated fleet and the three fakes. Returns them with what keeps the
/// fakes alive.
fn four_feeds(rt: &tokio::runtime::Runtime) -> (Vec<FeedSpec>, EmbeddedServer, FakeAgency) {
    let sim = EmbeddedServer::start(
        ServerConfig::default(),
        Some(fleetview::sim::SimConfig::new(30, 3)),
    )
    .expect("sim");
    let agency = rt.block_on(FakeAgency::start(Reply::Feed {
        body: KIT_PB.to_vec(),
        etag: "\"v1\"".into(),
    }));
    // The AIS source sends garbage first: its feed counts it, no other feed notices.
    let mut nmea = b"!AIVDM,1,1,,A,not a payload,0*00\n\x00\x01\x02 noise\n".repeat(100);
    nmea.extend_from_slice(AISHUB.as_bytes());
    let ais = rt.block_on(ais_server(nmea));
    let now = go_now();
    let (stream, _) = rt.block_on(aisstream_server(vec![
        ais_position(503000001, "REEF RUNNER", -16.91, 145.79, 12.0, &now),
        ais_position(503000002, "CORAL PRINCESS", -16.93, 145.80, 0.0, &now),
    ]));
    let mut buses = FeedSpec::fleetview(sim.url());
    buses.name = "Buses".into();
    // The key rides in the URL here (as `stats --feed` can give it) and is taken out of it.
    let harbour =
        FeedSpec::parse(&format!("Harbour=aisstream:{stream}?token=key")).expect("aisstream");
    assert_eq!(harbour.credentials.token.as_deref(), Some("key"));
    let feeds = vec![
        buses,
        FeedSpec::parse(&format!("Metro=gtfs-rt:{}", agency.url)).expect("gtfs-rt"),
        FeedSpec::parse(&format!("AISHub=ais:{ais}")).expect("ais"),
        harbour,
    ];
    (feeds, sim, agency)
}

fn wait(h: &mut Harness<'_, FleetApp>, what: &str, done: &dyn Fn(&FleetApp) -> bool) {
    wait_until(h, what, Duration::from_secs(10), done);
}

#[test]
fn transit_and_ship_feeds_show_in_the_window_beside_the_simulated_fleet() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (feeds, _sim, _agency) = four_feeds(&rt);
    let mut h = feeds_app(feeds);
    wait(&mut h, "every feed's vehicles", &|app| {
        let f = app.fleet();
        f.len_of(FeedId(0)) == 30
            && f.len_of(FeedId(1)) == 3
            && f.len_of(FeedId(2)) >= 40
            && f.len_of(FeedId(3)) == 2
    });
    h.run_steps(2);
    h.get_by_label("4 of 4 feeds connected");
    for name in ["Buses", "Metro", "AISHub", "Harbour"] {
        assert!(
            h.query_all_by_label(name).count() >= 1,
            "{name} in the Feeds panel"
        );
    }
    h.get_by_label("3 vehicles");
    h.get_by_label("2 vehicles");
    let session = h.state().session();
    let rejected = |feed: u32| session.feed(FeedId(feed)).expect("feed").rejected.clone();
    assert!(rejected(2).count(fleetview::protocol::RejectReason::MalformedNmea) >= 100);
    assert!(rejected(0).is_empty() && rejected(3).is_empty());
    assert_eq!(
        rejected(1).total(),
        1,
        "the kit's vehicle without a position, and nothing else"
    );
    // A ship is found by its name, from the static message that named it.
    let search = h.get_by(|n| n.role() == Role::TextInput && n.value().as_deref() == Some(""));
    search.focus();
    search.type_text("jarred");
    h.run_steps(3);
    assert_eq!(h.state().list_ids(), vec!["366968860"]);
    h.get_by_label("JARRED GRIFFIN");
    let fleet = h.state().fleet();
    let ship = fleet.get(FeedId(3), "503000001").expect("AISStream ship");
    assert_eq!(ship.kind(), Some("ship"));
    let bus = fleet.get(FeedId(1), "V/15/1").expect("GTFS-RT bus");
    assert_eq!(bus.route(), Some("15"));
    drop(h);
}

#[test]
fn stats_reports_the_transit_and_ship_feeds_each_on_its_own() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (feeds, _sim, _agency) = four_feeds(&rt);
    let mut args: Vec<String> = Vec::new();
    for spec in &feeds {
        let key = spec.credentials.token.as_deref();
        args.push("--feed".into());
        args.push(match key {
            Some(key) => format!("{}={}:{}?token={key}", spec.name, spec.kind, spec.url),
            None => format!("{}={}:{}", spec.name, spec.kind, spec.url),
        });
    }
    args.extend(["--duration", "2s", "--json"].map(String::from));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .arg("stats")
        .args(&args)
        .output()
        .expect("stats runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    let feeds = report["feeds"].as_array().expect("feeds");
    let of = |name: &str| {
        feeds
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    assert_eq!(of("Buses")["vehicles"], 30);
    assert_eq!(of("Metro")["vehicles"], 3);
    assert!(of("AISHub")["vehicles"].as_u64() >= Some(40));
    assert_eq!(of("Harbour")["vehicles"], 2);
    assert_eq!(report["connected"], true);
}
