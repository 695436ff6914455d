use super::*;
use fleetview_core::protocol::Position;

fn batch(positions: &[Position]) -> FixBatch {
    FixBatch::from_positions(positions)
}

fn van(lat: f64, ts: i64) -> Position {
    let mut p = Position::new("van 7", lat, 145.77, ts);
    p.speed = Some(12.3);
    p.heading = Some(271.4);
    p
}

#[test]
fn varints_give_back_every_value_including_the_extremes() {
    let mut out = Vec::new();
    let values = [0i64, 1, -1, 63, -64, 1 << 40, i64::MAX, i64::MIN];
    for v in values {
        put_i(&mut out, v);
    }
    let mut r = Reader::new(&out);
    for v in values {
        assert_eq!(r.i(), Ok(v));
    }
    assert!(r.is_empty());
    assert!(
        Reader::new(&[0x80]).u().is_err(),
        "a number cut short is refused"
    );
}

#[test]
fn a_fix_record_gives_back_the_fix_to_a_centimetre_and_a_tenth() {
    let mut p = van(-16.920_312_34, 1_700_000_000_123);
    p.label = Some("Van <7>".into());
    p.attrs = Some(serde_json::from_str(r#"{"ignition":true}"#).expect("attrs"));
    let mut out = Vec::new();
    put_fix(&mut out, &batch(&[p]).get(0).expect("fix"));
    let mut back = FixBatch::default();
    read_fix(&out, &mut back).expect("reads");
    let f = back.get(0).expect("one fix");
    assert_eq!((f.id, f.ts), ("van 7", 1_700_000_000_123));
    assert!((f.lat - -16.920_312_3).abs() < 1e-9, "{}", f.lat);
    assert_eq!((f.speed, f.heading), (Some(12.3), Some(271.4)));
    assert_eq!(f.meta.label, Some("Van <7>"));
    assert_eq!(f.meta.attrs, Some(r#"{"ignition":true}"#));
    assert!(
        read_fix(&out[..out.len() - 3], &mut back).is_err(),
        "a cut record is refused"
    );
}

#[test]
fn a_column_gives_back_each_fix_with_the_fields_its_vehicle_had_then() {
    let mut first = van(-16.92, 1_000);
    first.label = Some("Van 7".into());
    first.status = Some("in_service".into());
    let second = van(-16.9201, 2_000);
    let mut third = van(-16.9203, 1_500);
    third.status = Some("depot".into());
    third.speed = None;
    let sent = batch(&[first, second, third]);
    let mut column = Column::default();
    for f in sent.iter() {
        column.push(&f);
    }
    assert_eq!(
        (column.count, column.min_ts, column.max_ts),
        (3, 1_000, 2_000)
    );
    let mut back = FixBatch::default();
    read_column(&column.encode(), "van 7", &mut back).expect("reads");
    let got: Vec<_> = back
        .iter()
        .map(|f| (f.ts, f.speed, f.meta.label, f.meta.status))
        .collect();
    assert_eq!(
        got,
        [
            (1_000, Some(12.3), Some("Van 7"), Some("in_service")),
            (2_000, Some(12.3), Some("Van 7"), Some("in_service")),
            (1_500, None, Some("Van 7"), Some("depot")),
        ],
        "arrival order; labels carried on; a late fix keeps its own time"
    );
    assert!((back.get(2).expect("third").lat - -16.9203).abs() < 1e-9);
}

#[test]
fn a_second_of_a_moving_vehicle_costs_a_few_bytes_in_a_column() {
    let mut column = Column::default();
    let fixes: Vec<Position> = (0..3600)
        .map(|i| van(-16.92 + i as f64 * 1e-5, 1_700_000_000_000 + i * 1000))
        .collect();
    for f in batch(&fixes).iter() {
        column.push(&f);
    }
    let raw = column.encode();
    let bytes = raw.len() as f64 / 3600.0;
    assert!(bytes < 10.0, "{bytes} bytes a fix before compression");
    let packed = zstd::bulk::compress(&raw, 3).expect("zstd").len() as f64 / 3600.0;
    assert!(packed < 3.0, "{packed} bytes a fix compressed");
}
