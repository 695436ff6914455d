use super::*;
use crate::events::VehicleNotice;
use crate::protocol::Meta;

fn batch(fixes: &[FixRef<'_>]) -> FixBatch {
    let mut b = FixBatch::default();
    for f in fixes {
        b.push(f);
    }
    b
}

fn bus<'a>(id: &'a str, lat: f64, ts: i64) -> FixRef<'a> {
    FixRef {
        id,
        lat,
        lon: 145.7712345,
        ts,
        heading: Some(91.25),
        speed: Some(12.345),
        meta: Meta {
            label: Some("Bus 7"),
            kind: Some("bus"),
            status: None,
            route: Some("110"),
            attrs: Some(r#"{"driver":"Kim"}"#),
        },
    }
}

const NONE: &dyn Fn(&str) -> Option<MetaRef<'static>> = &|_| None;

#[test]
fn a_positions_event_reads_back_with_its_fields_to_the_stated_precision() {
    let mut out = Vec::new();
    let event = FeedEvent::Positions(batch(&[bus("v7", -16.92345678, 1_000_000 - 850)]));
    assert_eq!(
        push_event(
            &mut out,
            (1_000_000, FeedId(3)),
            &event,
            NONE,
            &mut Positions::default()
        ),
        1
    );
    let text = String::from_utf8(out.clone()).unwrap_or_default();
    assert!(
        text.starts_with(r#"{"t":1000000,"feed":3,"positions":1}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"["v7",-169234568,1457712345,-850,913,1235,{"#),
        "{text}"
    );
    let chunk = decode_payload(&out, &mut Positions::default()).expect("reads");
    let Recorded::Event(FeedEvent::Positions(b)) = &chunk.records[0].what else {
        panic!("{chunk:?}");
    };
    let f = b.get(0).expect("a fix");
    assert_eq!(
        (chunk.records[0].t, chunk.records[0].feed),
        (1_000_000, FeedId(3))
    );
    assert_eq!((f.id, f.ts), ("v7", 1_000_000 - 850));
    assert!((f.lat - -16.9234568).abs() < 1e-9 && (f.lon - 145.7712345).abs() < 1e-9);
    assert_eq!((f.heading, f.speed), (Some(91.3), Some(12.35)));
    assert_eq!(f.meta.label, Some("Bus 7"));
    assert_eq!(f.meta.attrs, Some(r#"{"driver":"Kim"}"#));
    assert_eq!(b.received_ms, 1_000_000);
}

#[test]
fn descriptive_fields_the_reader_already_holds_are_left_out() {
    let held = Meta {
        label: Some("Bus 7"),
        kind: Some("bus"),
        status: None,
        route: Some("109"),
        attrs: Some(r#"{"driver":"Kim"}"#),
    };
    let mut out = Vec::new();
    push_row(
        &mut out,
        0,
        &bus("v7", -16.9, 0),
        Some(held),
        Coordinates::Changes(&mut Positions::default(), 0),
    );
    let text = String::from_utf8(out).unwrap_or_default();
    assert!(text.ends_with(",{\"route\":\"110\"}]\n"), "{text}");
    let mut out = Vec::new();
    let same = Meta {
        route: Some("110"),
        ..held
    };
    push_row(
        &mut out,
        0,
        &bus("v7", -16.9, 0),
        Some(same),
        Coordinates::Changes(&mut Positions::default(), 0),
    );
    assert!(
        String::from_utf8(out)
            .unwrap_or_default()
            .ends_with(",null]\n")
    );
}

#[test]
fn every_kind_of_event_reads_back_as_it_was() {
    let events = [
        FeedEvent::Connecting {
            url: "wss://x".into(),
            attempt: 3,
        },
        FeedEvent::Connected {
            url: "wss://x".into(),
        },
        FeedEvent::Disconnected {
            reason: "reset".into(),
            retry_in: Some(std::time::Duration::from_millis(1500)),
        },
        FeedEvent::Disconnected {
            reason: "paused".into(),
            retry_in: None,
        },
        FeedEvent::Removed(vec!["a".into(), "b \"quoted\"".into()]),
        FeedEvent::Notices(vec![VehicleNotice {
            id: "a".into(),
            kind: "alarm".into(),
            ts: 5,
            detail: Some("sos".into()),
        }]),
        FeedEvent::ServerError {
            code: "auth".into(),
            message: "no".into(),
        },
        FeedEvent::Snapshot(FixBatch::default()),
    ];
    let mut out = Vec::new();
    for e in &events {
        push_event(&mut out, (7, FeedId(1)), e, NONE, &mut Positions::default());
    }
    push_name(&mut out, 8, FeedId(2), "Depot");
    push_gone(&mut out, 9, FeedId(2));
    let chunk = decode_payload(&out, &mut Positions::default()).expect("reads");
    let mut want: Vec<Recorded> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if let FeedEvent::Snapshot(b) = &mut e {
                b.received_ms = 7;
            }
            Recorded::Event(e)
        })
        .collect();
    want.push(Recorded::Name("Depot".into()));
    want.push(Recorded::Gone);
    let got: Vec<Recorded> = chunk.records.into_iter().map(|r| r.what).collect();
    assert_eq!(got, want);
}

#[test]
fn a_keyframe_holds_each_feeds_name_link_and_vehicles() {
    let mut out = Vec::new();
    let mut table = Positions::default();
    push_keyframe(&mut out, 50, 2, &mut table);
    push_state(
        &mut out,
        50,
        FeedId(0),
        ("Depot", true),
        &[bus("a", -16.0, 40), bus("b", -17.0, 45)],
        &mut table,
    );
    push_state(&mut out, 50, FeedId(1), ("Empty", false), &[], &mut table);
    let gone = FeedEvent::Removed(vec!["a".into()]);
    push_event(&mut out, (60, FeedId(0)), &gone, NONE, &mut table);
    let chunk = decode_payload(&out, &mut Positions::default()).expect("reads");
    let (t, states) = chunk.key.expect("a keyframe");
    let empty = decode_payload(
        b"{\"t\":5,\"feed\":0,\"keyframe\":0}\n",
        &mut Positions::default(),
    )
    .expect("reads");
    assert_eq!(
        empty.key,
        Some((5, Vec::new())),
        "a keyframe with no feed yet"
    );
    let stray = b"{\"t\":5,\"feed\":0,\"name\":\"a\",\"state\":0,\"up\":true}\n";
    assert!(
        decode_payload(stray, &mut Positions::default())
            .unwrap_err()
            .contains("outside a keyframe")
    );
    assert_eq!(t, 50);
    assert_eq!(states.len(), 2);
    assert_eq!(
        (
            states[0].name.as_str(),
            states[0].up,
            states[0].vehicles.len()
        ),
        ("Depot", true, 2)
    );
    assert_eq!(
        (
            states[1].name.as_str(),
            states[1].up,
            states[1].vehicles.len()
        ),
        ("Empty", false, 0)
    );
    assert_eq!(chunk.records.len(), 1);
}

#[test]
fn damaged_lines_are_refused_with_the_line_they_are_on() {
    let mut out = Vec::new();
    let moved = FeedEvent::Positions(batch(&[bus("a", 1.0, 1)]));
    push_event(
        &mut out,
        (1, FeedId(0)),
        &moved,
        NONE,
        &mut Positions::default(),
    );
    let good = out.clone();
    let cut = &good[..good.len() - 10];
    assert!(
        decode_payload(cut, &mut Positions::default())
            .unwrap_err()
            .starts_with("line 2: not a fix row")
    );
    let missing_row = b"{\"t\":1,\"feed\":0,\"positions\":2}\n[\"a\",1,1,0,null,null,null]\n";
    assert!(
        decode_payload(missing_row, &mut Positions::default())
            .unwrap_err()
            .contains("middle of an event")
    );
    let off_earth = b"{\"t\":1,\"feed\":0,\"positions\":1}\n[\"a\",950000000,1,0,null,null,null]\n";
    assert!(
        decode_payload(off_earth, &mut Positions::default())
            .unwrap_err()
            .contains("line 2: a fix of")
    );
    assert!(
        decode_payload(b"{\"t\":1,\"feed\":0}\n", &mut Positions::default())
            .unwrap_err()
            .contains("saying nothing")
    );
    assert!(
        decode_payload(b"garbage\n", &mut Positions::default())
            .unwrap_err()
            .starts_with("line 1: not an event")
    );
}

#[test]
fn a_chunk_header_round_trips_and_nonsense_is_refused() {
    let h = ChunkHeader {
        keyframe: true,
        payload_len: 77,
        first_t: 10,
        last_t: 20,
        fixes: 3,
    };
    assert_eq!(ChunkHeader::decode(&h.encode()), Ok(h));
    let mut b = h.encode();
    b[0] = 9;
    assert!(ChunkHeader::decode(&b).is_err());
    let backwards = ChunkHeader { first_t: 30, ..h };
    assert!(ChunkHeader::decode(&backwards.encode()).is_err());
    let empty = ChunkHeader {
        payload_len: 0,
        ..h
    };
    assert!(ChunkHeader::decode(&empty.encode()).is_err());
}

#[test]
fn a_vehicles_later_rows_carry_the_change_in_its_coordinates_reset_at_each_keyframe() {
    let mut table = Positions::default();
    let mut out = Vec::new();
    let first = FeedEvent::Positions(batch(&[bus("v7", -16.9, 0)]));
    let mut moved = bus("v7", -16.9001, 1_000);
    moved.lon += 0.0002;
    let second = FeedEvent::Positions(batch(&[moved]));
    push_event(&mut out, (0, FeedId(0)), &first, NONE, &mut table);
    push_event(&mut out, (1_000, FeedId(0)), &second, NONE, &mut table);
    let text = String::from_utf8(out.clone()).unwrap_or_default();
    assert!(text.contains(r#"["v7",-169000000,1457712345,"#), "{text}");
    assert!(text.contains(r#"["v7",-1000,2000,"#), "{text}");
    let chunk = decode_payload(&out, &mut Positions::default()).expect("reads");
    let Recorded::Event(FeedEvent::Positions(b)) = &chunk.records[1].what else {
        panic!("{chunk:?}");
    };
    let f = b.get(0).expect("a fix");
    assert!((f.lat - -16.9001).abs() < 1e-9 && (f.lon - 145.7714345).abs() < 1e-9);
    // After a keyframe the table starts again: its state rows are absolute.
    let mut key = Vec::new();
    push_keyframe(&mut key, 2_000, 1, &mut table);
    push_state(
        &mut key,
        2_000,
        FeedId(0),
        ("a", true),
        &[moved],
        &mut table,
    );
    push_event(&mut key, (2_500, FeedId(0)), &second, NONE, &mut table);
    let chunk =
        decode_payload(&key, &mut Positions::default()).expect("a keyframe's chunk reads alone");
    let Recorded::Event(FeedEvent::Positions(b)) = &chunk.records[0].what else {
        panic!("{chunk:?}");
    };
    assert!((b.get(0).expect("a fix").lat - -16.9001).abs() < 1e-9);
}
