//! A million mutated frames of each binary tracker protocol: whatever the bytes, the decoder
//! never panics, never measures a frame it has not got or one over its limit, and a fatal
//! refusal is the only way it gives up on a stream. Seeds are whole, valid frames (a login and
//! data packets of each codec); mutations flip, insert, drop, truncate, repeat and splice bytes,
//! and half the time the length and checksum are made right again, so the mutations reach the
//! parser behind the checksum.

use fleetview_core::formats::gt06::{self, Gt06};
use fleetview_core::formats::teltonika::{self, Teltonika};
use fleetview_core::formats::tracker::{TrackerProtocol, crc16_ibm, crc16_x25};

const ROUNDS: usize = 1_000_000;

fn teltonika_seeds() -> Vec<(Vec<u8>, bool)> {
    let mut login = 15u16.to_be_bytes().to_vec();
    login.extend_from_slice(b"356307042441013");
    let mut record = 1_764_000_000_000u64.to_be_bytes().to_vec();
    record.extend_from_slice(&[1, 0x56, 0xE2, 0x4A, 0x20, 0xF5, 0xE9, 0x1C, 0x00]);
    record.extend_from_slice(&[0, 12, 0, 90, 9, 0, 36]);
    let io8 = [239, 2, 1, 239, 1, 1, 66, 0x30, 0x39, 0, 0];
    let io8e = [
        0, 0, 0, 2, 0, 1, 0, 239, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 2, 0xAA, 0xBB,
    ];
    let io16 = [0, 67, 1, 1, 0, 1, 0, 67, 0x10, 0x04, 0, 0];
    let packet = |codec: u8, io: &[u8]| {
        let mut data = vec![codec, 1];
        data.extend_from_slice(&record);
        data.extend_from_slice(io);
        data.push(1);
        let mut out = vec![0, 0, 0, 0];
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(&data);
        out.extend_from_slice(&u32::from(crc16_ibm(&data)).to_be_bytes());
        out
    };
    vec![
        (login, false),
        (packet(0x08, &io8), true),
        (packet(0x8E, &io8e), true),
        (packet(0x10, &io16), true),
    ]
}

fn gt06_seeds() -> Vec<(Vec<u8>, bool)> {
    let frame = |protocol: u8, content: &[u8]| {
        let mut body = vec![(content.len() + 5) as u8, protocol];
        body.extend_from_slice(content);
        body.extend_from_slice(&[0, 7]);
        let crc = crc16_x25(&body);
        let mut out = vec![0x78, 0x78];
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&[0x0D, 0x0A]);
        out
    };
    let gps = [
        25, 11, 24, 16, 0, 0, 0xC9, 0x01, 0xD1, 0x5B, 0x08, 0x0F, 0x9A, 0x8A, 0x70, 36, 0x14, 0x5A,
    ];
    let lbs = [0x01, 0xF9, 0, 0x28, 0x7D, 0, 0x1F, 0xB8];
    let alarm = [&gps[..], &[9], &lbs, &[6, 6, 4, 1, 1]].concat();
    vec![
        (
            frame(0x01, &[0x03, 0x58, 0x24, 0, 0x51, 0x11, 0x11, 0x10]),
            false,
        ),
        (frame(0x12, &[&gps[..], &lbs].concat()), true),
        (frame(0x13, &[6, 6, 4, 0, 1]), true),
        (frame(0x16, &alarm), true),
        (frame(0x99, &[1, 2, 3]), true),
    ]
}

/// A seed, mutated one to four times.
fn mutate(seeds: &[(Vec<u8>, bool)], rng: &mut fastrand::Rng) -> (Vec<u8>, bool) {
    let (seed, logged_in) = &seeds[rng.usize(..seeds.len())];
    let mut b = seed.clone();
    for _ in 0..rng.usize(1..=4) {
        let at = rng.usize(..=b.len());
        match rng.u8(..6) {
            0 if !b.is_empty() => {
                let i = rng.usize(..b.len());
                b[i] ^= 1 << rng.u8(..8);
            }
            1 => b.insert(at, rng.u8(..)),
            2 if at < b.len() => {
                b.remove(at);
            }
            3 => b.truncate(at),
            4 => {
                let copy = b.clone();
                b.extend_from_slice(&copy[..at.min(copy.len())]);
            }
            _ => {
                let (other, _) = &seeds[rng.usize(..seeds.len())];
                b.splice(at..at, other.iter().copied());
            }
        }
    }
    (b, *logged_in)
}

/// Makes a mutated Teltonika packet's length and CRC agree with its bytes again (half the
/// rounds), so the mutations reach the record parser behind the checksum.
fn teltonika_fix_up(b: &mut [u8]) {
    if b.len() >= 13 && b[..4] == [0, 0, 0, 0] {
        let n = b.len() - 12;
        b[4..8].copy_from_slice(&(n as u32).to_be_bytes());
        let crc = crc16_ibm(&b[8..8 + n]);
        b[8 + n..].copy_from_slice(&u32::from(crc).to_be_bytes());
    }
}

/// ... a GT06 frame's length, CRC and stop bits.
fn gt06_fix_up(b: &mut [u8]) {
    if b.len() >= 10 && b.len() < 260 && b[..2] == [0x78, 0x78] {
        let end = b.len();
        b[2] = (end - 5) as u8;
        let crc = crc16_x25(&b[2..end - 4]);
        b[end - 4..end - 2].copy_from_slice(&crc.to_be_bytes());
        b[end - 2..].copy_from_slice(&[0x0D, 0x0A]);
    }
}

/// Feeds `bytes` to a fresh protocol as a connection would: frames while it can measure them.
fn feed(protocol: &mut dyn TrackerProtocol, bytes: &[u8], mut logged_in: bool, max: usize) {
    let mut buf = bytes;
    while let Ok(Some(len)) = protocol.frame_len(buf, logged_in) {
        assert!(
            len <= buf.len(),
            "a frame of {len} measured in {} bytes",
            buf.len()
        );
        assert!(
            len > 0 && len <= max,
            "a frame of {len} bytes (limit {max})"
        );
        match protocol.decode(&buf[..len], logged_in) {
            Ok(fleetview_core::formats::tracker::Said::Login { imei }) => {
                assert!(!imei.is_empty() && imei.bytes().all(|c| c.is_ascii_digit()));
                logged_in = true;
            }
            Ok(_) => {}
            Err(e) if e.is_fatal() => return,
            Err(_) => {}
        }
        buf = &buf[len..];
    }
}

#[test]
fn a_million_mutated_teltonika_frames_are_decoded_or_refused_and_nothing_panics() {
    let seeds = teltonika_seeds();
    let mut rng = fastrand::Rng::with_seed(27);
    for _ in 0..ROUNDS {
        let (mut bytes, logged_in) = mutate(&seeds, &mut rng);
        if rng.bool() {
            teltonika_fix_up(&mut bytes);
        }
        feed(&mut Teltonika, &bytes, logged_in, teltonika::MAX_DATA + 12);
    }
}

#[test]
fn a_million_mutated_gt06_frames_are_decoded_or_refused_and_nothing_panics() {
    let seeds = gt06_seeds();
    let mut rng = fastrand::Rng::with_seed(30);
    for _ in 0..ROUNDS {
        let (mut bytes, logged_in) = mutate(&seeds, &mut rng);
        if rng.bool() {
            gt06_fix_up(&mut bytes);
        }
        feed(&mut Gt06::default(), &bytes, logged_in, gt06::MAX_FRAME);
    }
}

#[test]
fn the_seeds_themselves_decode() {
    for (seed, logged_in) in teltonika_seeds() {
        let len = Teltonika.frame_len(&seed, logged_in).expect("framed");
        assert_eq!(len, Some(seed.len()));
        Teltonika.decode(&seed, logged_in).expect("decoded");
    }
    let mut gt06 = Gt06::default();
    for (seed, logged_in) in gt06_seeds() {
        assert_eq!(
            gt06.frame_len(&seed, logged_in).expect("framed"),
            Some(seed.len())
        );
        gt06.decode(&seed, logged_in).expect("decoded");
    }
}
