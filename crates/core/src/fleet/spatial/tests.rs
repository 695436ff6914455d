use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::fleet::{FeedId, Fleet, FleetConfig};
use crate::protocol::{FixBatch, Position};

const T0: i64 = 1_764_000_000_000;

fn fix(id: &str, lat: f64, lon: f64, ts: i64, speed: f32) -> Position {
    let mut p = Position::new(id, lat, lon, ts);
    p.speed = Some(speed);
    p
}

fn apply(fleet: &mut Fleet, fixes: &[Position], now: i64) {
    let _ = fleet.apply_batch(FeedId(0), &FixBatch::from_positions(fixes), now);
}

/// The index a fleet would have if it were built afresh from what the fleet holds now.
fn rebuilt(fleet: &Fleet, now: i64) -> Spatial {
    let mut fresh = Spatial::default();
    for (key, v) in fleet.iter() {
        fresh.insert(
            key,
            World::of(v.fix.lat, v.fix.lon),
            fleet.condition(v, now),
        );
    }
    fresh
}

/// Every level's cells, and each finest cell's vehicles as a set.
type Contents = (Vec<BTreeMap<u32, Cell>>, BTreeMap<u32, BTreeSet<u32>>);

fn contents(s: &Spatial) -> Contents {
    let levels = (COARSEST..=FINEST)
        .map(|l| s.cells(l).iter().map(|(k, c)| (*k, *c)).collect())
        .collect();
    let mut lists = BTreeMap::new();
    for &code in s.heads.keys() {
        let mut set = BTreeSet::new();
        s.walk(code, &mut |k: VehicleKey| {
            assert!(set.insert(k.0), "vehicle {} twice in cell {code}", k.0);
        });
        lists.insert(code, set);
    }
    (levels, lists)
}

fn assert_in_step(fleet: &Fleet, now: i64) {
    let (kept, fresh) = (contents(fleet.spatial()), contents(&rebuilt(fleet, now)));
    for (i, (a, b)) in kept.0.iter().zip(&fresh.0).enumerate() {
        let differs = a.iter().find(|(k, c)| b.get(k) != Some(c));
        assert_eq!(a.len(), b.len(), "cells at level {}", COARSEST as usize + i);
        assert!(
            differs.is_none(),
            "level {}: kept {differs:?}, fresh has {:?}",
            COARSEST as usize + i,
            differs.and_then(|(k, _)| b.get(k))
        );
    }
    assert_eq!(kept.1, fresh.1, "the finest cells' lists");
}

#[test]
fn a_vehicle_is_counted_once_at_every_level_under_its_condition() {
    let mut fleet = Fleet::default();
    apply(&mut fleet, &[fix("bus-1", -16.92, 145.77, T0, 10.0)], T0);
    let key = fleet.key_of(FeedId(0), "bus-1").expect("held");
    for level in COARSEST..=FINEST {
        let cells = fleet.spatial().cells(level);
        assert_eq!(cells.len(), 1, "level {level}");
        let cell = cells.values().next().expect("a cell");
        assert_eq!(cell.by_condition, [1, 0, 0, 0], "moving, at level {level}");
        assert_eq!(cell.lone(), Some(key));
        // Counted at the centre of its finest cell.
        let at = centre_of(World::of(-16.92, 145.77).cell(FINEST));
        assert_eq!(cell.centre(), Some(at));
        assert_eq!(fleet.spatial().counted_at(key), Some(at));
    }
}

#[test]
fn a_move_takes_a_vehicle_from_its_old_cells_to_its_new_ones() {
    let mut fleet = Fleet::default();
    apply(&mut fleet, &[fix("bus-1", -16.92, 145.77, T0, 10.0)], T0);
    // A few metres: the same finest cell, counted where it was, but stopped now.
    let before = contents(fleet.spatial());
    let near = |lat: f64, ts: i64, speed: f32| [fix("bus-1", lat, 145.77001, T0 + ts, speed)];
    apply(&mut fleet, &near(-16.92001, 1000, 10.0), T0 + 1000);
    assert_eq!(
        contents(fleet.spatial()),
        before,
        "nothing changed for a move in its cell"
    );
    apply(&mut fleet, &near(-16.92002, 2000, 0.0), T0 + 2000);
    let fine = fleet.spatial().cells(FINEST);
    assert_eq!(fine.len(), 1);
    let cell = fine.values().next().expect("a cell");
    assert_eq!(cell.by_condition, [0, 1, 0, 0], "stopped now");
    // To Sydney: every level below the coarsest few changes cell.
    apply(
        &mut fleet,
        &[fix("bus-1", -33.87, 151.21, T0 + 3000, 5.0)],
        T0 + 3000,
    );
    let sydney = World::of(-33.87, 151.21);
    for level in COARSEST..=FINEST {
        let cells = fleet.spatial().cells(level);
        assert_eq!(cells.len(), 1, "one cell at level {level}");
        assert!(cells.contains_key(&sydney.cell(level)), "level {level}");
    }
    assert_in_step(&fleet, T0 + 3000);
}

#[test]
fn removing_the_last_vehicle_of_a_cell_empties_it_at_every_level() {
    let mut fleet = Fleet::default();
    apply(
        &mut fleet,
        &[
            fix("a", -16.92, 145.77, T0, 1.0),
            fix("b", -16.92, 145.77, T0, 1.0),
        ],
        T0,
    );
    let _ = fleet.remove_ids(FeedId(0), &["a"]);
    assert_in_step(&fleet, T0);
    let _ = fleet.remove_ids(FeedId(0), &["b"]);
    for level in COARSEST..=FINEST {
        assert!(fleet.spatial().cells(level).is_empty(), "level {level}");
    }
    assert!(fleet.spatial().heads.is_empty());
}

#[test]
fn vehicles_go_stale_then_lost_in_the_counts_as_time_alone_passes() {
    let config = FleetConfig::default();
    let mut fleet = Fleet::new(config.clone());
    apply(&mut fleet, &[fix("bus-1", -16.92, 145.77, T0, 10.0)], T0);
    let counts = |fleet: &Fleet| {
        let cells = fleet.spatial().cells(FINEST);
        cells.values().next().expect("a cell").by_condition
    };
    let stale = T0 + config.stale_after.as_millis() as i64;
    let lost = T0 + config.lost_after.as_millis() as i64;
    assert_eq!(fleet.settle(stale - 1), 0, "nothing due yet");
    assert_eq!(counts(&fleet), [1, 0, 0, 0]);
    fleet.settle(stale + 1000);
    assert_eq!(counts(&fleet), [0, 0, 1, 0], "stale within a second");
    fleet.settle(lost + 1000);
    assert_eq!(counts(&fleet), [0, 0, 0, 1], "lost within a second");
    assert_eq!(fleet.settle(lost + 100_000), 0, "nothing more is due");
    // A new fix brings it back.
    let now = lost + 200_000;
    apply(&mut fleet, &[fix("bus-1", -16.92, 145.77, now, 10.0)], now);
    assert_eq!(counts(&fleet), [1, 0, 0, 0]);
    assert_in_step(&fleet, now);
}

#[test]
fn the_vehicles_of_an_area_are_those_whose_fixes_lie_in_its_cells() {
    let mut fleet = Fleet::default();
    let mut rng = fastrand::Rng::with_seed(7);
    let fixes: Vec<Position> = (0..3_000)
        .map(|i| {
            let (lat, lon) = (-17.0 + rng.f64() * 0.5, 145.5 + rng.f64() * 0.5);
            fix(&format!("v{i}"), lat, lon, T0, 1.0)
        })
        .collect();
    apply(&mut fleet, &fixes, T0);
    let area = WorldRect::between(World::of(-16.8, 145.6), World::of(-16.9, 145.75));
    let mut found = BTreeSet::new();
    fleet.spatial().vehicles_in(area, |k| {
        found.insert(k);
    });
    let fine_of = |w: World| WorldRect::of_cell(FINEST, w.x >> 16, w.y >> 16);
    for (key, v) in fleet.iter() {
        let at = World::of(v.fix.lat, v.fix.lon);
        if area.contains(at) {
            assert!(found.contains(&key), "{} is in the area", v.id());
        }
        if found.contains(&key) {
            let cell = fine_of(at);
            assert!(
                cell.max.x >= area.min.x && cell.min.x <= area.max.x,
                "{} is in a cell the area touches",
                v.id()
            );
        }
    }
    assert!(found.len() > 100 && found.len() < 1_000, "{}", found.len());
    // Counting by cells agrees with the vehicles found, at the finest level.
    assert_eq!(fleet.spatial().count_in(FINEST, area), found.len() as u64);
}

#[test]
fn the_vehicles_of_a_coarse_cell_are_every_vehicle_counted_in_it() {
    let mut fleet = Fleet::default();
    let mut rng = fastrand::Rng::with_seed(3);
    let fixes: Vec<Position> = (0..500)
        .map(|i| {
            fix(
                &format!("v{i}"),
                -16.9 + rng.f64() * 0.2,
                145.7 + rng.f64() * 0.2,
                T0,
                1.0,
            )
        })
        .collect();
    apply(&mut fleet, &fixes, T0);
    for level in [8, 11, 13] {
        for (&code, cell) in fleet.spatial().cells(level) {
            let mut n = 0;
            fleet.spatial().vehicles_of(level, code, |k| {
                let v = fleet.vehicle(k).expect("held");
                assert_eq!(World::of(v.fix.lat, v.fix.lon).cell(level), code);
                n += 1;
            });
            assert_eq!(n, cell.count(), "level {level} cell {code}");
        }
    }
}

#[test]
fn after_any_mix_of_fixes_snapshots_removals_and_evictions_the_index_matches_a_fresh_one() {
    for seed in 0..20 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let config = FleetConfig {
            max_vehicles: 40,
            ..FleetConfig::default()
        };
        let mut fleet = Fleet::new(config);
        let mut now = T0;
        for _ in 0..60 {
            now += rng.i64(0..40) * 1000;
            let n = rng.usize(1..30);
            let batch: Vec<Position> = (0..n)
                .map(|_| {
                    let id = format!("v{}", rng.usize(0..60));
                    let lat = -16.9 + rng.f64() * if rng.bool() { 0.001 } else { 2.0 };
                    let ts = now - rng.i64(0..400) * 1000;
                    fix(&id, lat, 145.7 + rng.f64() * 0.01, ts, rng.f32() * 3.0)
                })
                .collect();
            let feed = FeedId(rng.u32(0..2));
            let b = FixBatch::from_positions(&batch);
            match rng.u8(0..10) {
                0 => drop(fleet.apply_snapshot(feed, &b, now)),
                1 => drop(fleet.remove_ids(feed, &[format!("v{}", rng.usize(0..60))])),
                2 => drop(fleet.remove_feed(feed)),
                _ => drop(fleet.apply_batch(feed, &b, now)),
            }
            // Counts are kept to the second: with fixes stamped on whole seconds, exactly.
            fleet.settle(now);
            assert_in_step(&fleet, now);
            let (kept, exact) = (fleet.counts_kept(now), fleet.counts_by_feed(now));
            assert_eq!((kept.total, kept.by_feed), (exact.total, exact.by_feed));
        }
    }
}

#[test]
fn a_level_s_cells_are_never_wider_than_asked() {
    let world_px = |zoom: f64| 256.0 * 2f64.powf(zoom);
    for zoom in [0.0, 3.5, 8.0, 11.3, 12.0] {
        let level = level_for(world_px(zoom), 18.0).expect("kept");
        let px = world_px(zoom) / 2f64.powi(level as i32);
        assert!(px <= 18.0, "zoom {zoom}: level {level} is {px} px");
        assert!(
            level == COARSEST || px > 9.0,
            "and not needlessly fine: {px}"
        );
    }
    assert_eq!(
        level_for(world_px(14.0), 18.0),
        None,
        "finer than the finest kept"
    );
}
