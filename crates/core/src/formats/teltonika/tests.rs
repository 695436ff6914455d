//! Teltonika frames from real devices, as Traccar's decoder tests hold them
//! (traccar/traccar `src/test/java/org/traccar/protocol/TeltonikaProtocolDecoderTest.java`, the
//! line of each in its name), decoded here and checked field by field.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// TDT:16, the IMEI handshake.
const LOGIN: &str = "000F313233343536373839303132333435";
/// TDT:142, codec 8, one record.
const C8: &str = "000000000000004508010000015eb70a86d00024089d4d21dee3860137005f12005f000e06ef01f00150011503c800450108b5000bb6000642382718005fcd057ace19d3430f57440000000001000002bf";
/// TDT:46, codec 8, three records, the first with no satellites.
const C8_THREE: &str = "00000000000000e708030000018293d62060000de1f6a62159767e00000000000000000b074504f00050041500c801ef004f630342320043000344000001f100006019000000018291b0c790000de1f6a62159767e006e0144070000ef12074503f00050051505c800ef004f0207b5000eb6000b423324180000ce00dc43001144000004c700000007f100006019cd0003c7776300ea4e2e000000018291aff0b8000de1f91f21597405006f00f61300080012074503f00150051504c800ef014f0207b50009b600054236c1180008ce00dc43003f44000004c700000003f100006019cd0003c7776300ea4e2700030000a48d";
/// TDT:76, codec 8E with a variable-length value (IO 256, the VIN).
const C8E: &str = "00000000000000818e0100000166e368a510000f0d8b5b20961c35008d010308000000000014000900ef0000f00100500100150400c800004501001e00002500002900000a00b5000800b60007004230dc0018000000430fcb0044005f001103de001200e50013001200240000000000000001010000113141314a433534343452373235323336370100005e99";
/// TDT:82, codec 16, south and west.
const C16: &str = "000000000000009F100100000164D855401800D5E3B744EC11C762023B011A060000000007200A010000010500010600010D00010E00010F00011600011700011800011F001301010000010700000108000001090000010A0000010B0000010C000001100000011100000112000001130000011400000115000001190000011A0000011B0000011C0000011D0000011E000003010200000000010300000000010400000000000100000D3B";
/// TDT:79, codec 16 whose CRC does not match its data (Traccar never checks CRCs).
const C16_BAD_CRC: &str = "000000000000009D10020000013feb55ff74000f0ea850209a690000AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E00000000000000000000015B198C7498000F0DBC502095872F00AE00B90B00000000070A050001000002000003000004000120000200180000004601290200C700000000004C0000000001003E000000000000000002000009A5";
/// TDT:136, a codec 12 response (text).
const C12: &str = "000000000000002d0c01060000002523464d323d3236323033323736313732313339362c32363230332c30372e30322e30350d0a0100009a2e";

fn reports(frame: &str) -> (Vec<TrackerReport>, Vec<u8>) {
    let bytes = hex(frame);
    assert_eq!(Teltonika.frame_len(&bytes, true), Ok(Some(bytes.len())));
    match Teltonika.decode(&bytes, true) {
        Ok(Said::Reports { reports, reply }) => (reports, reply),
        other => panic!("{other:?}"),
    }
}

fn attrs(r: &TrackerReport) -> serde_json::Value {
    serde_json::from_str(r.attrs.as_deref().expect("attrs")).expect("json")
}

#[test]
fn the_imei_handshake_names_the_device_and_is_answered_one_or_zero() {
    let bytes = hex(LOGIN);
    assert_eq!(Teltonika.frame_len(&bytes, false), Ok(Some(17)));
    assert_eq!(Teltonika.frame_len(&bytes[..10], false), Ok(None));
    assert_eq!(
        Teltonika.decode(&bytes, false),
        Ok(Said::Login {
            imei: "123456789012345".into()
        })
    );
    assert_eq!(Teltonika.login_reply(true), Some(vec![1]));
    assert_eq!(Teltonika.login_reply(false), Some(vec![0]));
}

#[test]
fn a_codec_8_record_reads_as_a_fix_in_our_units_with_its_io_named() {
    let (reports, reply) = reports(C8);
    assert_eq!(reply, [0, 0, 0, 1], "one record acknowledged");
    let r = &reports[0];
    let fix = r.fix.expect("placed: 18 satellites");
    assert_eq!(r.ts, Some(1_506_309_474_000), "2017-09-25T03:17:54Z");
    assert_eq!((fix.lat, fix.lon), (56.8255366, 60.4544333));
    assert!((fix.speed.expect("speed") - 95.0 / 3.6).abs() < 1e-4);
    assert_eq!(fix.heading, Some(95.0));
    let a = attrs(r);
    assert_eq!(a["altitude"], 311);
    assert_eq!(a["sat"], 18);
    assert_eq!(a["ignition"], true);
    assert_eq!(a["motion"], true);
    assert_eq!(a["rssi"], 3);
    assert_eq!(a["power"], 14.375);
    assert_eq!(a["battery"], 3.927);
    assert_eq!(a["pdop"], 1.1);
    assert_eq!(a["hdop"], 0.6);
    assert_eq!(a["io205"], 1402, "an IO without a name keeps its number");
}

#[test]
fn three_records_are_acknowledged_and_one_without_satellites_places_nothing() {
    let (reports, reply) = reports(C8_THREE);
    assert_eq!(reply, [0, 0, 0, 3]);
    assert_eq!(reports.len(), 3);
    assert_eq!(reports[0].fix, None, "0 satellites: a status report");
    assert_eq!(attrs(&reports[0])["operator"], 24_601);
    assert!(reports[1].fix.is_some());
    assert_eq!(reports[0].ts, Some(1_660_337_660_000));
}

#[test]
fn codec_8_extended_reads_two_byte_ids_and_a_variable_length_value() {
    let (reports, _) = reports(C8E);
    let r = &reports[0];
    let fix = r.fix.expect("placed");
    assert_eq!((fix.lat, fix.lon), (54.6708533, 25.2545883));
    assert_eq!(fix.heading, Some(259.0));
    let a = attrs(r);
    assert_eq!(a["battery"], 4.043);
    assert_eq!(a["power"], 12.508);
    assert_eq!(a["ignition"], false);
    // "1A1JC5444R7252367", the vehicle's VIN, as hex.
    assert_eq!(a["io256"], "3141314a43353434345237323532333637");
}

#[test]
fn codec_16_reads_its_generation_type_and_a_place_south_and_west() {
    let (reports, _) = reports(C16);
    let r = &reports[0];
    let fix = r.fix.expect("placed");
    assert_eq!((fix.lat, fix.lon), (-33.4379166, -70.64967));
    assert_eq!(r.ts, Some(1_532_637_823_000));
    let a = attrs(r);
    assert_eq!(a["generation"], 7);
    assert_eq!(a["altitude"], 571);
    assert_eq!(a["io287"], 0);
}

#[test]
fn a_packet_whose_crc_does_not_match_is_refused_but_not_fatal() {
    let bytes = hex(C16_BAD_CRC);
    let e = Teltonika.decode(&bytes, true).expect_err("bad CRC");
    assert_eq!(
        e,
        TrackerError::BadCrc {
            protocol: "teltonika",
            found: 0x09A5,
            computed: 0xA6DE
        }
    );
    assert!(!e.is_fatal(), "the device sends it again");
}

#[test]
fn a_command_response_is_skipped_and_a_keep_alive_byte_too() {
    let bytes = hex(C12);
    assert!(matches!(
        Teltonika.decode(&bytes, true),
        Ok(Said::Other {
            what: "command_response",
            ..
        })
    ));
    let mut stream = vec![0xFF];
    stream.extend_from_slice(&hex(LOGIN));
    assert_eq!(Teltonika.frame_len(&stream, false), Ok(Some(1)));
    assert!(matches!(
        Teltonika.decode(&stream[..1], false),
        Ok(Said::Other { what: "ping", .. })
    ));
}

#[test]
fn bytes_that_are_no_frame_are_fatal_and_a_huge_one_is_refused_before_it_is_read() {
    assert!(Teltonika.frame_len(b"GET / HTTP/1.1\r\n", false).is_err());
    let e = Teltonika
        .frame_len(&[0, 0, 0, 0, 0x10, 0, 0, 0], true)
        .expect_err("too large");
    assert!(e.is_fatal(), "{e}");
    assert!(
        Teltonika
            .frame_len(&[1, 2, 3, 4, 5, 6, 7, 8], true)
            .is_err()
    );
    let mut short = hex(C8);
    short[60] ^= 0xFF;
    let crc = crc16_ibm(&short[8..short.len() - 4]);
    let n = short.len();
    short[n - 2..].copy_from_slice(&crc.to_be_bytes());
    // The CRC is right, the IO counts now contradict the bytes: refused, not fatal.
    if let Err(e) = Teltonika.decode(&short, true) {
        assert!(!e.is_fatal(), "{e}");
    }
}
