use std::sync::Arc;

use super::*;
use fleetview_core::clock::ManualClock;
use fleetview_core::protocol::Position;

const HOUR: i64 = 3_600_000;
/// 2025-11-24T16:00:00Z, a whole hour.
const T0: i64 = 1_764_000_000_000;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fleetview-history-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn fixes(ids: &[&str], ts: i64, lat: f64) -> FixBatch {
    let ps: Vec<Position> = ids
        .iter()
        .map(|id| {
            let mut p = Position::new(*id, lat, 145.77, ts);
            p.speed = Some(8.5);
            p.label = Some(format!("Bus {id}"));
            p
        })
        .collect();
    FixBatch::from_positions(&ps)
}

fn store(dir: &std::path::Path, now: i64) -> (Store, Opened) {
    Store::open(HistoryConfig::new(dir), now).expect("opens")
}

fn ts_of(page: &Page) -> Vec<i64> {
    page.fixes.iter().map(|f| f.ts).collect()
}

#[test]
fn a_store_reopened_gives_back_every_fix_sealed_and_live() {
    let d = dir("reopen");
    let (mut s, opened) = store(&d, T0);
    assert_eq!(opened.segments, 0);
    s.append(&fixes(&["a", "b"], T0 + 1_000, -16.92), T0 + 1_000)
        .expect("append");
    s.append(&fixes(&["a"], T0 + HOUR + 5_000, -16.93), T0 + HOUR + 5_000)
        .expect("rolls, appends");
    drop(s);
    let (s, opened) = store(&d, T0 + HOUR + 6_000);
    assert_eq!(
        (opened.segments, opened.fixes),
        (1, 2),
        "the first hour sealed"
    );
    assert_eq!(
        opened.recovered.records, 1,
        "the live hour read back from its log"
    );
    let reader = HistoryReader(Arc::new(std::sync::Mutex::new(s)));
    let page = reader
        .track("a", T0, T0 + 2 * HOUR, 100)
        .expect("query")
        .expect("known");
    assert_eq!(ts_of(&page), [T0 + 1_000, T0 + HOUR + 5_000]);
    let first = page.fixes.get(0).expect("fix");
    assert_eq!((first.speed, first.meta.label), (Some(8.5), Some("Bus a")));
    assert!(
        reader
            .track("nobody", T0, T0 + HOUR, 10)
            .expect("query")
            .is_none()
    );
}

#[test]
fn a_log_left_by_a_crash_in_an_earlier_segment_is_sealed_on_start() {
    let d = dir("crash");
    let (mut s, _) = store(&d, T0);
    s.append(&fixes(&["a", "b", "c"], T0 + 10, -16.92), T0 + 10)
        .expect("append");
    s.sync().expect("sync");
    drop(s);
    let (s, opened) = store(&d, T0 + 3 * HOUR);
    assert_eq!(
        (opened.segments, opened.fixes, opened.recovered.records),
        (1, 3, 3)
    );
    let logs = std::fs::read_dir(&d)
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "wal"))
        })
        .count();
    assert_eq!(logs, 1, "only the new live log is left");
    let reader = HistoryReader(Arc::new(std::sync::Mutex::new(s)));
    let fleet = reader.fleet_at(T0 + 20, 600_000).expect("query");
    assert_eq!(fleet.len(), 3);
}

#[test]
fn a_track_comes_in_time_order_a_page_at_a_time() {
    let d = dir("pages");
    let (mut s, _) = store(&d, T0);
    // Arrivals out of order (a device's buffer emptied late), across two segments.
    for (ts, now) in [
        (T0 + 3_000, T0 + 3_000),
        (T0 + 1_000, T0 + 4_000),
        (T0 + 2_000, T0 + HOUR),
    ] {
        s.append(&fixes(&["van"], ts, -16.9), now).expect("append");
    }
    s.append(&fixes(&["van"], T0 + 2_000, -16.9), T0 + HOUR)
        .expect("a repeat");
    let reader = HistoryReader(Arc::new(std::sync::Mutex::new(s)));
    let all = reader
        .track("van", T0, T0 + HOUR, 10)
        .expect("query")
        .expect("known");
    assert_eq!(
        ts_of(&all),
        [T0 + 1_000, T0 + 2_000, T0 + 3_000],
        "sorted, the repeat once"
    );
    assert_eq!(all.next, None);
    let first = reader
        .track("van", T0, T0 + HOUR, 2)
        .expect("query")
        .expect("known");
    assert_eq!(
        (ts_of(&first), first.next),
        (vec![T0 + 1_000, T0 + 2_000], Some(T0 + 3_000))
    );
    let window = reader
        .track("van", T0 + 1_500, T0 + 2_500, 10)
        .expect("q")
        .expect("known");
    assert_eq!(ts_of(&window), [T0 + 2_000]);
}

#[test]
fn the_fleet_at_a_moment_is_each_vehicles_newest_fix_within_the_window() {
    let d = dir("fleet");
    let (mut s, _) = store(&d, T0);
    s.append(&fixes(&["a", "b"], T0 + 1_000, -16.91), T0 + 1_000)
        .expect("append");
    s.append(&fixes(&["a"], T0 + 5_000, -16.95), T0 + 5_000)
        .expect("append");
    s.append(&fixes(&["a"], T0 + 9_000, -16.99), T0 + 9_000)
        .expect("append");
    let reader = HistoryReader(Arc::new(std::sync::Mutex::new(s)));
    let at = reader.fleet_at(T0 + 6_000, 10_000).expect("query");
    let mut got: Vec<(String, i64)> = at.iter().map(|f| (f.id.to_owned(), f.ts)).collect();
    got.sort();
    assert_eq!(got, [("a".into(), T0 + 5_000), ("b".into(), T0 + 1_000)]);
    let later = reader.fleet_at(T0 + 12_000, 4_000).expect("query");
    assert_eq!(
        later.iter().map(|f| f.id).collect::<Vec<_>>(),
        ["a"],
        "b is too old then"
    );
}

#[test]
fn retention_drops_the_oldest_segments_by_age_and_then_by_size() {
    let d = dir("retain");
    let mut config = HistoryConfig::new(&d);
    config.retention = Duration::from_secs(2 * 3600);
    let (mut s, _) = Store::open(config, T0).expect("opens");
    for h in 0..4 {
        let t = T0 + h * HOUR + 1;
        s.append(&fixes(&["a", "b", "c"], t, -16.9), t)
            .expect("append");
    }
    s.roll_if_due(T0 + 4 * HOUR).expect("seal the fourth");
    let dropped = s.retain(T0 + 4 * HOUR + 1);
    assert_eq!(dropped.len(), 2, "{dropped:?}");
    assert!(dropped[0].contains("older than the retention"));
    let reader = HistoryReader(Arc::new(std::sync::Mutex::new(s)));
    let page = reader
        .track("a", T0, T0 + 5 * HOUR, 10)
        .expect("q")
        .expect("known");
    assert_eq!(ts_of(&page), [T0 + 2 * HOUR + 1, T0 + 3 * HOUR + 1]);
    let mut s = Arc::try_unwrap(reader.0)
        .ok()
        .expect("one owner")
        .into_inner()
        .expect("lock");
    s.config.max_bytes = Some(1);
    let dropped = s.retain(T0 + 4 * HOUR + 2);
    assert_eq!(
        dropped.len(),
        2,
        "both left go over a 1-byte cap: {dropped:?}"
    );
    assert!(dropped[0].contains("over the size limit"));
}

#[test]
fn the_writer_thread_stores_what_it_is_offered_and_drop_syncs_and_joins() {
    let d = dir("writer");
    let clock = ManualClock::at(T0 + 10);
    let (history, _) =
        History::start(HistoryConfig::new(&d), Arc::new(clock.clone())).expect("starts");
    let sender = history.sender();
    assert!(sender.offer(fixes(&["a", "b"], T0 + 5, -16.9)).is_ok());
    drop(history);
    let (history, opened) = History::start(HistoryConfig::new(&d), Arc::new(clock)).expect("again");
    assert_eq!(opened.recovered.records, 2);
    let page = history
        .reader()
        .track("b", T0, T0 + 10, 10)
        .expect("q")
        .expect("known");
    assert_eq!(ts_of(&page), [T0 + 5]);
}

#[test]
fn the_fleets_fixes_come_in_time_order_in_pages_that_end_between_two_times() {
    let mut all = FixBatch::default();
    for k in 0..5 {
        all.append(&fixes(&["a", "b", "c"], T0 + k * 1000, -16.9));
    }
    all.append(&fixes(&["a"], T0 + 2000, -16.9));
    // 15 distinct fixes (a's repeat at T0+2000 kept once), three a time.
    let mut from = T0;
    let mut seen = Vec::new();
    loop {
        let page = Page::fleet(&all, from, T0 + 10_000, 4);
        let ts = ts_of(&page);
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "in time order: {ts:?}");
        assert!(ts.len() <= 4);
        seen.extend(page.fixes.iter().map(|f| (f.ts, f.id.to_owned())));
        match page.next {
            Some(n) => {
                assert!(n > *ts.last().unwrap(), "a page ends between two times");
                from = n;
            }
            None => break,
        }
    }
    assert_eq!(
        seen.len(),
        15,
        "nothing repeated, nothing skipped: {seen:?}"
    );
    // More fixes at one time than a page holds: the page holds them all.
    let page = Page::fleet(&all, T0, T0 + 10_000, 2);
    assert_eq!(ts_of(&page), [T0, T0, T0]);
    assert_eq!(page.next, Some(T0 + 1000));
}
