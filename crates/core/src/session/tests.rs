use std::time::Duration;

use super::*;
use crate::events::{PAUSED, VehicleNotice};
use crate::protocol::{FixBatch, Position, RejectReason};

const T0: i64 = 1_700_000_000_000;
const A: FeedId = FeedId(1);
const B: FeedId = FeedId(2);

fn batch(list: &[(&str, f64, i64)]) -> FixBatch {
    let ps: Vec<Position> = list
        .iter()
        .map(|(id, lat, ts)| Position::new(*id, *lat, 0.0, *ts))
        .collect();
    FixBatch::from_positions(&ps)
}

fn two_feeds() -> Session {
    let mut s = Session::default();
    s.add_feed(A, "Depot");
    s.add_feed(B, "Phones");
    s
}

#[test]
fn two_feeds_may_both_have_a_vehicle_12_and_both_show() {
    let mut s = two_feeds();
    s.apply(A, &FeedEvent::Positions(batch(&[("12", 1.0, T0)])), T0);
    s.apply(B, &FeedEvent::Positions(batch(&[("12", 2.0, T0)])), T0);
    assert_eq!(s.fleet().len(), 2);
    assert_eq!(s.fleet().get(A, "12").map(|v| v.fix.lat), Some(1.0));
    assert_eq!(s.fleet().get(B, "12").map(|v| v.fix.lat), Some(2.0));
}

#[test]
fn a_feeds_snapshot_replaces_that_feeds_vehicles_only() {
    let mut s = two_feeds();
    s.apply(
        A,
        &FeedEvent::Positions(batch(&[("a1", 1.0, T0), ("a2", 1.0, T0)])),
        T0,
    );
    s.apply(B, &FeedEvent::Positions(batch(&[("b1", 2.0, T0)])), T0);
    let changes = s.apply(A, &FeedEvent::Snapshot(batch(&[("a3", 1.0, T0)])), T0);
    let mut ids: Vec<String> = s
        .fleet()
        .iter()
        .map(|(_, v)| format!("{}:{}", v.feed().0, v.id()))
        .collect();
    ids.sort();
    assert_eq!(ids, ["1:a3", "2:b1"]);
    assert_eq!(changes.removed.len(), 2);
    assert_eq!(changes.added.len(), 1);
}

#[test]
fn connection_events_drive_each_feeds_link_and_count_its_reconnects() {
    let mut s = two_feeds();
    s.apply(
        A,
        &FeedEvent::Connected {
            url: "ws://a".into(),
        },
        T0,
    );
    s.apply(
        B,
        &FeedEvent::Disconnected {
            reason: "connection reset".into(),
            retry_in: Some(Duration::from_secs(2)),
        },
        T0,
    );
    assert!(s.feed(A).expect("a").link.is_connected());
    assert_eq!(
        s.feed(B).expect("b").link.describe(T0),
        "reconnecting in 2 s: connection reset"
    );
    s.apply(
        B,
        &FeedEvent::Connected {
            url: "ws://b".into(),
        },
        T0,
    );
    s.apply(
        B,
        &FeedEvent::Connected {
            url: "ws://b".into(),
        },
        T0,
    );
    assert_eq!(s.feed(B).expect("b").reconnects, 1);
    assert_eq!(s.feed(A).expect("a").reconnects, 0);
    s.apply(
        A,
        &FeedEvent::Disconnected {
            reason: PAUSED.into(),
            retry_in: None,
        },
        T0,
    );
    assert_eq!(s.feed(A).expect("a").link, Link::Paused);
}

#[test]
fn refusals_are_counted_against_the_feed_that_sent_them() {
    let mut s = two_feeds();
    let mut tally = RejectTally::default();
    tally.record_n(RejectReason::MalformedJson, 5, "garbage");
    s.apply(A, &FeedEvent::Rejected(Box::new(tally)), T0);
    s.apply(
        B,
        &FeedEvent::Positions(batch(&[("x", 1.0, T0 + 5000)])),
        T0 + 5000,
    );
    s.apply(
        B,
        &FeedEvent::Positions(batch(&[("x", 1.0, T0)])),
        T0 + 6000,
    );
    assert_eq!(
        s.feed(A)
            .expect("a")
            .rejected
            .count(RejectReason::MalformedJson),
        5
    );
    assert_eq!(
        s.feed(A)
            .expect("a")
            .rejected
            .count(RejectReason::OutOfOrder),
        0
    );
    assert_eq!(
        s.feed(B)
            .expect("b")
            .rejected
            .count(RejectReason::OutOfOrder),
        1
    );
    assert_eq!(s.rejected().total(), 6);
}

#[test]
fn removing_a_feed_drops_its_vehicles_and_its_status() {
    let mut s = two_feeds();
    s.apply(A, &FeedEvent::Positions(batch(&[("a1", 1.0, T0)])), T0);
    s.apply(B, &FeedEvent::Positions(batch(&[("b1", 2.0, T0)])), T0);
    let changes = s.remove_feed(A);
    assert_eq!(changes.removed.len(), 1);
    assert_eq!(s.fleet().len(), 1);
    assert!(s.feed(A).is_none());
    assert_eq!(s.feeds().count(), 1);
}

#[test]
fn notices_are_kept_per_feed_newest_last_and_bounded() {
    let mut s = two_feeds();
    let notice = |i: i64| VehicleNotice {
        id: "van".into(),
        kind: "alarm".into(),
        ts: T0 + i,
        detail: Some("sos".into()),
    };
    let all: Vec<VehicleNotice> = (0..(MAX_NOTICES as i64 + 5)).map(notice).collect();
    s.apply(A, &FeedEvent::Notices(all), T0);
    let status = s.feed(A).expect("a");
    assert_eq!(status.notices.len(), MAX_NOTICES);
    assert_eq!(
        status.notice_of("van").map(|n| n.ts),
        Some(T0 + MAX_NOTICES as i64 + 4)
    );
    assert!(s.feed(B).expect("b").notices.is_empty());
}

#[test]
fn applied_updates_feed_the_rate_of_their_feed() {
    let mut s = two_feeds();
    for i in 0..3 {
        let ts = T0 + i * 1000;
        s.apply(
            A,
            &FeedEvent::Positions(batch(&[("a", 1.0, ts), ("b", 1.0, ts), ("c", 1.0, ts)])),
            ts,
        );
    }
    let status = s.feed(A).expect("a");
    assert_eq!(status.applied, 9);
    assert_eq!(status.rate.per_second(T0 + 3000), 3.0);
    assert_eq!(s.feed(B).expect("b").rate.per_second(T0 + 3000), 0.0);
}

#[test]
fn late_events_of_a_removed_feed_are_ignored() {
    let mut s = two_feeds();
    s.apply(A, &FeedEvent::Positions(batch(&[("a1", 1.0, T0)])), T0);
    let _ = s.remove_feed(A);
    let changes = s.apply(A, &FeedEvent::Positions(batch(&[("a2", 1.0, T0)])), T0);
    assert!(changes.is_empty());
    assert_eq!(s.fleet().len_of(A), 0);
    assert!(s.feed(A).is_none(), "no zombie feed in the panel");
    assert_eq!(s.feeds().count(), 1);
}

#[test]
fn a_replaced_feed_takes_the_old_ones_place_and_the_old_ones_vehicles_go() {
    let mut s = two_feeds();
    let c = FeedId(3);
    s.apply(A, &FeedEvent::Positions(batch(&[("a1", 1.0, T0)])), T0);
    let changes = s.replace_feed(A, c, "Depot (new server)");
    assert_eq!(changes.removed.len(), 1);
    let order: Vec<(FeedId, String)> = s.feeds().map(|(id, f)| (id, f.name.clone())).collect();
    assert_eq!(
        order,
        [(c, "Depot (new server)".into()), (B, "Phones".into())]
    );
    s.apply(A, &FeedEvent::Positions(batch(&[("a1", 1.0, T0 + 1)])), T0);
    assert_eq!(s.fleet().len(), 0, "the old feed's late update is ignored");
    s.apply(c, &FeedEvent::Positions(batch(&[("a1", 1.0, T0 + 2)])), T0);
    assert_eq!(s.fleet().len_of(c), 1);
}
