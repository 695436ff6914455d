use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, bounded};

use super::*;
use fleetview_core::protocol::Position;

const FEED: FeedId = FeedId(3);

/// The consumer's end, checking that every event carries the feed's id.
struct Rx(Receiver<(FeedId, FeedEvent)>);

impl Rx {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn untag(&self, got: Option<(FeedId, FeedEvent)>) -> Result<FeedEvent, ()> {
        let (feed, event) = got.ok_or(())?;
        assert_eq!(feed, FEED, "every event carries its feed's id");
        Ok(event)
    }

    fn try_recv(&self) -> Result<FeedEvent, ()> {
        self.untag(self.0.try_recv().ok())
    }

    fn recv_timeout(&self, t: Duration) -> Result<FeedEvent, ()> {
        self.untag(self.0.recv_timeout(t).ok())
    }
}

fn outbox(capacity: usize, max_pending: usize) -> (Outbox, Rx, Arc<AtomicUsize>) {
    let (tx, rx) = bounded(capacity);
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    let waker: Waker = Arc::new(move || {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    (Outbox::new(FEED, tx, waker, max_pending), Rx(rx), wakes)
}

fn positions(list: &[(&str, f64, i64)]) -> FeedEvent {
    let ps: Vec<Position> = list
        .iter()
        .map(|(id, lat, ts)| Position::new(*id, *lat, 0.0, *ts))
        .collect();
    FeedEvent::Positions(FixBatch::from_positions(&ps))
}

fn fixes(event: &FeedEvent) -> Vec<(String, f64, i64)> {
    let batch = match event {
        FeedEvent::Positions(b) | FeedEvent::Snapshot(b) => b,
        other => panic!("not fixes: {other:?}"),
    };
    let mut out: Vec<_> = batch
        .iter()
        .map(|f| (f.id.to_owned(), f.lat, f.ts))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn events_go_straight_through_while_there_is_room_and_wake_the_consumer() {
    let (mut out, rx, wakes) = outbox(4, 100);
    out.send(positions(&[("a", 1.0, 1)]));
    out.send(FeedEvent::Connected {
        url: "ws://x".into(),
    });
    assert_eq!(rx.len(), 2);
    assert_eq!(wakes.load(Ordering::Relaxed), 2);
    assert!(!out.has_pending());
}

#[test]
fn when_the_channel_is_full_the_latest_fix_per_vehicle_wins() {
    let (mut out, rx, _) = outbox(1, 100);
    out.send(positions(&[("a", 1.0, 1)]));
    for i in 2..100 {
        out.send(positions(&[("a", i as f64, i), ("b", -(i as f64), i)]));
    }
    assert!(out.has_pending());
    assert_eq!(out.pending_vehicles(), 2);
    let first = rx.recv_timeout(Duration::from_secs(1)).expect("first");
    assert_eq!(fixes(&first), vec![("a".into(), 1.0, 1)]);
    out.flush();
    let merged = rx.recv_timeout(Duration::from_secs(1)).expect("merged");
    assert_eq!(
        fixes(&merged),
        vec![("a".into(), 99.0, 99), ("b".into(), -99.0, 99)]
    );
    assert!(!out.has_pending());
}

#[test]
fn a_snapshot_while_full_supersedes_what_was_pending() {
    let (mut out, rx, _) = outbox(1, 100);
    out.send(FeedEvent::Connected {
        url: "ws://x".into(),
    });
    out.send(positions(&[("old", 1.0, 1)]));
    out.send(FeedEvent::Removed(vec!["x".into()]));
    let snap = FixBatch::from_positions(&[Position::new("s", 5.0, 0.0, 5)]);
    out.send(FeedEvent::Snapshot(snap));
    out.send(positions(&[("s", 6.0, 6), ("t", 7.0, 7)]));
    assert!(matches!(rx.try_recv(), Ok(FeedEvent::Connected { .. })));
    out.flush();
    let event = rx.try_recv().expect("snapshot");
    assert!(matches!(event, FeedEvent::Snapshot(_)));
    assert_eq!(
        fixes(&event),
        vec![("s".into(), 6.0, 6), ("t".into(), 7.0, 7)]
    );
    assert!(rx.try_recv().is_err());
    assert!(!out.has_pending());
}

#[test]
fn connection_events_keep_their_order_ahead_of_coalesced_data() {
    let (mut out, rx, _) = outbox(1, 100);
    out.send(positions(&[("a", 1.0, 1)]));
    out.send(FeedEvent::Disconnected {
        reason: "gone".into(),
        retry_in: None,
    });
    out.send(FeedEvent::Connecting {
        url: "ws://x".into(),
        attempt: 2,
    });
    out.send(positions(&[("a", 2.0, 2)]));
    let mut seen = Vec::new();
    for _ in 0..10 {
        if let Ok(e) = rx.try_recv() {
            seen.push(match e {
                FeedEvent::Positions(_) => "positions",
                FeedEvent::Disconnected { .. } => "disconnected",
                FeedEvent::Connecting { .. } => "connecting",
                _ => "other",
            });
        }
        out.flush();
    }
    assert_eq!(
        seen,
        vec!["positions", "disconnected", "connecting", "positions"]
    );
}

#[test]
fn a_removal_and_a_later_fix_for_the_same_vehicle_coalesce_to_the_fix() {
    let (mut out, rx, _) = outbox(1, 100);
    out.send(FeedEvent::Connected {
        url: "ws://x".into(),
    });
    out.send(FeedEvent::Removed(vec!["a".into(), "b".into()]));
    out.send(positions(&[("a", 3.0, 3)]));
    rx.try_recv().expect("connected");
    out.flush();
    assert_eq!(
        rx.try_recv().ok(),
        Some(FeedEvent::Removed(vec!["b".into()]))
    );
    out.flush();
    let event = rx.try_recv().expect("positions");
    assert_eq!(fixes(&event), vec![("a".into(), 3.0, 3)]);
}

#[test]
fn the_pending_set_never_holds_more_vehicles_than_its_bound() {
    let (mut out, rx, _) = outbox(1, 50);
    out.send(positions(&[("first", 0.0, 0)]));
    for round in 0..20 {
        let ids: Vec<String> = (0..100).map(|i| format!("r{round}-{i}")).collect();
        let list: Vec<(&str, f64, i64)> = ids.iter().map(|id| (id.as_str(), 0.0, 1)).collect();
        out.send(positions(&list));
        assert!(out.pending_vehicles() <= 50);
    }
    rx.try_recv().expect("first");
    out.flush();
    assert_eq!(rx.try_recv().map(|e| fixes(&e).len()).ok(), Some(50));
    out.flush();
    match rx.try_recv() {
        Ok(FeedEvent::Rejected(t)) => assert_eq!(t.count(RejectReason::OverCapacity), 1950),
        other => panic!("expected the refusals, got {other:?}"),
    }
}

#[test]
fn refusals_are_summed_while_full() {
    let (mut out, rx, _) = outbox(1, 10);
    out.send(FeedEvent::Connected {
        url: "ws://x".into(),
    });
    for _ in 0..5 {
        let mut t = RejectTally::default();
        t.record_n(RejectReason::MalformedJson, 2, "bad");
        out.send(FeedEvent::Rejected(Box::new(t)));
    }
    rx.try_recv().expect("connected");
    out.flush();
    match rx.try_recv() {
        Ok(FeedEvent::Rejected(t)) => assert_eq!(t.count(RejectReason::MalformedJson), 10),
        other => panic!("expected refusals, got {other:?}"),
    }
}

#[test]
fn a_coalesced_fix_keeps_a_label_only_an_earlier_one_carried() {
    let (mut out, rx, _) = outbox(1, 10);
    out.send(FeedEvent::Connected {
        url: "ws://x".into(),
    });
    let mut labelled = Position::new("a", 1.0, 0.0, 1);
    labelled.label = Some("Bus 1".into());
    out.send(FeedEvent::Positions(FixBatch::from_positions(&[labelled])));
    out.send(positions(&[("a", 2.0, 2)]));
    rx.try_recv().expect("connected");
    out.flush();
    match rx.try_recv() {
        Ok(FeedEvent::Positions(b)) => {
            let f = b.get(0).expect("fix");
            assert_eq!((f.lat, f.meta.label), (2.0, Some("Bus 1")));
        }
        other => panic!("expected positions, got {other:?}"),
    }
}
