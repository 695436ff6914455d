//! Feed formats: what turns a frame into fixes, removals, notices and refusals. One file per
//! format, each pure (no sockets, no clocks of its own) and tested alone on real sample messages.
//! The transport (`crate::feed`) owns the connection and hands every text frame to its feed's
//! [`Format`].
//!
//! - [`fleetview`]: fleetview's own protocol v1 (`crate::protocol`);
//! - [`traccar`]: a Traccar server's `/api/socket` (and its `/api/devices` list);
//! - [`owntracks`]: an OwnTracks Recorder's `/ws/last`.

pub mod fleetview;
mod kind;
pub mod owntracks;
pub mod traccar;

pub use kind::FeedKind;

use crate::events::FeedEvent;
use crate::protocol::{DecodeLimits, RejectTally, Subscribe};

/// What decoding one frame gave: events in order, and what was refused.
#[derive(Debug, Default)]
pub struct Decoded {
    pub events: Vec<FeedEvent>,
    pub rejected: RejectTally,
    /// Frames understood and deliberately ignored (pings, echoes, message types with no
    /// position): not refusals.
    pub ignored: u64,
}

/// One feed format. Stateful where the format needs memory across frames (Traccar's device
/// list, a snapshot in parts); [`Format::opened`] marks a new connection.
pub trait Format: Send {
    /// Text frames to send as soon as the socket is open.
    fn greeting(&self, subscribe: &Subscribe, token: Option<&str>) -> Vec<String>;

    /// A new connection has opened: forget what belonged to the last one.
    fn opened(&mut self) {}

    /// Decodes one text frame received at `received_ms` (our clock, UTC ms).
    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded);

    /// Takes the body of an HTTP answer the transport fetched before opening the socket (the
    /// paths a format asks for are its own business; see `crate::feed`'s handshake).
    fn http_answer(&mut self, path: &str, body: &str, received_ms: i64, out: &mut Decoded) {
        let _ = (path, body, received_ms, out);
    }
}

/// The format for a kind of feed.
pub fn for_kind(kind: FeedKind, limits: &DecodeLimits, max_snapshot: usize) -> Box<dyn Format> {
    match kind {
        FeedKind::Fleetview => Box::new(fleetview::V1::new(limits.clone(), max_snapshot)),
        FeedKind::Traccar => Box::new(traccar::Traccar::new(limits.clone())),
        FeedKind::OwnTracks => Box::new(owntracks::OwnTracks::new(limits.clone())),
    }
}
