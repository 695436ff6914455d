//! The soak's verdict: memory and descriptors flat after minute 2, nobody behind, and the
//! server's `/metrics` agreeing with what the clients counted.

use std::sync::atomic::Ordering;

use fleetview_core::clock::now_ms;

use crate::Sample;
use crate::clients::{Counts, Slots};
use crate::load::{http_get, metric};

/// `GET /metrics` on the main port: the text.
pub async fn scrape(port: u16) -> String {
    http_get(port, "/metrics", None)
        .await
        .map(|(_, body)| String::from_utf8_lossy(&body).into_owned())
        .unwrap_or_default()
}

fn check(passed: &mut bool, ok: bool, what: String) {
    println!("{} {what}", if ok { "ok  " } else { "FAIL" });
    *passed &= ok;
}

/// Prints each check; whether all passed.
pub fn judge(samples: &[Sample], counts: &Counts, slots: &Slots, metrics: &str) -> bool {
    let mut passed = true;
    // Averages over two minutes (twelve samples): device connections come and go in waves
    // (the device port closes a connection after --idle-timeout, 60 s, and a device opens a
    // new one at its next report), so single samples swing by a fifth.
    let end_s = samples.last().map_or(0, |s| s.at_s);
    let window = |from: u64| -> Option<(f64, f64)> {
        let w: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.at_s >= from && s.at_s < from + 120)
            .collect();
        let n = w.len() as f64;
        (!w.is_empty()).then(|| {
            let rss = w.iter().map(|s| s.rss as f64).sum::<f64>() / n;
            let fds = w.iter().map(|s| s.fds as f64).sum::<f64>() / n;
            (rss, fds)
        })
    };
    if let (Some(at2), Some(end)) = (window(120), window(end_s.saturating_sub(110))) {
        let (peak_rss, peak_fds) = samples
            .iter()
            .filter(|s| s.at_s >= 120)
            .fold((0, 0), |(r, f), s| (r.max(s.rss), f.max(s.fds)));
        let rss = end.0 / at2.0.max(1.0) - 1.0;
        let fds = end.1 / at2.1.max(1.0) - 1.0;
        check(
            &mut passed,
            rss.abs() <= 0.10,
            format!(
                "RSS {:.1} MB over minutes 2-4, {:.1} MB over the last two minutes ({:+.1}%), {:.1} MB at most",
                at2.0 / 1e6,
                end.0 / 1e6,
                rss * 100.0,
                peak_rss as f64 / 1e6
            ),
        );
        check(
            &mut passed,
            fds.abs() <= 0.10,
            format!(
                "open descriptors {:.0} over minutes 2-4, {:.0} over the last two minutes ({:+.1}%), {peak_fds} at most",
                at2.1,
                end.1,
                fds * 100.0
            ),
        );
    }
    // Warm-up against steady state: the same averages from minute 15 on.
    if let (Some(at15), Some(end)) = (window(900), window(end_s.saturating_sub(110))) {
        println!(
            "     from minutes 15-17 on: RSS {:+.1}% ({:.1} -> {:.1} MB), descriptors {:+.1}%",
            (end.0 / at15.0.max(1.0) - 1.0) * 100.0,
            at15.0 / 1e6,
            end.0 / 1e6,
            (end.1 / at15.1.max(1.0) - 1.0) * 100.0
        );
    }
    let behind = metric(metrics, "fleetview_viewers_behind", &[]);
    let now = now_ms();
    let whole: Vec<i64> = slots
        .newest_ts
        .iter()
        .map(|t| t.load(Ordering::Relaxed))
        .filter(|&t| t >= 0)
        .map(|t| now - t)
        .collect();
    let worst = whole.iter().copied().max().unwrap_or(0);
    check(
        &mut passed,
        behind == 0 && worst < 2_000,
        format!(
            "nobody behind: the server counts {behind}; the {} whole-fleet viewers' newest fix is at most {worst} ms old",
            whole.len()
        ),
    );
    let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let watching = load(&counts.watching);
    let viewers = metric(metrics, "fleetview_viewers", &[]);
    check(
        &mut passed,
        viewers == watching,
        format!("viewers: the server counts {viewers}, the clients {watching}"),
    );
    let osmand = metric(
        metrics,
        "fleetview_reports_accepted_total",
        &["endpoint=\"osmand\""],
    );
    let ok = load(&counts.device_ok);
    check(
        &mut passed,
        osmand == ok && load(&counts.device_other) == 0 && load(&counts.device_io_errors) == 0,
        format!(
            "device reports: the server accepted {osmand}, the devices got {ok} answers 200 of {} sent ({} other answers, {} reports lost to connection errors, {} connections)",
            load(&counts.device_reports),
            load(&counts.device_other),
            load(&counts.device_io_errors),
            load(&counts.device_connections)
        ),
    );
    let (good, bad) = (load(&counts.published_good), load(&counts.published_bad));
    let accepted = metric(
        metrics,
        "fleetview_reports_accepted_total",
        &["endpoint=\"ingest\""],
    );
    let refused = metric(
        metrics,
        "fleetview_reports_refused_total",
        &["endpoint=\"ingest\""],
    );
    check(
        &mut passed,
        accepted == good && refused == bad,
        format!(
            "publisher: {good} good fixes sent, {accepted} accepted; {bad} bad sent, {refused} refused"
        ),
    );
    println!(
        "viewers: {} joins, {} leaves, {} snapshots, {} frames, {} errors",
        load(&counts.joins),
        load(&counts.leaves),
        load(&counts.snapshots),
        load(&counts.frames),
        load(&counts.viewer_errors)
    );
    passed
}
