//! Binary trackers over real TCP on loopback: a device emulator written here (its own encoder
//! and CRCs, not the server's decoder run backwards) logs in with Teltonika and with GT06, sends
//! Codec 8, 8 Extended and 16 packets and GT06 location, status and alarm packets, and a viewer
//! sees the vehicles with their attributes and alarms. A refused IMEI is answered `00` and
//! closed; a packet with a bad CRC is not acknowledged; `/metrics` counts per protocol.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::emulator::*;
use common::*;
use fleetview_core::clock::now_ms;
use fleetview_server::registry::Registry;
use fleetview_server::{EmbeddedServer, ServerConfig, TrackerKind};

const VAN: &str = "356307042441013";
const TRUCK: &str = "358240051111110";
const STRANGER: &str = "123456789012345";

fn server() -> EmbeddedServer {
    let registry = Registry::parse(&format!(
        "[[device]]\nid = \"{VAN}\"\nlabel = \"Van 7\"\nkind = \"van\"\n\n[[device]]\nid = \"{TRUCK}\"\nlabel = \"Truck 12\"\nkind = \"truck\"\n"
    ))
    .expect("registry");
    let config = ServerConfig {
        tick: Duration::from_millis(50),
        registry: Some(Arc::new(registry)),
        tracker_listen: vec![
            (TrackerKind::Teltonika, "127.0.0.1:0".into()),
            (TrackerKind::Gt06, "127.0.0.1:0".into()),
        ],
        device_listen: Some("127.0.0.1:0".into()),
        ..ServerConfig::default()
    };
    EmbeddedServer::start(config, None).expect("server")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    s
}

fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut out = vec![0; n];
    s.read_exact(&mut out).expect("an answer");
    out
}

fn teltonika_login(addr: SocketAddr, imei: &str) -> (TcpStream, u8) {
    let mut s = connect(addr);
    let mut hello = (imei.len() as u16).to_be_bytes().to_vec();
    hello.extend_from_slice(imei.as_bytes());
    s.write_all(&hello).expect("send");
    let answer = read_n(&mut s, 1)[0];
    (s, answer)
}

fn attrs(viewer: &Viewer, id: &str) -> serde_json::Value {
    viewer
        .get(id)
        .and_then(|v| v.attrs().map(str::to_owned))
        .and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or_default()
}

#[test]
fn teltonika_devices_log_in_report_with_every_codec_and_a_stranger_is_refused() {
    let server = server();
    let addr = server.tracker_addr(TrackerKind::Teltonika).expect("port");
    let mut viewer = Viewer::start(config(&server.url()));
    let (mut s, answer) = teltonika_login(addr, VAN);
    assert_eq!(answer, 1, "a listed IMEI is accepted");
    let t = now_ms() - 10_000;
    let packet = avl(
        0x08,
        &[
            record(t, -16.92, 145.77, 90, 36, &io8()),
            record(t + 5_000, -16.921, 145.771, 180, 54, &io8()),
        ],
        false,
    );
    s.write_all(&packet).expect("send");
    assert_eq!(read_n(&mut s, 4), [0, 0, 0, 2], "both records acknowledged");
    viewer.until("van 7 at its second fix", |v| {
        v.get(VAN).is_some_and(|v| v.fix.ts == t + 5_000)
    });
    let van = viewer.get(VAN).expect("van");
    assert_eq!(van.display_name(), "Van 7", "the registry's label");
    assert!((van.fix.lat - -16.921).abs() < 1e-7 && (van.fix.lon - 145.771).abs() < 1e-7);
    assert!(
        (van.fix.speed.expect("speed") - 15.0).abs() < 1e-4,
        "54 km/h is 15 m/s"
    );
    assert_eq!(van.fix.heading, Some(180.0));
    let a = attrs(&viewer, VAN);
    assert_eq!(a["ignition"], true);
    assert_eq!(a["motion"], true);
    assert_eq!(a["power"], 12.345);
    assert_eq!(a["odometer"], 123_456);
    assert_eq!(a["sat"], 9);

    // 8 Extended, then 16; then a packet whose CRC is wrong: not acknowledged.
    s.write_all(&avl(
        0x8E,
        &[record(t + 6_000, -16.922, 145.772, 0, 0, &io8e())],
        false,
    ))
    .expect("send");
    assert_eq!(read_n(&mut s, 4), [0, 0, 0, 1]);
    s.write_all(&avl(
        0x10,
        &[record(t + 7_000, -16.923, 145.773, 0, 0, &io16())],
        false,
    ))
    .expect("send");
    assert_eq!(read_n(&mut s, 4), [0, 0, 0, 1]);
    viewer.until("the codec 16 fix", |v| {
        v.get(VAN).is_some_and(|v| v.fix.ts == t + 7_000)
    });
    let a = attrs(&viewer, VAN);
    assert_eq!(a["battery"], 4.1, "codec 16's battery voltage");
    s.write_all(&avl(
        0x08,
        &[record(t + 8_000, -16.0, 145.0, 0, 0, &io8())],
        true,
    ))
    .expect("send");
    s.set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut one = [0u8; 1];
    assert!(s.read(&mut one).is_err(), "a bad CRC is not acknowledged");

    // A stranger is answered 00, then closed.
    let (mut stranger, answer) = teltonika_login(addr, STRANGER);
    assert_eq!(answer, 0);
    assert_eq!(
        stranger.read(&mut one).unwrap_or(0),
        0,
        "closed after the refusal"
    );

    let metrics = curl(
        &format!("{}metrics", server.device_url().expect("device port")),
        None,
    )
    .1;
    for line in [
        "fleetview_tracker_frames_total{frame=\"reports\",protocol=\"teltonika\"} 3",
        "fleetview_tracker_errors_total{protocol=\"teltonika\",reason=\"bad_crc\"} 1",
        "fleetview_tracker_errors_total{protocol=\"teltonika\",reason=\"unknown_device\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}

#[test]
fn gt06_devices_log_in_report_status_and_raise_an_alarm() {
    let server = server();
    let addr = server.tracker_addr(TrackerKind::Gt06).expect("port");
    let mut viewer = Viewer::start(config(&server.url()));
    let mut s = connect(addr);
    // Login: the IMEI in BCD, with its leading zero.
    let bcd = [0x03, 0x58, 0x24, 0x00, 0x51, 0x11, 0x11, 0x10];
    s.write_all(&gt06(0x01, &bcd, 1)).expect("send");
    assert_eq!(
        read_n(&mut s, 10),
        gt06_answer(0x01, 1),
        "the login answered"
    );
    let t = now_utc() - time::Duration::seconds(30);
    s.write_all(&gt06(
        0x12,
        &[
            gps(t, -16.92, 145.77, 72, 45),
            vec![0x01, 0xF9, 0, 0x28, 0x7D, 0, 0x1F, 0xB8],
        ]
        .concat(),
        2,
    ))
    .expect("send");
    assert_eq!(
        read_n(&mut s, 10),
        gt06_answer(0x12, 2),
        "answered, as Traccar answers"
    );
    viewer.until("truck 12 placed", |v| v.get(TRUCK).is_some());
    let truck = viewer.get(TRUCK).expect("truck");
    assert_eq!(truck.display_name(), "Truck 12");
    assert!(
        (truck.fix.lat - -16.92).abs() < 1e-6,
        "south: {}",
        truck.fix.lat
    );
    assert!((truck.fix.lon - 145.77).abs() < 1e-6);
    assert!(
        (truck.fix.speed.expect("speed") - 20.0).abs() < 1e-4,
        "72 km/h"
    );
    assert_eq!(truck.fix.heading, Some(45.0));
    assert_eq!(truck.fix.ts, t.unix_timestamp() * 1000);

    // Status: ignition on, charging, battery level 6 of 6, GSM signal 4; answered.
    s.write_all(&gt06(0x13, &[0x06, 0x06, 0x04, 0x00, 0x01], 3))
        .expect("send");
    assert_eq!(read_n(&mut s, 10), gt06_answer(0x13, 3));
    viewer.until("the status shown", |v| {
        attrs(v, TRUCK)["batteryLevel"] == 100
    });
    assert_eq!(attrs(&viewer, TRUCK)["ignition"], true);

    // An SOS alarm with its place (stamped after the status, which took the time it came):
    // answered, and the fix carries the alarm.
    let t2 = now_utc() + time::Duration::seconds(1);
    let alarm = [
        gps(t2, -16.93, 145.78, 0, 0),
        vec![0x09, 0x01, 0xF9, 0, 0x28, 0x7D, 0, 0x1F, 0xB8], // LBS, its length first
        vec![0x06, 0x06, 0x04, 0x01, 0x01],                   // status, then the alarm: SOS
    ]
    .concat();
    s.write_all(&gt06(0x16, &alarm, 4)).expect("send");
    assert_eq!(read_n(&mut s, 10), gt06_answer(0x16, 4));
    viewer.until("the alarm", |v| attrs(v, TRUCK)["alarm"] == "sos");
    assert!((viewer.get(TRUCK).expect("truck").fix.lat - -16.93).abs() < 1e-6);

    // A stranger's login closes the connection without an answer.
    let mut stranger = connect(addr);
    let bcd = [0x01, 0x23, 0x45, 0x67, 0x89, 0x01, 0x23, 0x45];
    stranger.write_all(&gt06(0x01, &bcd, 1)).expect("send");
    let mut one = [0u8; 1];
    assert_eq!(stranger.read(&mut one).unwrap_or(0), 0, "closed");
}

/// Trackers on a mobile network reach the server through a carrier's NAT: thousands from one
/// address. The tracker ports have no per-address cap by default: 2,000 Teltonika devices from
/// 127.0.0.1 log in and each report is acknowledged.
#[test]
fn two_thousand_trackers_behind_one_address_all_log_in_and_are_acknowledged() {
    const N: usize = 2_000;
    // Each tracker costs a socket at both ends, in this one process.
    let _ = rlimit::increase_nofile_limit(4 * N as u64 + 256);
    let config = ServerConfig {
        tracker_listen: vec![(TrackerKind::Teltonika, "127.0.0.1:0".into())],
        device_listen: Some("127.0.0.1:0".into()),
        ..ServerConfig::default()
    };
    let server = EmbeddedServer::start(config, None).expect("server");
    let addr = server.tracker_addr(TrackerKind::Teltonika).expect("port");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let t = now_ms() - 5_000;
    let acked = rt.block_on(async move {
        let devices = (0..N).map(|i| {
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
                let imei = format!("35000000000{i:04}");
                let mut hello = 15u16.to_be_bytes().to_vec();
                hello.extend_from_slice(imei.as_bytes());
                s.write_all(&hello).await.ok()?;
                let mut one = [0u8; 1];
                s.read_exact(&mut one).await.ok()?;
                let lat = -16.9 - i as f64 * 1e-4;
                let packet = avl(0x08, &[record(t, lat, 145.77, 0, 30, &io8())], false);
                s.write_all(&packet).await.ok()?;
                let mut ack = [0u8; 4];
                s.read_exact(&mut ack).await.ok()?;
                Some((one[0], ack, s))
            })
        });
        let joined = tokio::time::timeout(
            Duration::from_secs(60),
            futures_util::future::join_all(devices),
        )
        .await
        .expect("every tracker answered within a minute");
        joined
            .into_iter()
            .filter_map(|r| r.ok().flatten())
            .filter(|(login, ack, _)| *login == 1 && *ack == [0, 0, 0, 1])
            .count()
    });
    assert_eq!(
        acked, N,
        "every login accepted and every report acknowledged"
    );
    let metrics = curl(
        &format!("{}metrics", server.device_url().expect("device port")),
        None,
    )
    .1;
    let line = format!("fleetview_reports_accepted_total{{endpoint=\"teltonika\"}} {N}");
    assert!(metrics.contains(&line), "{line} in\n{metrics}");
}

/// A tracker that connects and says nothing is closed at the login deadline, and one that
/// announces a frame over the limit is closed at once; both are counted.
#[test]
fn a_silent_tracker_is_closed_at_the_login_deadline_and_a_huge_frame_at_once() {
    let config = ServerConfig {
        upgrade_timeout: Duration::from_millis(400),
        tracker_listen: vec![(TrackerKind::Teltonika, "127.0.0.1:0".into())],
        device_listen: Some("127.0.0.1:0".into()),
        ..ServerConfig::default()
    };
    let server = EmbeddedServer::start(config, None).expect("server");
    let addr = server.tracker_addr(TrackerKind::Teltonika).expect("port");
    let mut silent = connect(addr);
    let started = std::time::Instant::now();
    let mut one = [0u8; 1];
    assert_eq!(silent.read(&mut one).unwrap_or(0), 0, "closed");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );
    let (mut s, answer) = teltonika_login(addr, VAN);
    assert_eq!(answer, 1);
    // 16 MiB of data announced: refused before a byte of it is read.
    s.write_all(&[0, 0, 0, 0, 0x01, 0, 0, 0]).expect("send");
    assert_eq!(s.read(&mut one).unwrap_or(0), 0, "closed");
    let metrics = curl(
        &format!("{}metrics", server.device_url().expect("device port")),
        None,
    )
    .1;
    for line in [
        "fleetview_tracker_errors_total{protocol=\"teltonika\",reason=\"login_timeout\"} 1",
        "fleetview_tracker_errors_total{protocol=\"teltonika\",reason=\"too_large\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }
}
