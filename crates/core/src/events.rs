//! What a feed says, as plain data: positions, removals, notices about vehicles, refusals and
//! the state of its connection. Formats produce these from bytes, the feeds thread sends them
//! (each with its feed's id) and the session applies them; none of them needs the others.

use std::time::Duration;

use crate::protocol::{FixBatch, RejectTally};

/// The reason of the `Disconnected` event a paused feed sends.
pub const PAUSED: &str = "paused";

/// feeds thread -> consumer, always as `(FeedId, FeedEvent)`.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedEvent {
    /// A connection attempt has started (attempt 1 is the first after a success or a change).
    Connecting { url: String, attempt: u32 },
    /// The connection is open (and, for fleetview feeds, the subscription sent).
    Connected { url: String },
    /// The connection is gone. `retry_in` is when the next attempt starts; `None` means the
    /// feed has stopped trying (paused, removed, shut down, or a failure retrying cannot mend).
    Disconnected {
        reason: String,
        retry_in: Option<Duration>,
    },
    /// The feed's full current set: it replaces that feed's vehicles.
    Snapshot(FixBatch),
    /// A batch of updates, possibly several frames coalesced while the consumer was behind.
    Positions(FixBatch),
    /// Vehicles that left.
    Removed(Vec<String>),
    /// Things the feed says happened to vehicles (Traccar's alarms, geofence crossings, ...).
    Notices(Vec<VehicleNotice>),
    /// Input refused since the last such event, counted per reason (boxed: it is rare and
    /// large next to the other variants).
    Rejected(Box<RejectTally>),
    /// The server sent an error message.
    ServerError { code: String, message: String },
}

/// An event a feed reports about one of its vehicles.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleNotice {
    /// The vehicle's id in its feed.
    pub id: String,
    /// The feed's own name for it ("alarm", "geofenceEnter", "deviceOffline", ...).
    pub kind: String,
    /// When it happened, UTC ms.
    pub ts: i64,
    /// More, in words ("sos", a geofence's number), when the feed says.
    pub detail: Option<String>,
}
