//! Samples in the forms Traccar 6 serialises its model (Jackson, `Device`, `Position`, `Event`).

use super::*;

const DEVICES: &str = r#"[
  {"id":7,"attributes":{},"groupId":0,"calendarId":0,"name":"Van 7","uniqueId":"358240051111110",
   "status":"online","lastUpdate":"2025-03-01T09:15:02.114+00:00","positionId":1001,"phone":null,
   "model":null,"contact":null,"category":"van","disabled":false,"expirationTime":null},
  {"id":8,"attributes":{"speedLimit":21.6},"groupId":2,"calendarId":0,"name":"Truck 12",
   "uniqueId":"truck-12","status":"offline","lastUpdate":null,"positionId":0,"phone":"+61 7 4000 0000",
   "model":"FMB920","contact":null,"category":"truck","disabled":false,"expirationTime":null}
]"#;

const POSITIONS: &str = r#"{"positions":[
  {"id":1001,"attributes":{"batteryLevel":87.0,"distance":12.3,"totalDistance":152340.5,
   "motion":true,"ignition":true},"deviceId":7,"protocol":"osmand",
   "serverTime":"2025-03-01T09:15:02.114+00:00","deviceTime":"2025-03-01T09:15:00.000+00:00",
   "fixTime":"2025-03-01T09:15:00.000+00:00","outdated":false,"valid":true,"latitude":-16.92031,
   "longitude":145.77099,"altitude":12.0,"speed":19.4384,"course":92.0,"address":null,
   "accuracy":5.0,"network":null,"geofenceIds":null},
  {"id":1002,"attributes":{},"deviceId":8,"protocol":"teltonika",
   "serverTime":"2025-03-01T09:14:59.000+0000","deviceTime":"2025-03-01T19:14:58.000+1000",
   "fixTime":"2025-03-01T19:14:58.000+1000","outdated":false,"valid":true,"latitude":-16.95,
   "longitude":145.74,"altitude":0.0,"speed":0.0,"course":0.0,"address":null,"accuracy":0.0,
   "network":null,"geofenceIds":[3]}
]}"#;

const T_VAN: i64 = 1_740_820_500_000; // 2025-03-01T09:15:00Z
const T_TRUCK: i64 = 1_740_820_498_000; // 2025-03-01T09:14:58Z

fn decode(t: &mut Traccar, text: &str) -> Decoded {
    let mut out = Decoded::default();
    t.decode(text, 99, &mut out);
    out
}

fn with_devices() -> Traccar {
    let mut t = Traccar::new(DecodeLimits::default());
    let mut out = Decoded::default();
    t.device_list(DEVICES, 1, &mut out);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert!(out.events.is_empty(), "no positions yet: {:?}", out.events);
    t
}

fn positions(out: &Decoded) -> &FixBatch {
    match &out.events[..] {
        [FeedEvent::Positions(b)] => b,
        other => panic!("one positions event, got {other:?}"),
    }
}

#[test]
fn positions_become_vehicles_named_by_their_devices_in_metric_units() {
    let mut t = with_devices();
    let out = decode(&mut t, POSITIONS);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let batch = positions(&out);
    assert_eq!(batch.len(), 2);
    let van = batch.get(0).expect("van");
    assert_eq!(van.id, "358240051111110");
    assert_eq!(van.meta.label, Some("Van 7"));
    assert_eq!(van.meta.kind, Some("van"));
    assert_eq!(van.meta.status, Some("online"));
    assert_eq!((van.lat, van.lon), (-16.92031, 145.77099));
    assert_eq!(van.ts, T_VAN);
    assert!(
        (van.speed.expect("speed") - 10.0).abs() < 0.001,
        "19.4384 kn is 10 m/s"
    );
    assert_eq!(van.heading, Some(92.0));
    let attrs: Value = serde_json::from_str(van.meta.attrs.expect("attrs")).expect("json");
    assert_eq!(attrs["batteryLevel"], 87.0);
    assert_eq!(attrs["ignition"], true);
    assert_eq!(attrs["altitude"], 12.0);
    assert_eq!(batch.received_ms, 99);
    let truck = batch.get(1).expect("truck");
    assert_eq!(
        (truck.id, truck.ts),
        ("truck-12", T_TRUCK),
        "+1000 is ten hours ahead of UTC"
    );
    assert_eq!(truck.meta.status, Some("offline"));
}

#[test]
fn both_offset_forms_and_z_parse_to_the_same_instant() {
    for s in [
        "2025-03-01T09:15:00.000+00:00",
        "2025-03-01T09:15:00.000+0000",
        "2025-03-01T09:15:00Z",
        "2025-03-01T11:15:00.000+02:00",
    ] {
        assert_eq!(parse_time(s), Some(T_VAN), "{s}");
    }
    assert_eq!(parse_time("yesterday"), None);
    assert_eq!(parse_time(""), None);
}

#[test]
fn a_position_of_an_unknown_device_is_refused_and_its_neighbours_kept() {
    let mut t = with_devices();
    let frame = POSITIONS.replacen(r#""deviceId":8"#, r#""deviceId":99"#, 1);
    let out = decode(&mut t, &frame);
    assert_eq!(positions(&out).len(), 1);
    assert_eq!(out.rejected.count(RejectReason::UnknownDevice), 1);
}

#[test]
fn bad_dates_and_wrong_types_cost_only_their_own_position() {
    let mut t = with_devices();
    let frame = POSITIONS
        .replacen(
            r#""fixTime":"2025-03-01T09:15:00.000+00:00""#,
            r#""fixTime":"01/03/2025 09:15""#,
            1,
        )
        .replacen(r#""speed":0.0"#, r#""speed":"fast""#, 1);
    let out = decode(&mut t, &frame);
    assert!(out.events.is_empty(), "{:?}", out.events);
    assert_eq!(out.rejected.count(RejectReason::BadTimestamp), 1);
    assert_eq!(out.rejected.count(RejectReason::InvalidField), 1);
    let out = decode(
        &mut t,
        &POSITIONS.replacen(r#""latitude":-16.95"#, r#""latitude":95.0"#, 1),
    );
    assert_eq!(positions(&out).len(), 1);
    assert_eq!(out.rejected.count(RejectReason::BadCoordinates), 1);
}

#[test]
fn the_keepalive_is_ignored_and_garbage_refused() {
    let mut t = with_devices();
    let out = decode(&mut t, "{}");
    assert!(out.events.is_empty() && out.rejected.is_empty());
    assert_eq!(out.ignored, 1);
    let out = decode(&mut t, "{\"positions\":[");
    assert_eq!(out.rejected.count(RejectReason::MalformedJson), 1);
}

#[test]
fn a_device_change_reaches_its_vehicle_on_the_fix_it_has() {
    let mut t = with_devices();
    decode(&mut t, POSITIONS);
    let frame = r#"{"devices":[{"id":7,"attributes":{},"groupId":0,"calendarId":0,"name":"Van 7 (Ana)",
        "uniqueId":"358240051111110","status":"offline","lastUpdate":"2025-03-01T09:20:00.000+00:00",
        "positionId":1001,"phone":null,"model":null,"contact":null,"category":"van","disabled":false,
        "expirationTime":null}]}"#;
    let out = decode(&mut t, frame);
    let van = positions(&out).get(0).expect("van");
    assert_eq!(
        (van.ts, van.meta.label, van.meta.status),
        (T_VAN, Some("Van 7 (Ana)"), Some("offline"))
    );
}

#[test]
fn events_become_notices_on_their_vehicle() {
    let mut t = with_devices();
    let frame = r#"{"events":[
      {"id":55,"attributes":{"alarm":"sos"},"deviceId":7,"type":"alarm",
       "eventTime":"2025-03-01T09:15:05.000+00:00","positionId":1001,"geofenceId":0,"maintenanceId":0},
      {"id":56,"attributes":{},"deviceId":8,"type":"geofenceEnter",
       "eventTime":"2025-03-01T09:15:06.000+00:00","positionId":1002,"geofenceId":3,"maintenanceId":0},
      {"id":57,"attributes":{},"deviceId":42,"type":"deviceOffline",
       "eventTime":"2025-03-01T09:15:06.000+00:00","positionId":0,"geofenceId":0,"maintenanceId":0}
    ]}"#;
    let out = decode(&mut t, frame);
    let [FeedEvent::Notices(notices)] = &out.events[..] else {
        panic!("notices, got {:?}", out.events);
    };
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0].id, "358240051111110");
    assert_eq!(notices[0].kind, "alarm");
    assert_eq!(notices[0].detail.as_deref(), Some("sos"));
    assert_eq!(notices[0].ts, T_VAN + 5000);
    assert_eq!(notices[1].detail.as_deref(), Some("geofence 3"));
    assert_eq!(out.rejected.count(RejectReason::UnknownDevice), 1);
}

#[test]
fn a_device_gone_from_a_new_device_list_leaves_the_map() {
    let mut t = with_devices();
    decode(&mut t, POSITIONS);
    let only_van = r#"[{"id":7,"name":"Van 7","uniqueId":"358240051111110","status":"online","category":"van"}]"#;
    let mut out = Decoded::default();
    t.device_list(only_van, 2, &mut out);
    assert!(
        out.events
            .contains(&FeedEvent::Removed(vec!["truck-12".into()])),
        "{:?}",
        out.events
    );
}
