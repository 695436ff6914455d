//! Logging refusals at most once per reason per interval, so a flood of bad input cannot
//! flood the log too; the counts are kept in full elsewhere.

use std::time::{Duration, Instant};

use crate::protocol::RejectReason;

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
}
