//! Desktop notifications: a new alert raises an operating-system notification while the window
//! is in the background (not focused), unless the dispatcher turned them off; none during a
//! replay. One named thread shows them (the desktop's notification service may be slow or
//! absent), fed through a small bounded queue: what does not fit is dropped, and a desktop
//! with no notification service is said once in the log.

use std::thread::JoinHandle;

use crossbeam_channel::{Sender, TrySendError};

use crate::alerts::{Alert, Severity};

/// Alerts of one drain shown one by one; beyond it one notification counts the rest.
pub const SHOWN_AT_ONCE: usize = 3;

/// Whether a new alert should reach the desktop: the window known to be in the background,
/// notifications on, and live data (not a replay).
pub fn wanted(focused: Option<bool>, off: bool, replaying: bool) -> bool {
    focused == Some(false) && !off && !replaying
}

/// An alert as a notification: (summary, body).
pub fn text(alert: &Alert) -> (String, String) {
    let who = if alert.label.is_empty() {
        &alert.vehicle
    } else {
        &alert.label
    };
    let what = match alert.severity {
        Severity::Critical => "CRITICAL",
        Severity::Warning => "Alert",
        Severity::Info => "Note",
    };
    let summary = format!("{what}: {} · {who}", alert.rule.as_str());
    (summary, alert.detail.clone())
}

/// The notifications of one drain: each of the first [`SHOWN_AT_ONCE`], then how many more.
pub fn batch(alerts: &[Alert]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = alerts.iter().take(SHOWN_AT_ONCE).map(text).collect();
    if alerts.len() > SHOWN_AT_ONCE {
        let more = alerts.len() - SHOWN_AT_ONCE;
        out.push((
            format!("and {more} more alerts"),
            "See the Alerts panel".into(),
        ));
    }
    out
}

/// Owns the thread that shows notifications; dropping it stops and joins it.
pub struct Notifier {
    queue: Option<Sender<(String, String)>>,
    thread: Option<JoinHandle<()>>,
}

impl Notifier {
    pub fn start() -> Self {
        let (queue, rx) = crossbeam_channel::bounded::<(String, String)>(8);
        let thread = std::thread::Builder::new()
            .name("fleetview-notify".into())
            .spawn(move || {
                let mut warned = false;
                while let Ok((summary, body)) = rx.recv() {
                    let shown = notify_rust::Notification::new()
                        .appname("fleetview")
                        .summary(&summary)
                        .body(&body)
                        .show();
                    if let Err(e) = shown
                        && !warned
                    {
                        warned = true;
                        tracing::warn!(error = %e, "desktop notifications unavailable");
                    }
                }
            })
            .ok();
        Self {
            queue: Some(queue),
            thread,
        }
    }

    /// Queues one; dropped when the queue is full.
    pub fn show(&self, summary: String, body: String) {
        if let Some(q) = &self.queue
            && let Err(TrySendError::Full(_)) = q.try_send((summary, body))
        {
            tracing::debug!("a desktop notification was dropped: too many at once");
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the notification thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Rule;
    use crate::fleet::FeedId;

    fn sos(n: u64) -> Alert {
        Alert {
            seq: n,
            at_ms: 0,
            rule: Rule::Alarm,
            severity: Severity::Critical,
            feed: FeedId(0),
            vehicle: format!("truck-{n}"),
            label: format!("Truck {n}"),
            geofence: None,
            detail: "sos".into(),
            lat: 0.0,
            lon: 0.0,
        }
    }

    #[test]
    fn only_a_window_known_to_be_in_the_background_notifies_and_never_in_a_replay() {
        assert!(wanted(Some(false), false, false));
        assert!(
            !wanted(Some(true), false, false),
            "in front: the panel is enough"
        );
        assert!(!wanted(None, false, false), "focus unknown: stay quiet");
        assert!(!wanted(Some(false), true, false), "turned off");
        assert!(
            !wanted(Some(false), false, true),
            "a replay's alerts are history"
        );
    }

    #[test]
    fn a_burst_of_alerts_is_three_notifications_and_a_count() {
        let alerts: Vec<Alert> = (1..=5).map(sos).collect();
        let shown = batch(&alerts);
        assert_eq!(shown.len(), 4);
        assert_eq!(shown[0], ("CRITICAL: alarm · Truck 1".into(), "sos".into()));
        assert_eq!(shown[3].0, "and 2 more alerts");
        assert_eq!(batch(&alerts[..2]).len(), 2);
    }
}
