//! fleetview's own protocol as a feed format: `snapshot` (possibly in parts), `positions`,
//! `remove` and `error` frames, decoded by [`crate::protocol`]. On connecting the viewer sends its
//! `subscribe`, asking for the compact encoding unless told otherwise; it reads v1 frames all the
//! same, so a server that does not know the compact form is read as before.

use super::{Decoded, Format};
use crate::events::FeedEvent;
use crate::protocol::{
    ClientMessage, DecodeLimits, Dictionary, Encoding, FixBatch, RejectReason, ServerFrame,
    Subscribe, decode_frame, encode,
};

pub struct Fleetview {
    limits: DecodeLimits,
    /// Most vehicles a snapshot assembled from parts may hold (and the compact dictionary).
    max_snapshot: usize,
    /// Parts of a large snapshot received so far (the set is replaced when the last arrives).
    parts: Option<FixBatch>,
    /// The compact encoding's ids, for this connection.
    dictionary: Dictionary,
    /// What `subscribe` asks for when it does not say.
    encoding: Encoding,
}

impl Fleetview {
    /// A feed asking for the compact encoding.
    pub fn new(limits: DecodeLimits, max_snapshot: usize) -> Self {
        Self {
            limits,
            max_snapshot,
            parts: None,
            dictionary: Dictionary::new(max_snapshot),
            encoding: Encoding::Compact,
        }
    }

    /// The same, asking for `encoding` (frames in either are read all the same).
    pub fn asking(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }
}

impl Format for Fleetview {
    fn greeting(&self, subscribe: &Subscribe, token: Option<&str>) -> Vec<String> {
        let mut subscribe = subscribe.clone();
        if subscribe.token.is_none() {
            subscribe.token = token.map(str::to_owned);
        }
        if subscribe.encoding.is_none() {
            subscribe.encoding = Some(self.encoding.name().to_owned());
        }
        vec![
            encode(&ClientMessage::Subscribe(subscribe))
                .unwrap_or_else(|_| r#"{"type":"subscribe"}"#.into()),
        ]
    }

    fn opened(&mut self) {
        self.parts = None;
        self.dictionary.clear();
    }

    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        self.decode_frame(text, received_ms, out);
        // The compact dictionary lost track (a frame refused, an unknown index): ask again.
        out.resubscribe |= self.dictionary.take_resync();
    }
}

impl Fleetview {
    fn decode_frame(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        let tally = &mut out.rejected;
        match decode_frame(text, &mut self.dictionary, &self.limits, tally) {
            Ok(ServerFrame::SnapshotPart(batch)) => {
                let parts = self.parts.get_or_insert_with(FixBatch::default);
                let room = self.max_snapshot.saturating_sub(parts.len());
                if batch.len() > room {
                    tally.record_n(
                        RejectReason::OverCapacity,
                        (batch.len() - room) as u64,
                        &format!("a snapshot of over {} vehicles", self.max_snapshot),
                    );
                }
                for fix in batch.iter().take(room) {
                    parts.push(&fix);
                }
            }
            Ok(ServerFrame::Snapshot(mut batch)) => {
                if let Some(mut parts) = self.parts.take() {
                    parts.append(&batch);
                    batch = parts;
                }
                batch.received_ms = received_ms;
                out.events.push(FeedEvent::Snapshot(batch));
            }
            Ok(ServerFrame::Positions(mut batch)) => {
                batch.received_ms = received_ms;
                if !batch.is_empty() {
                    out.events.push(FeedEvent::Positions(batch));
                }
            }
            Ok(ServerFrame::Remove(ids)) => {
                if !ids.is_empty() {
                    out.events.push(FeedEvent::Removed(ids));
                }
            }
            Ok(ServerFrame::Error { code, message }) => {
                tracing::warn!(%code, %message, "the server reported an error");
                out.events.push(FeedEvent::ServerError { code, message });
            }
            Err(rejection) => tally.add(&rejection),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(format: &mut Fleetview, text: &str) -> Decoded {
        let mut out = Decoded::default();
        format.decode(text, 5, &mut out);
        out
    }

    #[test]
    fn a_snapshot_in_parts_arrives_as_one_snapshot_when_the_last_part_does() {
        let mut format = Fleetview::new(DecodeLimits::default(), 10);
        let part =
            r#"{"type":"snapshot","more":true,"positions":[{"id":"a","lat":1,"lon":2,"ts":3}]}"#;
        assert!(decode(&mut format, part).events.is_empty());
        let last = r#"{"type":"snapshot","positions":[{"id":"b","lat":1,"lon":2,"ts":3}]}"#;
        let out = decode(&mut format, last);
        let [FeedEvent::Snapshot(batch)] = &out.events[..] else {
            panic!("one snapshot, got {:?}", out.events);
        };
        assert_eq!(batch.iter().map(|f| f.id).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(batch.received_ms, 5);
    }

    #[test]
    fn a_new_connection_forgets_a_half_received_snapshot() {
        let mut format = Fleetview::new(DecodeLimits::default(), 10);
        let part =
            r#"{"type":"snapshot","more":true,"positions":[{"id":"a","lat":1,"lon":2,"ts":3}]}"#;
        decode(&mut format, part);
        format.opened();
        let out = decode(&mut format, r#"{"type":"snapshot","positions":[]}"#);
        let [FeedEvent::Snapshot(batch)] = &out.events[..] else {
            panic!("one snapshot");
        };
        assert!(batch.is_empty());
    }

    #[test]
    fn the_greeting_is_a_subscribe_carrying_the_token() {
        let format = Fleetview::new(DecodeLimits::default(), 10);
        let hello = format.greeting(&Subscribe::default(), Some("T"));
        assert_eq!(
            hello,
            [r#"{"type":"subscribe","token":"T","encoding":"compact"}"#]
        );
    }
}
