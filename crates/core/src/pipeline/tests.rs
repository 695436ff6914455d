use std::sync::Arc;

use super::*;
use crate::alerts::{Geofences, Rule, Rules};
use crate::clock::ManualClock;
use crate::events::VehicleNotice;
use crate::protocol::Position;
use crate::record::player::play_straight;

const T0: i64 = 1_700_000_000_000;
const FEED: FeedId = FeedId(3);

fn pipeline(rules: &str) -> (Pipeline, ManualClock) {
    let clock = ManualClock::at(T0);
    let rules = Rules::parse(rules, "rules.toml").expect("rules");
    let p = Pipeline::new(FleetConfig::default(), Arc::new(clock.clone()))
        .with_alerts(Engine::new(rules, Geofences::default()));
    (p, clock)
}

fn positions(ids: &[&str], ts: i64) -> FeedEvent {
    let ps: Vec<Position> = ids
        .iter()
        .map(|id| Position::new(*id, -16.9, 145.7, ts))
        .collect();
    FeedEvent::Positions(FixBatch::from_positions(&ps))
}

fn sos(id: &str, ts: i64) -> FeedEvent {
    FeedEvent::Notices(vec![VehicleNotice {
        id: id.into(),
        kind: "alarm".into(),
        ts,
        detail: Some("sos".into()),
    }])
}

#[test]
fn an_event_is_applied_at_the_pipelines_clock_and_the_engine_sees_what_it_changed() {
    let (mut p, clock) = pipeline("");
    p.add_feed(FEED, "depot");
    clock.set(T0 + 5_000);
    let changes = p.apply(FEED, &positions(&["van 7", "van 8"], T0));
    assert_eq!(changes.added.len(), 2);
    let status = p.session().feed(FEED).expect("the feed is named");
    assert_eq!(status.name, "depot");
    assert_eq!(
        status.last_data_ms,
        Some(T0 + 5_000),
        "the pipeline's clock, not the wall's"
    );
    p.apply(FEED, &sos("van 7", T0 + 4_000));
    let raised: Vec<Alert> = p.take_alerts().collect();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert_eq!(
        (raised[0].rule, raised[0].vehicle.as_str()),
        (Rule::Alarm, "van 7")
    );
    assert!(p.raised().is_empty(), "taken alerts are gone");
}

#[test]
fn the_clock_driven_rules_run_at_most_once_a_second_of_the_pipelines_clock() {
    let (mut p, clock) = pipeline("[lost]\nenabled = true\nminutes = 1\n");
    p.add_feed(FEED, "depot");
    p.apply(FEED, &positions(&["bus"], T0));
    assert!(p.tick(), "the first tick runs");
    assert!(p.raised().is_empty());
    clock.set(T0 + 60_000);
    assert!(p.tick());
    assert_eq!(p.raised().len(), 1, "lost after a minute without a fix");
    clock.set(T0 + 60_500);
    assert!(!p.tick(), "half a second later the rules do not run again");
}

#[test]
fn without_an_engine_events_still_reach_the_fleet_and_nothing_is_raised() {
    let clock = ManualClock::at(T0);
    let mut p = Pipeline::new(FleetConfig::default(), Arc::new(clock));
    p.add_feed(FEED, "depot");
    p.apply(FEED, &positions(&["van 7"], T0));
    p.apply(FEED, &sos("van 7", T0));
    assert!(!p.tick());
    assert_eq!(p.fleet().len(), 1);
    assert!(p.raised().is_empty());
}

#[test]
fn a_recording_started_mid_session_opens_with_the_fleet_as_it_was_and_goes_on_with_each_event() {
    let path = std::env::temp_dir().join(format!("fleetview-pipeline-{}.fvr", std::process::id()));
    let (mut p, clock) = pipeline("");
    p.add_feed(FEED, "depot");
    p.apply(
        FEED,
        &FeedEvent::Connected {
            url: "ws://depot/feed".into(),
        },
    );
    p.apply(FEED, &positions(&["van 7", "van 8"], T0));
    clock.set(T0 + 1_000);
    p.start_recording(&path, Backpressure::Wait)
        .expect("record");
    assert_eq!(
        p.recording().map(|(at, _)| at.to_path_buf()),
        Some(path.clone())
    );
    clock.set(T0 + 2_000);
    p.apply(FEED, &positions(&["van 9"], T0 + 2_000));
    clock.set(T0 + 3_000);
    let (at, status) = p.stop_recording().expect("it was recording");
    assert_eq!(at, path);
    assert_eq!(status.dropped, 0);
    assert!(status.failed.is_none(), "{status:?}");
    let replayed = play_straight(&path, T0 + 3_000, &FleetConfig::default()).expect("play");
    let mut ids: Vec<String> = replayed
        .fleet()
        .iter()
        .map(|(_, v)| v.id().to_owned())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["van 7", "van 8", "van 9"],
        "the snapshot, then the event"
    );
    assert!(p.recording().is_none());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_traccar_fix_reaches_the_model_with_speed_and_time_converted_once() {
    use crate::formats::traccar::Traccar;
    use crate::formats::{Decoded, Format};
    use crate::protocol::DecodeLimits;
    // Traccar sends knots and ISO 8601 text. Its format turns them into m/s as f32 and UTC ms
    // as i64, once; the batch, the session and the model carry those very values on.
    let mut traccar = Traccar::new(DecodeLimits::default());
    let mut out = Decoded::default();
    traccar.device_list(
        r#"[{"id":7,"uniqueId":"van-7","name":"Van 7"}]"#,
        T0,
        &mut out,
    );
    let frame = r#"{"positions":[{"deviceId":7,"fixTime":"2026-12-05T20:00:00.123+10:00",
        "latitude":-16.92031,"longitude":145.77099,"speed":19.4384,"course":92.5}]}"#;
    traccar.decode(frame, T0, &mut out);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    let (mut p, clock) = pipeline("");
    clock.set(1_796_464_801_000);
    p.add_feed(FEED, "traccar");
    for event in &out.events {
        p.apply(FEED, event);
    }
    let van = p.fleet().get(FEED, "van-7").expect("the van is on the map");
    // Traccar's own knots-to-m/s ratio, applied to the f64 it sent, rounded to f32 once.
    let speed: Option<f32> = van.fix.speed;
    let once = (19.4384_f64 * crate::formats::traccar::KNOT_MS) as f32;
    assert_eq!(speed, Some(once), "one rounding, at the format");
    let ts: i64 = van.fix.ts;
    assert_eq!(
        ts, 1_796_464_800_123,
        "2026-12-05T10:00:00.123Z, to the millisecond"
    );
    assert_eq!(van.fix.heading, Some(92.5));
    assert_eq!((van.fix.lat, van.fix.lon), (-16.92031, 145.77099));
}
