use super::*;

fn at(i: u32, x: f32, y: f32) -> InView {
    InView {
        key: VehicleKey(i),
        pos: Pos2::new(x, y),
        condition: Condition::Moving,
        cell: None,
    }
}

fn area() -> Rect {
    Rect::from_min_size(Pos2::ZERO, Vec2::new(800.0, 600.0))
}

#[test]
fn markers_far_apart_stay_single_and_near_ones_merge_with_a_count() {
    let mut c = Clusters::default();
    let mut points = vec![at(0, 100.0, 100.0), at(1, 300.0, 300.0)];
    points.push(at(2, 104.0, 102.0));
    points.push(InView {
        condition: Condition::Lost,
        ..at(3, 98.0, 105.0)
    });
    c.build(&points, area(), 18.0);
    let mut counts: Vec<u32> = c.clusters.iter().map(|c| c.count).collect();
    counts.sort();
    assert_eq!(counts, vec![1, 3]);
    let big = c
        .clusters
        .iter()
        .position(|c| c.count == 3)
        .expect("cluster");
    assert_eq!(c.clusters[big].by_condition, [2, 0, 0, 1]);
    let members: Vec<usize> = c.members(big).collect();
    assert_eq!(members, vec![0, 2, 3]);
}

#[test]
fn no_two_things_drawn_overlap_however_dense_the_fleet() {
    let mut rng = fastrand::Rng::with_seed(7);
    let points: Vec<InView> = (0..20_000)
        .map(|i| at(i, rng.f32() * 800.0, rng.f32() * 600.0))
        .collect();
    let mut c = Clusters::default();
    c.build(&points, area(), 18.0);
    let total: u32 = c.clusters.iter().map(|c| c.count).sum();
    assert_eq!(total, 20_000, "every vehicle is in exactly one cluster");
    for (i, a) in c.clusters.iter().enumerate() {
        for b in &c.clusters[i + 1..] {
            let d = a.centre.distance(b.centre);
            let touch = (a.radius() + b.radius()).max(18.0);
            assert!(
                d >= touch - 1e-3,
                "{} and {} drawn {d} px apart",
                a.count,
                b.count
            );
        }
    }
    for (i, m) in c.member_of.iter().enumerate() {
        let cluster = &c.clusters[*m as usize];
        assert!(cluster.count > 1 || cluster.first == i);
    }
    // A sparse fleet is not clustered at all.
    let sparse: Vec<InView> = (0..50)
        .map(|i| {
            at(
                i,
                (i % 10) as f32 * 70.0 + 10.0,
                (i / 10) as f32 * 70.0 + 10.0,
            )
        })
        .collect();
    c.build(&sparse, area(), 18.0);
    assert!(c.clusters.iter().all(|c| c.count == 1));
    assert_eq!(c.clusters.len(), 50);
}

#[test]
fn clusters_whose_discs_would_overlap_merge() {
    // A lone marker 16 px from a cell of three: its disc would cover the marker.
    let points = vec![
        at(0, 100.0, 100.0),
        at(1, 108.0, 100.0),
        at(2, 116.0, 100.0),
        at(3, 124.0, 100.0),
    ];
    let mut c = Clusters::default();
    c.build(&points, area(), 18.0);
    assert_eq!(c.clusters.len(), 1);
    assert_eq!(c.clusters[0].count, 4);
    assert!(c.member_of.iter().all(|m| *m == 0));
}

#[test]
fn labels_never_overlap_and_the_forced_one_is_always_placed() {
    let mut placer = LabelPlacer::default();
    placer.reset(area());
    let size = Vec2::new(60.0, 14.0);
    let first = placer.place(Pos2::new(100.0, 100.0), size, 8.0, false);
    assert!(first.is_some());
    // The same spot again: the other sides are tried.
    let second = placer.place(Pos2::new(100.0, 100.0), size, 8.0, false);
    assert!(second.is_some());
    assert!(!first.expect("first").intersects(second.expect("second")));
    let mut placed = vec![first.expect("first"), second.expect("second")];
    for _ in 0..3 {
        if let Some(r) = placer.place(Pos2::new(100.0, 100.0), size, 8.0, false) {
            placed.push(r);
        }
    }
    assert_eq!(placed.len(), 4, "four sides, then no room");
    for (i, a) in placed.iter().enumerate() {
        for b in &placed[i + 1..] {
            assert!(!a.intersects(*b));
        }
    }
    assert!(
        placer
            .place(Pos2::new(100.0, 100.0), size, 8.0, true)
            .is_some()
    );
}

// Hysteresis: two vehicles at `gap` px apart, one frame at `now_s`; how many are drawn alone.
fn lone_at(c: &mut Clusters, gap: f32, now_s: f64) -> usize {
    let points = [at(0, 100.0, 100.0), at(1, 100.0 + gap, 100.0)];
    c.steady_at(Moment { now_s, zoom: 12.0 });
    c.build(&points, area(), 18.0);
    c.clusters.iter().filter(|c| c.count == 1).count()
}

#[test]
fn two_vehicles_passing_each_other_within_a_moment_never_merge() {
    let mut c = Clusters::default();
    assert_eq!(lone_at(&mut c, 60.0, 0.0), 2);
    // They pass: near for a second (frames every 0.1 s), then apart again.
    for i in 0..10 {
        assert_eq!(
            lone_at(&mut c, 6.0, 0.1 + f64::from(i) / 10.0),
            2,
            "frame {i}"
        );
    }
    assert_eq!(lone_at(&mut c, 60.0, 1.2), 2);
}

#[test]
fn two_vehicles_that_stay_together_merge_after_a_moment() {
    let mut c = Clusters::default();
    assert_eq!(lone_at(&mut c, 60.0, 0.0), 2);
    assert_eq!(lone_at(&mut c, 6.0, 0.1), 2);
    assert_eq!(lone_at(&mut c, 6.0, 0.1 + MERGE_AFTER_S - 0.05), 2);
    assert_eq!(lone_at(&mut c, 6.0, 0.1 + MERGE_AFTER_S), 0);
    assert!(!c.pending());
}

#[test]
fn a_cluster_splits_only_when_its_vehicles_are_clearly_apart() {
    let mut c = Clusters::default();
    // Together from the first frame: merged at once.
    assert_eq!(lone_at(&mut c, 6.0, 0.0), 0);
    // Jitter just past the cluster distance does not split them...
    for i in 0..10 {
        let gap = if i % 2 == 0 { 20.0 } else { 16.0 };
        assert_eq!(lone_at(&mut c, gap, f64::from(i) / 10.0), 0, "frame {i}");
    }
    // ...beyond 1.5 times it does, at once.
    let apart = 18.0 * steady::SPLIT_BEYOND + 1.0;
    assert_eq!(lone_at(&mut c, apart, 1.1), 2);
    // And back near, they wait again before merging.
    assert_eq!(lone_at(&mut c, 6.0, 1.2), 2);
}

#[test]
fn a_change_of_zoom_regroups_at_once() {
    let mut c = Clusters::default();
    assert_eq!(lone_at(&mut c, 60.0, 0.0), 2);
    let points = [at(0, 100.0, 100.0), at(1, 106.0, 100.0)];
    c.steady_at(Moment {
        now_s: 0.1,
        zoom: 11.0,
    });
    c.build(&points, area(), 18.0);
    assert_eq!(c.clusters.len(), 1, "zoomed out: one cluster straight away");
    assert_eq!(c.members(0).collect::<Vec<_>>(), vec![0, 1]);
}

#[test]
fn every_vehicle_is_in_exactly_one_cluster_while_some_wait_to_merge() {
    let mut c = Clusters::default();
    let mut rng = fastrand::Rng::with_seed(3);
    let mut points: Vec<InView> = (0..500)
        .map(|i| at(i, rng.f32() * 800.0, rng.f32() * 600.0))
        .collect();
    for frame in 0..5 {
        for p in &mut points {
            p.pos += Vec2::new(rng.f32() * 10.0 - 5.0, rng.f32() * 10.0 - 5.0);
        }
        c.steady_at(Moment {
            now_s: f64::from(frame) * 0.5,
            zoom: 12.0,
        });
        c.build(&points, area(), 18.0);
        let total: u32 = c.clusters.iter().map(|c| c.count).sum();
        assert_eq!(total, 500);
        assert_eq!(c.member_of.len(), 500);
        for (i, &m) in c.member_of.iter().enumerate() {
            assert!(c.members(m as usize).any(|j| j == i));
        }
        for (k, cl) in c.clusters.iter().enumerate() {
            assert_eq!(c.member_of[cl.first] as usize, k, "first is a member");
        }
    }
}

#[test]
fn a_view_of_thousands_clusters_at_once_without_hysteresis() {
    // Two vehicles coming together among more than the bound merge at once, as without memory
    // (a frame of 100,000 vehicles pays for one clustering pass, not three).
    let crowd = |gap: f32| {
        let mut points = vec![at(0, 100.0, 100.0), at(1, 100.0 + gap, 100.0)];
        for i in 0..STEADY_MAX_IN_VIEW as u32 {
            // Far from the pair, spread over the rest of the area.
            let (x, y) = (
                300.0 + (i % 100) as f32 * 5.0,
                50.0 + (i / 100) as f32 * 25.0,
            );
            points.push(at(2 + i, x, y));
        }
        points
    };
    let mut c = Clusters::default();
    for (gap, now_s) in [(60.0, 0.0), (6.0, 0.1)] {
        c.steady_at(Moment { now_s, zoom: 12.0 });
        c.build(&crowd(gap), area(), 18.0);
    }
    let pair = c.member_of[0];
    assert_eq!(c.member_of[1], pair, "merged at once");
    assert_eq!(c.clusters[pair as usize].count, 2);
    assert!(!c.pending());
    // Below the bound, the same pair coming together waits its moment.
    let mut c = Clusters::default();
    assert_eq!(lone_at(&mut c, 60.0, 0.0), 2);
    assert_eq!(lone_at(&mut c, 6.0, 0.1), 2);
}
