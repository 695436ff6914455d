//! The state of a feed's connection as the dispatcher sees it in the Feeds panel.

use std::time::Duration;

/// Where the connection stands. Times are our clock, UTC ms.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Link {
    /// Nothing heard from the feed yet.
    #[default]
    Idle,
    Connecting {
        url: String,
        attempt: u32,
    },
    Connected {
        url: String,
        since_ms: i64,
    },
    Disconnected {
        reason: String,
        /// When the next attempt starts; `None` when the feed stopped trying.
        retry_at_ms: Option<i64>,
    },
    /// Paused by the dispatcher.
    Paused,
}

impl Link {
    pub fn is_connected(&self) -> bool {
        matches!(self, Link::Connected { .. })
    }

    /// A one-line description for the status bar, with the retry countdown at `now_ms`.
    /// The state in a few words, without the URL or the reason (the status bar; `describe` on
    /// hover and in the Feeds panel).
    pub fn brief(&self, now_ms: i64) -> String {
        match self {
            Link::Connected { .. } => "connected".into(),
            Link::Connecting { .. } => "connecting".into(),
            Link::Disconnected {
                retry_at_ms: Some(at),
                ..
            } => {
                let secs = Duration::from_millis((*at - now_ms).max(0) as u64).as_secs_f32();
                format!("reconnecting in {secs:.0} s")
            }
            Link::Disconnected { .. } => "stopped".into(),
            Link::Idle | Link::Paused => self.describe(now_ms),
        }
    }

    pub fn describe(&self, now_ms: i64) -> String {
        match self {
            Link::Idle => "not connected".into(),
            Link::Connecting { url, attempt: 1 } => format!("connecting to {url}"),
            Link::Connecting { url, attempt } => {
                format!("connecting to {url} (attempt {attempt})")
            }
            Link::Connected { url, .. } => format!("connected to {url}"),
            Link::Disconnected {
                reason,
                retry_at_ms: Some(at),
            } => {
                let secs = Duration::from_millis((*at - now_ms).max(0) as u64).as_secs_f32();
                format!("reconnecting in {secs:.0} s: {reason}")
            }
            Link::Disconnected {
                reason,
                retry_at_ms: None,
            } => format!("stopped: {reason}"),
            Link::Paused => "paused".into(),
        }
    }
}
