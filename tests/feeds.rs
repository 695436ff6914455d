//! Several feeds on one feeds thread: each connects, fails, floods and resyncs on its own. One
//! feed flooding and another failing never stall, empty or starve a third.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use fleetview::clock::now_ms;
use fleetview::feed::{FeedId, FeedSet, FeedSpec};
use fleetview::fleet::FleetConfig;
use fleetview::session::{Link, Session};

const FLOOD: FeedId = FeedId(1);
const DEAD: FeedId = FeedId(2);
const CALM: FeedId = FeedId(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_feed_and_a_dead_one_leave_a_third_live_and_complete() {
    let (flood_listener, flood_url) = listen().await;
    let (calm_listener, calm_url) = listen().await;
    let (dead_listener, dead_url) = listen().await;
    drop(dead_listener);
    // A small channel, so the consumer falls behind and every feed has to coalesce.
    let set = FeedSet::with_capacity(8, Arc::new(|| {})).expect("feeds");
    for (id, url) in [(FLOOD, &flood_url), (DEAD, &dead_url), (CALM, &calm_url)] {
        set.add(id, spec_config(FeedSpec::fleetview(url.as_str())))
            .expect("add");
    }
    let flooder = tokio::spawn(async move {
        let mut conn = accept(&flood_listener).await;
        let fleet = |round: i64| {
            (0..1000)
                .map(|i| {
                    pos(
                        &format!("v{i}"),
                        -16.9 - round as f64 * 1e-5,
                        145.7,
                        ts(round),
                    )
                })
                .collect::<Vec<_>>()
        };
        conn.snapshot(fleet(0)).await;
        let started = Instant::now();
        let mut round = 1;
        while started.elapsed() < Duration::from_secs(2) {
            conn.positions(fleet(round)).await;
            round += 1;
        }
        // Its snapshot again: it replaces this feed's vehicles, and no other feed's.
        conn.snapshot(fleet(round)).await;
        (conn, round)
    });
    let calm = tokio::spawn(async move {
        let mut conn = accept(&calm_listener).await;
        conn.snapshot(vec![pos("v1", 1.0, 1.0, ts(0)), pos("v2", 2.0, 2.0, ts(0))])
            .await;
        let mut last = 1.0;
        for round in 1..=40 {
            last = 1.0 + round as f64 * 1e-4;
            conn.positions(vec![pos("v1", last, 1.0, ts(round))]).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (conn, last)
    });
    // A consumer slower than the flood: 2 ms per event.
    let mut session = Session::new(FleetConfig::default());
    let consumer = |session: &mut Session, until: Instant| {
        while Instant::now() < until {
            if let Some((feed, event)) = set.recv_timeout(Duration::from_millis(20)) {
                assert!([FLOOD, DEAD, CALM].contains(&feed), "{feed}");
                let _ = session.apply(feed, &event, now_ms());
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    };
    tokio::task::block_in_place(|| {
        consumer(&mut session, Instant::now() + Duration::from_millis(2500))
    });
    let (_calm_conn, last_lat) = calm.await.expect("calm server");
    let (_flood_conn, rounds) = flooder.await.expect("flood server");
    tokio::task::block_in_place(|| {
        consumer(&mut session, Instant::now() + Duration::from_millis(1500))
    });

    let fleet = session.fleet();
    assert_eq!(fleet.len_of(CALM), 2, "the calm feed is complete");
    assert_eq!(
        fleet.get(CALM, "v1").map(|v| v.fix.lat),
        Some(last_lat),
        "and at its newest fix"
    );
    assert_eq!(fleet.len_of(FLOOD), 1000);
    assert!(
        fleet
            .get(FLOOD, "v1")
            .is_some_and(|v| v.fix.lat == -16.9 - rounds as f64 * 1e-5),
        "the flooding feed ends at its newest fix too"
    );
    assert!(fleet.get(DEAD, "v1").is_none());
    assert!(matches!(
        session.feed(DEAD).map(|s| &s.link),
        Some(Link::Disconnected {
            retry_at_ms: Some(_),
            ..
        }) | Some(Link::Connecting { .. })
    ));
    assert!(
        session.feed(DEAD).is_some_and(|s| s.disconnects >= 2),
        "it keeps retrying"
    );
    assert!(session.feed(CALM).is_some_and(|s| s.link.is_connected()));
    assert!(session.feed(CALM).is_some_and(|s| s.rejected.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_feed_closes_and_resumes_while_the_others_run_on() {
    let (a_listener, a_url) = listen().await;
    let (b_listener, b_url) = listen().await;
    let set = FeedSet::spawn(Arc::new(|| {})).expect("feeds");
    set.add(FeedId(0), config(&a_url)).expect("a");
    set.add(FeedId(1), config(&b_url)).expect("b");
    let mut a = accept(&a_listener).await;
    let mut b = accept(&b_listener).await;
    a.snapshot(vec![pos("x", 1.0, 1.0, ts(0))]).await;
    b.snapshot(vec![pos("y", 1.0, 1.0, ts(0))]).await;
    let mut session = Session::new(FleetConfig::default());
    let until = |session: &mut Session, what: &str, done: &dyn Fn(&Session) -> bool| {
        let deadline = Instant::now() + WAIT;
        while !done(session) {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            if let Some((feed, e)) =
                tokio::task::block_in_place(|| set.recv_timeout(Duration::from_millis(20)))
            {
                let _ = session.apply(feed, &e, now_ms());
            }
        }
    };
    until(&mut session, "both", &|s| s.fleet().len() == 2);
    set.send(fleetview::feed::FeedCommand::Pause(FeedId(0)))
        .expect("pause");
    until(&mut session, "paused", &|s| {
        s.feed(FeedId(0)).is_some_and(|f| f.link == Link::Paused)
    });
    // The paused feed's connection is closed; the other keeps delivering.
    let closed = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut a.ws)).await;
    assert!(
        matches!(
            closed,
            Ok(None | Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | Some(Err(_)))
        ),
        "{closed:?}"
    );
    b.positions(vec![pos("y", 2.0, 1.0, ts(1))]).await;
    until(&mut session, "b's update", &|s| {
        s.fleet()
            .get(FeedId(1), "y")
            .is_some_and(|v| v.fix.lat == 2.0)
    });
    set.send(fleetview::feed::FeedCommand::Resume(FeedId(0)))
        .expect("resume");
    let mut again = accept(&a_listener).await;
    again.snapshot(vec![pos("x", 3.0, 1.0, ts(2))]).await;
    until(&mut session, "a again", &|s| {
        s.fleet()
            .get(FeedId(0), "x")
            .is_some_and(|v| v.fix.lat == 3.0)
    });
    assert!(
        session
            .feed(FeedId(0))
            .is_some_and(|f| f.link.is_connected())
    );
}
