//! What the feed thread tells the UI side, and what the UI side asks of it.
//!
//! Plain data, so the model can apply events without knowing about sockets or runtimes, and
//! failures arrive as messages rather than panics.

use std::time::Duration;

use crate::protocol::{FixBatch, RejectTally, Subscribe};

/// feed thread -> UI side.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    /// A connection attempt has started (attempt 1 is the first after a success or a switch).
    Connecting { url: String, attempt: u32 },
    /// The WebSocket is open and the subscription sent; a snapshot follows.
    Connected { url: String },
    /// The connection is gone. `retry_in` is when the next attempt starts; `None` means the
    /// feed has stopped trying (shut down, or a failure retrying cannot mend).
    Disconnected {
        reason: String,
        retry_in: Option<Duration>,
    },
    /// The full current set: it replaces whatever the model held.
    Snapshot(FixBatch),
    /// A batch of updates, possibly several frames coalesced while the UI was behind.
    Positions(FixBatch),
    /// Vehicles that left.
    Removed(Vec<String>),
    /// Input refused since the last such event, counted per reason (boxed: it is rare and
    /// large next to the other variants).
    Rejected(Box<RejectTally>),
    /// The server sent an `error` message.
    ServerError { code: String, message: String },
}

/// UI side -> feed thread.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedCommand {
    /// Drop the current connection and connect to this URL instead (backoff starts afresh).
    SwitchUrl { url: String, token: Option<String> },
    /// Send a new subscription on the open connection (and use it for every reconnect).
    Subscribe(Subscribe),
}
