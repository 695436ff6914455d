//! The wall clock, in the unit the protocol uses. Only the edges (feed, binaries, UI) read it;
//! the model is always handed the time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now as UTC milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
