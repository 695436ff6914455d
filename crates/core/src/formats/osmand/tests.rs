//! The request lines and bodies of Traccar's own `OsmAndProtocolDecoderTest`, and what a viewer
//! should see of each.

use super::*;

const NOW: i64 = 1_764_000_000_000;

/// The query string of a request line as Traccar's test writes it ("/?id=...").
fn form(line: &str) -> Result<Report, OsmAndError> {
    let query = line.split_once('?').map_or("", |(_, q)| q);
    decode_form(query, "", NOW)
}

#[test]
fn the_query_forms_traccar_tests_with_read_as_traccar_reads_them() {
    let r = form("/?id=902064&lat=42.06288&lon=-88.23412&timestamp=2016-01-27T18%3A55%3A47Z&hdop=6.0&altitude=224.0&speed=0.0")
        .expect("iso time");
    assert_eq!(r.id, "902064");
    assert_eq!(r.fix.map(|f| (f.lat, f.lon)), Some((42.06288, -88.23412)));
    assert_eq!(r.fix.expect("a fix").ts, 1_453_920_947_000);
    assert_eq!(r.fix.expect("a fix").speed, Some(0.0));
    assert_eq!(r.attrs["hdop"], 6.0);
    assert_eq!(r.attrs["altitude"], 224.0);

    let ms = form("/?id=902064&lat=42.06288&lon=-88.23412&timestamp=1442068686579&hdop=6.0&altitude=224.0&speed=0.0")
        .expect("milliseconds");
    assert_eq!(ms.fix.expect("a fix").ts, 1_442_068_686_579);

    let local = form("/?lat=49.60688&lon=6.15788&timestamp=2014-06-04+09%3A10%3A11&altitude=384.7&speed=0.0&id=353861053849681")
        .expect("date and time, taken as UTC");
    assert_eq!(local.id, "353861053849681");
    assert_eq!(local.fix.expect("a fix").ts, 1_401_873_011_000);

    let seconds = form("/?id=123456&timestamp=1377177267&lat=60.0&lon=30.0&speed=0.0&bearing=0.0&altitude=0&hdop=0.0")
        .expect("seconds");
    assert_eq!(seconds.fix.expect("a fix").ts, 1_377_177_267_000);
    assert_eq!(seconds.fix.expect("a fix").heading, Some(0.0));

    let device =
        form("/?lat=60.0&lon=30.0&speed=0.0&heading=0.0&vacc=0&hacc=0&altitude=0&deviceid=123456")
            .expect("deviceid, no timestamp");
    assert_eq!(device.id, "123456");
    assert_eq!(device.fix.expect("a fix").ts, NOW, "no timestamp means now");

    let battery = form("/?id=861001000719969&lat=41.666667&lon=-0.883333&altitude=350.059479&speed=0.000000&batt=87")
        .expect("battery");
    assert_eq!(battery.attrs["batt"], 87.0);

    let location = form("/?id=123456&timestamp=1377177267&location=60.0,30.0").expect("location=");
    assert_eq!(location.fix.map(|f| (f.lat, f.lon)), Some((60.0, 30.0)));

    let obd = form("/?id=123456789012345&timestamp=1504763810&lat=40.7232948571&lon=-74.0061408571&bearing=7.19889788244&speed=40&ignition=true&rpm=933&fuel=24")
        .expect("extra keys");
    assert!(
        (obd.fix.expect("a fix").speed.expect("speed") - 20.5778).abs() < 1e-3,
        "40 knots in m/s"
    );
    assert_eq!(obd.attrs["ignition"], true);
    assert_eq!(obd.attrs["rpm"], 933.0);
    let p = obd.fix.expect("a fix");
    assert_eq!(
        (obd.id.as_str(), p.lat, p.lon),
        ("123456789012345", 40.7232948571, -74.0061408571)
    );
    let attrs: serde_json::Value =
        serde_json::from_str(&obd.attrs_json().expect("attrs")).expect("JSON");
    assert_eq!(attrs["fuel"], 24.0);
}

#[test]
fn cells_and_wifi_alone_are_a_report_without_a_position() {
    let r = form("/?id=123456&timestamp=1377177267&cell=257,02,16,2224&cell=257,02,16,2223,-90&wifi=00-14-22-01-23-45,-80&wifi=00-1C-B3-09-85-15,-70")
        .expect("accepted");
    assert_eq!(r.fix.map(|f| (f.lat, f.lon)), None);
    assert!(r.fix.is_none());
    assert_eq!(r.attrs["cell"].as_array().map(Vec::len), Some(2));
    assert_eq!(r.attrs["wifi"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_report_without_an_id_or_with_bad_coordinates_is_refused_with_the_reason() {
    assert_eq!(
        form("/?timestamp=1377177267&lat=60.0&lon=30.0"),
        Err(OsmAndError::NoId)
    );
    let err = form("/?id=1&lat=north&lon=30.0").expect_err("bad lat");
    assert_eq!(err.to_string(), "bad lat: \"north\"");
    assert!(form("/?id=1&lat=91&lon=30.0").is_err());
    assert!(form("/?id=1&lat=10&lon=30.0&timestamp=yesterday").is_err());
    assert!(form("/?id=1&lat=10").is_err(), "a latitude alone");
}

#[test]
fn a_form_body_is_read_when_the_query_is_empty() {
    let r = decode_form("", "id=77&lat=-16.9&lon=145.7&speed=10", NOW).expect("body");
    assert_eq!(r.id, "77");
    assert!((r.fix.expect("a fix").speed.expect("speed") - 5.144).abs() < 1e-3);
}

#[test]
fn the_json_forms_traccar_tests_with_read_with_their_units() {
    let first = br#"{"location":{"timestamp":"2025-06-15T13:45:12.862Z","coords":{"latitude":37.4219983,"longitude":-122.084,"accuracy":5,"speed":0,"heading":-1,"altitude":5},"is_moving":false,"odometer":0,"event":"motionchange","battery":{"level":1,"is_charging":false},"activity":{"type":"still"},"extras":{},"_":"&id=48241179&lat=37.4219983&lon=-122.084&timestamp=2025-06-15T13:45:12.862Z&"},"device_id":"48241179"}"#;
    let r = decode_json(first, NOW).expect("json");
    assert_eq!(r.id, "48241179");
    assert_eq!(r.fix.map(|f| (f.lat, f.lon)), Some((37.4219983, -122.084)));
    assert_eq!(r.fix.expect("a fix").ts, 1_749_995_112_862);
    assert_eq!(r.fix.expect("a fix").heading, None, "-1 is unknown");
    assert_eq!(r.fix.expect("a fix").speed, Some(0.0));
    assert_eq!(r.attrs["batt"], 100.0);
    assert_eq!(r.attrs["charge"], false);

    let mock = br#"{"location":{"extras":{},"mock":true,"coords":{"speed_accuracy":-1,"speed":-1,"longitude":-122.406417,"ellipsoidal_altitude":0,"floor":null,"heading_accuracy":-1,"latitude":37.785834000000001,"accuracy":5,"altitude_accuracy":-1,"altitude":0,"heading":-1},"is_moving":false,"age":188,"odometer":0,"uuid":"2FB04C65-99CF-42AB-8DD3-EBCB4B108BF8","event":"motionchange","battery":{"level":-1,"is_charging":false},"activity":{"type":"unknown","confidence":100},"timestamp":"2025-05-09T04:11:30.579Z"},"device_id":"658765"}"#;
    let r = decode_json(mock, NOW).expect("json");
    assert_eq!(
        (r.fix.expect("a fix").speed, r.fix.expect("a fix").heading),
        (None, None)
    );
    assert!(!r.attrs.contains_key("batt"), "a level of -1 is unknown");

    let moving = br#"{"location":{"event":"motionchange","is_moving":false,"uuid":"0e9a2473-a9a7-4c00-997b-fb97d2154e75","timestamp":"2021-07-21T08:06:34.444Z","odometer":0,"coords":{"latitude":-6.1148096,"longitude":106.6837015,"accuracy":3.8,"speed":18.67,"speed_accuracy":0.26,"heading":63,"heading_accuracy":0.28,"altitude":35.7,"altitude_accuracy":3.8},"activity":{"type":"still","confidence":100},"battery":{"is_charging":false,"level":0.79},"extras":{}},"device_id":"8737767034"}"#;
    let r = decode_json(moving, NOW).expect("json");
    assert_eq!(
        r.fix.expect("a fix").speed,
        Some(18.67),
        "metres per second, as sent"
    );
    assert_eq!(r.fix.expect("a fix").heading, Some(63.0));
    assert_eq!(r.attrs["batt"], 79.0);

    assert_eq!(
        decode_json(
            br#"{"location":{"coords":{"latitude":1,"longitude":2}}}"#,
            NOW
        ),
        Err(OsmAndError::NoId)
    );
    assert!(matches!(
        decode_json(b"not json", NOW),
        Err(OsmAndError::Json(_))
    ));
}
