//! Scoped tokens through the hub: what a reload does to viewers already watching; and the
//! client the leak property test (`leak.rs`) reads frames with.

use std::collections::BTreeMap;

use super::*;
use crate::scopes::{Rules, Scope, Tokens};
use fleetview_core::protocol::{
    DecodeLimits, Dictionary, Encoding, RejectTally, ServerFrame, decode_frame,
};

fn scope(name: &str, secret: u8, generation: u64, rules: Rules) -> Arc<Scope> {
    Arc::new(Scope::new(name, [secret; 32], generation, rules))
}

fn devices(ids: &[&str]) -> Rules {
    Rules {
        devices: ids.iter().map(|s| s.to_string()).collect(),
        ..Rules::default()
    }
}

/// A client: decodes what it is sent (either encoding) and keeps its picture.
pub(super) struct Client {
    rx: mpsc::Receiver<Outgoing>,
    dict: Dictionary,
    pub(super) held: BTreeMap<String, (f64, f64)>,
    parts: Vec<(String, (f64, f64))>,
    pub(super) revoked: bool,
    compact: bool,
}

impl Client {
    pub(super) fn join(hub: &mut Hub, id: ViewerId, filter: Filter, queue: usize) -> Self {
        let (tx, rx) = mpsc::channel(queue);
        let compact = filter.encoding() == Encoding::Compact;
        hub.join(id, filter, tx);
        Self {
            rx,
            dict: Dictionary::new(100_000),
            held: BTreeMap::new(),
            parts: Vec::new(),
            revoked: false,
            compact,
        }
    }

    /// Reads everything queued; each position sent must be one `allowed` accepts.
    pub(super) fn drain(&mut self, allowed: impl Fn(&str, f64, f64) -> bool) {
        while let Ok(bundle) = self.rx.try_recv() {
            assert!(!self.revoked, "frames after the revocation");
            for text in bundle.iter() {
                let mut refused = RejectTally::default();
                let limits = DecodeLimits::default();
                let frame = decode_frame(text.as_str(), &mut self.dict, &limits, &mut refused)
                    .expect("a frame the client reads");
                assert!(refused.is_empty(), "{refused:?} in {text}");
                self.apply(frame, &allowed);
            }
        }
    }

    fn apply(&mut self, frame: ServerFrame, allowed: &impl Fn(&str, f64, f64) -> bool) {
        let check = |b: &FixBatch| -> Vec<(String, (f64, f64))> {
            b.iter()
                .map(|f| {
                    assert!(
                        allowed(f.id, f.lat, f.lon),
                        "{} at {},{} leaked",
                        f.id,
                        f.lat,
                        f.lon
                    );
                    (f.id.to_owned(), (f.lat, f.lon))
                })
                .collect()
        };
        match frame {
            ServerFrame::SnapshotPart(b) => {
                let rows = check(&b);
                self.parts.extend(rows);
            }
            ServerFrame::Snapshot(b) => {
                let rows = check(&b);
                self.parts.extend(rows);
                self.held = std::mem::take(&mut self.parts).into_iter().collect();
            }
            ServerFrame::Positions(b) => self.held.extend(check(&b)),
            // A v1 viewer that joined between ticks may be told to remove a vehicle (in its
            // scope) that had moved out of its filter and so was not in its snapshot; a compact
            // dictionary must never name one it does not hold.
            ServerFrame::Remove(ids) => {
                for id in ids {
                    let held = self.held.remove(&id).is_some();
                    assert!(held || !self.compact, "{id} removed but not held");
                }
            }
            ServerFrame::Error { code, .. } => {
                assert_eq!(code, "unauthorized");
                self.revoked = true;
            }
        }
    }
}

#[test]
fn a_reload_that_shrinks_a_scope_removes_and_one_that_grows_it_sends_the_new_vehicles() {
    let mut hub = Hub::new(600_000);
    hub.report(
        &batch(&[
            ("van-1", 1.0, 1.0, T0),
            ("van-2", 1.0, 1.0, T0),
            ("bus-1", 1.0, 1.0, T0),
        ]),
        T0,
    );
    hub.tick(T0);
    for encoding in [Encoding::V1, Encoding::Compact] {
        let old = scope("contractor", 1, 1, devices(&["van-*"]));
        let filter = Filter::all().with_encoding(encoding).within(Some(old));
        let mut client = Client::join(&mut hub, 1, filter, 16);
        hub.tick(T0 + 200);
        client.drain(|id, _, _| id.starts_with("van-"));
        assert_eq!(client.held.keys().collect::<Vec<_>>(), ["van-1", "van-2"]);
        let shrunk = scope("contractor", 1, 2, devices(&["van-2", "bus-1"]));
        hub.rescope(
            Arc::new(Tokens::of_viewers(2, [Arc::unwrap_or_clone(shrunk)])),
            T0 + 300,
        );
        client.drain(|id, _, _| id == "van-2" || id == "bus-1");
        assert_eq!(
            client.held.keys().collect::<Vec<_>>(),
            ["bus-1", "van-2"],
            "{encoding:?}"
        );
        hub.leave(1);
        hub.tokens = None;
    }
}

#[test]
fn a_revoked_token_is_told_so_and_let_go_and_cannot_join_again_with_its_old_load() {
    let mut hub = Hub::new(600_000);
    hub.report(&batch(&[("van-1", 1.0, 1.0, T0)]), T0);
    let old = scope("customer", 1, 1, devices(&["van-1"]));
    let mut client = Client::join(&mut hub, 1, Filter::all().within(Some(old.clone())), 16);
    let other = scope(
        "depot",
        2,
        2,
        Rules {
            all: true,
            ..Rules::default()
        },
    );
    hub.rescope(
        Arc::new(Tokens::of_viewers(2, [Arc::unwrap_or_clone(other)])),
        T0,
    );
    client.drain(|id, _, _| id == "van-1");
    assert!(client.revoked);
    assert_eq!(hub.stats().viewers, 0);
    // Its session had checked the token before the reload; it joins after: turned away.
    let mut late = Client::join(&mut hub, 2, Filter::all().within(Some(old)), 16);
    late.drain(|_, _, _| false);
    assert!(late.revoked);
    assert_eq!(hub.stats().viewers, 0);
}

#[test]
fn a_viewer_that_showed_its_token_before_a_reload_joins_with_the_newer_scope() {
    let mut hub = Hub::new(600_000);
    hub.report(
        &batch(&[("van-1", 1.0, 1.0, T0), ("bus-1", 1.0, 1.0, T0)]),
        T0,
    );
    let old = scope("contractor", 1, 1, devices(&["van-*", "bus-*"]));
    let newer = scope("contractor", 1, 2, devices(&["van-*"]));
    hub.rescope(
        Arc::new(Tokens::of_viewers(2, [Arc::unwrap_or_clone(newer)])),
        T0,
    );
    let mut client = Client::join(&mut hub, 1, Filter::all().within(Some(old)), 16);
    client.drain(|id, _, _| id == "van-1");
    assert_eq!(client.held.keys().collect::<Vec<_>>(), ["van-1"]);
}
