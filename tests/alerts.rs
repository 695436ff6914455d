//! `fleetview alerts` against the simulated Cairns fleet: a geofence around the busiest bus
//! stop of the network, and a bus must enter it and leave it, each printed as a JSON line.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::sim::{Network, SimConfig};

/// The stop most shapes pass within 60 m of, as (lat, lon).
fn busiest_stop(network: &Network) -> (f64, f64) {
    let stops = network.shapes.iter().flat_map(|shape| {
        shape.stops.iter().map(move |&s| {
            let (lat, lon, _) = shape.at(s, shape.segment_at(s, 0));
            (lat, lon)
        })
    });
    stops
        .max_by_key(|&(lat, lon)| {
            network
                .shapes
                .iter()
                .filter(|s| s.distance_to(lat, lon) < 60.0)
                .count()
        })
        .expect("a stop")
}

#[test]
fn a_bus_enters_and_leaves_a_geofence_around_a_cairns_stop() {
    let network = Network::cairns().expect("network");
    let (lat, lon) = busiest_stop(&network);
    let mut sim = SimConfig::new(1500, 11);
    sim.report_every_ms = (1000, 1000);
    sim.silence_chance = 0.0;
    let server = EmbeddedServer::start(ServerConfig::default(), Some(sim)).expect("server");
    let dir = std::env::temp_dir().join(format!("fleetview-alerts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let fences = dir.join("stop.geojson");
    std::fs::write(
        &fences,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature",
            "properties":{{"name":"Busiest stop","radius":120}},
            "geometry":{{"type":"Point","coordinates":[{lon},{lat}]}}}}]}}"#
        ),
    )
    .expect("write geofences");
    let rules = dir.join("rules.toml");
    std::fs::write(
        &rules,
        "[geofence]\nenter = true\nexit = true\nkinds = [\"bus\"]\n",
    )
    .expect("write rules");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .args(["alerts", "--feed", &format!("Buses={}", server.url())])
        .arg("--geofences")
        .arg(&fences)
        .arg("--rules")
        .arg(&rules)
        .args(["--duration", "120s"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("fleetview alerts");
    let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let started = Instant::now();
    let mut entered = Vec::new();
    let mut both = None;
    for line in lines {
        let line = line.expect("a line");
        let alert: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        assert_eq!(alert["feed"], "Buses");
        assert_eq!(alert["geofence"], "Busiest stop");
        for key in ["seq", "at_ms", "vehicle", "label", "detail", "lat", "lon"] {
            assert!(alert.get(key).is_some(), "{key} in {line}");
        }
        assert_eq!(alert["severity"], "warning", "{line}");
        let vehicle = alert["vehicle"].as_str().expect("vehicle").to_owned();
        match alert["rule"].as_str() {
            Some("enter") => entered.push(vehicle),
            Some("exit") if entered.contains(&vehicle) => {
                both = Some(vehicle);
                break;
            }
            Some("exit") => {}
            other => panic!("rule {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    let bus = both.expect("a bus entered the stop's geofence and left it");
    assert!(bus.starts_with("bus-"), "{bus}");
}
