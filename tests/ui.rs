//! The real app window, driven with egui_kittest (no GPU, no display). Events reach it through
//! the same bounded channel the feed thread uses, or from the real embedded server.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui::{Event, Key, Modifiers, PointerButton, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use fleetview::clock::now_ms;

mod common;

use common::owntracks::{self, FakeRecorder};
use common::traccar::{self, FakeTraccar};
use common::window::*;
use fleetview::feed::{FeedEvent, FeedId, FeedSpec};
use fleetview::fleet::FleetConfig;
use fleetview::protocol::FixBatch;
use fleetview::ui::FleetApp;

#[test]
fn clicking_a_list_row_selects_that_vehicle_and_shows_its_details() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    assert_eq!(h.state().list_ids(), vec!["bus-1", "bus-2", "van-3"]);
    h.get_by_label_contains("Van 3").click();
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("van-3"));
    // The details panel names it, and the map is centred on it.
    h.get_by_label("van-3");
    h.get_by_label_contains("s ago");
    let ((lat, lon), _) = h.state().map_view();
    assert!((lat - CAIRNS.0).abs() < 1e-6 && (lon - (CAIRNS.1 + 0.004)).abs() < 1e-6);
}

#[test]
fn clicking_a_marker_selects_the_nearest_vehicle() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    h.get_by_label_contains("Bus 2").click();
    h.run_steps(3);
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert_eq!(selected(&h), None);
    // Bus 2 is now at the centre of the map; click a few pixels off it.
    let centre = h.state().map_rect().center();
    click_at(&mut h, centre + Vec2::new(3.0, -2.0));
    assert_eq!(selected(&h).as_deref(), Some("bus-2"));
    // A click on empty map picks nothing new.
    click_at(&mut h, centre + Vec2::new(200.0, 200.0));
    assert_eq!(selected(&h).as_deref(), Some("bus-2"));
}

#[test]
fn follow_keeps_the_map_centred_on_the_vehicle_as_it_moves() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = fleet_of_three(&tx);
    h.run_steps(3);
    h.get_by_label_contains("Bus 1").click();
    h.run_steps(2);
    h.key_press(Key::F);
    h.run_steps(2);
    assert!(h.state().view().following);
    let zoom_before = h.state().map_view().1;
    // It moves 500 m north; the fix comes 300 ms after the last, so it glides for 300 ms.
    tx.send(moved("bus-1", CAIRNS.0 + 0.0045, CAIRNS.1, t + 300))
        .expect("send");
    h.run_steps(2);
    std::thread::sleep(Duration::from_millis(400));
    h.run_steps(3);
    let ((lat, lon), zoom) = h.state().map_view();
    assert!(
        (lat - (CAIRNS.0 + 0.0045)).abs() < 1e-6,
        "centre {lat} {lon}"
    );
    assert!((lon - CAIRNS.1).abs() < 1e-6);
    assert_eq!(zoom, zoom_before, "following keeps the dispatcher's zoom");
}

#[test]
fn dragging_the_map_stops_following() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    h.get_by_label_contains("Bus 1").click();
    h.run_steps(2);
    h.key_press(Key::F);
    h.run_steps(2);
    assert!(h.state().view().following);
    let from = h.state().map_rect().center() + Vec2::new(150.0, 100.0);
    h.drag_at(from);
    h.run_steps(1);
    for step in 1..=5 {
        h.event(Event::PointerMoved(
            from + Vec2::new(20.0 * step as f32, 10.0 * step as f32),
        ));
        h.run_steps(1);
    }
    h.drop_at(from + Vec2::new(100.0, 50.0));
    h.run_steps(2);
    assert!(!h.state().view().following);
    assert_eq!(
        selected(&h).as_deref(),
        Some("bus-1"),
        "the selection stays"
    );
}

#[test]
fn slash_focuses_search_typing_filters_the_list_and_esc_clears_it() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(Event::Text("van".into()));
    h.run_steps(3);
    assert_eq!(h.state().list_ids(), vec!["van-3"]);
    assert_eq!(h.state().view().search, "van");
    // Typing "f" in the search box searches; it does not follow anything.
    h.get_by_label_contains("Van 3").click();
    h.run_steps(2);
    h.key_press(Key::Slash);
    h.run_steps(2);
    h.event(Event::Text("f".into()));
    h.run_steps(2);
    assert!(!h.state().view().following);
    assert_eq!(h.state().view().search, "vanf");
    h.key_press(Key::Escape);
    h.run_steps(3);
    assert_eq!(h.state().view().search, "");
    assert_eq!(h.state().list_ids(), vec!["bus-1", "bus-2", "van-3"]);
}

#[test]
fn esc_stops_following_then_clears_the_selection() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    h.get_by_label_contains("Bus 2").click();
    h.run_steps(2);
    h.get_by_label("Follow").click();
    h.run_steps(2);
    assert!(h.state().view().following);
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert!(!h.state().view().following);
    assert_eq!(selected(&h).as_deref(), Some("bus-2"));
    h.key_press(Key::Escape);
    h.run_steps(2);
    assert_eq!(selected(&h), None);
}

#[test]
fn a_followed_vehicle_that_leaves_ends_following_with_a_notice() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    h.get_by_label_contains("Van 3").click();
    h.run_steps(2);
    h.key_press(Key::F);
    h.run_steps(2);
    tx.send(FeedEvent::Removed(vec!["van-3".into()]))
        .expect("send");
    h.run_steps(3);
    assert!(!h.state().view().following);
    assert_eq!(selected(&h), None);
    assert_eq!(
        h.state().view().notice(now_ms()),
        Some("van-3 left the feed: following stopped")
    );
    h.get_by_label_contains("left the feed");
}

#[test]
fn arrow_keys_move_the_selection_through_the_list_and_plus_minus_zoom() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(selected(&h).as_deref(), Some("bus-1"));
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    assert_eq!(selected(&h).as_deref(), Some("van-3"));
    h.key_press(Key::ArrowUp);
    h.run_steps(2);
    assert_eq!(selected(&h).as_deref(), Some("bus-2"));
    let zoom = h.state().map_view().1;
    h.key_press(Key::Plus);
    h.run_steps(2);
    assert_eq!(h.state().map_view().1, zoom + 1.0);
    h.key_press(Key::Minus);
    h.key_press(Key::Minus);
    h.run_steps(2);
    assert_eq!(h.state().map_view().1, zoom - 1.0);
}

#[test]
fn idle_is_idle_and_a_gliding_marker_is_repainted_as_often_as_it_moves_a_pixel() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    let t = fleet_of_three(&tx);
    h.run_steps(3);
    // Nothing moving, nothing selected: the app stops asking for frames at once (the ages it
    // shows tick once a second).
    h.run();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Duration>::new()));
    let seen = asked.clone();
    h.ctx.set_repaint_observer(move |info| {
        if let Ok(mut v) = seen.lock() {
            v.push(info.delay);
        }
    });
    let soonest = |asked: &std::sync::Mutex<Vec<Duration>>| {
        let mut v = asked.lock().expect("lock");
        let soonest = v.iter().copied().min();
        v.clear();
        soonest
    };
    // A fix 22 m away, 2 s after the last: the marker glides at 11 m/s (40 km/h), some tens of
    // pixels a second at this zoom, so the next frame is asked for well within the second,
    // and not at once (it moves less than a pixel in one display frame).
    tx.send(moved("bus-2", CAIRNS.0 + 0.0038, CAIRNS.1, t + 2000))
        .expect("send");
    h.step();
    h.step();
    let gliding = soonest(&asked).expect("a frame asked for while it glides");
    assert!(
        gliding > Duration::from_millis(16) && gliding < Duration::from_millis(500),
        "{gliding:?}"
    );
    std::thread::sleep(Duration::from_millis(2100));
    // Glide over (and the vehicle is stopped, so no dead reckoning): back to the ages' tick.
    h.step();
    h.step();
    let still = soonest(&asked).unwrap_or(Duration::MAX);
    assert!(still >= Duration::from_secs(1), "{still:?}");
    h.run();
}

#[test]
fn the_status_bar_shows_the_connection_counts_and_refusals() {
    let (tx, rx) = channel();
    let mut h = app(rx);
    fleet_of_three(&tx);
    let mut refused = fleetview::protocol::RejectTally::default();
    refused.record_n(
        fleetview::protocol::RejectReason::MalformedJson,
        2,
        "not JSON",
    );
    tx.send(FeedEvent::Rejected(Box::new(refused)))
        .expect("send");
    h.run_steps(3);
    // The status bar says it briefly; the Feeds panel names the URL.
    h.get_by_label("test feed: connected");
    // The Feeds panel starts closed in a window this narrow; the status bar opens it.
    h.get_by_label("Feeds").click();
    h.run_steps(2);
    // In the table's counts, the status bar and the Feeds panel.
    assert_eq!(h.query_all_by_label("3 vehicles").count(), 3);
    h.get_by_label("2 rejected");
    h.get_by_label("2 refused");
    h.get_by_label("3 stopped");
    h.get_by_label("connected to ws://test.invalid/feed");
    tx.send(FeedEvent::Disconnected {
        reason: "connection reset".into(),
        retry_in: Some(Duration::from_secs(4)),
    })
    .expect("send");
    h.run_steps(2);
    assert_eq!(
        h.query_all_by_label_contains("reconnecting in 4 s: connection reset")
            .count(),
        2,
        "in the Feeds panel and on the map"
    );
    h.get_by_label("test feed: reconnecting in 4 s");
}

#[test]
fn the_default_path_shows_the_embedded_simulated_fleet_through_the_real_feed() {
    let server = fleetview::server::EmbeddedServer::start(
        fleetview::server::ServerConfig::default(),
        Some(fleetview::sim::SimConfig::new(60, 5)),
    )
    .expect("server");
    let url = server.url();
    let mut h = url_app(url);
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.state().fleet().len() < 60 {
        assert!(Instant::now() < deadline, "the fleet never arrived");
        std::thread::sleep(Duration::from_millis(50));
        h.run_steps(1);
    }
    // The map opened on the fleet: its centre is in Cairns.
    let ((lat, lon), _) = h.state().map_view();
    assert!(
        (-17.4..-16.6).contains(&lat) && (145.3..146.0).contains(&lon),
        "{lat} {lon}"
    );
    assert_eq!(h.query_all_by_label("60 vehicles").count(), 3);
    let first = h.state().list_ids()[0].clone();
    h.key_press(Key::ArrowDown);
    h.run_steps(2);
    h.key_press(Key::F);
    h.run_steps(2);
    assert_eq!(selected(&h), Some(first));
    assert!(h.state().view().following);
    drop(h);
    drop(server);
}

#[test]
fn double_clicking_a_row_follows_that_vehicle() {
    let (tx, rx) = channel();
    // A short simulated frame: egui's double click is two clicks within 0.3 s.
    let mut h = app_with(Harness::builder().with_step_dt(0.05), rx);
    fleet_of_three(&tx);
    h.run_steps(3);
    let row = h.get_by_label_contains("Bus 2").rect().center();
    h.event(Event::PointerMoved(row));
    h.step();
    for _ in 0..2 {
        let press = |pressed| Event::PointerButton {
            pos: row,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        };
        h.event(press(true));
        h.event(press(false));
        h.step();
    }
    h.run_steps(2);
    assert_eq!(selected(&h).as_deref(), Some("bus-2"));
    assert!(h.state().view().following);
}

#[test]
fn a_label_no_font_can_draw_does_not_take_the_window_down() {
    // The app draws tofu for glyphs no font has (it sets that policy itself; the harness would
    // otherwise panic on purpose): what matters is that nothing else breaks on such text.
    let (tx, rx) = channel();
    let mut h = app_with_fleet(
        Harness::builder().allow_missing_glyphs(),
        rx,
        FleetConfig::default(),
    );
    let t = now_ms();
    let batch =
        FixBatch::from_positions(&[vehicle("x-1", "公交车 ☃ 𝔅", "bus", CAIRNS.0, CAIRNS.1, t)]);
    tx.send(FeedEvent::Snapshot(batch)).expect("send");
    h.run_steps(3);
    h.get_by_label_contains("☃").click();
    h.run_steps(3);
    assert_eq!(selected(&h).as_deref(), Some("x-1"));
}

#[test]
fn feeds_are_added_refused_and_removed_at_runtime_from_the_feeds_panel() {
    use fleetview::server::{EmbeddedServer, ServerConfig};
    use fleetview::sim::SimConfig;
    let first =
        EmbeddedServer::start(ServerConfig::default(), Some(SimConfig::new(10, 1))).expect("first");
    let second = EmbeddedServer::start(ServerConfig::default(), Some(SimConfig::new(25, 2)))
        .expect("second");
    let mut h = url_app(first.url());
    let wait_for = |h: &mut Harness<'_, FleetApp>, n: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while h.state().fleet().len() != n {
            assert!(Instant::now() < deadline, "never reached {n} vehicles");
            std::thread::sleep(Duration::from_millis(50));
            h.run_steps(1);
        }
    };
    wait_for(&mut h, 10);
    h.get_by_label("Add feed…").click();
    h.run_steps(2);
    // A URL that is not a WebSocket one is refused with the reason, and nothing changes.
    let field = h.get_by(|n| n.role() == Role::TextInput && n.label().as_deref() == Some("URL"));
    field.focus();
    field.type_text("http://example.com/feed");
    h.run_steps(1);
    h.get_by_label("Add").click();
    h.run_steps(3);
    h.get_by_label_contains("starts with ws:// or wss://");
    assert_eq!(h.state().specs().len(), 1);
    let field = h.get_by(|n| n.role() == Role::TextInput && n.label().as_deref() == Some("URL"));
    field.focus();
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::A]);
    field.type_text(&second.url());
    let name = h.get_by(|n| n.role() == Role::TextInput && n.label().as_deref() == Some("Name"));
    name.focus();
    name.type_text("Second depot");
    h.run_steps(1);
    h.get_by_label("Add").click();
    h.run_steps(2);
    wait_for(&mut h, 35);
    assert_eq!(h.state().specs().len(), 2);
    // In the Feeds panel, and in the table's feed column.
    assert!(h.query_all_by_label("Second depot").count() >= 2);
    // Editing the second feed (a new name) reconnects it in its place; its vehicles come back.
    let edit = h
        .query_all_by_label("Edit")
        .nth(1)
        .expect("the second Edit button");
    edit.click();
    h.run_steps(2);
    let name = h.get_by(|n| n.role() == Role::TextInput && n.label().as_deref() == Some("Name"));
    name.focus();
    h.key_combination_modifiers(Modifiers::COMMAND, &[Key::A]);
    name.type_text("Yard");
    h.run_steps(1);
    h.get_by_label("Save").click();
    h.run_steps(3);
    wait_for(&mut h, 35);
    let names: Vec<String> = h
        .state()
        .session()
        .feeds()
        .map(|(_, f)| f.name.clone())
        .collect();
    assert_eq!(names[1], "Yard", "in its place: {names:?}");
    assert_eq!(h.state().specs().len(), 2);
    // The first feed goes, with its vehicles only.
    let remove = h
        .query_all_by_label("Remove")
        .next()
        .expect("a Remove button");
    remove.click();
    h.run_steps(3);
    wait_for(&mut h, 25);
    let yard = h
        .state()
        .session()
        .feeds()
        .next()
        .map(|(id, _)| id)
        .expect("yard");
    assert!(h.state().fleet().iter().all(|(_, v)| v.feed() == yard));
    assert_eq!(h.state().session().feeds().count(), 1);
    drop(h);
}

#[test]
fn three_feeds_show_side_by_side_and_one_dying_leaves_the_others_live() {
    use fleetview::feed::Credentials;
    use fleetview::formats::FeedKind;
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sim = fleetview::server::EmbeddedServer::start(
        fleetview::server::ServerConfig::default(),
        Some(fleetview::sim::SimConfig::new(30, 3)),
    )
    .expect("sim");
    let traccar = rt.block_on(FakeTraccar::start(format!(
        r#"{{"positions":[{},{}]}}"#,
        traccar::position(1, 7, -16.925, 145.775, &traccar::iso(-3000), 10.0),
        traccar::position(2, 8, -16.93, 145.76, &traccar::iso(-3000), 0.0)
    )));
    let tst = now_ms() / 1000 - 5;
    let recorder = rt.block_on(FakeRecorder::start(vec![owntracks::last_object(
        "jane", "phone", "Jane Doe", -16.918, 145.778, tst,
    )]));
    let mut sim_spec = FeedSpec::fleetview(sim.url());
    sim_spec.name = "Buses".into();
    let traccar_spec = FeedSpec::new(
        Some("Depot Traccar".into()),
        FeedKind::Traccar,
        &traccar.url,
        Credentials {
            user: Some(traccar::EMAIL.into()),
            password: Some(traccar::PASSWORD.into()),
            ..Credentials::default()
        },
    )
    .expect("traccar");
    let phones = FeedSpec::parse(&format!("Phones=owntracks:{}", recorder.url)).expect("phones");
    let mut h = feeds_app(vec![sim_spec, traccar_spec, phones]);
    let wait = |h: &mut Harness<'_, FleetApp>, what: &str, done: &dyn Fn(&FleetApp) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(h.state()) {
            assert!(Instant::now() < deadline, "timed out waiting until {what}");
            std::thread::sleep(Duration::from_millis(50));
            h.run_steps(1);
        }
    };
    wait(&mut h, "every feed's vehicles", &|app| {
        app.fleet().len() == 33
    });
    let fleet = h.state().fleet();
    assert_eq!(
        (
            fleet.len_of(FeedId(0)),
            fleet.len_of(FeedId(1)),
            fleet.len_of(FeedId(2))
        ),
        (30, 2, 1)
    );
    h.run_steps(2);
    // The Feeds panel: three feeds, each connected, with its own count.
    // (Each name is in the Feeds panel and in the table's feed column.)
    for name in ["Buses", "Depot Traccar", "Phones"] {
        assert!(h.query_all_by_label(name).count() >= 2, "{name}");
    }
    h.get_by_label("3 of 3 feeds connected");
    assert_eq!(h.query_all_by_label_contains("connected to ").count(), 3);
    h.get_by_label("30 vehicles");
    h.get_by_label("2 vehicles");
    h.get_by_label("1 vehicles");
    // Search finds a feed's vehicles by the feed's name; rows name their feed.
    let search = h.get_by(|n| n.role() == Role::TextInput && n.value().as_deref() == Some(""));
    search.focus();
    search.type_text("traccar");
    h.run_steps(3);
    assert_eq!(h.state().list_ids(), vec!["truck-12", "358240051111110"]);
    h.get_by_label("Van 7");
    h.key_press(Key::Escape);
    h.run_steps(2);
    let search = h.get_by(|n| n.role() == Role::TextInput && n.value().as_deref() == Some(""));
    search.focus();
    search.type_text("phones");
    h.run_steps(3);
    assert_eq!(h.state().list_ids(), vec!["owntracks/jane/phone"]);
    h.key_press(Key::Escape);
    h.run_steps(2);

    // The Traccar server dies: its feed says so; the other two stay live and complete.
    traccar.kill();
    wait(&mut h, "the Traccar feed notices", &|app| {
        !app.session()
            .feed(FeedId(1))
            .expect("traccar")
            .link
            .is_connected()
    });
    let before = h
        .state()
        .fleet()
        .get(FeedId(2), "owntracks/jane/phone")
        .map(|v| v.fix.ts);
    recorder.push(owntracks::live(
        "jane",
        "phone",
        -16.919,
        145.779,
        tst + 3,
        20,
    ));
    wait(&mut h, "the phone moves on", &|app| {
        app.fleet()
            .get(FeedId(2), "owntracks/jane/phone")
            .map(|v| v.fix.ts)
            > before
    });
    let buses_before = h.state().session().feed(FeedId(0)).expect("buses").applied;
    wait(&mut h, "the buses keep reporting", &|app| {
        app.session().feed(FeedId(0)).expect("buses").applied > buses_before + 5
    });
    let fleet = h.state().fleet();
    assert_eq!((fleet.len_of(FeedId(0)), fleet.len_of(FeedId(2))), (30, 1));
    // The map itself says the feed is down, and since when.
    let deadline = Instant::now() + Duration::from_secs(10);
    while h
        .query_all_by_label_contains("Depot Traccar is down: no data for")
        .count()
        != 1
    {
        assert!(
            Instant::now() < deadline,
            "the map never said the feed is down"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.run_steps(1);
    }
    h.get_by_label("2 of 3 feeds connected");
    drop(h);
    drop(rt);
}

#[test]
fn a_dead_feeds_vehicles_turn_stale_on_time_with_no_input_and_the_map_says_the_feed_is_down() {
    let (tx, rx) = channel();
    let fleet = FleetConfig {
        stale_after: Duration::from_millis(800),
        ..FleetConfig::default()
    };
    let mut h = app_with_fleet(Harness::builder(), rx, fleet);
    fleet_of_three(&tx);
    tx.send(FeedEvent::Disconnected {
        reason: "connection reset".into(),
        retry_in: Some(Duration::from_secs(30)),
    })
    .expect("send");
    h.run_steps(2);
    h.get_by_label("3 stopped");
    h.get_by_label_contains("test feed is down: no data for 0 s; reconnecting in 30 s");
    // The window asks to be drawn again in time, by itself: nothing moves, nothing is selected.
    let delay = |h: &Harness<'_, FleetApp>| {
        h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay
    };
    assert!(delay(&h) <= Duration::from_secs(1), "{:?}", delay(&h));
    std::thread::sleep(Duration::from_millis(1100));
    // One frame, as the requested repaint gives it: no input, no feed event.
    h.step();
    h.get_by_label("3 stale");
    h.get_by_label_contains("test feed is down: no data for 1 s");
}
