use super::*;
use fleetview_core::protocol::{BBox, Position, Subscribe};

const T0: i64 = 1_764_000_000_000;

fn batch(list: &[(&str, f64, f64, i64)]) -> FixBatch {
    let ps: Vec<Position> = list
        .iter()
        .map(|(id, lat, lon, ts)| Position::new(*id, *lat, *lon, *ts))
        .collect();
    FixBatch::from_positions(&ps)
}

fn viewer(hub: &mut Hub, id: ViewerId, filter: Filter, queue: usize) -> mpsc::Receiver<Outgoing> {
    let (tx, rx) = mpsc::channel(queue);
    hub.join(id, filter, tx);
    rx
}

/// Every frame queued, bundles flattened.
fn frames(rx: &mut mpsc::Receiver<Outgoing>) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    while let Ok(bundle) = rx.try_recv() {
        for f in bundle.iter() {
            out.push(serde_json::from_str(f.as_str()).expect("JSON frame"));
        }
    }
    out
}

fn ids(frame: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = match frame["type"].as_str() {
        Some("remove") => frame["ids"]
            .as_array()
            .expect("ids")
            .iter()
            .map(|v| v.as_str().expect("id").to_owned())
            .collect(),
        _ => frame["positions"]
            .as_array()
            .expect("positions")
            .iter()
            .map(|p| p["id"].as_str().expect("id").to_owned())
            .collect(),
    };
    ids.sort();
    ids
}

fn bbox_filter(b: [f64; 4]) -> Filter {
    Filter::from_subscribe(&Subscribe {
        bbox: Some(BBox::from(b)),
        ..Subscribe::default()
    })
    .expect("valid")
}

#[test]
fn a_viewer_gets_a_snapshot_then_only_what_changed() {
    let mut hub = Hub::new(60_000);
    hub.report(&batch(&[("a", 1.0, 1.0, T0), ("b", 2.0, 2.0, T0)]), T0);
    hub.tick(T0);
    let mut rx = viewer(&mut hub, 1, Filter::all(), 8);
    let snap = frames(&mut rx);
    assert_eq!(snap.len(), 1);
    assert_eq!(snap[0]["type"], "snapshot");
    assert_eq!(ids(&snap[0]), vec!["a", "b"]);

    hub.report(&batch(&[("a", 1.5, 1.0, T0 + 1000)]), T0 + 1000);
    hub.report(&batch(&[("a", 1.6, 1.0, T0 + 1200)]), T0 + 1200);
    hub.tick(T0 + 1250);
    let f = frames(&mut rx);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["type"], "positions");
    assert_eq!(f[0]["positions"][0]["lat"], 1.6);
    assert_eq!(ids(&f[0]), vec!["a"]);
    hub.tick(T0 + 1500);
    assert!(frames(&mut rx).is_empty(), "nothing changed, nothing sent");
}

#[test]
fn viewers_with_the_same_filter_share_one_serialisation() {
    let mut hub = Hub::new(60_000);
    let mut rxs: Vec<_> = (0..10)
        .map(|i| viewer(&mut hub, i, Filter::all(), 8))
        .collect();
    let mut other = viewer(&mut hub, 99, bbox_filter([0.0, 0.0, 5.0, 5.0]), 8);
    assert_eq!(hub.stats().groups, 2);
    let before = hub.stats().frames_serialised;
    hub.report(&batch(&[("a", 1.0, 1.0, T0), ("far", 50.0, 50.0, T0)]), T0);
    hub.tick(T0);
    assert_eq!(
        hub.stats().frames_serialised - before,
        2,
        "one frame per group"
    );
    for rx in &mut rxs {
        let f = frames(rx);
        assert_eq!(ids(f.last().expect("batch")), vec!["a", "far"]);
    }
    assert_eq!(ids(frames(&mut other).last().expect("batch")), vec!["a"]);
}

#[test]
fn a_vehicle_leaving_a_bbox_is_removed_for_that_group_only() {
    let mut hub = Hub::new(60_000);
    let mut boxed = viewer(&mut hub, 1, bbox_filter([0.0, 0.0, 5.0, 5.0]), 8);
    let mut all = viewer(&mut hub, 2, Filter::all(), 8);
    hub.report(&batch(&[("a", 1.0, 1.0, T0)]), T0);
    hub.tick(T0);
    frames(&mut boxed);
    frames(&mut all);
    hub.report(&batch(&[("a", 9.0, 9.0, T0 + 1)]), T0 + 1);
    hub.tick(T0 + 1);
    let f = frames(&mut boxed);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["type"], "remove");
    assert_eq!(ids(&f[0]), vec!["a"]);
    let f = frames(&mut all);
    assert_eq!(f[0]["type"], "positions");
}

#[test]
fn a_full_queue_skips_batches_then_resyncs_with_the_newest_fix_of_every_vehicle() {
    let mut hub = Hub::new(600_000);
    let mut slow = viewer(&mut hub, 1, Filter::all(), 2);
    let mut fast = viewer(&mut hub, 2, Filter::all(), 64);
    for i in 1..=20 {
        hub.report(
            &batch(&[
                ("a", i as f64, 0.0, T0 + i),
                ("b", -(i as f64), 0.0, T0 + i),
            ]),
            T0 + i,
        );
        hub.tick(T0 + i);
    }
    // The fast viewer got every batch; the slow one filled its queue and was marked.
    assert_eq!(frames(&mut fast).len(), 21);
    assert!(hub.stats().frames_skipped >= 18);
    assert_eq!(hub.stats().viewers_behind, 1, "the slow one is behind now");
    assert_eq!(frames(&mut slow).len(), 2);
    // With room again, the next tick sends a snapshot holding the newest fixes.
    hub.tick(T0 + 100);
    let f = frames(&mut slow);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["type"], "snapshot");
    let lats: Vec<f64> = f[0]["positions"]
        .as_array()
        .expect("positions")
        .iter()
        .map(|p| p["lat"].as_f64().expect("lat"))
        .collect();
    assert!(lats.contains(&20.0) && lats.contains(&-20.0), "{lats:?}");
    assert_eq!(hub.stats().resyncs, 1);
    assert_eq!(hub.stats().viewers_behind, 0);
}

#[test]
fn silent_vehicles_are_removed_after_the_limit() {
    let mut hub = Hub::new(5_000);
    let mut rx = viewer(&mut hub, 1, Filter::all(), 8);
    hub.report(
        &batch(&[("quiet", 1.0, 1.0, T0), ("chatty", 2.0, 2.0, T0)]),
        T0,
    );
    hub.tick(T0);
    frames(&mut rx);
    hub.report(&batch(&[("chatty", 2.0, 2.1, T0 + 4_000)]), T0 + 4_000);
    hub.tick(T0 + 4_000);
    frames(&mut rx);
    hub.tick(T0 + 5_500);
    let f = frames(&mut rx);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["type"], "remove");
    assert_eq!(ids(&f[0]), vec!["quiet"]);
    assert_eq!(hub.stats().vehicles, 1);
    assert_eq!(hub.stats().removed, 1);
}

#[test]
fn an_older_report_is_ignored() {
    let mut hub = Hub::new(60_000);
    hub.report(&batch(&[("a", 1.0, 1.0, T0 + 10)]), T0);
    hub.report(&batch(&[("a", 5.0, 5.0, T0)]), T0);
    let mut rx = viewer(&mut hub, 1, Filter::all(), 8);
    let f = frames(&mut rx);
    assert_eq!(f[0]["positions"][0]["lat"], 1.0);
    assert_eq!(hub.stats().out_of_order, 1);
}

#[test]
fn a_closed_viewer_leaves_and_an_empty_group_goes() {
    let mut hub = Hub::new(60_000);
    let rx = viewer(&mut hub, 1, Filter::all(), 8);
    drop(rx);
    hub.report(&batch(&[("a", 1.0, 1.0, T0)]), T0);
    hub.tick(T0);
    assert_eq!(hub.stats().viewers, 0);
    assert_eq!(hub.stats().groups, 0);
}

#[test]
fn descriptive_fields_and_attrs_travel_as_sent() {
    let mut hub = Hub::new(60_000);
    let mut p = Position::new("bus-1", 1.0, 1.0, T0);
    p.label = Some("Bus 1".into());
    p.kind = Some("bus".into());
    let mut attrs = serde_json::Map::new();
    attrs.insert("driver".into(), "Ana".into());
    p.attrs = Some(attrs);
    hub.report(&FixBatch::from_positions(&[p]), T0);
    let mut rx = viewer(&mut hub, 1, Filter::all(), 8);
    let f = frames(&mut rx);
    let pos = &f[0]["positions"][0];
    assert_eq!(pos["label"], "Bus 1");
    assert_eq!(pos["kind"], "bus");
    assert_eq!(pos["attrs"]["driver"], "Ana");
    assert!(pos.get("speed").is_none());
}

#[test]
fn a_large_snapshot_comes_in_parts_that_together_hold_every_vehicle() {
    let mut hub = Hub::new(60_000);
    let n = FRAME_POSITIONS * 2 + 7;
    let list: Vec<(String, f64, f64, i64)> =
        (0..n).map(|i| (format!("v{i}"), 1.0, 1.0, T0)).collect();
    let refs: Vec<(&str, f64, f64, i64)> = list
        .iter()
        .map(|(id, a, b, t)| (id.as_str(), *a, *b, *t))
        .collect();
    hub.report(&batch(&refs), T0);
    let (tx, mut rx) = mpsc::channel(1);
    hub.join(1, Filter::all(), tx);
    let bundle = rx.try_recv().expect("one bundle, one queue slot");
    assert_eq!(bundle.len(), 3);
    let parts: Vec<serde_json::Value> = bundle
        .iter()
        .map(|f| serde_json::from_str(f.as_str()).expect("JSON"))
        .collect();
    assert_eq!(parts[0]["more"], true);
    assert_eq!(parts[1]["more"], true);
    assert!(parts[2].get("more").is_none());
    let total: usize = parts
        .iter()
        .map(|p| p["positions"].as_array().expect("positions").len())
        .sum();
    assert_eq!(total, n);
}

#[test]
fn coordinates_go_out_to_a_centimetre_and_headings_to_a_tenth() {
    let mut hub = Hub::new(60_000);
    let mut p = Position::new("a", -16.915654052275105, 145.76961251120056, T0);
    p.heading = Some(329.10284);
    p.speed = Some(12.345);
    hub.report(&FixBatch::from_positions(&[p]), T0);
    let mut rx = viewer(&mut hub, 1, Filter::all(), 8);
    let bundle = rx.try_recv().expect("snapshot");
    let text = bundle[0].as_str();
    assert!(
        text.contains(r#""lat":-16.9156541,"lon":145.7696125"#),
        "{text}"
    );
    assert!(text.contains(r#""heading":329.1,"speed":12.3"#), "{text}");
}

#[test]
fn batches_carry_descriptive_fields_only_to_viewers_new_to_a_vehicle_or_when_they_change() {
    let mut hub = Hub::new(60_000);
    let mut everyone = viewer(&mut hub, 1, Filter::all(), 8);
    let labelled = |lat: f64, ts: i64, label: &str| {
        let mut p = Position::new("bus-1", lat, 1.0, ts);
        p.label = Some(label.into());
        p.kind = Some("bus".into());
        FixBatch::from_positions(&[p])
    };
    hub.report(&labelled(1.0, T0, "Bus 1"), T0);
    hub.tick(T0);
    let first = frames(&mut everyone);
    let sent = |f: &[serde_json::Value]| f.last().expect("a frame")["positions"][0].clone();
    assert_eq!(
        sent(&first)["label"],
        "Bus 1",
        "new to the viewer: described"
    );
    // The same label again: only where and when.
    hub.report(&labelled(1.1, T0 + 1_000, "Bus 1"), T0 + 1_000);
    hub.tick(T0 + 1_000);
    let second = sent(&frames(&mut everyone));
    assert_eq!(second["lat"], 1.1);
    assert!(
        second.get("label").is_none() && second.get("kind").is_none(),
        "{second}"
    );
    // A new label: described again.
    hub.report(&labelled(1.2, T0 + 2_000, "Bus 1 (depot)"), T0 + 2_000);
    hub.tick(T0 + 2_000);
    assert_eq!(sent(&frames(&mut everyone))["label"], "Bus 1 (depot)");
    // A viewer whose box the vehicle enters later gets it described, though nothing changed.
    let mut boxed = viewer(&mut hub, 2, bbox_filter([0.5, 2.5, 1.5, 3.5]), 8);
    let _ = frames(&mut boxed);
    hub.report(&labelled(3.0, T0 + 3_000, "Bus 1 (depot)"), T0 + 3_000);
    hub.tick(T0 + 3_000);
    assert_eq!(sent(&frames(&mut boxed))["label"], "Bus 1 (depot)");
    assert!(sent(&frames(&mut everyone)).get("label").is_none());
}

#[test]
fn only_this_nodes_own_fixes_go_to_the_cluster_once_a_tick() {
    let (tx, mut rx) = mpsc::channel(4);
    let mut hub = Hub::new(600_000).with_cluster(tx);
    hub.report(&batch(&[("own", 1.0, 1.0, T0)]), T0);
    hub.report_peer(&batch(&[("peer", 2.0, 2.0, T0)]), T0);
    // An older fix of its own is ignored, and not sent on either.
    hub.report(&batch(&[("own", 1.5, 1.0, T0 - 1)]), T0);
    assert!(rx.try_recv().is_err(), "nothing before the tick");
    hub.tick(T0);
    let sent = rx.try_recv().expect("the tick's own fixes");
    assert_eq!(sent.iter().map(|f| f.id).collect::<Vec<_>>(), ["own"]);
    assert_eq!(
        hub.stats().vehicles,
        2,
        "the peer's vehicle is held all the same"
    );
    hub.tick(T0 + 200);
    assert!(rx.try_recv().is_err(), "nothing new, nothing sent");
}

mod compact;
mod leak;
mod scopes;
