//! A filter group: the viewers that asked the same (same filter, same encoding), what they have
//! been sent, and the frames that tell them what changed, serialised once for all of them.
//!
//! For the compact encoding the group also keeps the connection-side dictionary every viewer of
//! it holds: each member's index and the position it was last sent at, so rows carry changes.
//! Every viewer of a group has received the same frames since its last snapshot, and a snapshot
//! is only ever built at a tick, after the tick's changes (when every member's last-sent position
//! is its current one), so one dictionary serves them all.

use std::collections::HashMap;
use std::sync::Arc;

use foldhash::fast::RandomState;
use serde::Serialize;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::stored::{Sent, Stored};
use super::{FRAME_POSITIONS, Outgoing, ViewerId};
use crate::filter::Filter;
use crate::scopes::Scope;
use fleetview_core::protocol::Encoding;
use fleetview_core::protocol::compact::{CompactKind, FrameWriter, Row, remove_frame, to_units};

pub(super) type Vehicles = HashMap<Arc<str>, Stored, RandomState>;

/// A vehicle the group's viewers hold: its compact index, and where they last saw it (1e-7°).
#[derive(Debug, Clone, Copy)]
struct Member {
    index: u32,
    lat: i64,
    lon: i64,
}

pub(super) struct Group {
    pub(super) filter: Filter,
    /// Vehicles this group's viewers have been sent and not told to remove.
    members: HashMap<Arc<str>, Member, RandomState>,
    /// Compact indices freed by removals, reused before new ones.
    free: Vec<u32>,
    next: u32,
    pub(super) viewers: Vec<ViewerId>,
}

#[derive(Serialize)]
struct PositionsFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    positions: &'a [Sent<'a>],
    /// On a snapshot part: more parts follow.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    more: bool,
}

#[derive(Serialize)]
struct RemoveFrame<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    ids: &'a [Arc<str>],
}

fn frame<T: Serialize>(value: &T) -> Utf8Bytes {
    // Serialising these plain structs cannot fail; an empty frame would only be skipped.
    Utf8Bytes::from(serde_json::to_string(value).unwrap_or_default())
}

impl Group {
    /// A group whose viewers are about to get a snapshot of every vehicle matching `filter`.
    pub(super) fn new(filter: Filter, vehicles: &Vehicles) -> Self {
        let mut group = Self {
            filter,
            members: HashMap::default(),
            free: Vec::new(),
            next: 0,
            viewers: Vec::new(),
        };
        for v in vehicles.values() {
            if group.filter.matches(&v.id, v.fix.lat, v.fix.lon) {
                group.admit(v);
            }
        }
        group
    }

    pub(super) fn encoding(&self) -> Encoding {
        self.filter.encoding()
    }

    /// Adds `v` as sent where it is now; its index.
    fn admit(&mut self, v: &Stored) -> u32 {
        let index = self.free.pop().unwrap_or_else(|| {
            self.next += 1;
            self.next - 1
        });
        let member = Member {
            index,
            lat: to_units(v.fix.lat),
            lon: to_units(v.fix.lon),
        };
        self.members.insert(v.id.clone(), member);
        index
    }

    fn dismiss(&mut self, id: &str) -> Option<u32> {
        let member = self.members.remove(id)?;
        self.free.push(member.index);
        Some(member.index)
    }

    /// Takes a newer load of the group's token (same name, same secret): the frames that bring
    /// its viewers to the new scope, a `remove` for the vehicles they may no longer see and the
    /// ones they now may.
    pub(super) fn rescope(
        &mut self,
        scope: Arc<Scope>,
        vehicles: &Vehicles,
        now_ms: i64,
    ) -> Vec<Utf8Bytes> {
        self.filter = self.filter.clone().within(Some(scope));
        let changed: Vec<Arc<str>> = vehicles
            .values()
            .filter(|v| {
                self.filter.matches(&v.id, v.fix.lat, v.fix.lon) != self.members.contains_key(&v.id)
            })
            .map(|v| v.id.clone())
            .collect();
        self.tick_frames(&[], &changed, vehicles, now_ms)
    }

    /// This tick's frames for the group: a `remove` for vehicles gone (`removed`) or out of the
    /// filter, then what `changed` for it. Updates the members.
    pub(super) fn tick_frames(
        &mut self,
        removed: &[Arc<str>],
        changed: &[Arc<str>],
        vehicles: &Vehicles,
        now_ms: i64,
    ) -> Vec<Utf8Bytes> {
        let mut gone: Vec<Arc<str>> = Vec::new();
        let mut freed: Vec<u32> = Vec::new();
        for id in removed {
            if let Some(index) = self.dismiss(id) {
                gone.push(id.clone());
                freed.push(index);
            }
        }
        let mut updates: Vec<(&Stored, Option<u32>)> = Vec::new();
        for id in changed {
            let Some(v) = vehicles.get(id) else { continue };
            if self.filter.matches(&v.id, v.fix.lat, v.fix.lon) {
                let defined = (!self.members.contains_key(id)).then(|| self.admit(v));
                updates.push((v, defined));
            } else if let Some(index) = self.dismiss(id) {
                gone.push(id.clone());
                freed.push(index);
            }
        }
        let mut frames = Vec::with_capacity(2);
        match self.encoding() {
            Encoding::V1 => {
                if !gone.is_empty() {
                    frames.push(frame(&RemoveFrame {
                        kind: "remove",
                        ids: &gone,
                    }));
                }
                let sent: Vec<Sent<'_>> = updates
                    .iter()
                    .map(|(v, new)| Sent::of(v, new.is_some() || v.described))
                    .collect();
                for chunk in sent.chunks(FRAME_POSITIONS) {
                    frames.push(frame(&PositionsFrame {
                        kind: "positions",
                        positions: chunk,
                        more: false,
                    }));
                }
            }
            Encoding::Compact => {
                if !freed.is_empty() {
                    frames.push(Utf8Bytes::from(remove_frame(&freed)));
                }
                for chunk in updates.chunks(FRAME_POSITIONS) {
                    frames.push(self.compact_positions(chunk, now_ms));
                }
            }
        }
        frames
    }

    /// A compact `p` frame: defs for members new this tick, then a row each with the change
    /// since the position last sent.
    fn compact_positions(&mut self, chunk: &[(&Stored, Option<u32>)], now_ms: i64) -> Utf8Bytes {
        let mut writer = FrameWriter::new(CompactKind::Positions, now_ms, chunk.len());
        for (v, defined) in chunk {
            let Some(member) = self.members.get_mut(&v.id) else {
                continue;
            };
            let (lat, lon) = (to_units(v.fix.lat), to_units(v.fix.lon));
            let (dlat, dlon) = if defined.is_some() {
                writer.def(member.index, &v.id);
                (lat, lon)
            } else {
                (lat - member.lat, lon - member.lon)
            };
            member.lat = lat;
            member.lon = lon;
            let full = defined.is_some() || v.described;
            writer.row(&row(v, member.index, dlat, dlon, full));
        }
        Utf8Bytes::from(writer.finish(0, false))
    }

    /// The group's whole set, in parts of at most [`FRAME_POSITIONS`] positions (one part, maybe
    /// empty, at the least). A compact one is built only at a tick, after its changes, when
    /// every member was last sent where it is now.
    pub(super) fn snapshot(&self, vehicles: &Vehicles, now_ms: i64) -> Outgoing {
        // Between ticks (a v1 viewer joining) a member may have moved out of the filter since
        // it was last sent: it is not in the snapshot (its `remove` follows at the tick).
        let held: Vec<(&Stored, Member)> = self
            .members
            .iter()
            .filter_map(|(id, m)| Some((vehicles.get(id)?, *m)))
            .filter(|(v, _)| self.filter.matches(&v.id, v.fix.lat, v.fix.lon))
            .collect();
        let parts = held.len().div_ceil(FRAME_POSITIONS).max(1);
        (0..parts)
            .map(|i| {
                let chunk = &held[(i * FRAME_POSITIONS).min(held.len())
                    ..((i + 1) * FRAME_POSITIONS).min(held.len())];
                let more = i + 1 < parts;
                match self.encoding() {
                    Encoding::V1 => {
                        let positions: Vec<Sent<'_>> =
                            chunk.iter().map(|(v, _)| Sent::of(v, true)).collect();
                        frame(&PositionsFrame {
                            kind: "snapshot",
                            positions: &positions,
                            more,
                        })
                    }
                    Encoding::Compact => {
                        let mut writer =
                            FrameWriter::new(CompactKind::Snapshot, now_ms, chunk.len());
                        for (v, m) in chunk {
                            writer.def(m.index, &v.id);
                            writer.row(&row(v, m.index, m.lat, m.lon, true));
                        }
                        Utf8Bytes::from(writer.finish(i, more))
                    }
                }
            })
            .collect()
    }
}

fn row(v: &Stored, index: u32, dlat: i64, dlon: i64, full: bool) -> Row<'_> {
    Row {
        index,
        dlat,
        dlon,
        ts: v.fix.ts,
        heading: v.fix.heading,
        speed: v.fix.speed,
        fields: full.then(|| v.as_ref().meta),
    }
}
