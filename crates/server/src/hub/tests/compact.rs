//! The compact encoding end to end through the hub: what a compact viewer decodes must be what
//! a v1 viewer of the same filter decodes, tick after tick, through joins, moves out of a box,
//! removals, renames and a resync in the middle of the dictionary.

use std::collections::BTreeMap;

use super::*;
use fleetview_core::protocol::{
    DecodeLimits, Dictionary, Encoding, RejectTally, ServerFrame, decode_frame,
};

/// What a client holds of a vehicle: lat, lon, ts, label.
type Held = (f64, f64, i64, Option<String>);

/// A viewer's picture: id -> what it holds, as a client applies frames.
#[derive(Default, Debug, PartialEq)]
struct Picture {
    held: BTreeMap<String, Held>,
    parts: Vec<(String, Held)>,
}

struct Client {
    rx: mpsc::Receiver<Outgoing>,
    dict: Dictionary,
    picture: Picture,
    bytes: usize,
}

impl Client {
    fn join(hub: &mut Hub, id: ViewerId, filter: Filter, queue: usize) -> Self {
        let (tx, rx) = mpsc::channel(queue);
        hub.join(id, filter, tx);
        Self {
            rx,
            dict: Dictionary::new(10_000),
            picture: Picture::default(),
            bytes: 0,
        }
    }

    fn drain(&mut self) {
        while let Ok(bundle) = self.rx.try_recv() {
            for text in bundle.iter() {
                self.bytes += text.len();
                let mut refused = RejectTally::default();
                let frame = decode_frame(
                    text.as_str(),
                    &mut self.dict,
                    &DecodeLimits::default(),
                    &mut refused,
                )
                .expect("a frame the client reads");
                assert!(refused.is_empty(), "{refused:?} in {text}");
                self.apply(frame);
            }
        }
    }

    fn apply(&mut self, frame: ServerFrame) {
        let p = &mut self.picture;
        let rows = |b: &FixBatch| -> Vec<_> {
            b.iter()
                .map(|f| {
                    let label = f.meta.label.map(str::to_owned);
                    (f.id.to_owned(), (f.lat, f.lon, f.ts, label))
                })
                .collect()
        };
        match frame {
            ServerFrame::SnapshotPart(b) => p.parts.extend(rows(&b)),
            ServerFrame::Snapshot(b) => {
                p.parts.extend(rows(&b));
                p.held = std::mem::take(&mut p.parts).into_iter().collect();
            }
            ServerFrame::Positions(b) => {
                for (id, (lat, lon, ts, label)) in rows(&b) {
                    let held = p.held.entry(id).or_insert((lat, lon, ts, None));
                    let label = label.or(held.3.take());
                    *held = (lat, lon, ts, label);
                }
            }
            ServerFrame::Remove(ids) => {
                for id in ids {
                    assert!(p.held.remove(&id).is_some(), "{id} removed but not held");
                }
            }
            ServerFrame::Error { code, .. } => panic!("error {code}"),
        }
    }
}

fn compact(filter: Filter) -> Filter {
    filter.with_encoding(Encoding::Compact)
}

/// One tick of a wandering fleet: some vehicles move (in and out of the box), some are renamed,
/// new ones appear; quiet ones are dropped by the hub.
fn wander(hub: &mut Hub, rng: &mut fastrand::Rng, t: i64, next_id: &mut usize) {
    let mut ps = Vec::new();
    for i in 0..*next_id {
        if rng.u8(0..4) == 0 {
            let mut p = Position::new(
                format!("v{i}"),
                rng.f64() * 10.0,
                rng.f64() * 10.0 - 0.000_000_3,
                t - rng.i64(0..900),
            );
            p.heading = rng.bool().then(|| rng.f32() * 360.0);
            p.speed = rng.bool().then(|| rng.f32() * 30.0);
            p.label = (rng.u8(0..8) == 0).then(|| format!("L{}", rng.u16(..)));
            ps.push(p);
        }
    }
    for _ in 0..rng.usize(0..4) {
        let mut p = Position::new(format!("v{next_id}"), rng.f64() * 10.0, rng.f64() * 10.0, t);
        p.label = Some(format!("new {next_id}"));
        ps.push(p);
        *next_id += 1;
    }
    hub.report(&FixBatch::from_positions(&ps), t);
    hub.tick(t);
}

#[test]
fn a_compact_viewer_sees_exactly_what_a_v1_viewer_sees() {
    let mut hub = Hub::new(3_000);
    let mut rng = fastrand::Rng::with_seed(16);
    let mut next_id = 0;
    let mut t = T0;
    wander(&mut hub, &mut rng, t, &mut next_id);
    let boxed = bbox_filter([0.0, 0.0, 5.0, 5.0]);
    let mut v1_all = Client::join(&mut hub, 1, Filter::all(), 64);
    let mut v1_box = Client::join(&mut hub, 2, boxed.clone(), 64);
    let mut c_all = Client::join(&mut hub, 3, compact(Filter::all()), 64);
    let mut c_box = Client::join(&mut hub, 4, compact(boxed), 64);
    for tick in 0..300 {
        t += 200;
        wander(&mut hub, &mut rng, t, &mut next_id);
        if tick == 150 {
            // A second compact viewer joins the group in the middle of its dictionary.
            let mut late = Client::join(&mut hub, 5, compact(Filter::all()), 64);
            t += 200;
            wander(&mut hub, &mut rng, t, &mut next_id);
            late.drain();
            c_all.drain();
            assert_eq!(late.picture, c_all.picture);
        }
        for c in [&mut v1_all, &mut v1_box, &mut c_all, &mut c_box] {
            c.drain();
        }
        assert_eq!(c_all.picture, v1_all.picture, "tick {tick}");
        assert_eq!(c_box.picture, v1_box.picture, "tick {tick}");
    }
    assert!(
        v1_all.picture.held.len() > 50,
        "{}",
        v1_all.picture.held.len()
    );
    assert!(
        hub.stats().removed > 10,
        "vehicles went silent and were removed"
    );
    assert!(
        c_all.bytes * 2 < v1_all.bytes,
        "compact {} bytes, v1 {}",
        c_all.bytes,
        v1_all.bytes
    );
}

#[test]
fn a_slow_compact_viewer_is_resynced_with_a_fresh_dictionary() {
    let mut hub = Hub::new(600_000);
    let mut rng = fastrand::Rng::with_seed(7);
    let mut next_id = 0;
    let mut t = T0;
    wander(&mut hub, &mut rng, t, &mut next_id);
    let mut fast = Client::join(&mut hub, 1, compact(Filter::all()), 64);
    let mut slow = Client::join(&mut hub, 2, compact(Filter::all()), 2);
    for round in 0..10 {
        for _ in 0..6 {
            t += 200;
            wander(&mut hub, &mut rng, t, &mut next_id);
            fast.drain();
        }
        // The slow one missed batches (and the defs in them); the next tick resyncs it.
        t += 200;
        wander(&mut hub, &mut rng, t, &mut next_id);
        fast.drain();
        slow.drain();
        t += 200;
        wander(&mut hub, &mut rng, t, &mut next_id);
        fast.drain();
        slow.drain();
        assert_eq!(slow.picture, fast.picture, "round {round}");
    }
    assert!(hub.stats().resyncs >= 10, "{:?}", hub.stats());
}

#[test]
fn a_compact_viewer_waits_for_the_next_tick_for_its_snapshot_and_is_not_counted_behind() {
    let mut hub = Hub::new(600_000);
    hub.report(&batch(&[("a", 1.0, 2.0, T0)]), T0);
    let mut c = Client::join(&mut hub, 1, compact(Filter::all()), 8);
    c.drain();
    assert!(c.picture.held.is_empty());
    assert_eq!(hub.stats().viewers_behind, 0);
    hub.tick(T0 + 200);
    c.drain();
    assert_eq!(c.picture.held.len(), 1);
    assert_eq!(hub.stats().resyncs, 0, "a first snapshot is not a resync");
}
