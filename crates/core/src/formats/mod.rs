//! Feed formats: what turns a frame into fixes, removals, notices and refusals. One file per
//! format, each pure (no sockets, no clocks of its own) and tested alone on real sample messages.
//! The transport (the feeds crate (`fleetview-feeds`)) owns the connection and hands every text frame to its feed's
//! [`Format`].
//!
//! - [`fleetview`]: fleetview's own protocol v1 (`crate::protocol`);
//! - [`traccar`]: a Traccar server's `/api/socket` (and its `/api/devices` list);
//! - [`owntracks`]: an OwnTracks Recorder's `/ws/last`;
//! - [`gtfs_rt`]: GTFS-Realtime VehiclePositions (protobuf), polled over HTTP;
//! - [`ais`]: raw AIS, NMEA `!AIVDM` sentences, over TCP or from a file;
//! - [`aisstream`]: AISStream's JSON messages over WebSocket;
//! - binary GPS trackers over TCP, each a [`tracker::TrackerProtocol`]: [`teltonika`], [`gt06`].
//!
//! [`ship`] holds what both AIS formats share.

pub mod ais;
pub mod aisstream;
pub mod fleetview;
pub mod gt06;
pub mod gtfs_rt;
mod kind;
pub mod osmand;
pub mod owntracks;
pub mod owntracks_http;
pub mod ship;
pub mod teltonika;
pub mod traccar;
pub mod tracker;

pub use kind::{FeedKind, Transport};

use crate::events::FeedEvent;
use crate::protocol::{RejectReason, RejectTally, Subscribe};

/// What decoding one frame gave: events in order, and what was refused.
#[derive(Debug, Default)]
pub struct Decoded {
    pub events: Vec<FeedEvent>,
    pub rejected: RejectTally,
    /// Frames understood and deliberately ignored (pings, echoes, message types with no
    /// position): not refusals.
    pub ignored: u64,
    /// The format lost track of the stream and wants it from the start: the transport sends
    /// its greeting again (for fleetview, a `subscribe`, which the server answers with a
    /// snapshot).
    pub resubscribe: bool,
}

/// A frame that must be a JSON object, or `None` with the refusal counted.
pub(crate) fn json_object(
    text: &str,
    out: &mut Decoded,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_str(text) {
        Ok(map) => Some(map),
        Err(e) => {
            out.rejected.record(
                RejectReason::MalformedJson,
                &format!("{e} in {}", crate::protocol::truncate(text, 64)),
            );
            None
        }
    }
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

    /// Decodes one binary message (a binary WebSocket frame, a polled body). Text formats
    /// refuse it.
    fn decode_bytes(&mut self, bytes: &[u8], received_ms: i64, out: &mut Decoded) {
        let _ = received_ms;
        out.rejected.record(
            RejectReason::BinaryFrame,
            &format!(
                "binary frame of {} bytes (this feed's format is JSON text)",
                bytes.len()
            ),
        );
    }

    /// Takes the body of an HTTP answer the transport fetched before opening the socket (the
    /// paths a format asks for are its own business; see the feeds crate (`fleetview-feeds`)'s handshake).
    fn http_answer(&mut self, path: &str, body: &str, received_ms: i64, out: &mut Decoded) {
        let _ = (path, body, received_ms, out);
    }
}
