//! The recording file format, bytes only (no files, no threads): a file header, then chunks, each
//! a small fixed header and a zstd frame of JSON lines. Both headers ride in zstd *skippable
//! frames*, so the whole file is also a plain zstd stream: `zstdcat FILE` prints the lines.
//! The README documents the format with examples.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::events::FeedEvent;
use crate::fleet::FeedId;
use crate::protocol::{FixBatch, FixRef, MetaRef};

/// The version this build writes and the newest it reads.
pub const VERSION: u32 = 1;
/// The `format` field of the file header.
pub const FORMAT: &str = "fleetview-recording";
/// zstd skippable-frame magics (0x184D2A50..5F are reserved for skippable frames).
pub const FILE_MAGIC: u32 = 0x184D_2A5F;
pub const CHUNK_MAGIC: u32 = 0x184D_2A5C;
/// Bytes of a chunk header's content.
pub const CHUNK_HEADER_LEN: usize = 32;
/// Largest chunk payload accepted when reading (a chunk holds about a second).
pub const MAX_PAYLOAD: u32 = 256 * 1024 * 1024;

/// The file header's content (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHeader {
    pub format: String,
    pub version: u32,
    /// When recording started, UTC ms.
    pub started_ms: i64,
    /// The program that wrote it.
    #[serde(default)]
    pub writer: String,
}

impl FileHeader {
    pub fn new(started_ms: i64) -> Self {
        Self {
            format: FORMAT.into(),
            version: VERSION,
            started_ms,
            writer: format!("fleetview {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// A skippable frame: magic, length, content.
pub fn skippable(magic: u32, content: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&magic.to_le_bytes());
    out.extend_from_slice(&(content.len() as u32).to_le_bytes());
    out.extend_from_slice(content);
}

/// What a chunk header says about the zstd frame after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader {
    /// It starts with the whole state (a seek can start here).
    pub keyframe: bool,
    /// Bytes of the zstd frame that follows.
    pub payload_len: u32,
    /// Record times of its first and last lines, UTC ms.
    pub first_t: i64,
    pub last_t: i64,
    /// Fix rows it holds (state included).
    pub fixes: u32,
}

impl ChunkHeader {
    pub fn encode(&self) -> [u8; CHUNK_HEADER_LEN] {
        let mut b = [0u8; CHUNK_HEADER_LEN];
        b[0] = u8::from(self.keyframe);
        b[4..8].copy_from_slice(&self.payload_len.to_le_bytes());
        b[8..16].copy_from_slice(&self.first_t.to_le_bytes());
        b[16..24].copy_from_slice(&self.last_t.to_le_bytes());
        b[24..28].copy_from_slice(&self.fixes.to_le_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Result<Self, String> {
        if b.len() != CHUNK_HEADER_LEN {
            return Err(format!("a chunk header of {} bytes", b.len()));
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let i64_at = |i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            i64::from_le_bytes(a)
        };
        let header = Self {
            keyframe: match b[0] {
                0 => false,
                1 => true,
                k => return Err(format!("unknown chunk kind {k}")),
            },
            payload_len: u32_at(4),
            first_t: i64_at(8),
            last_t: i64_at(16),
            fixes: u32_at(24),
        };
        if header.payload_len == 0 || header.payload_len > MAX_PAYLOAD {
            return Err(format!("a chunk of {} bytes", header.payload_len));
        }
        if header.last_t < header.first_t {
            return Err("a chunk ending before it starts".into());
        }
        Ok(header)
    }
}

/// One recorded thing a feed did.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    /// The feed's name (a feed added, or renamed).
    Name(String),
    /// An event as the feed sent it.
    Event(FeedEvent),
    /// The feed was removed: its vehicles go.
    Gone,
}

/// A recorded thing with its feed and the time it arrived (our clock, UTC ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub t: i64,
    pub feed: FeedId,
    pub what: Recorded,
}

/// One feed's whole state in a keyframe.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedState {
    pub feed: FeedId,
    pub name: String,
    /// Whether its connection was up.
    pub up: bool,
    /// Every vehicle, with every descriptive field.
    pub vehicles: FixBatch,
}

/// A decoded chunk: the state it starts from (keyframes only), then what happened.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chunk {
    /// The keyframe's time and the state of every feed then.
    pub key: Option<(i64, Vec<FeedState>)>,
    pub records: Vec<Record>,
}

/// An event line (a row line is a JSON array). Exactly one of the optional groups is set.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Line<'a> {
    t: i64,
    feed: u32,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    positions: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    snapshot: Option<u32>,
    /// A keyframe starts: this many `state` lines follow (`feed` is 0).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    keyframe: Option<u32>,
    /// A keyframe's state of this feed: `name`, `up`, then this many rows.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    state: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    up: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    removed: Option<Vec<Cow<'a, str>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gone: Option<bool>,
    /// "connecting", "connected" or "down".
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    link: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    url: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    reason: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    retry_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    notices: Option<Vec<NoticeLine>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    error: Option<(String, String)>,
}

#[derive(Debug, Serialize, Deserialize)]
struct NoticeLine {
    id: String,
    kind: String,
    ts: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    detail: Option<String>,
}

/// A row's descriptive fields (only those written).
#[derive(Debug, Default, Serialize, Deserialize)]
struct MetaLine<'a> {
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    label: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    kind: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    status: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    route: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none", borrow, default)]
    attrs: Option<&'a RawValue>,
}

/// A fix row: id, latitude and longitude in 1e-7 degrees, `ts` minus the line's `t` (ms),
/// heading in tenths of a degree, speed in cm/s, the descriptive fields that changed.
#[derive(Debug, Serialize, Deserialize)]
struct Row<'a>(
    #[serde(borrow)] Cow<'a, str>,
    i64,
    i64,
    i64,
    Option<i32>,
    Option<i32>,
    #[serde(borrow)] Option<MetaLine<'a>>,
);

fn push_line<T: Serialize>(out: &mut Vec<u8>, value: &T) {
    // Writing JSON into a Vec cannot fail for these types (string keys, finite numbers).
    if serde_json::to_writer(&mut *out, value).is_ok() {
        out.push(b'\n');
    }
}

/// Writes `fix` as a row of a line at `t`; of its descriptive fields, only those that differ
/// from `held` (what the reader's model will already hold) are written.
pub fn push_row(
    out: &mut Vec<u8>,
    t: i64,
    fix: &FixRef<'_>,
    held: Option<MetaRef<'_>>,
    coordinates: Coordinates<'_>,
) {
    let sent = &fix.meta;
    fn new<'s>(s: Option<&'s str>, h: Option<&str>) -> Option<&'s str> {
        s.filter(|s| Some(*s) != h)
    }
    let h = held.unwrap_or_default();
    let attrs = new(sent.attrs, h.attrs).and_then(|a| serde_json::from_str::<&RawValue>(a).ok());
    let meta = MetaLine {
        label: new(sent.label, h.label).map(Cow::Borrowed),
        kind: new(sent.kind, h.kind).map(Cow::Borrowed),
        status: new(sent.status, h.status).map(Cow::Borrowed),
        route: new(sent.route, h.route).map(Cow::Borrowed),
        attrs,
    };
    let any = meta.label.is_some()
        || meta.kind.is_some()
        || meta.status.is_some()
        || meta.route.is_some()
        || meta.attrs.is_some();
    let at = (
        (fix.lat * 1e7).round() as i64,
        (fix.lon * 1e7).round() as i64,
    );
    let (lat, lon) = match coordinates {
        Coordinates::Absolute(table, feed) => {
            table.set(feed, fix.id, at);
            at
        }
        Coordinates::Changes(table, feed) => table.encode(feed, fix.id, at),
    };
    let row = Row(
        Cow::Borrowed(fix.id),
        lat,
        lon,
        fix.ts - t,
        fix.heading.map(|h| (h * 10.0).round() as i32),
        fix.speed.map(|s| (s * 100.0).round() as i32),
        any.then_some(meta),
    );
    push_line(out, &row);
}

/// Writes one event's line and its rows; `held` gives the descriptive fields the reader's
/// model will hold for an id. Returns the rows written. Refusal tallies are not recorded.
pub fn push_event<'h>(
    out: &mut Vec<u8>,
    (t, feed): (i64, FeedId),
    event: &FeedEvent,
    held: &dyn Fn(&str) -> Option<MetaRef<'h>>,
    positions: &mut Positions,
) -> u32 {
    let Some((line, rows)) = line_of(t, feed, event) else {
        return 0;
    };
    push_line(out, &line);
    let Some(batch) = rows else {
        return 0;
    };
    for fix in batch.iter() {
        let coordinates = Coordinates::Changes(positions, feed.0);
        push_row(out, t, &fix, held(fix.id), coordinates);
    }
    batch.len() as u32
}

/// An event's line, and the fixes that follow it as rows (`None`: it is not recorded).
fn line_of(t: i64, feed: FeedId, event: &FeedEvent) -> Option<(Line<'_>, Option<&FixBatch>)> {
    let mut line = Line {
        t,
        feed: feed.0,
        ..Line::default()
    };
    let mut rows = None;
    match event {
        FeedEvent::Connecting { url, attempt } => {
            line.link = Some("connecting".into());
            line.url = Some(url.into());
            line.attempt = Some(*attempt);
        }
        FeedEvent::Connected { url } => {
            line.link = Some("connected".into());
            line.url = Some(url.into());
        }
        FeedEvent::Disconnected { reason, retry_in } => {
            line.link = Some("down".into());
            line.reason = Some(reason.into());
            line.retry_ms = retry_in.map(|d| d.as_millis() as u64);
        }
        FeedEvent::Snapshot(batch) => {
            line.snapshot = Some(batch.len() as u32);
            rows = Some(batch);
        }
        FeedEvent::Positions(batch) => {
            line.positions = Some(batch.len() as u32);
            rows = Some(batch);
        }
        FeedEvent::Removed(ids) => line.removed = Some(ids.iter().map(Cow::from).collect()),
        FeedEvent::Notices(notices) => {
            line.notices = Some(
                notices
                    .iter()
                    .map(|n| NoticeLine {
                        id: n.id.clone(),
                        kind: n.kind.clone(),
                        ts: n.ts,
                        detail: n.detail.clone(),
                    })
                    .collect(),
            );
        }
        FeedEvent::ServerError { code, message } => {
            line.error = Some((code.clone(), message.clone()));
        }
        FeedEvent::Rejected(_) => return None,
    }
    Some((line, rows))
}

/// Writes a feed's name.
pub fn push_name(out: &mut Vec<u8>, t: i64, feed: FeedId, name: &str) {
    let line = Line {
        t,
        feed: feed.0,
        name: Some(name.into()),
        ..Line::default()
    };
    push_line(out, &line);
}

/// Writes that a feed was removed.
pub fn push_gone(out: &mut Vec<u8>, t: i64, feed: FeedId) {
    let line = Line {
        t,
        feed: feed.0,
        gone: Some(true),
        ..Line::default()
    };
    push_line(out, &line);
}

/// Starts a keyframe of `feeds` feeds' states.
pub fn push_keyframe(out: &mut Vec<u8>, t: i64, feeds: u32, positions: &mut Positions) {
    positions.clear();
    let line = Line {
        t,
        keyframe: Some(feeds),
        ..Line::default()
    };
    push_line(out, &line);
}

/// Writes a feed's whole state (a keyframe's part): its name, whether it is up, and every
/// vehicle with every field. Returns the rows written.
pub fn push_state<'v>(
    out: &mut Vec<u8>,
    t: i64,
    feed: FeedId,
    (name, up): (&str, bool),
    vehicles: &[FixRef<'v>],
    positions: &mut Positions,
) -> u32 {
    let line = Line {
        t,
        feed: feed.0,
        name: Some(name.into()),
        state: Some(vehicles.len() as u32),
        up: Some(up),
        ..Line::default()
    };
    push_line(out, &line);
    for fix in vehicles {
        push_row(out, t, fix, None, Coordinates::Absolute(positions, feed.0));
    }
    vehicles.len() as u32
}

mod decode;
mod positions;

pub use decode::{decode_payload, track_rows};
pub use positions::{Coordinates, Positions};

#[cfg(test)]
mod tests;
