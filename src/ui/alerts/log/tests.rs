use super::*;
use crate::alerts::Rule;

fn alert(seq: u64, vehicle: &str) -> Alert {
    Alert {
        seq,
        at_ms: 0,
        rule: Rule::Overspeed,
        severity: Severity::Warning,
        feed: FeedId(1),
        vehicle: vehicle.into(),
        label: vehicle.into(),
        geofence: None,
        detail: String::new(),
        lat: 0.0,
        lon: 0.0,
    }
}

fn sos(seq: u64, vehicle: &str) -> Alert {
    Alert {
        rule: Rule::Alarm,
        severity: Severity::Critical,
        detail: "sos".into(),
        ..alert(seq, vehicle)
    }
}

fn shown(log: &AlertLog, held: Option<u64>, filter: &AlertFilter) -> (Vec<u64>, usize) {
    let (rows, newer) = log.rows(held, filter, &FeedNames::new());
    (rows.iter().map(|(a, _)| a.seq).collect(), newer)
}

#[test]
fn acknowledging_closes_a_vehicles_alerts_one_by_one_then_all() {
    let mut log = AlertLog::default();
    log.push(alert(1, "a"));
    log.push(alert(2, "a"));
    log.push(alert(3, "b"));
    assert_eq!(log.unacknowledged(), 3);
    assert_eq!(
        log.iter().next().map(|(a, _)| a.seq),
        Some(3),
        "newest first"
    );
    let a = VehicleId::new(FeedId(1), "a");
    log.acknowledge(1);
    log.acknowledge(1);
    assert!(log.is_open(&a), "one of its two is still open");
    log.acknowledge(2);
    assert!(!log.is_open(&a));
    log.acknowledge_all();
    assert_eq!(log.unacknowledged(), 0);
    assert_eq!(log.len(), 3, "acknowledged alerts stay listed");
}

#[test]
fn a_held_list_shows_the_alerts_up_to_where_it_was_held_and_counts_the_newer() {
    let mut log = AlertLog::default();
    for seq in 1..=3 {
        log.push(alert(seq, "bus-1"));
    }
    let held = log.newest();
    assert_eq!(held, Some(3));
    log.push(alert(4, "bus-2"));
    log.push(sos(5, "bus-2"));
    let all = AlertFilter::default();
    assert_eq!(shown(&log, held, &all), (vec![3, 2, 1], 2));
    assert_eq!(shown(&log, None, &all), (vec![5, 4, 3, 2, 1], 0));
}

#[test]
fn the_log_keeps_the_newest_and_forgets_what_it_drops() {
    let mut log = AlertLog::default();
    for seq in 1..=(KEPT as u64 + 10) {
        log.push(alert(seq, &format!("v{seq}")));
    }
    assert_eq!(log.len(), KEPT);
    assert_eq!(log.unacknowledged(), KEPT);
    assert!(log.get(1).is_none());
}

#[test]
fn a_critical_alert_is_pinned_above_any_number_of_routine_ones_until_acknowledged() {
    let mut log = AlertLog::default();
    log.push(alert(1, "bus-1"));
    log.push(sos(2, "truck-12"));
    for seq in 3..=52 {
        log.push(alert(seq, &format!("bus-{seq}")));
    }
    let all = AlertFilter::default();
    let (rows, _) = shown(&log, None, &all);
    assert_eq!(rows.len(), 52);
    assert_eq!(&rows[..3], [2, 52, 51], "the SOS first, then newest first");
    assert_eq!(rows.last(), Some(&1));
    log.acknowledge(2);
    let (rows, _) = shown(&log, None, &all);
    assert_eq!(
        &rows[..2],
        [52, 51],
        "acknowledged, it takes its place by time"
    );
    assert_eq!(rows[50], 2);
}

#[test]
fn newer_critical_alerts_are_pinned_above_older_ones() {
    let mut log = AlertLog::default();
    log.push(sos(1, "a"));
    log.push(alert(2, "b"));
    log.push(sos(3, "c"));
    let (rows, _) = shown(&log, None, &AlertFilter::default());
    assert_eq!(rows, [3, 1, 2]);
}

#[test]
fn the_filter_picks_the_rows_and_pinning_still_holds_among_them() {
    let mut log = AlertLog::default();
    log.push(sos(1, "truck-12"));
    log.push(alert(2, "truck-12"));
    log.push(alert(3, "bus-1"));
    let mut warnings = AlertFilter::default();
    warnings.set_shown(Severity::Critical, false);
    assert_eq!(shown(&log, None, &warnings).0, [3, 2]);
    let truck = AlertFilter {
        vehicle: Some(VehicleId::new(FeedId(1), "truck-12")),
        ..AlertFilter::default()
    };
    assert_eq!(shown(&log, None, &truck).0, [1, 2]);
    let search = AlertFilter {
        text: "SOS".into(),
        ..AlertFilter::default()
    };
    assert_eq!(shown(&log, None, &search).0, [1]);
}

#[test]
fn a_critical_alert_still_open_outlives_the_routine_ones_the_log_forgets() {
    let mut log = AlertLog::default();
    log.push(sos(1, "truck-12"));
    for seq in 2..=(KEPT as u64 + 10) {
        log.push(alert(seq, &format!("v{seq}")));
    }
    assert_eq!(log.len(), KEPT);
    assert!(log.get(1).is_some(), "the SOS is kept");
    assert!(log.get(2).is_none(), "the oldest routine alert went");
    assert_eq!(log.open_critical(), 1);
}

#[test]
fn a_vehicles_open_alerts_are_as_urgent_as_the_most_urgent_of_them() {
    let mut log = AlertLog::default();
    log.push(alert(1, "a"));
    assert_eq!(
        log.open_severity_at(FeedId(1), "a"),
        Some(Severity::Warning)
    );
    log.push(sos(2, "a"));
    assert_eq!(
        log.open_severity_at(FeedId(1), "a"),
        Some(Severity::Critical)
    );
    assert_eq!(log.open_critical(), 1);
    log.acknowledge(2);
    assert_eq!(
        log.open_severity_at(FeedId(1), "a"),
        Some(Severity::Warning)
    );
    assert_eq!(log.open_critical(), 0);
    log.acknowledge(1);
    assert_eq!(log.open_severity_at(FeedId(1), "a"), None);
}

#[test]
fn each_vehicle_with_alerts_is_offered_once_by_name() {
    let mut log = AlertLog::default();
    log.push(alert(1, "b"));
    log.push(alert(2, "a"));
    log.push(sos(3, "b"));
    let names: Vec<&str> = log.vehicles().into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["a", "b"]);
}
