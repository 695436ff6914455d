//! Our GT06 decoder against an independent one (the `gt06` crate, crates.io, MIT) on what that
//! decoder reads right (its 0x16 and 0x22 readings are off, and it has no 0x26 or `79 79`): real
//! logins, heartbeats and 0x12 locations from Traccar's decoder tests, and a thousand random
//! ones: the same IMEI, the same answers byte for byte, the same time, place, speed and course.

use fleetview_core::formats::gt06::Gt06;
use fleetview_core::formats::tracker::{Said, TrackerProtocol, crc16_x25};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Traccar's Gt06ProtocolDecoderTest lines 18 (login), 484 (heartbeat) and 490 (0x12).
const TRACCAR: [&str; 3] = [
    "78780D01086471700328358100093F040D0A",
    "78780a13440604000201baaf540d0a",
    "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a",
];

fn agree(frame: &[u8]) {
    let theirs = gt06::parse_packet(frame).expect("gt06 reads it");
    let mut ours = Gt06::default();
    match theirs {
        gt06::Message::Login(ref login) => {
            assert_eq!(
                ours.decode(frame, false),
                Ok(Said::Login {
                    imei: login.imei.clone()
                })
            );
            assert_eq!(
                ours.login_reply(true),
                theirs.ack_bytes().map(|a| a.to_vec())
            );
        }
        gt06::Message::Status(_) => match ours.decode(frame, true) {
            Ok(Said::Reports { reply, .. }) => {
                assert_eq!(Some(reply), theirs.ack_bytes().map(|a| a.to_vec()));
            }
            other => panic!("ours: {other:?}"),
        },
        gt06::Message::Location(ref location) => match ours.decode(frame, true) {
            Ok(Said::Reports { reports, .. }) => {
                let f = &location.fix;
                let r = &reports[0];
                assert_eq!(r.ts, Some(f.time * 1000));
                match r.fix {
                    Some(fix) => {
                        assert!(f.gps_positioned);
                        assert!(
                            (fix.lat - f.latitude).abs() < 1e-6,
                            "{} {}",
                            fix.lat,
                            f.latitude
                        );
                        assert!((fix.lon - f.longitude).abs() < 1e-6);
                        assert_eq!((fix.speed.expect("speed") * 3.6).round() as u8, f.speed_kmh);
                        assert_eq!(fix.heading, Some(f32::from(f.course)));
                    }
                    None => assert!(!f.gps_positioned),
                }
            }
            other => panic!("ours: {other:?}"),
        },
        other => panic!("not a message this cross-check covers: {other:?}"),
    }
}

#[test]
fn traccars_real_frames_read_the_same_in_both_decoders() {
    for frame in TRACCAR {
        agree(&hex(frame));
    }
}

fn frame(protocol: u8, content: &[u8], serial: u16) -> Vec<u8> {
    let mut body = vec![(content.len() + 5) as u8, protocol];
    body.extend_from_slice(content);
    body.extend_from_slice(&serial.to_be_bytes());
    let crc = crc16_x25(&body);
    [&[0x78, 0x78][..], &body, &crc.to_be_bytes(), &[0x0D, 0x0A]].concat()
}

/// A random login, heartbeat or 0x12 location.
fn random(rng: &mut fastrand::Rng) -> Vec<u8> {
    let serial = rng.u16(..);
    match rng.u8(0..3) {
        0 => {
            let digits: String = (0..15).map(|_| char::from(b'0' + rng.u8(0..10))).collect();
            let bcd: Vec<u8> = format!("0{digits}")
                .as_bytes()
                .chunks(2)
                .map(|p| ((p[0] - b'0') << 4) | (p[1] - b'0'))
                .collect();
            frame(0x01, &bcd, serial)
        }
        1 => frame(
            0x13,
            &[rng.u8(..), rng.u8(0..7), rng.u8(0..5), 0, 1],
            serial,
        ),
        _ => {
            let mut c = vec![
                rng.u8(10..40),
                rng.u8(1..13),
                rng.u8(1..29),
                rng.u8(0..24),
                rng.u8(0..60),
                rng.u8(0..60),
                0xC0 | rng.u8(0..16),
            ];
            c.extend_from_slice(&rng.u32(0..=90 * 1_800_000).to_be_bytes());
            c.extend_from_slice(&rng.u32(0..=180 * 1_800_000).to_be_bytes());
            c.push(rng.u8(..));
            c.extend_from_slice(&(rng.u16(0..0x2000) | rng.u16(0..360)).to_be_bytes());
            c.extend_from_slice(&[0x01, 0xF9, 0, 0x28, 0x7D, 0, 0x1F, 0xB8]);
            frame(0x12, &c, serial)
        }
    }
}

#[test]
fn a_thousand_random_logins_heartbeats_and_locations_read_the_same_in_both_decoders() {
    let mut rng = fastrand::Rng::with_seed(5023);
    for _ in 0..1_000 {
        agree(&random(&mut rng));
    }
}
