//! Our Teltonika decoder against an independent one (`nom-teltonika`, crates.io, MIT): on real
//! frames from Traccar's decoder tests and on two thousand random packets of codecs 8, 8 Extended
//! and 16 (random places, times, speeds and IO elements of every width), every record must read
//! the same: time, place, angle, satellites, speed, and each IO element by id and value.

use fleetview_core::formats::teltonika::{Conv, IO_NAMES, Teltonika};
use fleetview_core::formats::tracker::{Said, TrackerProtocol, TrackerReport, crc16_ibm};
use nom_teltonika::decoder::parse_frame;
use nom_teltonika::protocol::FrameView;
use nom_teltonika::protocol::{AvlRecord, IoValue};
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Traccar's TeltonikaProtocolDecoderTest lines 142, 145, 46, 76 and 82: codecs 8, 8E, 16.
const TRACCAR: [&str; 5] = [
    "000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf",
    "000000000000004a08010000015ebc1da508002411926621f15246010b00b913005e000f06ef01f00150011505c800450108b5000bb6000642381b18005ecd0318ce19cd430f5844000001f1000061a900010000c8e1",
    "00000000000000e708030000018293d62060000de1f6a62159767e00000000000000000b074504f00050041500c801ef004f630342320043000344000001f100006019000000018291b0c790000de1f6a62159767e006e0144070000ef12074503f00050051505c800ef004f0207b5000eb6000b423324180000ce00dc43001144000004c700000007f100006019cd0003c7776300ea4e2e000000018291aff0b8000de1f91f21597405006f00f61300080012074503f00150051504c800ef014f0207b50009b600054236c1180008ce00dc43003f44000004c700000003f100006019cd0003c7776300ea4e2700030000a48d",
    "00000000000000818e0100000166e368a510000f0d8b5b20961c35008d010308000000000014000900ef0000f00100500100150400c800004501001e00002500002900000a00b5000800b60007004230dc0018000000430fcb0044005f001103de001200e50013001200240000000000000001010000113141314a433534343452373235323336370100005e99",
    "000000000000009F100100000164D855401800D5E3B744EC11C762023B011A060000000007200A010000010500010600010D00010E00010F00011600011700011800011F001301010000010700000108000001090000010A0000010B0000010C000001100000011100000112000001130000011400000115000001190000011A0000011B0000011C0000011D0000011E000003010200000000010300000000010400000000000100000D3B",
];

/// Both decoders on one packet: the same records, field by field.
fn agree(bytes: &[u8]) {
    let theirs = match parse_frame(bytes) {
        Ok((_, FrameView::Avl(packet))) => packet.evaluate(),
        other => panic!("nom-teltonika: {other:?}"),
    };
    let ours = match Teltonika.decode(bytes, true) {
        Ok(Said::Reports { reports, reply }) => {
            assert_eq!(reply, (theirs.records().len() as u32).to_be_bytes());
            reports
        }
        other => panic!("ours: {other:?}"),
    };
    assert_eq!(ours.len(), theirs.records().len());
    for (o, t) in ours.iter().zip(theirs.records()) {
        same_record(o, t);
    }
}

fn same_record(o: &TrackerReport, t: &AvlRecord) {
    let gps = t.gps();
    assert_eq!(o.ts, Some(u64::from(t.timestamp()) as i64));
    let attrs: Value = serde_json::from_str(o.attrs.as_deref().expect("attrs")).expect("json");
    assert_eq!(attrs["sat"], gps.satellites);
    assert_eq!(attrs["altitude"], i64::from(gps.altitude_meters as i16));
    match o.fix {
        Some(fix) => {
            assert_eq!((fix.lat * 1e7).round() as i32, gps.latitude_raw);
            assert_eq!((fix.lon * 1e7).round() as i32, gps.longitude_raw);
            assert_eq!(fix.heading, Some(f32::from(gps.angle_degrees)));
            let kph = (fix.speed.expect("speed") * 3.6).round() as u16;
            assert_eq!(kph, gps.speed_kph);
        }
        None => assert!(
            gps.satellites == 0 || (gps.latitude_raw == 0 && gps.longitude_raw == 0),
            "a place with satellites was dropped"
        ),
    }
    for element in t.io_elements() {
        let id = u16::from(element.id());
        let (raw, hex) = match element.value() {
            IoValue::U8(v) => (u64::from(*v), None),
            IoValue::U16(v) => (u64::from(*v), None),
            IoValue::U32(v) => (u64::from(*v), None),
            IoValue::U64(v) => (*v, None),
            IoValue::Bytes(b) => (
                0,
                Some(b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
            ),
        };
        let (name, want) = match (IO_NAMES.iter().find(|(i, _, _)| *i == id), hex) {
            (_, Some(hex)) => (format!("io{id}"), Value::from(hex)),
            (Some((_, name, conv)), None) => ((*name).to_owned(), converted(raw, *conv)),
            (None, None) if raw > 1 << 53 => (format!("io{id}"), Value::from(raw.to_string())),
            (None, None) => (format!("io{id}"), Value::from(raw)),
        };
        let got = &attrs[&name];
        match (got.as_f64(), want.as_f64(), want.is_f64()) {
            // A scaled value read back from JSON text: equal to the last bits serde_json keeps.
            (Some(a), Some(b), true) => {
                assert!(
                    (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                    "IO {id} ({name}): {a} {b}"
                )
            }
            _ => assert_eq!(got, &want, "IO {id} ({name})"),
        }
    }
}

/// The attribute's value: as the IO table converts it; a raw number past 2^53 (beyond what a
/// JSON reader in a browser holds exactly) as its digits in a string.
fn converted(raw: u64, conv: Conv) -> Value {
    match conv {
        Conv::Raw if raw > 1 << 53 => Value::from(raw.to_string()),
        Conv::Raw => Value::from(raw),
        Conv::Bool => Value::from(raw != 0),
        Conv::Scale(f) => Value::from(((raw as f64 * f) * 1000.0).round() / 1000.0),
    }
}

#[test]
fn traccars_real_frames_read_the_same_in_both_decoders() {
    for frame in TRACCAR {
        agree(&hex(frame));
    }
}

/// A random valid packet of `codec` (0x08, 0x8E or 0x10) with 1 to 5 records.
fn random_packet(codec: u8, rng: &mut fastrand::Rng) -> Vec<u8> {
    let n = rng.u8(1..=5);
    let mut data = vec![codec, n];
    for _ in 0..n {
        data.extend_from_slice(&rng.u64(1_000_000_000_000..2_000_000_000_000).to_be_bytes());
        data.push(rng.u8(0..3));
        data.extend_from_slice(&rng.i32(-1_800_000_000..=1_800_000_000).to_be_bytes());
        data.extend_from_slice(&rng.i32(-900_000_000..=900_000_000).to_be_bytes());
        data.extend_from_slice(&rng.u16(..).to_be_bytes());
        data.extend_from_slice(&rng.u16(0..360).to_be_bytes());
        data.push(rng.u8(0..20));
        data.extend_from_slice(&rng.u16(0..250).to_be_bytes());
        random_io(codec, rng, &mut data);
    }
    data.push(n);
    let mut out = vec![0, 0, 0, 0];
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&data);
    out.extend_from_slice(&u32::from(crc16_ibm(&data)).to_be_bytes());
    out
}

/// IO elements of every width with distinct ids (and in 8E, variable-length ones).
fn random_io(codec: u8, rng: &mut fastrand::Rng, out: &mut Vec<u8>) {
    let wide = codec != 0x08;
    let put_id = |out: &mut Vec<u8>, id: u16| {
        if wide {
            out.extend_from_slice(&id.to_be_bytes());
        } else {
            out.push(id as u8);
        }
    };
    let put_count = |out: &mut Vec<u8>, n: u16| {
        if codec == 0x8E {
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            out.push(n as u8);
        }
    };
    let mut ids: Vec<u16> = (1..=if wide { 400 } else { 255 }).collect();
    rng.shuffle(&mut ids);
    let mut ids = ids.into_iter();
    let counts: Vec<u16> = (0..4).map(|_| rng.u16(0..4)).collect();
    let nx = if codec == 0x8E { rng.u16(0..3) } else { 0 };
    put_id(out, rng.u16(0..2) * 239);
    if codec == 0x10 {
        out.push(rng.u8(0..8));
    }
    put_count(out, counts.iter().sum::<u16>() + nx);
    for (width, n) in [1usize, 2, 4, 8].into_iter().zip(&counts) {
        put_count(out, *n);
        for _ in 0..*n {
            put_id(out, ids.next().expect("ids"));
            let v = rng.u64(..);
            out.extend_from_slice(&v.to_be_bytes()[8 - width..]);
        }
    }
    if codec == 0x8E {
        out.extend_from_slice(&nx.to_be_bytes());
        for _ in 0..nx {
            out.extend_from_slice(&ids.next().expect("ids").to_be_bytes());
            let len = rng.u16(0..12);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend((0..len).map(|_| rng.u8(..)));
        }
    }
}

#[test]
fn two_thousand_random_packets_of_every_codec_read_the_same_in_both_decoders() {
    let mut rng = fastrand::Rng::with_seed(5027);
    for i in 0..2_000 {
        let codec = [0x08, 0x8E, 0x10][i % 3];
        agree(&random_packet(codec, &mut rng));
    }
}
