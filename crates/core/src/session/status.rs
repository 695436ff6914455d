//! One feed's status as the dispatcher sees it: its connection, the last error its server sent,
//! what it refused, how much it delivers, and what it said about vehicles.

use std::collections::VecDeque;

use super::link::Link;
use super::refusals::RefusalLog;
use crate::events::{FeedEvent, PAUSED, VehicleNotice};
use crate::protocol::RejectTally;

/// Notices kept per feed (the newest).
pub const MAX_NOTICES: usize = 200;

/// Updates per second over the last few whole seconds, from a running count.
#[derive(Debug, Clone, Default)]
pub struct RateWindow {
    /// (second, updates in it), oldest first, at most `SECONDS + 1`.
    seconds: VecDeque<(i64, u64)>,
}

impl RateWindow {
    const SECONDS: i64 = 3;

    pub fn record(&mut self, now_ms: i64, updates: u64) {
        let second = now_ms.div_euclid(1000);
        match self.seconds.back_mut() {
            Some((s, n)) if *s == second => *n += updates,
            _ => self.seconds.push_back((second, updates)),
        }
        while self
            .seconds
            .front()
            .is_some_and(|(s, _)| *s < second - Self::SECONDS)
        {
            self.seconds.pop_front();
        }
    }

    /// The mean over the last `SECONDS` whole seconds before `now_ms`.
    pub fn per_second(&self, now_ms: i64) -> f64 {
        let second = now_ms.div_euclid(1000);
        let sum: u64 = self
            .seconds
            .iter()
            .filter(|(s, _)| *s < second && *s >= second - Self::SECONDS)
            .map(|(_, n)| n)
            .sum();
        sum as f64 / Self::SECONDS as f64
    }
}

#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub name: String,
    pub link: Link,
    /// The last error message the server sent, as (code, message).
    pub server_error: Option<(String, String)>,
    /// Input refused, by reason: the format's refusals and the model's own.
    pub rejected: RejectTally,
    /// Fixes that moved or added one of this feed's vehicles.
    pub applied: u64,
    pub snapshots: u64,
    /// Successful connections after the first.
    pub reconnects: u64,
    pub disconnects: u64,
    /// Why the connection last ended.
    pub last_failure: Option<String>,
    /// When its first position or snapshot arrived, our clock.
    pub first_data_ms: Option<i64>,
    /// When it last sent anything about vehicles, our clock.
    pub last_data_ms: Option<i64>,
    /// What the feed said about its vehicles, oldest first, with when it arrived.
    pub notices: VecDeque<VehicleNotice>,
    pub rate: RateWindow,
    connects: u64,
    pub(super) refusal_log: RefusalLog,
}

impl FeedStatus {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            link: Link::default(),
            server_error: None,
            rejected: RejectTally::default(),
            applied: 0,
            snapshots: 0,
            reconnects: 0,
            disconnects: 0,
            last_failure: None,
            first_data_ms: None,
            last_data_ms: None,
            notices: VecDeque::new(),
            rate: RateWindow::default(),
            connects: 0,
            refusal_log: RefusalLog::default(),
        }
    }

    /// Takes a connection event (`Connecting`, `Connected`, `Disconnected`) at `now_ms`.
    pub(super) fn link_event(&mut self, event: &FeedEvent, now_ms: i64) {
        match event {
            FeedEvent::Connecting { url, attempt } => {
                self.link = Link::Connecting {
                    url: url.clone(),
                    attempt: *attempt,
                };
            }
            FeedEvent::Connected { url } => {
                self.connects += 1;
                self.reconnects = self.connects.saturating_sub(1);
                self.link = Link::Connected {
                    url: url.clone(),
                    since_ms: now_ms,
                };
            }
            FeedEvent::Disconnected { reason, retry_in } => {
                self.link = if reason == PAUSED && retry_in.is_none() {
                    Link::Paused
                } else {
                    self.disconnects += 1;
                    self.last_failure = Some(reason.clone());
                    Link::Disconnected {
                        reason: reason.clone(),
                        retry_at_ms: retry_in.map(|d| now_ms + d.as_millis() as i64),
                    }
                };
            }
            _ => {}
        }
    }

    pub(super) fn notice(&mut self, notice: VehicleNotice) {
        if self.notices.len() >= MAX_NOTICES {
            self.notices.pop_front();
        }
        self.notices.push_back(notice);
    }

    /// Whether the feed is down: it lost its connection (or never made one) and is not paused.
    pub fn is_down(&self) -> bool {
        matches!(self.link, Link::Disconnected { .. })
            || (matches!(self.link, Link::Connecting { .. }) && self.disconnects > 0)
    }

    /// "Depot is down: no data for 35 s; reconnecting in 4 s: connection refused", or `None`
    /// while the feed is up or paused.
    pub fn down_line(&self, now_ms: i64) -> Option<String> {
        if !self.is_down() {
            return None;
        }
        let since = match self.last_data_ms {
            Some(at) => format!("no data for {}", crate::session::ago_words(now_ms - at)),
            None => "no data yet".into(),
        };
        Some(format!(
            "{} is down: {since}; {}",
            self.name,
            self.link.describe(now_ms)
        ))
    }

    /// The newest notice about vehicle `id`.
    pub fn notice_of(&self, id: &str) -> Option<&VehicleNotice> {
        self.notices.iter().rev().find(|n| n.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_the_mean_of_the_last_three_whole_seconds() {
        let mut r = RateWindow::default();
        r.record(10_000, 30);
        r.record(10_500, 30);
        r.record(11_200, 90);
        r.record(12_900, 0);
        assert_eq!(r.per_second(12_999), 50.0, "(60 + 90) / 3");
        assert_eq!(r.per_second(14_000), 30.0, "(90 + 0 + 0) / 3");
        assert_eq!(r.per_second(20_000), 0.0, "a quiet feed reads 0");
    }
}
