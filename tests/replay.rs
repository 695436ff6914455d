//! Record and replay end to end: the simulated fleet recorded (through the real feed server
//! and feed thread, and straight through the writer), replayed by the player into a session.

use std::time::Duration;

mod common;

use common::replay::*;
use fleetview::feed::{FeedConfig, FeedSpec};
use fleetview::fleet::FleetConfig;
use fleetview::record::Recording;
use fleetview::record::player::{self, Player, Step};
use fleetview::server::{EmbeddedServer, ServerConfig};
use fleetview::session::Session;
use fleetview::sim::SimConfig;

const WAIT: Duration = Duration::from_secs(20);

fn config() -> FleetConfig {
    FleetConfig::default()
}

fn straight(
    path: &std::path::Path,
    t: i64,
) -> std::collections::BTreeMap<(fleetview::fleet::FeedId, String), String> {
    state(
        player::play_straight(path, t, &config())
            .expect("plays")
            .fleet(),
    )
}

#[test]
fn the_simulated_fleet_recorded_from_its_server_replays_to_every_vehicle() {
    let dir = temp_dir("record-server");
    let path = dir.join("sim.fvr");
    let server = EmbeddedServer::start(ServerConfig::default(), Some(SimConfig::new(150, 3)))
        .expect("server");
    let feed = FeedConfig::from_spec(FeedSpec::fleetview(server.url()));
    let mut reports = 0;
    let written = fleetview::commands::record::run(
        vec![feed],
        &path,
        Some(Duration::from_secs(3)),
        fleetview::clock::system(),
        &mut |_| reports += 1,
    )
    .expect("records");
    drop(server);
    assert!(written.fixes >= 150, "{written:?}");
    assert!(reports >= 2, "progress about once a second");
    let rec = Recording::open(&path).expect("opens");
    assert!(rec.damage().is_none());
    let (first, last) = rec.span().expect("chunks");
    let mut player = Player::open(&path).expect("opens");
    let mut session = Session::new(config());
    player.seek(last);
    assert!(player.catch_up(&mut session, &config(), WAIT));
    assert_eq!(session.fleet().len(), 150, "every simulated vehicle");
    assert_eq!(state(session.fleet()), straight(&path, last));
    let mid = first + (last - first) / 2;
    player.seek(mid);
    assert!(player.catch_up(&mut session, &config(), WAIT));
    assert_eq!(state(session.fleet()), straight(&path, mid));
    assert!(
        session
            .feeds()
            .next()
            .is_some_and(|(_, f)| f.link.is_connected())
    );
}

#[test]
fn at_every_keyframe_and_random_moments_a_seek_gives_the_state_playing_straight_gives() {
    let dir = temp_dir("replay-seek");
    let path = dir.join("sim.fvr");
    let written = sim_recording(&path, 300, 45);
    assert_eq!(written.keyframes, 5, "{written:?}");
    let mut rec = Recording::open(&path).expect("opens");
    let keyframes: Vec<usize> = (0..rec.chunks().len())
        .filter(|i| rec.chunks()[*i].header.keyframe)
        .collect();
    for i in keyframes {
        let (t, feeds) = rec
            .chunk(i, &mut Default::default())
            .expect("chunk")
            .key
            .expect("a keyframe");
        let mut session = Session::new(config());
        player::apply(&mut session, &Step::Reset { t, feeds }, &config());
        assert_eq!(
            state(session.fleet()),
            straight(&path, t - 1),
            "keyframe at +{} ms",
            t - T0
        );
    }
    let mut player = Player::open(&path).expect("opens");
    let mut session = Session::new(config());
    let mut rng = fastrand::Rng::with_seed(11);
    let mut moments: Vec<i64> = (0..10).map(|_| T0 + rng.i64(0..=45_000)).collect();
    // Backwards and forwards across keyframes, and the ends.
    moments.extend([
        T0 + 40_500,
        T0 + 9_999,
        T0 + 10_000,
        T0 + 30_001,
        T0,
        T0 + 45_000,
    ]);
    for t in moments {
        player.seek(t);
        assert!(player.catch_up(&mut session, &config(), WAIT));
        assert_eq!(
            state(session.fleet()),
            straight(&path, t),
            "at +{} ms",
            t - T0
        );
    }
}

#[test]
fn a_recording_cut_short_replays_to_the_cut_and_names_it() {
    let dir = temp_dir("replay-cut");
    let path = dir.join("sim.fvr");
    sim_recording(&path, 100, 8);
    let bytes = std::fs::read(&path).expect("read");
    let cut = dir.join("cut.fvr");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("write");
    let mut player = Player::open(&cut).expect("a cut recording opens");
    let mut session = Session::new(config());
    let (_, last) = player.span();
    assert!(last < T0 + 8_000);
    player.seek(T0 + 60_000);
    assert!(player.catch_up(&mut session, &config(), WAIT));
    assert_eq!(player.position(), last);
    assert_eq!(state(session.fleet()), straight(&path, last));
    let damage = player.damage().expect("says where it stops");
    assert!(damage.contains("the file ends inside a chunk"), "{damage}");
}
