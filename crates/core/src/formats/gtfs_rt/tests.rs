use prost::Message;

use super::proto::*;
use super::*;

/// gtfs-rt-kit's fixture: FULL_DATASET, five entities (two full, one bare, one without a
/// position, one deleted). See tests/fixtures/README.md.
const KIT: &[u8] =
    include_bytes!("../../../../../tests/fixtures/gtfs-rt/gtfs-rt-kit_vehicle_positions.pb");
/// gtfs-realtime-bindings' fixture: one vehicle, no timestamps at all.
const BINDINGS: &[u8] = include_bytes!(
    "../../../../../tests/fixtures/gtfs-rt/gtfs-realtime-bindings_vehicle_position.pb"
);

const NOW: i64 = 1_791_785_200_000;

fn decode(format: &mut GtfsRt, bytes: &[u8]) -> Decoded {
    let mut out = Decoded::default();
    format.decode_bytes(bytes, NOW, &mut out);
    out
}

fn snapshot(out: &Decoded) -> &FixBatch {
    match out.events.as_slice() {
        [FeedEvent::Snapshot(b)] => b,
        other => panic!("expected one snapshot, got {other:?}"),
    }
}

#[test]
fn the_kit_fixture_gives_three_vehicles_with_their_units_and_skips_one_without_a_position() {
    let mut f = GtfsRt::new(DecodeLimits::default());
    let out = decode(&mut f, KIT);
    let batch = snapshot(&out);
    assert_eq!(batch.len(), 3);
    let v1 = batch.get(0).expect("v1");
    assert_eq!(v1.id, "V/15/1");
    assert_eq!(v1.meta.label, Some("3101"));
    assert!(
        (v1.lat - 52.2297).abs() < 1e-5,
        "float32 latitude {}",
        v1.lat
    );
    assert!((v1.lon - 21.0122).abs() < 1e-5);
    assert_eq!(
        v1.ts, 1_791_785_150_000,
        "the vehicle's own timestamp, in seconds"
    );
    assert_eq!(v1.heading, Some(90.0));
    assert_eq!(v1.speed, Some(8.5), "m/s as sent");
    assert_eq!(v1.meta.route, Some("15"));
    assert_eq!(v1.meta.status, Some("STOPPED_AT"));
    let attrs: serde_json::Value =
        serde_json::from_str(v1.meta.attrs.expect("attrs")).expect("json");
    assert_eq!(attrs["trip_id"], "T15-1");
    assert_eq!(attrs["stop_id"], "S2");
    assert_eq!(attrs["stop_sequence"], 2);
    assert_eq!(attrs["occupancy"], "MANY_SEATS_AVAILABLE");
    let v3 = batch.get(2).expect("v3");
    assert_eq!(v3.id, "V/15/7");
    assert_eq!(
        v3.ts, 1_791_785_160_000,
        "no vehicle timestamp: the header's"
    );
    assert_eq!(v3.meta.status, Some("IN_TRANSIT_TO"), "the default status");
    assert_eq!(out.rejected.count(RejectReason::BadCoordinates), 1);
    assert!(
        out.rejected
            .example(RejectReason::BadCoordinates)
            .is_some_and(|e| e.contains("M1-12")),
        "the skipped vehicle is named by its label: {:?}",
        out.rejected.example(RejectReason::BadCoordinates)
    );
}

#[test]
fn the_bindings_fixture_without_timestamps_is_stamped_with_the_poll() {
    let mut f = GtfsRt::new(DecodeLimits::default());
    let out = decode(&mut f, BINDINGS);
    let batch = snapshot(&out);
    assert_eq!(batch.len(), 1);
    let v = batch.get(0).expect("vehicle");
    assert_eq!((v.id, v.lat, v.lon, v.ts), ("1", 47.0, -122.0, NOW));
    assert!(out.rejected.is_empty());
}

fn vehicle(entity: &str, id: &str, lat: f32, ts: u64) -> FeedEntity {
    FeedEntity {
        id: entity.into(),
        is_deleted: None,
        vehicle: Some(VehiclePosition {
            position: Some(Position {
                latitude: lat,
                longitude: 145.77,
                bearing: None,
                speed: None,
            }),
            timestamp: Some(ts),
            vehicle: Some(VehicleDescriptor {
                id: Some(id.into()),
                ..Default::default()
            }),
            ..Default::default()
        }),
    }
}

fn message(incrementality: i32, entity: Vec<FeedEntity>) -> Vec<u8> {
    FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            incrementality: Some(incrementality),
            timestamp: Some(1_791_785_000),
        },
        entity,
    }
    .encode_to_vec()
}

#[test]
fn a_differential_feed_updates_and_its_deleted_entity_removes_the_vehicle_it_carried() {
    let mut f = GtfsRt::new(DecodeLimits::default());
    let first = message(
        DIFFERENTIAL,
        vec![
            vehicle("e1", "bus-1", -16.9, 1_791_785_000),
            vehicle("e2", "bus-2", -16.8, 1_791_785_000),
        ],
    );
    let out = decode(&mut f, &first);
    assert!(matches!(out.events.as_slice(), [FeedEvent::Positions(b)] if b.len() == 2));
    let deleted = FeedEntity {
        id: "e2".into(),
        is_deleted: Some(true),
        vehicle: None,
    };
    let out = decode(&mut f, &message(DIFFERENTIAL, vec![deleted]));
    assert_eq!(out.events, vec![FeedEvent::Removed(vec!["bus-2".into()])]);
}

#[test]
fn unknown_fields_and_extensions_are_skipped_not_refused() {
    let mut bytes = message(
        FULL_DATASET,
        vec![vehicle("e1", "bus-1", -16.9, 1_791_785_000)],
    );
    // Field 1000 (an extension), length-delimited, three bytes.
    bytes.extend_from_slice(&[0xc2, 0x3e, 3, b'x', b'y', b'z']);
    let mut f = GtfsRt::new(DecodeLimits::default());
    let out = decode(&mut f, &bytes);
    assert_eq!(snapshot(&out).len(), 1);
    assert!(out.rejected.is_empty());
}

#[test]
fn truncated_protobuf_html_and_json_are_refused_with_a_reason() {
    let mut f = GtfsRt::new(DecodeLimits::default());
    for (bytes, words) in [
        (&KIT[..KIT.len() - 7], "not a GTFS-Realtime FeedMessage"),
        (
            &b"  <!DOCTYPE html><html>Service Unavailable</html>"[..],
            "HTML",
        ),
        (&b"{\"error\":\"bad key\"}"[..], "JSON"),
    ] {
        let out = decode(&mut f, bytes);
        assert!(out.events.is_empty());
        assert_eq!(out.rejected.count(RejectReason::MalformedProtobuf), 1);
        let example = out
            .rejected
            .example(RejectReason::MalformedProtobuf)
            .unwrap_or_default();
        assert!(example.contains(words), "{example}");
    }
}

#[test]
fn a_position_out_of_range_is_refused_and_its_neighbours_kept() {
    let bytes = message(
        FULL_DATASET,
        vec![
            vehicle("e1", "bus-1", 95.0, 1_791_785_000),
            vehicle("e2", "bus-2", -16.8, 1_791_785_000),
        ],
    );
    let mut f = GtfsRt::new(DecodeLimits::default());
    let out = decode(&mut f, &bytes);
    assert_eq!(snapshot(&out).len(), 1);
    assert_eq!(out.rejected.count(RejectReason::BadCoordinates), 1);
}
