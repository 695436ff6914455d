use super::*;
use crate::alerts::geofence::tests::CAIRNS;
use crate::events::VehicleNotice;
use crate::fleet::FleetConfig;
use crate::protocol::{FixBatch, FixRef, Meta};

const FEED: FeedId = FeedId(1);
const T0: i64 = 1_764_000_000_000;
/// Inside the depot polygon, and 500 m east of its east edge (145.780).
const IN: (f64, f64) = (-16.920, 145.775);
const OUT: (f64, f64) = (-16.920, 145.7847);

struct Rig {
    fleet: Fleet,
    engine: Engine,
    alerts: Vec<Alert>,
}

impl Rig {
    fn new(rules: &str) -> Self {
        let rules = Rules::parse(rules, "r.toml").expect("rules");
        let fences = Geofences::parse(CAIRNS, "g.json").expect("fences");
        Self {
            fleet: Fleet::new(FleetConfig::default()),
            engine: Engine::new(rules, fences),
            alerts: Vec::new(),
        }
    }

    /// A fix of `id` at `at`, `ts_s` seconds after T0, at `kmh`.
    fn fix(&mut self, id: &str, kind: &str, at: (f64, f64), ts_s: i64, kmh: f32) {
        self.fix_with(id, (kind, None, None), at, ts_s, kmh);
    }

    /// ... with a status and attributes (JSON text).
    fn fix_with(
        &mut self,
        id: &str,
        (kind, status, attrs): (&str, Option<&str>, Option<&str>),
        at: (f64, f64),
        ts_s: i64,
        kmh: f32,
    ) {
        let mut batch = FixBatch::default();
        batch.push(&FixRef {
            id,
            lat: at.0,
            lon: at.1,
            ts: T0 + ts_s * 1000,
            heading: None,
            speed: Some(kmh / 3.6),
            meta: Meta {
                kind: Some(kind),
                status,
                attrs,
                ..Meta::default()
            },
        });
        let changes = self.fleet.apply_batch(FEED, &batch, T0 + ts_s * 1000);
        self.engine.observe(&self.fleet, &changes, &mut self.alerts);
    }

    fn tick(&mut self, at_s: i64) {
        self.engine
            .tick(&self.fleet, T0 + at_s * 1000, &mut self.alerts);
    }

    fn rules(&self) -> Vec<(Rule, Option<&str>)> {
        self.alerts
            .iter()
            .map(|a| (a.rule, a.geofence.as_deref()))
            .collect()
    }
}

const FENCES: &str = "[geofence]\nenter = true\nexit = true\n";

#[test]
fn a_bus_driving_in_and_out_raises_one_enter_and_one_exit() {
    let mut r = Rig::new(FENCES);
    r.fix("bus", "bus", OUT, 0, 30.0);
    for t in 1..=3 {
        r.fix("bus", "bus", IN, t, 30.0);
    }
    for t in 4..=6 {
        r.fix("bus", "bus", OUT, t, 30.0);
    }
    assert_eq!(
        r.rules(),
        [
            (Rule::Enter, Some("City depot")),
            (Rule::Exit, Some("City depot"))
        ]
    );
    assert_eq!(
        r.alerts[0].at_ms,
        T0 + 2000,
        "confirmed on the second fix inside"
    );
    assert_eq!(r.alerts[0].label, "bus");
}

#[test]
fn a_vehicle_jittering_on_the_boundary_raises_nothing_until_it_settles() {
    let mut r = Rig::new(FENCES);
    // A recorded-style jitter: a GPS wandering a few metres either side of the east edge.
    let edge = 145.780;
    let wobble = [
        -3.0, 2.0, -1.0, 4.0, -2.0, 1.0, -4.0, 3.0, -1.0, 2.0, -3.0, 1.0, -2.0, 3.0,
    ];
    r.fix("van", "van", IN, 0, 5.0);
    for (i, m) in wobble.iter().enumerate() {
        let lon = edge + m / 106_000.0;
        r.fix("van", "van", (-16.920, lon), 1 + i as i64, 5.0);
    }
    assert!(r.alerts.is_empty(), "{:?}", r.rules());
    r.fix("van", "van", OUT, 20, 5.0);
    r.fix("van", "van", OUT, 21, 5.0);
    assert_eq!(r.rules(), [(Rule::Exit, Some("City depot"))]);
}

#[test]
fn only_feeds_kinds_and_named_geofences_that_the_rule_picks_alert() {
    let mut r = Rig::new("[geofence]\nenter = true\nkinds = [\"bus\"]\nonly = [\"Stop 750070\"]\n");
    for t in 0..3 {
        r.fix("truck", "truck", OUT, t, 20.0);
        r.fix("bus", "bus", OUT, t, 20.0);
    }
    for t in 3..6 {
        r.fix("truck", "truck", IN, t, 20.0);
        r.fix("bus", "bus", IN, t, 20.0);
    }
    assert!(
        r.alerts.is_empty(),
        "the depot is not watched: {:?}",
        r.rules()
    );
    let stop = (-16.8890, 145.7520);
    for t in 6..9 {
        r.fix("truck", "truck", stop, t, 20.0);
        r.fix("bus", "bus", stop, t, 20.0);
    }
    assert_eq!(r.rules(), [(Rule::Enter, Some("Stop 750070"))]);
    assert_eq!(r.alerts[0].vehicle, "bus");
}

#[test]
fn overspeed_shorter_than_the_grace_is_quiet_and_longer_alerts_once() {
    let mut r = Rig::new("[overspeed]\nenabled = true\nlimits_kmh = { bus = 60 }\ngrace_s = 5\n");
    r.fix("bus", "bus", OUT, 0, 50.0);
    for t in 1..=4 {
        r.fix("bus", "bus", OUT, t, 75.0);
    }
    r.fix("bus", "bus", OUT, 5, 55.0);
    assert!(r.alerts.is_empty(), "4 s over: within the grace");
    for t in 6..=20 {
        r.fix("bus", "bus", OUT, t, 82.0);
    }
    assert_eq!(r.rules(), [(Rule::Overspeed, None)]);
    assert_eq!(r.alerts[0].detail, "82 km/h for 5 s (limit 60)");
}

#[test]
fn a_geofence_speed_limit_wins_inside_it() {
    let mut r = Rig::new("[overspeed]\nenabled = true\ndefault_kmh = 100\ngrace_s = 0\n");
    r.fix("van", "van", OUT, 0, 40.0);
    assert!(r.alerts.is_empty());
    r.fix("van", "van", IN, 1, 40.0);
    assert_eq!(r.rules(), [(Rule::Overspeed, Some("City depot"))]);
}

#[test]
fn lost_and_back_online_by_the_clock() {
    let mut r = Rig::new("[lost]\nenabled = true\nminutes = 10\n");
    r.fix("bus", "bus", OUT, 0, 30.0);
    r.tick(599);
    assert!(r.alerts.is_empty());
    r.tick(600);
    r.tick(700);
    assert_eq!(r.rules(), [(Rule::Lost, None)], "once");
    r.fix("bus", "bus", OUT, 710, 30.0);
    assert_eq!(r.rules(), [(Rule::Lost, None), (Rule::Online, None)]);
}

#[test]
fn stopped_too_long_outside_a_depot_but_not_in_one() {
    let mut r = Rig::new("[stopped]\nenabled = true\nminutes = 20\n");
    r.fix("out", "van", OUT, 0, 0.0);
    r.fix("in", "van", IN, 0, 0.0);
    r.tick(19 * 60);
    assert!(r.alerts.is_empty());
    r.tick(20 * 60);
    r.tick(30 * 60);
    assert_eq!(r.rules(), [(Rule::Stopped, None)]);
    assert_eq!(r.alerts[0].vehicle, "out");
}

#[test]
fn a_feeds_alarm_notice_is_an_alert() {
    let mut r = Rig::new("");
    r.fix("truck", "truck", OUT, 0, 0.0);
    let notice = VehicleNotice {
        id: "truck".into(),
        kind: "alarm".into(),
        ts: T0,
        detail: Some("sos".into()),
    };
    r.engine.notice(&r.fleet, FEED, &notice, &mut r.alerts);
    assert_eq!(r.rules(), [(Rule::Alarm, None)]);
    assert_eq!(r.alerts[0].detail, "sos");
}

fn sos_notice(ts: i64) -> VehicleNotice {
    VehicleNotice {
        id: "truck".into(),
        kind: "alarm".into(),
        ts,
        detail: Some("sos".into()),
    }
}

#[test]
fn an_sos_on_fixes_is_one_critical_alert_until_the_alarm_changes() {
    let mut r = Rig::new("");
    let sos = ("truck", None, Some(r#"{"alarm":"sos","ignition":true}"#));
    r.fix("truck", "truck", OUT, 0, 0.0);
    for t in 1..=5 {
        r.fix_with("truck", sos, OUT, t, 0.0);
    }
    assert_eq!(r.rules(), [(Rule::Alarm, None)], "once, not on every fix");
    assert_eq!(r.alerts[0].severity, Severity::Critical);
    assert_eq!(r.alerts[0].detail, "sos");
    assert_eq!(r.alerts[0].at_ms, T0 + 1000);
    r.fix("truck", "truck", OUT, 6, 0.0);
    let overspeed = ("truck", None, Some(r#"{"alarm":"overspeed"}"#));
    r.fix_with("truck", overspeed, OUT, 7, 90.0);
    r.fix_with("truck", sos, OUT, 600, 0.0);
    let got: Vec<(String, Severity)> = r
        .alerts
        .iter()
        .map(|a| (a.detail.clone(), a.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("sos".into(), Severity::Critical),
            ("overspeed".into(), Severity::Warning),
            ("sos".into(), Severity::Critical)
        ]
    );
}

/// The truck's fix carrying an SOS, outside every geofence, at T0.
fn sos_fix(r: &mut Rig) {
    r.fix_with(
        "truck",
        ("truck", None, Some(r#"{"alarm":"sos"}"#)),
        OUT,
        0,
        0.0,
    );
}

#[test]
fn a_notice_and_a_fix_saying_the_same_alarm_raise_one_alert() {
    let mut r = Rig::new("");
    sos_fix(&mut r);
    r.engine
        .notice(&r.fleet, FEED, &sos_notice(T0 + 2000), &mut r.alerts);
    assert_eq!(r.alerts.len(), 1, "{:?}", r.rules());
    r.engine
        .notice(&r.fleet, FEED, &sos_notice(T0 + 3_600_000), &mut r.alerts);
    assert_eq!(r.alerts.len(), 2, "an hour later it is another alarm");
}

#[test]
fn alarms_turned_off_in_the_rules_raise_nothing() {
    let mut r = Rig::new("[alarms]\nenabled = false\n");
    sos_fix(&mut r);
    r.engine
        .notice(&r.fleet, FEED, &sos_notice(T0), &mut r.alerts);
    assert!(r.alerts.is_empty());
}

#[test]
fn a_ship_whose_sart_is_active_is_in_distress() {
    let mut r = Rig::new("");
    r.fix_with(
        "ship",
        ("ship", Some("under_way_using_engine"), None),
        OUT,
        0,
        5.0,
    );
    assert!(r.alerts.is_empty());
    r.fix_with("ship", ("ship", Some("ais_sart_active"), None), OUT, 1, 0.0);
    r.fix_with("ship", ("ship", Some("ais_sart_active"), None), OUT, 2, 0.0);
    assert_eq!(r.rules(), [(Rule::Alarm, None)]);
    assert_eq!(r.alerts[0].severity, Severity::Critical);
    assert_eq!(r.alerts[0].detail, "distress");
}
