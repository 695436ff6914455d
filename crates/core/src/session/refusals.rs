//! Logging refusals at most once per reason per interval, so a flood of bad input cannot
//! flood the log too; the counts themselves are kept in full in each feed's status.
//!
//! The session logs from a feed's tally after applying its events, so refusals made by the
//! format (decoding) and by the model (ordering, the cap) are logged in one place, once. Times
//! are the clock the session is handed, UTC ms.

use std::time::Duration;

use crate::protocol::{RejectReason, RejectTally};

#[derive(Debug, Clone)]
pub struct LogThrottle {
    interval_ms: i64,
    last: [Option<i64>; RejectReason::ALL.len()],
}

impl LogThrottle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval_ms: interval.as_millis() as i64,
            last: [None; RejectReason::ALL.len()],
        }
    }

    /// Whether a refusal for `reason` seen at `now` should be logged.
    pub fn should_log(&mut self, reason: RejectReason, now_ms: i64) -> bool {
        let slot = &mut self.last[reason as usize];
        match slot {
            Some(at) if now_ms - *at < self.interval_ms => false,
            _ => {
                *slot = Some(now_ms);
                true
            }
        }
    }
}

/// Logs what a growing tally adds, once per reason per minute, with the count since the last
/// line for that reason.
#[derive(Debug, Clone)]
pub struct RefusalLog {
    throttle: LogThrottle,
    logged: [u64; RejectReason::ALL.len()],
}

impl Default for RefusalLog {
    fn default() -> Self {
        Self {
            throttle: LogThrottle::new(Duration::from_secs(60)),
            logged: [0; RejectReason::ALL.len()],
        }
    }
}

impl RefusalLog {
    /// Looks at the tally of the feed named `feed`; returns the lines it logged (reason, new
    /// refusals).
    pub fn update(
        &mut self,
        feed: &str,
        tally: &RejectTally,
        now_ms: i64,
    ) -> Vec<(RejectReason, u64)> {
        let mut lines = Vec::new();
        for (reason, count, example) in tally.iter() {
            let slot = reason as usize;
            let new = count.saturating_sub(self.logged[slot]);
            if new > 0 && self.throttle.should_log(reason, now_ms) {
                self.logged[slot] = count;
                tracing::warn!(
                    feed, %reason, new, total = count, example,
                    "refused input from the feed (logged at most once a minute per reason)"
                );
                lines.push((reason, new));
            }
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_is_logged_once_per_interval() {
        let mut t = LogThrottle::new(Duration::from_secs(60));
        let t0 = 1_700_000_000_000;
        assert!(t.should_log(RejectReason::MalformedJson, t0));
        assert!(!t.should_log(RejectReason::MalformedJson, t0 + 59_000));
        assert!(t.should_log(RejectReason::BinaryFrame, t0 + 1_000));
        assert!(t.should_log(RejectReason::MalformedJson, t0 + 60_000));
    }

    #[test]
    fn a_refusal_log_reports_what_accumulated_since_its_last_line() {
        let mut log = RefusalLog::default();
        let mut tally = RejectTally::default();
        let t0 = 1_700_000_000_000;
        assert!(log.update("f", &tally, t0).is_empty());
        tally.record_n(RejectReason::OutOfOrder, 3, "old fix");
        assert_eq!(
            log.update("f", &tally, t0),
            vec![(RejectReason::OutOfOrder, 3)]
        );
        tally.record_n(RejectReason::OutOfOrder, 1000, "old fix");
        assert!(log.update("f", &tally, t0 + 30_000).is_empty());
        tally.record(RejectReason::Oversized, "big");
        assert_eq!(
            log.update("f", &tally, t0 + 31_000),
            vec![(RejectReason::Oversized, 1)]
        );
        assert_eq!(
            log.update("f", &tally, t0 + 61_000),
            vec![(RejectReason::OutOfOrder, 1000)]
        );
    }
}
