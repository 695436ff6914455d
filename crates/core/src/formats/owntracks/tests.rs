//! Samples in the forms the OwnTracks Recorder sends on `/ws/last`: the LAST objects of
//! `send_last` (card name, lat, lon, tst, tid, topic, ghash) and live pushes (the app's location
//! JSON with topic, username, device and the card added).

use super::*;

const LAST_OBJECT: &str = r#"{"name":"Jane Doe","_type":"location","lat":-16.9187,"lon":145.7781,"tst":1740820500,"tid":"ja","topic":"owntracks/jane/phone","ghash":"rhzxu7m"}"#;

const LIVE: &str = r#"{"_type":"location","acc":12,"alt":21,"batt":78,"bs":1,"conn":"m","created_at":1740820561,"lat":-16.9201,"lon":145.7702,"m":1,"tid":"bo","tst":1740820560,"vac":3,"vel":36,"cog":270,"topic":"owntracks/bob/van7","username":"bob","device":"van7"}"#;

fn decode(text: &str) -> Decoded {
    let mut out = Decoded::default();
    OwnTracks::new(DecodeLimits::default()).decode(text, 7, &mut out);
    out
}

fn one(out: &Decoded) -> crate::protocol::FixRef<'_> {
    match &out.events[..] {
        [FeedEvent::Positions(b)] if b.len() == 1 => b.get(0).expect("fix"),
        other => panic!("one position, got {other:?}"),
    }
}

#[test]
fn the_greeting_asks_for_every_last_location() {
    let o = OwnTracks::new(DecodeLimits::default());
    assert_eq!(o.greeting(&Subscribe::default(), None), ["LAST"]);
}

#[test]
fn a_last_object_is_a_vehicle_named_by_its_card() {
    let out = decode(LAST_OBJECT);
    let fix = one(&out);
    assert_eq!(fix.id, "owntracks/jane/phone");
    assert_eq!(fix.meta.label, Some("Jane Doe"));
    assert_eq!(fix.ts, 1_740_820_500_000, "tst is in seconds");
    assert_eq!((fix.speed, fix.heading), (None, None));
}

#[test]
fn a_live_location_converts_kmh_and_keeps_the_phone_state_in_attrs() {
    let out = decode(LIVE);
    let fix = one(&out);
    assert_eq!(fix.id, "owntracks/bob/van7");
    assert_eq!(fix.meta.label, Some("bo"), "no card: the tid");
    assert!(
        (fix.speed.expect("speed") - 10.0).abs() < 1e-5,
        "36 km/h is 10 m/s"
    );
    assert_eq!(fix.heading, Some(270.0));
    let attrs: Value = serde_json::from_str(fix.meta.attrs.expect("attrs")).expect("json");
    assert_eq!(
        (attrs["batt"].as_i64(), attrs["conn"].as_str()),
        (Some(78), Some("m"))
    );
    assert_eq!(
        (attrs["acc"].as_i64(), attrs["alt"].as_i64()),
        (Some(12), Some(21))
    );
}

#[test]
fn a_named_device_keeps_its_name_when_a_live_location_brings_only_its_tid() {
    let mut o = OwnTracks::new(DecodeLimits::default());
    let named = LIVE.replace(r#""tid":"bo","#, r#""tid":"bo","name":"Bob","#);
    let mut out = Decoded::default();
    o.decode(&named, 1, &mut out);
    assert_eq!(one(&out).meta.label, Some("Bob"));
    let mut out = Decoded::default();
    o.decode(LIVE, 2, &mut out);
    assert_eq!(one(&out).meta.label, None, "left out: the model keeps Bob");
}

#[test]
fn minus_one_means_unknown_speed_and_course() {
    let out = decode(&LIVE.replace(r#""vel":36,"cog":270"#, r#""vel":-1,"cog":-1"#));
    let fix = one(&out);
    assert_eq!((fix.speed, fix.heading), (None, None));
}

#[test]
fn without_a_topic_the_id_is_username_slash_device() {
    let text = LIVE.replace(r#""topic":"owntracks/bob/van7","#, "");
    assert_eq!(one(&decode(&text)).id, "bob/van7");
}

#[test]
fn the_echo_pings_and_other_types_are_ignored_not_refused() {
    for text in [
        "LAST",
        "",
        r#"{"_type":"card","name":"Jane Doe","face":"iVBORw0KGgo="}"#,
        r#"{"_type":"transition","event":"enter","desc":"Depot","tst":1740820500,"topic":"owntracks/jane/phone"}"#,
        r#"{"_type":"lwt","tst":1740820500}"#,
    ] {
        let out = decode(text);
        assert!(out.events.is_empty() && out.rejected.is_empty(), "{text}");
        assert_eq!(out.ignored, 1, "{text}");
    }
}

#[test]
fn a_location_without_tst_or_with_a_speed_in_words_is_refused_with_its_reason() {
    let out = decode(&LIVE.replace(r#""tst":1740820560,"#, ""));
    assert_eq!(out.rejected.count(RejectReason::BadTimestamp), 1);
    let out = decode(&LIVE.replace(r#""vel":36"#, r#""vel":"36 km/h""#));
    assert_eq!(out.rejected.count(RejectReason::InvalidField), 1);
    let out = decode(&LIVE.replace(r#""lat":-16.9201"#, r#""lat":-96.0"#));
    assert_eq!(out.rejected.count(RejectReason::BadCoordinates), 1);
    let out = decode(r#"{"_type":"location","lat":1,"lon":2,"tst":3}"#);
    assert_eq!(out.rejected.count(RejectReason::MissingId), 1);
    let out = decode("{not json");
    assert_eq!(out.rejected.count(RejectReason::MalformedJson), 1);
    assert!(out.events.is_empty());
}
