use super::*;

fn server(text: &str) -> (Result<ServerFrame, Rejection>, RejectTally) {
    let mut tally = RejectTally::default();
    let frame = decode_server(text, &DecodeLimits::default(), &mut tally);
    (frame, tally)
}

fn positions(frame: Result<ServerFrame, Rejection>) -> FixBatch {
    match frame {
        Ok(ServerFrame::Positions(b)) | Ok(ServerFrame::Snapshot(b)) => b,
        other => panic!("expected positions, got {other:?}"),
    }
}

fn ids(batch: &FixBatch) -> Vec<&str> {
    batch.iter().map(|f| f.id).collect()
}

#[test]
fn a_positions_frame_decodes_every_field() {
    let (frame, tally) = server(
        r#"{"type":"positions","positions":[{"id":"bus-1","lat":-16.92,"lon":145.77,"ts":1700000000000,
        "heading":370,"speed":8.5,"label":"Bus 1","kind":"bus","status":"in_service","route":"110",
        "attrs":{"driver":"Ana"},"extra":"ignored"}]}"#,
    );
    let batch = positions(frame);
    assert!(tally.is_empty());
    let fix = batch.get(0).expect("one fix");
    assert_eq!(fix.id, "bus-1");
    assert_eq!(
        (fix.lat, fix.lon, fix.ts),
        (-16.92, 145.77, 1_700_000_000_000)
    );
    assert_eq!(fix.heading, Some(10.0));
    assert_eq!(fix.speed, Some(8.5));
    assert_eq!(fix.meta.label, Some("Bus 1"));
    assert_eq!(fix.meta.kind, Some("bus"));
    assert_eq!(fix.meta.status, Some("in_service"));
    assert_eq!(fix.meta.route, Some("110"));
    assert_eq!(fix.meta.attrs, Some(r#"{"driver":"Ana"}"#));
}

#[test]
fn a_frame_ending_in_whitespace_or_a_newline_is_valid() {
    let (frame, tally) = server(
        "{\"type\":\"positions\",\"positions\":[{\"id\":\"a\",\"lat\":1,\"lon\":2,\"ts\":3}]}\r\n \n",
    );
    assert_eq!(ids(&positions(frame)), vec!["a"]);
    assert!(tally.is_empty());
}

#[test]
fn a_snapshot_is_told_apart_from_positions() {
    let (frame, _) = server(r#"{"type":"snapshot","positions":[]}"#);
    assert!(matches!(frame, Ok(ServerFrame::Snapshot(b)) if b.is_empty()));
}

#[test]
fn escaped_strings_decode_to_their_text() {
    let (frame, tally) = server(
        r#"{"type":"positions","positions":[{"id":"a\"b","lat":1,"lon":2,"ts":3,"label":"Caf\u00e9"}]}"#,
    );
    let batch = positions(frame);
    assert!(tally.is_empty(), "{tally:?}");
    let fix = batch.get(0).expect("one fix");
    assert_eq!(fix.id, "a\"b");
    assert_eq!(fix.meta.label, Some("Café"));
}

#[test]
fn malformed_json_is_refused_whole() {
    let (frame, _) = server(r#"{"type":"positions","positions":[{"id":"a""#);
    assert_eq!(
        frame.map_err(|r| r.reason),
        Err(RejectReason::MalformedJson)
    );
    let (frame, _) = server("NaN");
    assert_eq!(
        frame.map_err(|r| r.reason),
        Err(RejectReason::MalformedJson)
    );
}

#[test]
fn an_unknown_or_missing_type_is_refused_with_its_name() {
    let (frame, _) = server(r#"{"type":"teleport","positions":[]}"#);
    let err = frame.expect_err("refused");
    assert_eq!(err.reason, RejectReason::UnknownType);
    assert!(err.detail.contains("teleport"), "{}", err.detail);
    let (frame, _) = server(r#"{"positions":[]}"#);
    assert_eq!(frame.map_err(|r| r.reason), Err(RejectReason::UnknownType));
    let (frame, _) = server(r#"{"type":7}"#);
    assert_eq!(frame.map_err(|r| r.reason), Err(RejectReason::UnknownType));
    let (frame, _) = server(r#"[1,2]"#);
    assert_eq!(frame.map_err(|r| r.reason), Err(RejectReason::UnknownType));
}

#[test]
fn a_frame_over_the_size_limit_is_refused_before_parsing() {
    let limits = DecodeLimits {
        max_frame_bytes: 10,
        ..DecodeLimits::default()
    };
    let mut tally = RejectTally::default();
    let err = decode_server(
        r#"{"type":"positions","positions":[]}"#,
        &limits,
        &mut tally,
    )
    .expect_err("too big");
    assert_eq!(err.reason, RejectReason::Oversized);
}

#[test]
fn bad_positions_are_refused_one_by_one_and_the_valid_ones_kept() {
    let (frame, tally) = server(
        r#"{"type":"positions","positions":[
        {"id":"ok-1","lat":1,"lon":2,"ts":3},
        {"lat":1,"lon":2,"ts":3},
        {"id":"","lat":1,"lon":2,"ts":3},
        {"id":"north","lat":91,"lon":2,"ts":3},
        {"id":"east","lat":1,"lon":-180.5,"ts":3},
        {"id":"nolat","lon":2,"ts":3},
        {"id":"nots","lat":1,"lon":2},
        {"id":"negts","lat":1,"lon":2,"ts":-5},
        {"id":"slow","lat":1,"lon":2,"ts":3,"speed":-1},
        {"id":"ok-2","lat":-90,"lon":180,"ts":0}]}"#,
    );
    let batch = positions(frame);
    assert_eq!(ids(&batch), vec!["ok-1", "ok-2"]);
    assert_eq!(tally.count(RejectReason::MissingId), 2);
    assert_eq!(tally.count(RejectReason::BadCoordinates), 3);
    assert_eq!(tally.count(RejectReason::BadTimestamp), 2);
    assert_eq!(tally.count(RejectReason::InvalidField), 1);
    assert!(
        tally
            .example(RejectReason::BadCoordinates)
            .is_some_and(|d| d.contains("north")),
        "{tally:?}"
    );
}

#[test]
fn fields_of_the_wrong_type_are_refused_without_losing_the_frame() {
    let (frame, tally) = server(
        r#"{"type":"positions","positions":[
        {"id":"ok-1","lat":1,"lon":2,"ts":3},
        {"id":"strlat","lat":"NaN","lon":2,"ts":3},
        {"id":7,"lat":1,"lon":2,"ts":3},
        {"id":"strts","lat":1,"lon":2,"ts":"yesterday"},
        {"id":"attrs","lat":1,"lon":2,"ts":3,"attrs":[1]},
        {"id":"label","lat":1,"lon":2,"ts":3,"label":{"x":1}},
        "not an object",
        {"id":"ok-2","lat":1,"lon":2,"ts":3,"attrs":{"a":"\u00e9"}}]}"#,
    );
    let batch = positions(frame);
    assert_eq!(ids(&batch), vec!["ok-1", "ok-2"]);
    assert_eq!(
        batch.get(1).and_then(|f| f.meta.attrs),
        Some(r#"{"a":"é"}"#)
    );
    assert_eq!(tally.count(RejectReason::BadCoordinates), 1);
    assert_eq!(tally.count(RejectReason::MissingId), 1);
    assert_eq!(tally.count(RejectReason::BadTimestamp), 1);
    assert_eq!(tally.count(RejectReason::InvalidField), 3);
}

#[test]
fn numbers_too_large_for_a_double_are_refused_for_that_position_only() {
    let (frame, tally) = server(
        r#"{"type":"positions","positions":[{"id":"huge","lat":1e999,"lon":2,"ts":3},{"id":"ok","lat":1,"lon":2,"ts":3}]}"#,
    );
    // serde_json refuses 1e999 while parsing; that makes the frame malformed, or the position bad.
    match frame {
        Ok(ServerFrame::Positions(b)) => {
            assert_eq!(ids(&b), vec!["ok"]);
            assert_eq!(tally.total(), 1);
        }
        Err(r) => assert_eq!(r.reason, RejectReason::MalformedJson),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn ids_and_texts_over_their_limits_are_refused() {
    let long_id = "x".repeat(129);
    let long_label = "y".repeat(257);
    let text = format!(
        r#"{{"type":"positions","positions":[{{"id":"{long_id}","lat":1,"lon":2,"ts":3}},{{"id":"a","lat":1,"lon":2,"ts":3,"label":"{long_label}"}},{{"id":"b","lat":1,"lon":2,"ts":3}}]}}"#
    );
    let (frame, tally) = server(&text);
    assert_eq!(ids(&positions(frame)), vec!["b"]);
    assert_eq!(tally.count(RejectReason::InvalidField), 2);
}

#[test]
fn a_remove_frame_keeps_its_valid_ids() {
    let (frame, tally) = server(r#"{"type":"remove","ids":["a","",3,"b"]}"#);
    assert_eq!(frame, Ok(ServerFrame::Remove(vec!["a".into(), "b".into()])));
    assert_eq!(tally.count(RejectReason::MissingId), 2);
}

#[test]
fn an_error_frame_carries_its_code_and_message() {
    let (frame, _) = server(r#"{"type":"error","code":"unauthorized","message":"bad token"}"#);
    assert_eq!(
        frame,
        Ok(ServerFrame::Error {
            code: "unauthorized".into(),
            message: "bad token".into()
        })
    );
}

#[test]
fn a_positions_frame_without_its_array_is_refused() {
    let (frame, _) = server(r#"{"type":"positions"}"#);
    assert_eq!(frame.map_err(|r| r.reason), Err(RejectReason::InvalidField));
    let (frame, _) = server(r#"{"type":"positions","positions":{"id":"a"}}"#);
    assert_eq!(frame.map_err(|r| r.reason), Err(RejectReason::InvalidField));
}

#[test]
fn a_report_decodes_its_positions_and_refuses_other_types() {
    let mut tally = RejectTally::default();
    let limits = DecodeLimits::default();
    let batch = decode_report(
        r#"{"type":"report","positions":[{"id":"t1","lat":1,"lon":2,"ts":3},{"id":"t2","lat":"x","lon":2,"ts":3}]}"#,
        &limits,
        &mut tally,
    )
    .expect("report");
    assert_eq!(ids(&batch), vec!["t1"]);
    assert_eq!(tally.count(RejectReason::BadCoordinates), 1);
    let err = decode_report(
        r#"{"type":"positions","positions":[]}"#,
        &limits,
        &mut tally,
    )
    .expect_err("not a report");
    assert_eq!(err.reason, RejectReason::UnknownType);
}

#[test]
fn what_the_encoder_writes_the_decoder_reads_back() {
    let mut p = crate::protocol::Position::new("r", -16.9, 145.7, 1_700_000_000_123);
    p.heading = Some(45.0);
    p.speed = Some(12.5);
    p.kind = Some("truck".into());
    let text = crate::protocol::encode(&crate::protocol::ServerMessage::Positions {
        positions: vec![p.clone()],
    })
    .expect("encodes");
    let batch = positions(server(&text).0);
    assert_eq!(batch, {
        let mut b = FixBatch::from_positions(&[p]);
        b.received_ms = 0;
        b
    });
}

#[test]
fn a_snapshot_part_is_told_apart_from_the_last_part() {
    let (frame, _) = server(
        r#"{"type":"snapshot","more":true,"positions":[{"id":"a","lat":1,"lon":2,"ts":3}]}"#,
    );
    assert!(matches!(frame, Ok(ServerFrame::SnapshotPart(b)) if b.len() == 1));
    let (frame, _) = server(r#"{"type":"snapshot","more":false,"positions":[]}"#);
    assert!(matches!(frame, Ok(ServerFrame::Snapshot(_))));
    // On the slow path too.
    let (frame, tally) = server(
        r#"{"type":"snapshot","more":true,"positions":[{"id":"a","lat":"x","lon":2,"ts":3}]}"#,
    );
    assert!(matches!(frame, Ok(ServerFrame::SnapshotPart(b)) if b.is_empty()));
    assert_eq!(tally.count(RejectReason::BadCoordinates), 1);
}
