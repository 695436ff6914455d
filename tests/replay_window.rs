//! The replay in the real window (egui_kittest, no GPU), on a clock the test moves: the
//! timeline's play, pause, speed, keys and slider, follow during a replay, the whole track;
//! and the Record button of a live window.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Vec2;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

mod common;

use common::replay::*;
use common::window::*;
use fleetview::clock::ManualClock;
use fleetview::fleet::FleetConfig;
use fleetview::record::player::{self, Player};
use fleetview::ui::{AppConfig, FeedSource, FleetApp, TileSpec};

fn replay_app(path: &std::path::Path, clock: &ManualClock) -> Harness<'static, FleetApp> {
    let player = Player::open(path).expect("opens");
    let clock = Arc::new(clock.clone());
    let mut h = Harness::builder()
        .with_size(Vec2::new(1300.0, 800.0))
        .with_max_steps(20)
        .build_eframe(move |cc| {
            FleetApp::new(
                cc,
                AppConfig {
                    clock,
                    ..config(FeedSource::Replay(Box::new(player)), TileSpec::None)
                },
            )
        });
    settle(&mut h);
    h
}

/// Runs frames until the replay has applied everything due (its decoder is a thread).
fn settle(h: &mut Harness<'_, FleetApp>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        h.run_steps(1);
        if h.state().replay().is_some_and(Player::is_caught_up) {
            h.run_steps(1);
            return;
        }
        assert!(Instant::now() < deadline, "the replay never caught up");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn position(h: &Harness<'_, FleetApp>) -> i64 {
    h.state().replay().map_or(0, Player::position)
}

#[test]
fn the_timeline_plays_pauses_speeds_up_jumps_and_scrubs_on_replay_time() {
    let dir = temp_dir("replay-window");
    let path = dir.join("sim.fvr");
    sim_recording(&path, 200, 40);
    let clock = ManualClock::at(5_000);
    let mut h = replay_app(&path, &clock);
    assert_eq!(
        h.state().fleet().len(),
        200,
        "the fleet as the recording starts"
    );
    let start = position(&h);
    assert_eq!(
        h.query_all_by_label_contains("2026-11-25 14:00:0").count(),
        2,
        "the timeline and the map's badge"
    );
    h.get_by_label("Play").click();
    h.run_steps(1);
    clock.advance(1_000);
    settle(&mut h);
    assert_eq!(position(&h), start + 1_000);
    h.key_press(egui::Key::CloseBracket);
    h.run_steps(1);
    clock.advance(1_000);
    settle(&mut h);
    assert_eq!(position(&h), start + 3_000, "2x");
    assert_eq!(h.state().replay().map(Player::speed), Some(2.0));
    h.key_press(egui::Key::Space);
    h.run_steps(1);
    clock.advance(5_000);
    settle(&mut h);
    assert_eq!(position(&h), start + 3_000, "paused");
    h.get_by_label("Play");
    h.key_press(egui::Key::ArrowRight);
    settle(&mut h);
    assert_eq!(position(&h), start + 13_000);
    h.key_press(egui::Key::ArrowLeft);
    settle(&mut h);
    assert_eq!(position(&h), start + 3_000);
    let at = position(&h);
    let want = player::play_straight(&path, at, &FleetConfig::default()).expect("plays");
    assert_eq!(
        state(h.state().fleet()),
        state(want.fleet()),
        "the model at replay time"
    );
    // The slider: a click three quarters along scrubs there.
    let rect = h.get_by_role(Role::Slider).rect();
    let (first, last) = h.state().replay().map_or((0, 0), Player::span);
    let x = rect.min.x + (rect.max.x - rect.min.x) * 0.75;
    click_at(&mut h, egui::pos2(x, (rect.min.y + rect.max.y) / 2.0));
    settle(&mut h);
    let fraction = (position(&h) - first) as f64 / (last - first) as f64;
    assert!((fraction - 0.75).abs() < 0.05, "scrubbed to {fraction:.2}");
    let want = player::play_straight(&path, position(&h), &FleetConfig::default()).expect("plays");
    assert_eq!(state(h.state().fleet()), state(want.fleet()));
}

#[test]
fn following_a_vehicle_during_a_replay_keeps_it_in_the_middle_and_its_whole_track_draws() {
    let dir = temp_dir("replay-follow");
    let path = dir.join("sim.fvr");
    sim_recording(&path, 50, 30);
    let clock = ManualClock::at(0);
    let mut h = replay_app(&path, &clock);
    let first = h.state().list_ids().first().cloned().expect("a vehicle");
    let row = h
        .state()
        .fleet()
        .iter()
        .find(|(_, v)| v.id() == first)
        .map(|(_, v)| v.display_name().to_owned());
    h.get_by_label(row.as_deref().unwrap_or_default()).click();
    h.run_steps(2);
    h.key_press(egui::Key::F);
    h.get_by_label("Play").click();
    h.run_steps(1);
    h.key_press(egui::Key::CloseBracket);
    h.key_press(egui::Key::CloseBracket);
    h.run_steps(1);
    for _ in 0..10 {
        clock.advance(500);
        settle(&mut h);
    }
    let app = h.state();
    assert!(app.view().following, "still following");
    let v = app
        .fleet()
        .iter()
        .find(|(_, v)| v.id() == first)
        .map(|(_, v)| v.display_position(position(&h)));
    let ((lat, lon), _) = app.map_view();
    let (vlat, vlon) = v.expect("the vehicle");
    assert!(
        (lat - vlat).abs() < 1e-4 && (lon - vlon).abs() < 1e-4,
        "map at {lat},{lon}, vehicle at {vlat},{vlon}"
    );
    h.get_by_label_contains("Whole track of").click();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.state().whole_track().is_none() {
        assert!(Instant::now() < deadline, "the track never came");
        h.run_steps(1);
        std::thread::sleep(Duration::from_millis(5));
    }
    let track = h.state().whole_track().cloned().unwrap_or_default();
    assert!(track.points.len() > 3, "{} points", track.points.len());
    assert!(track.points.windows(2).all(|w| w[0].ts < w[1].ts));
    h.get_by_label_contains("fixes,");
    h.get_by_label("Hide the track").click();
    h.run_steps(2);
    assert!(h.state().whole_track().is_none());
}

#[test]
fn the_record_button_records_what_the_window_shows_until_stopped() {
    let dir = temp_dir("record-window");
    let path = dir.join("window.fvr");
    let (tx, rx) = channel();
    let clock = Arc::new(fleetview::clock::SystemClock);
    let mut h = Harness::builder()
        .with_size(Vec2::new(1300.0, 800.0))
        .with_max_steps(20)
        .build_eframe({
            let path = path.clone();
            move |cc| {
                FleetApp::new(
                    cc,
                    AppConfig {
                        routes: None,
                        clock,
                        record: Some(path),
                        ..config(events_of(rx), TileSpec::None)
                    },
                )
            }
        });
    fleet_of_three(&tx);
    h.run_steps(3);
    assert!(h.state().recording().is_some(), "--record starts at once");
    h.get_by_label_contains("Recording");
    h.get_by_label("Stop").click();
    h.run_steps(2);
    assert!(h.state().recording().is_none());
    h.get_by_label("Record");
    let rec = fleetview::record::Recording::open(&path).expect("a recording");
    let (_, last) = rec.span().expect("chunks");
    let replayed = player::play_straight(&path, last, &FleetConfig::default()).expect("plays");
    assert_eq!(state(replayed.fleet()), state(h.state().fleet()));
    assert_eq!(replayed.feed_name(FEED), "test feed");
    // Replay...: the recordings beside it are listed; a file that is not one is refused.
    h.get_by_label("Replay...").click();
    h.run_steps(4);
    h.get_by_label_contains("window.fvr (");
    let not = dir.join("notes.txt");
    std::fs::write(&not, "not a recording").expect("write");
    let inputs = h.get_all_by_role(Role::TextInput).collect::<Vec<_>>();
    let path_box = inputs.last().expect("the path box");
    path_box.focus();
    path_box.type_text(&not.display().to_string());
    h.run_steps(2);
    let buttons = h.get_all_by_label("Replay").collect::<Vec<_>>();
    buttons.last().expect("the path's Replay button").click();
    h.run_steps(2);
    h.get_by_label_contains("is not a fleetview recording");
}

#[test]
fn a_replay_says_so_on_the_map_and_in_the_feeds_and_its_table_stays_sorted_through_seeks() {
    let dir = temp_dir("replay-honest");
    let path = dir.join("sim.fvr");
    sim_recording(&path, 120, 30);
    let clock = ManualClock::at(5_000);
    let mut h = replay_app(&path, &clock);
    // The map's badge: a replay, its time, paused until played.
    h.get_by_label_contains("Replay \u{b7} 2026-11-25 14:00:0");
    h.get_by_label_contains("\u{b7} paused");
    // The feeds are a recording's, never "connected".
    h.get_by_label("replay of 1 recorded feed");
    assert!(h.query_by_label_contains("connected").is_none());
    h.get_by_label("Feeds").click();
    h.run_steps(2);
    h.get_by_label_contains("recorded (then: connected");
    let before = h.state().list_ids();
    assert_eq!(before.len(), 120);
    h.get_by_label("Play").click();
    h.run_steps(1);
    clock.advance(500);
    settle(&mut h);
    h.get_by_label_contains("\u{b7} 1x");
    // Seeks start the model over from a keyframe: the rows keep their order by name.
    for key in [
        egui::Key::ArrowRight,
        egui::Key::ArrowLeft,
        egui::Key::ArrowRight,
    ] {
        h.key_press(key);
        settle(&mut h);
        assert_eq!(h.state().list_ids(), before, "sorted by name after a seek");
    }
}
