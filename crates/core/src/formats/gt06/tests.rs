//! GT06 frames from real devices, as Traccar's decoder tests hold them (traccar/traccar
//! `src/test/java/org/traccar/protocol/Gt06ProtocolDecoderTest.java`, the line of each in its
//! name), decoded here and checked against what Traccar asserts and answers.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// GDT:18, a login.
const LOGIN: &str = "78780D01086471700328358100093F040D0A";
/// GDT:415, a login with a type id and a time zone.
const LOGIN_LONG: &str = "787811010863586038760942a0010000010aa4000d0a";
/// GDT:484, a heartbeat.
const STATUS: &str = "78780a13440604000201baaf540d0a";
/// GDT:490, GPS and LBS (Traccar asserts 2015-10-20 14:21:11, 54.94535, 24.01762).
const GPS: &str = "78781f120f0a140e150bc505e51e780293a9e800540000f601006e0055da00035f240d0a";
/// GDT:497, GPS and LBS whose CRC does not match (Traccar never checks CRCs).
const GPS_BAD_CRC: &str =
    "78781F120B081D112E10CC027AC7EB0C46584900148F01CC00287D001FB8000380810D0A";
/// GDT:394, GPS and LBS 2 with no GPS fix, ACC on.
const GPS_2: &str =
    "787822221106160a1016c60278019407c7783800040001940504700046fc01030100065f570d0a";
/// GDT:174, an alarm (Traccar asserts tampering) whose cell block is 8 bytes long.
const ALARM_TAMPER: &str =
    "78782516160908063736c0006e70110442fc800000000800000000000000000300002512000473fb0d0a";
/// GDT:246, alarm 2: vibration.
const ALARM_2: &str =
    "7878252612030C063816C3026C10540C38C9700144030901CC002866000EEE0C06040302000DA2DB0D0A";
/// GDT:37, a `79 79` information frame (skipped).
const INFO: &str = "79790008940b02e3048614200d0a";

fn logged_in(frame: &str) -> Result<Said, TrackerError> {
    let bytes = hex(frame);
    let mut gt06 = Gt06::default();
    assert_eq!(gt06.frame_len(&bytes, true), Ok(Some(bytes.len())));
    gt06.decode(&bytes, true)
}

fn one(frame: &str) -> (TrackerReport, serde_json::Value, Vec<u8>) {
    match logged_in(frame) {
        Ok(Said::Reports { reports, reply }) => {
            let r = reports.into_iter().next().expect("a report");
            let a = serde_json::from_str(r.attrs.as_deref().unwrap_or("{}")).expect("json");
            (r, a, reply)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_login_names_the_imei_and_is_answered_with_its_serial_as_traccar_answers() {
    let mut gt06 = Gt06::default();
    let bytes = hex(LOGIN);
    assert_eq!(
        gt06.decode(&bytes, false),
        Ok(Said::Login {
            imei: "864717003283581".into()
        })
    );
    assert_eq!(gt06.login_reply(true), Some(hex("78780501000955940d0a")));
    assert_eq!(
        gt06.login_reply(false),
        None,
        "a refusal is a closed socket"
    );
    let bytes = hex(LOGIN_LONG);
    assert_eq!(
        gt06.decode(&bytes, false),
        Ok(Said::Login {
            imei: "863586038760942".into()
        })
    );
    assert_eq!(gt06.login_reply(true), Some(hex("78780501010a7ed70d0a")));
}

#[test]
fn a_heartbeat_is_a_status_report_answered() {
    let (r, a, reply) = one(STATUS);
    assert_eq!((r.fix, r.ts), (None, None), "no place, no time");
    assert_eq!(reply, hex("7878051301bafb710d0a"));
    assert_eq!(a["batteryLevel"], 100);
    assert_eq!(a["rssi"], 4);
    assert_eq!(a["charge"], true);
    assert_eq!(a["ignition"], false);
}

#[test]
fn a_location_reads_where_and_when_traccar_says() {
    let (r, a, reply) = one(GPS);
    let fix = r.fix.expect("GPS positioned");
    assert_eq!(r.ts, Some(1_445_350_871_000), "2015-10-20T14:21:11Z");
    assert!((fix.lat - 54.94535).abs() < 1e-5 && (fix.lon - 24.01762).abs() < 1e-5);
    assert_eq!(a["sat"], 5);
    assert_eq!(reply, hex("787805120003903f0d0a"));
}

#[test]
fn a_location_without_a_gps_fix_is_a_status_report_with_its_acc() {
    let (r, a, _) = one(GPS_2);
    assert_eq!(r.fix, None, "bit 12 clear");
    assert_eq!(r.ts, Some(1_498_126_582_000), "2017-06-22T10:16:22Z");
    assert_eq!(a["ignition"], true);
    assert_eq!(a["archive"], true);
}

#[test]
fn alarms_carry_traccars_names_and_are_answered() {
    let (r, a, reply) = one(ALARM_TAMPER);
    assert_eq!(a["alarm"], "tampering");
    assert_eq!(r.fix, None, "no GPS fix");
    assert_eq!(reply, hex("78780516000487e10d0a"));
    let (r, a, reply) = one(ALARM_2);
    assert_eq!(a["alarm"], "vibration");
    assert_eq!(reply, hex("78780526000d9c8e0d0a"));
    assert_eq!(r.ts, Some(1_520_837_782_000), "2018-03-12T06:56:22Z");
}

#[test]
fn a_bad_crc_is_refused_and_an_unknown_type_skipped() {
    let e = logged_in(GPS_BAD_CRC).expect_err("bad CRC");
    assert_eq!(e.reason(), "bad_crc");
    assert!(!e.is_fatal());
    assert!(matches!(
        logged_in(INFO),
        Ok(Said::Other {
            what: "unknown_type",
            ..
        })
    ));
}

#[test]
fn data_before_the_login_is_fatal_and_so_are_bytes_that_are_no_frame() {
    let e = Gt06::default()
        .decode(&hex(GPS), false)
        .expect_err("no login");
    assert!(e.is_fatal());
    assert!(Gt06::default().frame_len(b"hello", false).is_err());
    assert_eq!(Gt06::default().frame_len(&[0x78, 0x78], false), Ok(None));
}
