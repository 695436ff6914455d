//! Logging refusals at most once per reason per interval, so a flood of bad input cannot
//! flood the log too; the counts themselves are kept in full by the model.
//!
//! The consumer logs from the model's tally after applying events, so refusals made by the feed
//! (decoding) and by the model (ordering, the cap) are logged in one place, once.

use std::time::{Duration, Instant};

use crate::protocol::{RejectReason, RejectTally};

#[derive(Debug, Clone)]
pub struct LogThrottle {
    interval: Duration,
    last: [Option<Instant>; RejectReason::ALL.len()],
}

impl LogThrottle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: [None; RejectReason::ALL.len()],
        }
    }

    /// Whether a refusal for `reason` seen at `now` should be logged.
    pub fn should_log(&mut self, reason: RejectReason, now: Instant) -> bool {
        let slot = &mut self.last[reason as usize];
        match slot {
            Some(at) if now.duration_since(*at) < self.interval => false,
            _ => {
                *slot = Some(now);
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
    /// Looks at the tally's counts; returns the lines it logged (reason, new refusals).
    pub fn update(&mut self, tally: &RejectTally, now: Instant) -> Vec<(RejectReason, u64)> {
        let mut lines = Vec::new();
        for (reason, count, example) in tally.iter() {
            let slot = reason as usize;
            let new = count.saturating_sub(self.logged[slot]);
            if new > 0 && self.throttle.should_log(reason, now) {
                self.logged[slot] = count;
                tracing::warn!(
                    %reason, new, total = count, example,
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
        let t0 = Instant::now();
        assert!(t.should_log(RejectReason::MalformedJson, t0));
        assert!(!t.should_log(RejectReason::MalformedJson, t0 + Duration::from_secs(59)));
        assert!(t.should_log(RejectReason::BinaryFrame, t0 + Duration::from_secs(1)));
        assert!(t.should_log(RejectReason::MalformedJson, t0 + Duration::from_secs(60)));
    }

    #[test]
    fn a_refusal_log_reports_what_accumulated_since_its_last_line() {
        let mut log = RefusalLog::default();
        let mut tally = RejectTally::default();
        let t0 = Instant::now();
        assert!(log.update(&tally, t0).is_empty());
        tally.record_n(RejectReason::OutOfOrder, 3, "old fix");
        assert_eq!(log.update(&tally, t0), vec![(RejectReason::OutOfOrder, 3)]);
        tally.record_n(RejectReason::OutOfOrder, 1000, "old fix");
        assert!(log.update(&tally, t0 + Duration::from_secs(30)).is_empty());
        tally.record(RejectReason::Oversized, "big");
        assert_eq!(
            log.update(&tally, t0 + Duration::from_secs(31)),
            vec![(RejectReason::Oversized, 1)]
        );
        assert_eq!(
            log.update(&tally, t0 + Duration::from_secs(61)),
            vec![(RejectReason::OutOfOrder, 1000)]
        );
    }
}
