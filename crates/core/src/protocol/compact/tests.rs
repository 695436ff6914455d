use super::*;
use crate::protocol::{
    DecodeLimits, FixBatch, Meta, RejectReason, RejectTally, ServerFrame, decode_server,
};

const T: i64 = 1_764_000_000_000;

fn decode(text: &str, dict: &mut Dictionary) -> (Result<ServerFrame, String>, RejectTally) {
    let mut refused = RejectTally::default();
    let frame = decode_compact(text, dict, &DecodeLimits::default(), &mut refused)
        .map_err(|e| e.to_string());
    (frame, refused)
}

fn batch(frame: Result<ServerFrame, String>) -> FixBatch {
    match frame {
        Ok(ServerFrame::Positions(b) | ServerFrame::Snapshot(b) | ServerFrame::SnapshotPart(b)) => {
            b
        }
        other => panic!("a batch, got {other:?}"),
    }
}

fn fixes(b: &FixBatch) -> Vec<(String, f64, f64, i64)> {
    b.iter()
        .map(|f| (f.id.to_owned(), f.lat, f.lon, f.ts))
        .collect()
}

/// A snapshot defining bus-1 at index 0 and van-2 at index 4.
fn snapshot() -> String {
    let mut w = FrameWriter::new(CompactKind::Snapshot, T, 2);
    w.def(0, "bus-1");
    w.row(&Row {
        index: 0,
        dlat: -169_234_567,
        dlon: 1_457_712_345,
        ts: T - 250,
        heading: Some(90.0),
        speed: Some(8.5),
        fields: Some(Meta {
            label: Some("Bus 1"),
            kind: Some("bus"),
            attrs: Some(r#"{"driver":"Ana"}"#),
            ..Meta::default()
        }),
    });
    w.def(4, "van-2");
    w.row(&Row {
        index: 4,
        dlat: 10,
        dlon: -20,
        ts: T,
        heading: None,
        speed: None,
        fields: None,
    });
    w.finish(0, false)
}

#[test]
fn a_frame_reads_back_as_the_fixes_written() {
    let text = snapshot();
    assert_eq!(
        text,
        r#"{"type":"s","t":1764000000000,"part":0,"def":[[0,"bus-1"],[4,"van-2"]],"rows":[[0,-169234567,1457712345,-250,900,85,{"label":"Bus 1","kind":"bus","attrs":{"driver":"Ana"}}],[4,10,-20,0]]}"#
    );
    let mut dict = Dictionary::new(100);
    let (frame, refused) = decode(&text, &mut dict);
    assert!(refused.is_empty(), "{refused:?}");
    let b = batch(frame);
    let bus = b.get(0).expect("bus");
    assert_eq!(
        (bus.id, bus.lat, bus.lon, bus.ts),
        ("bus-1", -16.923_456_7, 145.771_234_5, T - 250)
    );
    assert_eq!((bus.heading, bus.speed), (Some(90.0), Some(8.5)));
    assert_eq!(bus.meta.label, Some("Bus 1"));
    assert_eq!(bus.meta.kind, Some("bus"));
    assert_eq!(bus.meta.attrs, Some(r#"{"driver":"Ana"}"#));
    let van = b.get(1).expect("van");
    assert_eq!((van.id, van.lat, van.lon), ("van-2", 1e-6, -2e-6));
    assert_eq!((van.heading, van.speed, van.meta.label), (None, None, None));
    assert_eq!(dict.len(), 2);
}

#[test]
fn compact_and_v1_carry_exactly_the_same_values() {
    let mut dict = Dictionary::new(100);
    let compact = batch(decode(&snapshot(), &mut dict).0);
    let v1 = r#"{"type":"snapshot","positions":[
        {"id":"bus-1","lat":-16.9234567,"lon":145.7712345,"ts":1763999999750,"heading":90.0,"speed":8.5,
         "label":"Bus 1","kind":"bus","attrs":{"driver":"Ana"}},
        {"id":"van-2","lat":0.000001,"lon":-0.000002,"ts":1764000000000}]}"#;
    let mut refused = RejectTally::default();
    let Ok(ServerFrame::Snapshot(v1)) = decode_server(v1, &DecodeLimits::default(), &mut refused)
    else {
        panic!("a v1 snapshot");
    };
    assert_eq!(compact, v1);
}

#[test]
fn rows_carry_the_change_since_the_index_previous_row() {
    let mut dict = Dictionary::new(100);
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    let text = r#"{"type":"p","t":1764000001000,"def":[],"rows":[[0,-100,250,-5,905,80],[4,-10,20,0,null,3]]}"#;
    let b = batch(decode(text, &mut dict).0);
    assert_eq!(
        fixes(&b),
        [
            ("bus-1".into(), -16.923_466_7, 145.771_259_5, T + 995),
            ("van-2".into(), 0.0, 0.0, T + 1000)
        ]
    );
    let van = b.get(1).expect("van");
    assert_eq!((van.heading, van.speed), (None, Some(0.3)));
    // Fields left out keep their value: the row says nothing of them.
    assert_eq!(b.get(0).and_then(|f| f.meta.label), None);
}

#[test]
fn a_snapshot_in_the_middle_of_a_dictionary_starts_it_over() {
    let mut dict = Dictionary::new(100);
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    let resync = r#"{"type":"s","t":1764000005000,"def":[[0,"truck-9"]],"rows":[[0,100,200,0]]}"#;
    let b = batch(decode(resync, &mut dict).0);
    assert_eq!(fixes(&b), [("truck-9".into(), 1e-5, 2e-5, T + 5000)]);
    assert_eq!(dict.len(), 1, "van-2's index is gone");
    let (frame, refused) = decode(
        r#"{"type":"p","t":1764000006000,"def":[],"rows":[[4,1,1,0]]}"#,
        &mut dict,
    );
    assert!(batch(frame).is_empty());
    assert_eq!(refused.count(RejectReason::BadIndex), 1);
}

#[test]
fn the_parts_of_one_snapshot_share_one_dictionary() {
    let mut dict = Dictionary::new(100);
    let first = r#"{"type":"s","t":1,"part":0,"def":[[0,"a"]],"rows":[[0,1,1,0]],"more":true}"#;
    let last = r#"{"type":"s","t":1,"part":1,"def":[[1,"b"]],"rows":[[1,2,2,0]]}"#;
    assert!(matches!(
        decode(first, &mut dict).0,
        Ok(ServerFrame::SnapshotPart(_))
    ));
    assert!(matches!(
        decode(last, &mut dict).0,
        Ok(ServerFrame::Snapshot(_))
    ));
    assert_eq!((dict.id(0), dict.id(1)), (Some("a"), Some("b")));
}

#[test]
fn a_remove_frees_the_index_and_a_later_def_may_reuse_it() {
    let mut dict = Dictionary::new(100);
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    let (frame, _) = decode(r#"{"type":"r","ids":[4]}"#, &mut dict);
    assert_eq!(frame, Ok(ServerFrame::Remove(vec!["van-2".into()])));
    let reuse = r#"{"type":"p","t":1764000000000,"def":[[4,"car-3"]],"rows":[[4,5,6,0]]}"#;
    let b = batch(decode(reuse, &mut dict).0);
    assert_eq!(fixes(&b), [("car-3".into(), 5e-7, 6e-7, T)]);
    assert!(!dict.take_resync());
}

#[test]
fn keys_in_another_order_read_the_same() {
    let mut dict = Dictionary::new(100);
    let text = r#"{"rows":[[2,10,20,-1]],"def":[[2,"x"]],"t":1000,"type":"s"}"#;
    let b = batch(decode(text, &mut dict).0);
    assert_eq!(fixes(&b), [("x".into(), 1e-6, 2e-6, 999)]);
}

#[test]
fn an_unknown_index_is_refused_with_its_reason_and_asks_for_a_snapshot_once() {
    let mut dict = Dictionary::new(100);
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    let text = r#"{"type":"p","t":1764000000000,"def":[],"rows":[[7,1,1,0],[0,1,1,0]]}"#;
    let (frame, refused) = decode(text, &mut dict);
    assert_eq!(fixes(&batch(frame)).len(), 1, "the known row is kept");
    assert_eq!(refused.count(RejectReason::BadIndex), 1);
    assert!(
        refused
            .example(RejectReason::BadIndex)
            .is_some_and(|e| e.contains("index 7 has not been defined")),
        "{refused:?}"
    );
    assert!(dict.take_resync());
    let _ = decode(text, &mut dict);
    assert!(!dict.take_resync(), "asked once until a snapshot comes");
    let _ = decode(&snapshot(), &mut dict);
    let _ = decode(text, &mut dict);
    assert!(
        dict.take_resync(),
        "after a snapshot, a new loss asks again"
    );
}

#[test]
fn a_huge_or_negative_index_is_refused_and_grows_nothing() {
    let mut dict = Dictionary::new(1000);
    let text = r#"{"type":"p","t":0,"def":[[4000000000,"a"],[-1,"b"],[1000,"c"]],"rows":[[4000000000,1,1,0],[-3,1,1,0]]}"#;
    let (frame, refused) = decode(text, &mut dict);
    assert!(batch(frame).is_empty());
    assert_eq!(refused.count(RejectReason::BadIndex), 5);
    assert!(dict.is_empty());
    assert_eq!(dict.allocated(), 0, "nothing was allocated");
}

#[test]
fn a_def_cannot_point_a_live_index_at_another_vehicle() {
    let mut dict = Dictionary::new(100);
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    let text = r#"{"type":"p","t":1764000000000,"def":[[0,"intruder"]],"rows":[[0,1,1,0]]}"#;
    let (frame, refused) = decode(text, &mut dict);
    assert!(batch(frame).is_empty(), "neither bus-1 nor intruder moves");
    assert_eq!(refused.count(RejectReason::BadIndex), 2);
    assert_eq!(dict.id(0), None);
    assert!(dict.take_resync());
}

#[test]
fn a_change_that_would_leave_the_map_is_refused_and_the_index_stays_put() {
    let mut dict = Dictionary::new(100);
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    let off = r#"{"type":"p","t":1764000000000,"def":[],"rows":[[0,-800000000,0,0],[0,-999999999999999999,0,0]]}"#;
    let (frame, refused) = decode(off, &mut dict);
    assert!(batch(frame).is_empty());
    assert_eq!(refused.count(RejectReason::BadCoordinates), 2);
    let ok = r#"{"type":"p","t":1764000000000,"def":[],"rows":[[0,-1,0,1]]}"#;
    let b = batch(decode(ok, &mut dict).0);
    assert_eq!(b.get(0).map(|f| f.lat), Some(-16.923_456_8));
}

#[test]
fn a_broken_frame_is_refused_whole_with_where_and_asks_for_a_snapshot() {
    let mut dict = Dictionary::new(100);
    let mut asked = Vec::new();
    decode(&snapshot(), &mut dict).0.expect("snapshot");
    for (text, why) in [
        (
            r#"{"type":"p","t":0,"def":[],"rows":[[0,1.5,1,0]]}"#,
            "not a fraction",
        ),
        (
            r#"{"type":"p","t":0,"def":[],"rows":[[0,1]]}"#,
            "a row is not",
        ),
        (
            r#"{"type":"p","t":0,"def":[],"rows":[[0,1,1,0,1,1,{},9]]}"#,
            "more than 7",
        ),
        (r#"{"type":"p","def":[],"rows":[[0,1,1,0]]}"#, "no \"t\""),
        (r#"{"type":"q"}"#, "s, p or r"),
        (r#"{"type":"p","t":0,"rows":[[0,1,1,0]]"#, "expected"),
    ] {
        let (frame, _) = decode(text, &mut dict);
        let err = frame.expect_err(text);
        assert!(err.contains(why), "{text}: {err}");
        asked.push(dict.take_resync());
    }
    assert_eq!(asked, [true, false, false, false, false, false]);
}

#[test]
fn the_writer_leaves_off_trailing_unknowns_and_escapes_ids() {
    let mut w = FrameWriter::new(CompactKind::Positions, 10, 1);
    w.def(3, "quote\"d");
    for (heading, speed) in [(None, None), (Some(1.25), None), (None, Some(2.0))] {
        w.row(&Row {
            index: 3,
            dlat: 0,
            dlon: -1,
            ts: 9,
            heading,
            speed,
            fields: None,
        });
    }
    assert_eq!(
        w.finish(0, true),
        r#"{"type":"p","t":10,"def":[[3,"quote\"d"]],"rows":[[3,0,-1,-1],[3,0,-1,-1,13],[3,0,-1,-1,null,20]]}"#
    );
    assert_eq!(remove_frame(&[1, 20]), r#"{"type":"r","ids":[1,20]}"#);
}
