//! The writer, the reader and the player together, on files.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::player::{self, Player, Step};
use super::*;
use crate::events::FeedEvent;
use crate::fleet::{FeedId, Fleet, FleetConfig};
use crate::protocol::{FixBatch, FixRef, Meta};
use crate::session::Session;

const T0: i64 = 1_764_000_000_000;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fleetview-record-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

/// A moving fleet on two feeds: 40 vehicles reporting every 200 ms for `seconds`, statuses
/// changing now and then, a vehicle leaving at 12 s, one joining at 15 s.
fn events(seconds: i64) -> Vec<(i64, FeedId, FeedEvent)> {
    let mut out = vec![(
        T0,
        FeedId(0),
        FeedEvent::Connected {
            url: "ws://a".into(),
        },
    )];
    let mut t = T0;
    while t < T0 + seconds * 1000 {
        t += 200;
        for feed in [FeedId(0), FeedId(1)] {
            let mut b = FixBatch::default();
            for i in 0..20 {
                if (feed, i) == (FeedId(1), 3) && t > T0 + 12_000 {
                    continue;
                }
                let id = format!("{}-{i}", feed.0);
                let s = (t - T0) as f64 / 1000.0;
                let status = if (t / 7000 + i) % 2 == 0 {
                    "moving"
                } else {
                    "idle"
                };
                b.push(&FixRef {
                    id: &id,
                    lat: -16.9 + 0.001 * i as f64 + 0.0001 * s,
                    lon: 145.7 + 0.0002 * s,
                    ts: t - 100,
                    heading: Some((s * 10.0) as f32 % 360.0),
                    speed: (i % 3 != 0).then_some(10.0 + i as f32),
                    meta: Meta {
                        label: Some(&id),
                        kind: Some("bus"),
                        status: Some(status),
                        route: None,
                        attrs: None,
                    },
                });
            }
            out.push((t, feed, FeedEvent::Positions(b)));
        }
        if t == T0 + 12_000 {
            out.push((t, FeedId(1), FeedEvent::Removed(vec!["1-3".into()])));
        }
        if t == T0 + 15_000 {
            let mut b = FixBatch::default();
            b.push(&FixRef::bare("late", -17.0, 146.0, t));
            out.push((t, FeedId(1), FeedEvent::Positions(b)));
        }
    }
    out
}

fn record(path: &std::path::Path, events: &[(i64, FeedId, FeedEvent)]) -> Written {
    let file = std::fs::File::create(path).expect("create");
    let mut w = Writer::new(file, T0).expect("header");
    w.name(T0, FeedId(0), "Depot").expect("name");
    w.name(T0, FeedId(1), "Buses").expect("name");
    for (t, feed, e) in events {
        w.event(*t, *feed, e).expect("write");
        w.tick(*t).expect("tick");
    }
    w.tick(i64::MAX).expect("close");
    let written = w.written();
    w.finish().expect("finish");
    written
}

type State = BTreeMap<(FeedId, String), String>;

/// What a dispatcher sees of each vehicle.
fn state(fleet: &Fleet) -> State {
    fleet
        .iter()
        .map(|(_, v)| {
            let f = v.as_fix();
            (
                (v.feed(), v.id().to_owned()),
                format!(
                    "{:.7} {:.7} {} {:?} {:?} {:?}",
                    f.lat, f.lon, f.ts, f.heading, f.speed, f.meta
                ),
            )
        })
        .collect()
}

/// The state at `t` by applying every record from the start.
fn straight(path: &std::path::Path, t: i64) -> State {
    let session = player::play_straight(path, t, &FleetConfig::default()).expect("plays");
    state(session.fleet())
}

/// Plays `player` until everything due is applied.
fn catch_up(player: &mut Player, session: &mut Session) {
    let caught = player.catch_up(session, &FleetConfig::default(), Duration::from_secs(10));
    assert!(caught, "the player never caught up");
}

#[test]
fn every_keyframe_holds_the_state_that_playing_from_the_start_reaches() {
    let path = temp("keyframes.fvr");
    let events = events(30);
    let written = record(&path, &events);
    let mut rec = Recording::open(&path).expect("open");
    assert!(rec.damage().is_none());
    assert_eq!(rec.chunks().len() as u64, written.chunks);
    assert!((30..=31).contains(&written.chunks), "{written:?}");
    assert_eq!(written.keyframes, 4, "at 0, 10, 20 and 30 s");
    assert_eq!(rec.span(), Some((T0, T0 + 30_000)));
    for i in 0..rec.chunks().len() {
        if !rec.chunks()[i].header.keyframe {
            continue;
        }
        let (t, feeds) = rec
            .chunk(i, &mut Default::default())
            .expect("chunk")
            .key
            .expect("a keyframe");
        let mut session = Session::new(FleetConfig::default());
        player::apply(
            &mut session,
            &Step::Reset { t, feeds },
            &FleetConfig::default(),
        );
        // The keyframe holds the state before its own second's events.
        assert_eq!(
            state(session.fleet()),
            straight(&path, t - 1),
            "keyframe at {t}"
        );
    }
}

#[test]
fn seeking_back_and_forth_gives_the_state_playing_straight_through_gives() {
    let path = temp("seek.fvr");
    record(&path, &events(30));
    let mut player = Player::open(&path).expect("open");
    let mut session = Session::new(FleetConfig::default());
    let mut rng = fastrand::Rng::with_seed(7);
    let mut moments: Vec<i64> = (0..12).map(|_| T0 + rng.i64(0..=30_000)).collect();
    moments.extend([
        T0 + 29_000,
        T0 + 3_000,
        T0 + 12_100,
        T0 + 11_900,
        T0 + 30_000,
        T0,
    ]);
    for t in moments {
        player.seek(t);
        catch_up(&mut player, &mut session);
        assert_eq!(
            state(session.fleet()),
            straight(&path, t),
            "at +{} ms",
            t - T0
        );
        assert_eq!(session.feed_name(FeedId(1)), "Buses");
    }
}

#[test]
fn playing_moves_replay_time_by_the_wall_clock_times_the_speed() {
    let path = temp("play.fvr");
    record(&path, &events(20));
    let mut player = Player::open(&path).expect("open");
    let mut session = Session::new(FleetConfig::default());
    // It opens where the first second ends.
    let start = player.position();
    assert!((T0..T0 + 1_000).contains(&start), "{}", start - T0);
    player.seek(T0);
    player.set_speed(10.0);
    player.set_playing(true, 0);
    assert_eq!(player.advance(0), T0);
    assert_eq!(player.advance(500), T0 + 5_000);
    catch_up(&mut player, &mut session);
    assert_eq!(state(session.fleet()), straight(&path, T0 + 5_000));
    player.step_speed(1);
    assert_eq!(player.speed(), 20.0);
    assert_eq!(player.advance(1_500), T0 + 20_000, "stops at the end");
    assert!(!player.is_playing());
    catch_up(&mut player, &mut session);
    assert_eq!(state(session.fleet()), straight(&path, T0 + 20_000));
}

#[test]
fn a_cut_recording_plays_up_to_the_cut_and_says_where_it_is() {
    let path = temp("cut.fvr");
    record(&path, &events(10));
    let bytes = std::fs::read(&path).expect("read");
    let cut = temp("cut-short.fvr");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("write");
    let rec = Recording::open(&cut).expect("a cut file still opens");
    let damage = rec.damage().expect("the cut is found").clone();
    assert!(damage.reason.contains("ends inside"), "{damage:?}");
    let (_, last) = rec.span().expect("chunks before the cut");
    let mut player = Player::open(&cut).expect("open");
    let mut session = Session::new(FleetConfig::default());
    player.seek(T0 + 10_000);
    catch_up(&mut player, &mut session);
    assert_eq!(player.position(), last);
    assert_eq!(state(session.fleet()), straight(&path, last));
    assert!(
        player
            .damage()
            .is_some_and(|d| d.contains(&format!("byte {}", damage.offset)))
    );
}

#[test]
fn a_corrupt_chunk_stops_play_there_with_its_place() {
    let path = temp("corrupt.fvr");
    record(&path, &events(10));
    let mut bytes = std::fs::read(&path).expect("read");
    let rec = Recording::open(&path).expect("open");
    let fifth = rec.chunks()[5];
    let at = fifth.offset as usize + fifth.header.payload_len as usize / 2;
    bytes[at] ^= 0x55;
    let bad = temp("corrupt-bad.fvr");
    std::fs::write(&bad, &bytes).expect("write");
    let mut rec = Recording::open(&bad).expect("headers are intact");
    let err = rec
        .chunk(5, &mut Default::default())
        .expect_err("the damage is found");
    assert!(err.to_string().contains("chunk 5"), "{err}");
    let mut player = Player::open(&bad).expect("open");
    let mut session = Session::new(FleetConfig::default());
    // From the keyframe at the start, through the damage.
    player.seek(T0 + 9_000);
    catch_up(&mut player, &mut session);
    assert!(
        player.damage().is_some_and(|d| d.contains("chunk 5")),
        "{:?}",
        player.damage()
    );
    assert_eq!(
        state(session.fleet()),
        straight(&path, fifth.header.first_t - 1)
    );
}

#[test]
fn a_file_that_is_not_a_recording_or_is_from_a_newer_version_says_so() {
    let path = temp("not.fvr");
    std::fs::write(&path, b"{\"id\":\"v1\"}\n").expect("write");
    let err = Recording::open(&path).err().expect("refused");
    assert!(
        err.to_string().ends_with("is not a fleetview recording"),
        "{err}"
    );
    let newer = temp("newer.fvr");
    let mut header = FileHeaderBytes::of(99);
    header.extend_from_slice(b"");
    std::fs::write(&newer, header).expect("write");
    let err = Recording::open(&newer).err().expect("refused");
    assert!(
        err.to_string()
            .contains("newer fleetview (recording format version 99"),
        "{err}"
    );
}

struct FileHeaderBytes;

impl FileHeaderBytes {
    fn of(version: u32) -> Vec<u8> {
        let mut h = format::FileHeader::new(T0);
        h.version = version;
        let json = serde_json::to_vec(&h).unwrap_or_default();
        let mut out = Vec::new();
        format::skippable(format::FILE_MAGIC, &json, &mut out);
        out
    }
}

#[test]
fn a_recording_being_written_is_read_as_it_grows() {
    let path = temp("growing.fvr");
    let file = std::fs::File::create(&path).expect("create");
    let mut w = Writer::new(file, T0).expect("header");
    let all = events(5);
    let (first, rest) = all.split_at(all.len() / 2);
    for (t, feed, e) in first {
        w.event(*t, *feed, e).expect("write");
    }
    w.tick(i64::MAX).expect("close");
    let mut rec = Recording::open(&path).expect("open while written");
    let before = rec.chunks().len();
    for (t, feed, e) in rest {
        w.event(*t, *feed, e).expect("write");
    }
    w.tick(i64::MAX).expect("close");
    assert!(rec.refresh().expect("refresh") > 0);
    assert!(rec.chunks().len() > before);
    assert_eq!(rec.span().map(|s| s.1), Some(T0 + 5_000));
}

#[test]
fn descriptive_fields_are_written_when_they_change_and_the_file_is_compact() {
    let path = temp("compact.fvr");
    let events = events(30);
    let written = record(&path, &events);
    let fixes: u64 = events
        .iter()
        .map(|(_, _, e)| match e {
            FeedEvent::Positions(b) => b.len() as u64,
            _ => 0,
        })
        .sum();
    assert_eq!(written.fixes, fixes);
    let text = std::process::Command::new("zstd")
        .arg("-dc")
        .arg(&path)
        .output();
    if let Some(out) = text.ok().filter(|o| o.status.success()) {
        // zstd itself reads the file: the headers are skippable frames.
        let lines = String::from_utf8_lossy(&out.stdout);
        let with_label = lines.lines().filter(|l| l.contains("\"label\"")).count();
        // Labels only in the keyframes (3 x ~40) and on first sight (40).
        assert!(with_label < 200, "{with_label} rows with a label");
    }
    let per_fix = written.bytes as f64 / fixes as f64;
    assert!(per_fix < 16.0, "{per_fix:.1} bytes per fix");
}

#[test]
fn a_vehicles_whole_track_is_every_fix_it_sent_in_time_order() {
    let path = temp("track.fvr");
    record(&path, &events(20));
    let mut rec = Recording::open(&path).expect("open");
    let cancel = std::sync::atomic::AtomicBool::new(false);
    let who = crate::fleet::VehicleId::new(FeedId(0), "0-5");
    let track = track::scan(&mut rec, &who, &cancel).expect("scan");
    assert_eq!(track.points.len(), 100, "five fixes a second for 20 s");
    assert_eq!(track.points[0].ts, T0 + 100);
    assert!(track.points.windows(2).all(|w| w[0].ts < w[1].ts));
    assert!(track.points.iter().all(|p| p.speed == Some(15.0)));
    let other_feed = crate::fleet::VehicleId::new(FeedId(1), "0-5");
    assert!(
        track::scan(&mut rec, &other_feed, &cancel)
            .expect("scan")
            .points
            .is_empty()
    );
}

#[test]
fn a_player_falling_far_behind_at_speed_jumps_to_replay_time_from_a_keyframe() {
    let path = temp("keep-up.fvr");
    record(&path, &events(40));
    let mut player = Player::open(&path).expect("open");
    let mut session = Session::new(FleetConfig::default());
    catch_up(&mut player, &mut session);
    player.set_speed(10.0);
    player.set_playing(true, 0);
    // 200 ms of wall time at 10x: 2 s of recording due and none applied, within 300 ms of
    // wall time at this speed (3 s of recording).
    player.advance(200);
    assert!(!player.keep_up());
    // Three more seconds without applying anything: 32 s behind.
    player.advance(3_200);
    assert!(player.lag_ms() > 3_000);
    assert!(player.keep_up());
    catch_up(&mut player, &mut session);
    assert_eq!(player.lag_ms(), 0);
    assert_eq!(state(session.fleet()), straight(&path, player.position()));
}
