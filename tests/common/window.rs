//! The real app window under egui_kittest: a harness fed through the same bounded channel the
//! feed thread uses (or by real feeds), and small helpers to click and read it.

use crossbeam_channel::{Receiver, Sender, bounded};
use egui::{Event, Modifiers, PointerButton, Pos2, Vec2};
use egui_kittest::Harness;

use fleetview::clock::now_ms;
use fleetview::feed::{FeedEvent, FeedId, FeedSpec};
use fleetview::fleet::FleetConfig;
use fleetview::protocol::{FixBatch, Position};
use fleetview::ui::{AppConfig, FeedSource, FleetApp, TileSpec};

pub const CAIRNS: (f64, f64) = (-16.92, 145.77);

/// The one feed the channel-fed tests speak for.
pub const FEED: FeedId = FeedId(0);

/// A sender of one feed's events, as the feeds thread would send them.
pub struct Tx(pub Sender<(FeedId, FeedEvent)>);

impl Tx {
    pub fn send(
        &self,
        event: FeedEvent,
    ) -> Result<(), crossbeam_channel::SendError<(FeedId, FeedEvent)>> {
        self.0.send((FEED, event))
    }
}

pub fn channel() -> (Tx, Receiver<(FeedId, FeedEvent)>) {
    let (tx, rx) = bounded(64);
    (Tx(tx), rx)
}

pub fn app(events: Receiver<(FeedId, FeedEvent)>) -> Harness<'static, FleetApp> {
    app_with(Harness::builder(), events)
}

pub fn app_with(
    builder: egui_kittest::HarnessBuilder<FleetApp>,
    events: Receiver<(FeedId, FeedEvent)>,
) -> Harness<'static, FleetApp> {
    app_with_fleet(builder, events, FleetConfig::default())
}

pub fn app_with_fleet(
    builder: egui_kittest::HarnessBuilder<FleetApp>,
    events: Receiver<(FeedId, FeedEvent)>,
    fleet: FleetConfig,
) -> Harness<'static, FleetApp> {
    app_with_alerts(builder, events, fleet, None, None)
}

/// ... with an alert engine.
pub fn app_with_alerts(
    builder: egui_kittest::HarnessBuilder<FleetApp>,
    events: Receiver<(FeedId, FeedEvent)>,
    fleet: FleetConfig,
    alerts: Option<fleetview::alerts::Engine>,
    geofences_file: Option<std::path::PathBuf>,
) -> Harness<'static, FleetApp> {
    builder
        .with_size(Vec2::new(1200.0, 800.0))
        .with_max_steps(20)
        .build_eframe(|cc| {
            FleetApp::new(
                cc,
                AppConfig {
                    fleet,
                    alerts,
                    geofences_file,
                    ..config(events_of(events), TileSpec::None)
                },
            )
        })
}

/// The one test feed's events as the app's source.
pub fn events_of(events: Receiver<(FeedId, FeedEvent)>) -> FeedSource {
    FeedSource::Events {
        feeds: vec![(FEED, "test feed".into())],
        events,
    }
}

/// The window's settings for a test: `source` and `tiles`, the Cairns routes, the wall clock,
/// and nothing else (no alert rules, no geofences, no recording).
pub fn config(source: FeedSource, tiles: TileSpec) -> AppConfig {
    AppConfig {
        source,
        prefer_remembered: false,
        tiles,
        fleet: FleetConfig::default(),
        routes: cairns_routes(),
        alerts: None,
        geofences_file: None,
        clock: fleetview::clock::system(),
        record: None,
    }
}

/// The app on real feeds, through the real client.
pub fn feeds_app(feeds: Vec<FeedSpec>) -> Harness<'static, FleetApp> {
    Harness::builder()
        .with_size(Vec2::new(1400.0, 800.0))
        .build_eframe(|cc| {
            let source = FeedSource::Live {
                feeds,
                embedded: None,
            };
            FleetApp::new(cc, config(source, TileSpec::None))
        })
}

/// The app on one real fleetview feed.
pub fn url_app(url: String) -> Harness<'static, FleetApp> {
    feeds_app(vec![FeedSpec::fleetview(url)])
}

pub fn vehicle(id: &str, label: &str, kind: &str, lat: f64, lon: f64, ts: i64) -> Position {
    let mut p = Position::new(id, lat, lon, ts);
    p.label = Some(label.into());
    p.kind = Some(kind.into());
    p
}

/// Three vehicles a few hundred metres apart in Cairns, stamped now.
pub fn fleet_of_three(tx: &Tx) -> i64 {
    let t = now_ms();
    let batch = FixBatch::from_positions(&[
        vehicle("bus-1", "Bus 1", "bus", CAIRNS.0, CAIRNS.1, t),
        vehicle("bus-2", "Bus 2", "bus", CAIRNS.0 + 0.004, CAIRNS.1, t),
        vehicle("van-3", "Van 3", "van", CAIRNS.0, CAIRNS.1 + 0.004, t),
    ]);
    tx.send(FeedEvent::Connected {
        url: "ws://test.invalid/feed".into(),
    })
    .expect("send");
    tx.send(FeedEvent::Snapshot(batch)).expect("send");
    t
}

pub fn moved(id: &str, lat: f64, lon: f64, ts: i64) -> FeedEvent {
    let mut p = Position::new(id, lat, lon, ts);
    p.speed = Some(0.0);
    let mut b = FixBatch::from_positions(&[p]);
    b.received_ms = now_ms();
    FeedEvent::Positions(b)
}

pub fn click_at(h: &mut Harness<'_, FleetApp>, pos: Pos2) {
    h.event(Event::PointerMoved(pos));
    h.event(Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::NONE,
    });
    h.event(Event::PointerButton {
        pos,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::NONE,
    });
    h.run_steps(2);
}

/// Runs frames until `done` holds of the app, for at most `within` (then fails naming `what`).
pub fn wait_until(
    h: &mut Harness<'_, FleetApp>,
    what: &str,
    within: std::time::Duration,
    done: &dyn Fn(&FleetApp) -> bool,
) {
    let deadline = std::time::Instant::now() + within;
    while !done(h.state()) {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
        h.run_steps(1);
    }
}

pub fn selected(h: &Harness<'_, FleetApp>) -> Option<String> {
    h.state()
        .view()
        .selected
        .as_ref()
        .map(|id| id.id.to_string())
}

/// The route lines the binary hands the window (the simulated fleet's Cairns network).
pub fn cairns_routes() -> Option<fleetview::routes::RouteLines> {
    fleetview::sim::Network::cairns()
        .ok()
        .map(|n| n.route_lines())
}
