use std::time::Duration;

use super::*;
use crate::protocol::{BBox, Position};

const T0: i64 = 1_700_000_000_000;

fn fix(id: &str, lat: f64, lon: f64, ts: i64) -> Position {
    Position::new(id, lat, lon, ts)
}

fn batch(positions: &[Position]) -> FixBatch {
    FixBatch::from_positions(positions)
}

const F: FeedId = FeedId(0);

fn positions(fleet: &mut Fleet, list: &[Position], now: i64) -> Changes {
    fleet.apply_batch(F, &batch(list), now)
}

#[test]
fn a_snapshot_then_updates_give_each_vehicle_its_newest_fix() {
    let mut fleet = Fleet::default();
    fleet.apply_snapshot(
        F,
        &batch(&[fix("a", 1.0, 1.0, T0), fix("b", 2.0, 2.0, T0)]),
        T0,
    );
    positions(&mut fleet, &[fix("a", 1.1, 1.0, T0 + 1000)], T0 + 1000);
    assert_eq!(fleet.len(), 2);
    let a = fleet.get(F, "a").expect("a");
    assert_eq!((a.fix.lat, a.fix.ts), (1.1, T0 + 1000));
    assert_eq!(a.prev.map(|p| p.lat), Some(1.0));
    assert_eq!(fleet.get(F, "b").map(|b| b.fix.lat), Some(2.0));
    assert_eq!(fleet.counters().applied, 3);
}

#[test]
fn a_fix_older_than_the_last_is_ignored() {
    let mut fleet = Fleet::default();
    positions(&mut fleet, &[fix("a", 1.0, 1.0, T0 + 5000)], T0 + 5000);
    let changes = positions(&mut fleet, &[fix("a", 9.0, 9.0, T0)], T0 + 6000);
    let a = fleet.get(F, "a").expect("a");
    assert_eq!((a.fix.lat, a.fix.ts), (1.0, T0 + 5000));
    assert_eq!(a.trail().len(), 0);
    assert_eq!(changes.rejected.count(RejectReason::OutOfOrder), 1);
}

#[test]
fn a_fix_repeating_the_held_time_is_a_duplicate_not_an_error() {
    let mut fleet = Fleet::default();
    positions(&mut fleet, &[fix("a", 1.0, 1.0, T0)], T0);
    let mut again = fix("a", 1.0, 1.0, T0);
    again.status = Some("offline".into());
    let changes = positions(&mut fleet, &[again], T0);
    assert_eq!(fleet.counters().duplicates, 1);
    assert_eq!(changes.duplicates, 1);
    assert!(changes.rejected.is_empty());
    assert_eq!(
        fleet.get(F, "a").and_then(|a| a.status()),
        Some("offline"),
        "a repeated fix still brings its descriptive fields"
    );
}

#[test]
fn a_fix_far_in_the_future_is_refused() {
    let mut fleet = Fleet::default();
    let week = 7 * 24 * 3600 * 1000;
    let changes = positions(&mut fleet, &[fix("a", 1.0, 1.0, T0 + week)], T0);
    assert!(fleet.is_empty());
    assert_eq!(changes.rejected.count(RejectReason::FutureTimestamp), 1);
    // A little drift is tolerated.
    positions(&mut fleet, &[fix("a", 1.0, 1.0, T0 + 10_000)], T0);
    assert_eq!(fleet.len(), 1);
}

#[test]
fn a_snapshot_replaces_the_set_without_moving_anything_back_in_time() {
    let mut fleet = Fleet::default();
    positions(
        &mut fleet,
        &[fix("a", 1.0, 1.0, T0 + 2000), fix("gone", 0.0, 0.0, T0)],
        T0 + 2000,
    );
    let changes = fleet.apply_snapshot(
        F,
        &batch(&[fix("a", 5.0, 5.0, T0), fix("new", 3.0, 3.0, T0)]),
        T0 + 3000,
    );
    assert_eq!(changes.removed, [VehicleId::new(F, "gone")]);
    let mut ids: Vec<_> = fleet.iter().map(|(_, v)| v.id().to_owned()).collect();
    ids.sort();
    assert_eq!(ids, vec!["a", "new"]);
    assert_eq!(fleet.get(F, "a").map(|a| a.fix.lat), Some(1.0));
    assert_eq!(fleet.counters().removed, 1);
}

#[test]
fn removing_a_vehicle_frees_its_id_and_slot() {
    let mut fleet = Fleet::default();
    positions(
        &mut fleet,
        &[fix("a", 1.0, 1.0, T0), fix("b", 1.0, 1.0, T0)],
        T0,
    );
    let key_a = fleet.key_of(F, "a").expect("a");
    let changes = fleet.remove_ids(F, &["a", "unknown"]);
    assert_eq!(changes.removed, [VehicleId::new(F, "a")]);
    assert!(fleet.get(F, "a").is_none());
    assert_eq!(fleet.len(), 1);
    assert_eq!(fleet.counters().removed, 1);
    positions(&mut fleet, &[fix("c", 1.0, 1.0, T0)], T0);
    assert_eq!(fleet.key_of(F, "c"), Some(key_a));
}

#[test]
fn over_the_cap_the_stalest_vehicle_is_evicted_and_counted() {
    let mut fleet = Fleet::new(FleetConfig {
        max_vehicles: 3,
        ..FleetConfig::default()
    });
    positions(
        &mut fleet,
        &[
            fix("mid", 0.0, 0.0, T0 + 10),
            fix("oldest", 0.0, 0.0, T0),
            fix("new", 0.0, 0.0, T0 + 20),
        ],
        T0 + 100,
    );
    let changes = positions(&mut fleet, &[fix("fourth", 0.0, 0.0, T0 + 30)], T0 + 100);
    assert_eq!(fleet.len(), 3);
    assert!(fleet.get(F, "oldest").is_none());
    assert!(fleet.get(F, "fourth").is_some());
    assert_eq!(fleet.counters().evicted, 1);
    assert_eq!((changes.evicted, changes.removed.len()), (1, 1));
    assert_eq!(changes.rejected.count(RejectReason::OverCapacity), 1);
    // A newcomer staler than everything held is the one refused.
    let changes = positions(&mut fleet, &[fix("ancient", 0.0, 0.0, T0 - 1000)], T0 + 100);
    assert!(fleet.get(F, "ancient").is_none());
    assert_eq!(fleet.len(), 3);
    assert_eq!(changes.rejected.count(RejectReason::OverCapacity), 1);
}

#[test]
fn eviction_skips_candidates_that_moved_since_they_were_picked() {
    let mut fleet = Fleet::new(FleetConfig {
        max_vehicles: 20,
        ..FleetConfig::default()
    });
    let first: Vec<_> = (0..20)
        .map(|i| fix(&format!("v{i}"), 0.0, 0.0, T0 + i))
        .collect();
    positions(&mut fleet, &first, T0 + 100);
    positions(&mut fleet, &[fix("x0", 0.0, 0.0, T0 + 50)], T0 + 100);
    assert!(fleet.get(F, "v0").is_none());
    // v1 is the next stalest in the queue; it moves, so v2 goes instead.
    positions(&mut fleet, &[fix("v1", 0.0, 0.0, T0 + 60)], T0 + 100);
    positions(&mut fleet, &[fix("x1", 0.0, 0.0, T0 + 61)], T0 + 100);
    assert!(fleet.get(F, "v1").is_some());
    assert!(fleet.get(F, "v2").is_none());
    assert_eq!(fleet.len(), 20);
}

#[test]
fn a_flood_of_new_ids_keeps_the_fleet_at_its_cap() {
    let mut fleet = Fleet::new(FleetConfig {
        max_vehicles: 1000,
        ..FleetConfig::default()
    });
    for round in 0..50 {
        let list: Vec<_> = (0..1000)
            .map(|i| fix(&format!("r{round}-{i}"), 0.0, 0.0, T0 + round))
            .collect();
        positions(&mut fleet, &list, T0 + 100);
    }
    assert_eq!(fleet.len(), 1000);
    assert!(fleet.iter().all(|(_, v)| v.id().starts_with("r49-")));
    assert_eq!(fleet.counters().evicted, 49_000);
}

#[test]
fn staleness_follows_the_configured_thresholds() {
    let mut fleet = Fleet::new(FleetConfig {
        stale_after: Duration::from_secs(10),
        lost_after: Duration::from_secs(60),
        ..FleetConfig::default()
    });
    positions(
        &mut fleet,
        &[
            fix("live", 0.0, 0.0, T0 - 9_999),
            fix("stale", 0.0, 0.0, T0 - 10_000),
            fix("lost", 0.0, 0.0, T0 - 60_000),
            fix("ahead", 0.0, 0.0, T0 + 5_000),
        ],
        T0,
    );
    let class = |id: &str| fleet.staleness(fleet.get(F, id).expect(id), T0);
    assert_eq!(class("live"), Staleness::Live);
    assert_eq!(class("stale"), Staleness::Stale);
    assert_eq!(class("lost"), Staleness::Lost);
    assert_eq!(class("ahead"), Staleness::Live);
    assert_eq!(
        fleet.counts(T0),
        Counts {
            total: 4,
            live: 2,
            moving: 0,
            stale: 1,
            lost: 1
        }
    );
}

#[test]
fn a_vehicle_reads_as_moving_stopped_stale_or_lost() {
    let mut fleet = Fleet::new(FleetConfig {
        stale_after: Duration::from_secs(5),
        lost_after: Duration::from_secs(30),
        ..FleetConfig::default()
    });
    let mut moving = fix("moving", 0.0, 0.0, T0);
    moving.speed = Some(12.0);
    let mut parked = fix("parked", 0.0, 0.0, T0);
    parked.speed = Some(0.0);
    positions(
        &mut fleet,
        &[
            moving,
            parked,
            fix("quiet", 0.0, 0.0, T0 - 10_000),
            fix("gone", 0.0, 0.0, T0 - 60_000),
        ],
        T0,
    );
    let condition = |id: &str| fleet.condition(fleet.get(F, id).expect(id), T0);
    assert_eq!(condition("moving"), Condition::Moving);
    assert_eq!(condition("parked"), Condition::Stopped);
    assert_eq!(condition("quiet"), Condition::Stale);
    assert_eq!(condition("gone"), Condition::Lost);
    let counts = fleet.counts(T0);
    let by_condition: Vec<usize> = Condition::ALL.iter().map(|c| counts.of(*c)).collect();
    assert_eq!(by_condition, vec![1, 1, 1, 1]);
    // With no input at all, time alone turns the moving one stale.
    assert_eq!(
        fleet.condition(fleet.get(F, "moving").expect("moving"), T0 + 6_000),
        Condition::Stale
    );
}

#[test]
fn the_trail_keeps_only_the_configured_number_of_points() {
    let mut fleet = Fleet::new(FleetConfig {
        trail_len: 3,
        ..FleetConfig::default()
    });
    for i in 0..10 {
        positions(&mut fleet, &[fix("a", i as f64, 0.0, T0 + i)], T0 + 10);
    }
    let a = fleet.get(F, "a").expect("a");
    let lats: Vec<f32> = a.trail().map(|p| p.lat).collect();
    assert_eq!(lats, vec![6.0, 7.0, 8.0]);
    assert_eq!(a.fix.lat, 9.0);
}

#[test]
fn a_heading_is_derived_from_the_move_when_none_is_sent_and_kept_when_stopped() {
    let mut fleet = Fleet::default();
    positions(&mut fleet, &[fix("a", 0.0, 0.0, T0)], T0);
    assert_eq!(fleet.get(F, "a").and_then(|a| a.heading), None);
    positions(&mut fleet, &[fix("a", 0.0, 0.001, T0 + 1000)], T0 + 1000);
    let h = fleet.get(F, "a").and_then(|a| a.heading).expect("derived");
    assert!((h - 90.0).abs() < 0.01, "{h}");
    // Standing still (a metre of GPS noise) keeps the heading.
    positions(
        &mut fleet,
        &[fix("a", 0.000_005, 0.001, T0 + 2000)],
        T0 + 2000,
    );
    let h = fleet.get(F, "a").and_then(|a| a.heading).expect("kept");
    assert!((h - 90.0).abs() < 0.01, "{h}");
    // A reported heading wins.
    let mut p = fix("a", 0.001, 0.001, T0 + 3000);
    p.heading = Some(10.0);
    positions(&mut fleet, &[p], T0 + 3000);
    assert_eq!(fleet.get(F, "a").and_then(|a| a.heading), Some(10.0));
}

#[test]
fn descriptive_fields_persist_when_an_update_leaves_them_out() {
    let mut fleet = Fleet::default();
    let mut p = fix("a", 0.0, 0.0, T0);
    p.label = Some("Bus 7".into());
    p.kind = Some("bus".into());
    p.route = Some("110".into());
    positions(&mut fleet, &[p], T0);
    let mut q = fix("a", 0.0, 0.0, T0 + 1);
    q.status = Some("depot".into());
    positions(&mut fleet, &[q], T0 + 1);
    let a = fleet.get(F, "a").expect("a");
    assert_eq!(a.label(), Some("Bus 7"));
    assert_eq!(a.kind(), Some("bus"));
    assert_eq!(a.route(), Some("110"));
    assert_eq!(a.status(), Some("depot"));
    assert_eq!(a.display_name(), "Bus 7");
}

#[test]
fn search_matches_id_label_kind_and_route_ignoring_case() {
    let mut fleet = Fleet::default();
    let mut bus = fix("veh-1", 0.0, 0.0, T0);
    bus.label = Some("Airport Shuttle".into());
    bus.kind = Some("bus".into());
    bus.route = Some("R110".into());
    let mut truck = fix("veh-2", 0.0, 0.0, T0);
    truck.kind = Some("Truck".into());
    let mut cafe = fix("Café-3", 0.0, 0.0, T0);
    cafe.kind = Some("van".into());
    positions(&mut fleet, &[bus, truck, cafe], T0);
    let found = |q: &str| {
        let mut ids: Vec<String> = fleet
            .search(q, &[])
            .map(|(_, v)| v.id().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(found("AIRPORT"), vec!["veh-1"]);
    assert_eq!(found("truck"), vec!["veh-2"]);
    assert_eq!(found("r110"), vec!["veh-1"]);
    assert_eq!(found("veh"), vec!["veh-1", "veh-2"]);
    assert_eq!(found("CAFÉ"), vec!["Café-3"]);
    assert_eq!(found("  "), vec!["Café-3", "veh-1", "veh-2"]);
    assert!(found("zzz").is_empty());
}

#[test]
fn a_bbox_query_returns_only_vehicles_inside_it() {
    let mut fleet = Fleet::default();
    positions(
        &mut fleet,
        &[
            fix("cairns", -16.92, 145.77, T0),
            fix("sydney", -33.87, 151.21, T0),
            fix("fiji", -17.7, 178.0, T0),
            fix("samoa", -13.8, -172.0, T0),
        ],
        T0,
    );
    let inside = |b: BBox| {
        let mut ids: Vec<String> = fleet.in_bbox(b).map(|(_, v)| v.id().to_owned()).collect();
        ids.sort();
        ids
    };
    assert_eq!(
        inside(BBox::from([145.0, -17.5, 146.5, -16.0])),
        vec!["cairns"]
    );
    assert_eq!(
        inside(BBox::from([170.0, -20.0, -170.0, -10.0])),
        vec!["fiji", "samoa"]
    );
}

#[test]
fn updating_a_known_vehicle_does_not_grow_the_model() {
    let mut fleet = Fleet::new(FleetConfig {
        trail_len: 4,
        ..FleetConfig::default()
    });
    let mut p = fix("a", 0.0, 0.0, T0);
    p.label = Some("Bus".into());
    positions(&mut fleet, &[p.clone()], T0);
    for i in 1..5 {
        p.ts = T0 + i;
        positions(&mut fleet, &[p.clone()], T0 + 10);
    }
    let before = fleet.heap_bytes();
    for i in 5..1000 {
        p.ts = T0 + i;
        p.lat = i as f64 * 1e-5;
        positions(&mut fleet, &[p.clone()], T0 + 2000);
    }
    assert_eq!(fleet.heap_bytes(), before);
}

#[test]
fn counts_by_feed_in_one_pass_match_each_feeds_own_counts() {
    let mut fleet = Fleet::default();
    let (a, b) = (FeedId(1), FeedId(2));
    // Interleaved feeds, some vehicles stale.
    for i in 0..30 {
        let feed = if i % 3 == 0 { b } else { a };
        let ts = if i % 4 == 0 { T0 - 60_000 } else { T0 };
        let _ = fleet.apply_batch(feed, &batch(&[fix(&format!("v{i}"), 1.0, 1.0, ts)]), T0);
    }
    let counts = fleet.counts_by_feed(T0);
    assert_eq!(counts.total, fleet.counts(T0));
    assert_eq!(counts.of(a), fleet.counts_of(a, T0));
    assert_eq!(counts.of(b), fleet.counts_of(b, T0));
    assert_eq!(counts.of(b).total, 10);
    assert!(counts.of(a).stale > 0);
    assert_eq!(counts.of(FeedId(9)), Counts::default());
}

#[test]
fn the_next_change_of_class_is_when_the_freshest_live_vehicle_goes_stale_or_a_stale_one_lost() {
    let mut fleet = Fleet::new(FleetConfig {
        stale_after: Duration::from_secs(30),
        lost_after: Duration::from_secs(300),
        ..FleetConfig::default()
    });
    assert_eq!(
        fleet.counts_by_feed(T0).next_change_ms,
        None,
        "nothing held"
    );
    positions(&mut fleet, &[fix("live", 1.0, 1.0, T0 - 10_000)], T0);
    positions(&mut fleet, &[fix("stale", 1.0, 1.0, T0 - 295_000)], T0);
    positions(&mut fleet, &[fix("lost", 1.0, 1.0, T0 - 900_000)], T0);
    assert_eq!(
        fleet.counts_by_feed(T0).next_change_ms,
        Some(5_000),
        "stale goes lost in 5 s"
    );
    assert_eq!(
        fleet.counts_by_feed(T0 + 6_000).next_change_ms,
        Some(14_000),
        "live goes stale"
    );
    assert_eq!(
        fleet.counts_by_feed(T0 + 400_000).next_change_ms,
        None,
        "all lost: idle"
    );
}

#[test]
fn two_fleets_never_share_a_membership_value() {
    // A replay's seek replaces the fleet: a list cached for the old one must see a change.
    let mut old = Fleet::default();
    positions(&mut old, &[fix("a", 1.0, 1.0, T0)], T0);
    let mut new = Fleet::default();
    positions(&mut new, &[fix("b", 1.0, 1.0, T0)], T0);
    assert_ne!(old.membership(), new.membership());
    let before = new.membership();
    positions(&mut new, &[fix("c", 1.0, 1.0, T0)], T0);
    assert_ne!(new.membership(), before, "an added vehicle changes it");
}

#[test]
fn the_drawn_velocity_is_how_fast_the_drawn_position_moves_and_none_when_it_stands() {
    let mut fleet = Fleet::new(FleetConfig::default());
    let mut a = fix("bus", -16.9, 145.7, T0);
    a.speed = Some(10.0);
    a.heading = Some(90.0);
    positions(&mut fleet, &[a], T0);
    let mut b = fix("bus", -16.9, 145.701, T0 + 2_000);
    b.speed = Some(10.0);
    b.heading = Some(90.0);
    positions(&mut fleet, &[b], T0 + 2_000);
    let v = fleet.get(F, "bus").expect("bus");
    // Gliding, then dead reckoning past the glide: the velocity is the position's derivative.
    for now in [T0 + 2_500, T0 + 3_500, T0 + 4_300] {
        let (vlat, vlon) = v.drawn_velocity(now).expect("moving");
        let (lat0, lon0) = v.display_position(now);
        let (lat1, lon1) = v.display_position(now + 10);
        let (dlat, dlon) = ((lat1 - lat0) * 100.0, (lon1 - lon0) * 100.0);
        assert!(
            (vlat - dlat).abs() < 1e-9 && (vlon - dlon).abs() < 1e-7,
            "{now}"
        );
        assert!(vlon > 0.0, "east");
    }
    // Past the dead reckoning's cap it stands still, and says so.
    assert_eq!(v.drawn_velocity(T0 + 60_000), None);
    let mut parked = fix("parked", -16.9, 145.7, T0);
    parked.speed = Some(0.0);
    positions(&mut fleet, &[parked], T0);
    let p = fleet.get(F, "parked").expect("parked");
    assert_eq!(p.drawn_velocity(T0 + 100), None);
}
