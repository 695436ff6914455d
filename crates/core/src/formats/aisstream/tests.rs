use super::*;

/// A PositionReport in AISStream's shape (its documentation's example, fields as in
/// aisstream/ais-message-models).
const POSITION: &str = r#"{"Message":{"PositionReport":{"Cog":308,"CommunicationState":81982,"Latitude":66.02695,"Longitude":12.253821666666665,"MessageID":1,"NavigationalStatus":15,"PositionAccuracy":true,"Raim":false,"RateOfTurn":4,"RepeatIndicator":0,"Sog":0,"Spare":0,"SpecialManoeuvreIndicator":0,"Timestamp":31,"TrueHeading":235,"UserID":259000420,"Valid":true}},"MessageType":"PositionReport","MetaData":{"MMSI":259000420,"MMSI_String":259000420,"ShipName":"AUGUSTSON           ","latitude":66.02695,"longitude":12.253821666666665,"time_utc":"2022-12-29 18:22:32.318353 +0000 UTC"}}"#;

const CLASS_B: &str = r#"{"Message":{"StandardClassBPositionReport":{"AssignedMode":false,"ClassBBand":true,"ClassBDisplay":false,"ClassBDsc":true,"ClassBMsg22":true,"ClassBUnit":true,"Cog":360,"CommunicationState":393222,"CommunicationStateIsItdma":true,"Latitude":-16.9186,"Longitude":145.7781,"MessageID":18,"PositionAccuracy":false,"Raim":false,"RepeatIndicator":0,"Sog":5.2,"Spare1":0,"Spare2":0,"Timestamp":49,"TrueHeading":511,"UserID":503123456,"Valid":true}},"MessageType":"StandardClassBPositionReport","MetaData":{"MMSI":503123456,"MMSI_String":"503123456","ShipName":"REEF RUNNER@@@@@@@@@","latitude":-16.9186,"longitude":145.7781,"time_utc":"2024-09-17 14:38:55 +0000 UTC"}}"#;

fn decode(text: &[u8]) -> Decoded {
    let mut f = AisStream::new(DecodeLimits::default(), WHOLE_WORLD, Some("k".into()));
    let mut out = Decoded::default();
    f.decode_bytes(text, 1, &mut out);
    out
}

fn only_fix(out: &Decoded) -> crate::protocol::FixRef<'_> {
    match out.events.as_slice() {
        [FeedEvent::Positions(b)] if b.len() == 1 => b.get(0).expect("fix"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_position_report_in_a_binary_frame_is_a_ship_with_its_units() {
    let out = decode(POSITION.as_bytes());
    let f = only_fix(&out);
    assert_eq!(f.id, "259000420");
    assert_eq!(f.meta.label, Some("AUGUSTSON"));
    assert_eq!(f.meta.kind, Some("ship"));
    assert_eq!(f.heading, Some(235.0), "the true heading");
    assert_eq!(f.speed, Some(0.0));
    assert_eq!(f.ts, 1_672_338_152_318);
    assert_eq!(f.meta.status, None, "15: not defined");
}

#[test]
fn a_class_b_report_without_heading_uses_nothing_when_the_course_is_unknown_too() {
    let out = decode(CLASS_B.as_bytes());
    let f = only_fix(&out);
    assert_eq!(f.id, "503123456");
    assert_eq!(f.meta.label, Some("REEF RUNNER"));
    assert_eq!(f.heading, None, "511 and 360 both mean unknown");
    let ms = f.speed.expect("speed");
    assert!(
        (f64::from(ms) - 5.2 * 0.514444).abs() < 1e-3,
        "knots -> m/s: {ms}"
    );
    assert_eq!(f.ts, 1_726_583_935_000, "a time without a fraction");
}

#[test]
fn go_times_read_with_any_number_of_fraction_digits_and_an_offset() {
    assert_eq!(
        go_time_ms("2024-09-17 14:38:55.281038479 +0000 UTC"),
        Some(1_726_583_935_281)
    );
    assert_eq!(
        go_time_ms("2024-09-17 14:38:55.2 +0000 UTC"),
        Some(1_726_583_935_200)
    );
    assert_eq!(
        go_time_ms("2024-09-17 16:38:55 +0200 CEST"),
        Some(1_726_583_935_000)
    );
    assert_eq!(go_time_ms("17/09/2024"), None);
}

#[test]
fn an_error_message_is_a_server_error_and_other_types_are_ignored() {
    let out = decode(br#"{"error": "Api Key Is Not Valid"}"#);
    assert_eq!(
        out.events,
        vec![FeedEvent::ServerError {
            code: "aisstream".into(),
            message: "Api Key Is Not Valid".into()
        }]
    );
    let out = decode(br#"{"MessageType":"ShipStaticData","Message":{"ShipStaticData":{}}}"#);
    assert!(out.events.is_empty());
    assert_eq!(out.ignored, 1);
}

#[test]
fn a_binary_frame_that_is_not_json_is_refused_with_a_reason() {
    let out = decode(&[0xff, 0x00, 0x13]);
    assert_eq!(out.rejected.count(RejectReason::MalformedJson), 1);
    let out = decode(b"PositionReport 259000420");
    assert_eq!(out.rejected.count(RejectReason::MalformedJson), 1);
}

#[test]
fn the_subscription_names_the_key_the_box_and_the_position_types() {
    let f = AisStream::new(
        DecodeLimits::default(),
        [[-17.5, 145.0], [-16.0, 146.5]],
        Some("secret".into()),
    );
    let sent: Value = serde_json::from_str(&f.subscription()).expect("json");
    assert_eq!(sent["APIKey"], "secret");
    assert_eq!(sent["BoundingBoxes"][0][0][0], -17.5);
    assert_eq!(sent["BoundingBoxes"][0][1][1], 146.5);
    assert_eq!(sent["FilterMessageTypes"].as_array().map(Vec::len), Some(3));
}
