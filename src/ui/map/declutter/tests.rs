use super::*;

fn at(i: u32, x: f32, y: f32) -> InView {
    InView {
        key: VehicleKey(i),
        pos: Pos2::new(x, y),
        condition: Condition::Moving,
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
