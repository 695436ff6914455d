//! Transit and ship formats on one core, each beside an independent decoder run on the same
//! bytes in the same run:
//!
//! - raw AIS: the 61 real AISHub sentences (tests/fixtures/ais), repeated to 61,000 lines,
//!   decoded by fleetview's NMEA format (checksums, two-part messages, names joined) against
//!   Python's pyais decoding each message;
//! - GTFS-Realtime: one poll of 10,000 simulated vehicles as `fleetview-server` exports them
//!   (FULL_DATASET), decoded into a snapshot by fleetview's format against Python's
//!   gtfs-realtime-bindings (protobuf's C implementation) parsing the same bytes.
//!
//!     cargo bench --bench transit

mod common;

use std::process::Command;

use common::*;
use fleetview::formats::{Decoded, Format, ais::Nmea, gtfs_rt::GtfsRt};
use fleetview::protocol::DecodeLimits;
use fleetview::sim::{Network, Sim, SimConfig};

const SAMPLE: &str = include_str!("../tests/fixtures/ais/AisHubSample.nmea");
const REPEAT: usize = 1000;
const VEHICLES: usize = 10_000;

fn main() {
    ais();
    gtfs_rt();
}

fn ais() {
    let text = SAMPLE.repeat(REPEAT);
    let lines = text.lines().count();
    // In reads of about 16 KB, as the lines transport hands them over.
    let chunks: Vec<&str> = text
        .split_inclusive('\n')
        .collect::<Vec<_>>()
        .chunks(200)
        .map(|c| {
            let start = c[0].as_ptr() as usize - text.as_ptr() as usize;
            let len: usize = c.iter().map(|l| l.len()).sum();
            &text[start..start + len]
        })
        .collect();
    let (elapsed, fixes) = best_of(5, || {
        let mut format = Nmea::new(DecodeLimits::default());
        let mut fixes = 0;
        for chunk in &chunks {
            let mut out = Decoded::default();
            format.decode(chunk, T0, &mut out);
            fixes += out
                .events
                .iter()
                .map(|e| match e {
                    fleetview::feed::FeedEvent::Positions(b) => b.len(),
                    _ => 0,
                })
                .sum::<usize>();
        }
        fixes
    });
    let rate = lines as f64 / elapsed.as_secs_f64();
    println!(
        "raw AIS: {lines} sentences ({fixes} positions) in {:.1} ms: {} (sentences)",
        elapsed.as_secs_f64() * 1e3,
        fmt_rate(rate)
    );
    let path = std::env::temp_dir().join("fleetview-bench-ais.nmea");
    std::fs::write(&path, &text).expect("write sample");
    peer(
        "pyais",
        "transit_peer.py",
        &["ais", &path.to_string_lossy()],
        rate,
        "sentences",
    );
}

fn gtfs_rt() {
    let network = Network::cairns().expect("network");
    let route_ids = network
        .routes
        .iter()
        .map(|r| (r.name.clone(), r.id.clone()))
        .collect();
    let mut sim = Sim::new(network, SimConfig::new(VEHICLES, 1), T0);
    let fleet = sim.all(T0);
    let bytes = fleetview::server::gtfs_rt::encode(&fleet, &route_ids, T0);
    let (encode, _) = best_of(5, || {
        fleetview::server::gtfs_rt::encode(&fleet, &route_ids, T0)
    });
    let (elapsed, positions) = best_of(5, || {
        let mut format = GtfsRt::new(DecodeLimits::default());
        let mut out = Decoded::default();
        format.decode_bytes(&bytes, T0, &mut out);
        match &out.events[..] {
            [fleetview::feed::FeedEvent::Snapshot(b)] => b.len(),
            other => panic!("{} events", other.len()),
        }
    });
    let rate = positions as f64 / elapsed.as_secs_f64();
    println!(
        "GTFS-RT: one poll of {positions} positions ({:.2} MB) decoded in {:.2} ms ({} positions); \
         the server encodes it in {:.2} ms",
        bytes.len() as f64 / 1e6,
        elapsed.as_secs_f64() * 1e3,
        fmt_rate(rate),
        encode.as_secs_f64() * 1e3,
    );
    let path = std::env::temp_dir().join("fleetview-bench-vp.pb");
    std::fs::write(&path, &bytes).expect("write feed");
    peer(
        "gtfs-realtime-bindings",
        "transit_peer.py",
        &["gtfs-rt", &path.to_string_lossy()],
        rate,
        "positions",
    );
}

/// Runs the Python peer and prints the ratio.
fn peer(name: &str, script: &str, args: &[&str], ours: f64, what: &str) {
    let script = format!("{}/benches/{script}", env!("CARGO_MANIFEST_DIR"));
    match Command::new("python3").arg(script).args(args).output() {
        Ok(out) if out.status.success() => {
            let peer: f64 = String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .unwrap_or(0.0);
            println!(
                "  {name} on the same bytes: {} ({what}), so {:.1}x",
                fmt_rate(peer),
                ours / peer
            );
        }
        other => println!("  {name} did not run: {other:?}"),
    }
}
