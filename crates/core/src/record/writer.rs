//! Writes a recording: events in, chunks out. A chunk is closed at least once a second (so a
//! crash loses at most the last second) and written with one `write_all` then flushed, so a
//! reader never sees half a chunk as whole. Every [`KEYFRAME_EVERY_MS`] a chunk starts with the
//! whole state, taken from a model of its own fed the same events, so a seek never replays
//! more than that. Descriptive fields are written only when they change (the model knows what
//! a reader will hold), and always in keyframes.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::format::{self, CHUNK_MAGIC, ChunkHeader, FILE_MAGIC, FileHeader};
use crate::events::FeedEvent;
use crate::fleet::{FeedId, Fleet, FleetConfig};
use crate::protocol::FixRef;

/// A chunk is closed when it spans this long.
pub const CHUNK_MS: i64 = 1_000;
/// A keyframe starts a chunk this often.
pub const KEYFRAME_EVERY_MS: i64 = 10_000;
/// zstd's level: fast enough to keep up with 100k fixes/s on one core.
const LEVEL: i32 = 3;

/// What has been written so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    pub chunks: u64,
    pub keyframes: u64,
    /// Fix rows written outside keyframes.
    pub fixes: u64,
}

struct Feed {
    name: String,
    up: bool,
}

pub struct Writer<W: Write> {
    out: W,
    /// The state a reader will hold: what keyframes and held fields come from.
    model: Fleet,
    /// Each vehicle's last written coordinates (rows carry the change).
    positions: format::Positions,
    feeds: BTreeMap<FeedId, Feed>,
    /// The open chunk's lines, and its span.
    lines: Vec<u8>,
    span: Option<(i64, i64)>,
    keyframe: bool,
    fixes_in_chunk: u32,
    last_keyframe: Option<i64>,
    /// Record times never go backwards, whatever the clock does.
    last_t: i64,
    written: Written,
}

impl<W: Write> Writer<W> {
    /// Starts a recording made at `started_ms`, writing the file header.
    pub fn new(mut out: W, started_ms: i64) -> io::Result<Self> {
        let header = serde_json::to_vec(&FileHeader::new(started_ms)).map_err(io::Error::other)?;
        let mut bytes = Vec::new();
        format::skippable(FILE_MAGIC, &header, &mut bytes);
        out.write_all(&bytes)?;
        out.flush()?;
        let config = FleetConfig {
            trail_len: 0,
            // The model never refuses a fix for its time: the recording keeps what arrived.
            max_future: std::time::Duration::from_secs(365 * 24 * 3600),
            ..FleetConfig::default()
        };
        Ok(Self {
            out,
            model: Fleet::new(config),
            positions: format::Positions::default(),
            feeds: BTreeMap::new(),
            lines: Vec::with_capacity(64 * 1024),
            span: None,
            keyframe: false,
            fixes_in_chunk: 0,
            last_keyframe: None,
            last_t: started_ms,
            written: Written {
                bytes: bytes.len() as u64,
                ..Written::default()
            },
        })
    }

    pub fn written(&self) -> Written {
        self.written
    }

    /// Names (or renames) a feed.
    pub fn name(&mut self, t: i64, feed: FeedId, name: &str) -> io::Result<()> {
        let t = self.begin(t)?;
        self.feeds
            .entry(feed)
            .and_modify(|f| f.name = name.to_owned())
            .or_insert(Feed {
                name: name.to_owned(),
                up: false,
            });
        format::push_name(&mut self.lines, t, feed, name);
        Ok(())
    }

    /// A feed was removed.
    pub fn gone(&mut self, t: i64, feed: FeedId) -> io::Result<()> {
        let t = self.begin(t)?;
        self.feeds.remove(&feed);
        self.model.remove_feed(feed);
        format::push_gone(&mut self.lines, t, feed);
        Ok(())
    }

    /// Records one event of `feed` that arrived at `t`.
    pub fn event(&mut self, t: i64, feed: FeedId, event: &FeedEvent) -> io::Result<()> {
        if matches!(event, FeedEvent::Rejected(_)) {
            return Ok(());
        }
        let t = self.begin(t)?;
        let model = &self.model;
        let held = |id: &str| model.get(feed, id).map(|v| v.meta());
        self.fixes_in_chunk += format::push_event(
            &mut self.lines,
            (t, feed),
            event,
            &held,
            &mut self.positions,
        );
        let status = self.feeds.entry(feed).or_insert_with(|| Feed {
            name: feed.to_string(),
            up: false,
        });
        match event {
            FeedEvent::Snapshot(b) => {
                self.written.fixes += b.len() as u64;
                self.model.apply_snapshot(feed, b, t);
            }
            FeedEvent::Positions(b) => {
                self.written.fixes += b.len() as u64;
                self.model.apply_batch(feed, b, t);
            }
            FeedEvent::Removed(ids) => {
                self.model.remove_ids(feed, ids);
            }
            FeedEvent::Connected { .. } => status.up = true,
            FeedEvent::Disconnected { .. } => status.up = false,
            _ => {}
        }
        Ok(())
    }

    /// Closes the open chunk when it is a second old: call it now and then even when no event
    /// comes, so what was recorded reaches the disk.
    pub fn tick(&mut self, now: i64) -> io::Result<()> {
        match self.span {
            Some((first, _)) if now - first >= CHUNK_MS => self.close(),
            _ => Ok(()),
        }
    }

    /// Closes the open chunk and hands the output back.
    pub fn finish(mut self) -> io::Result<W> {
        self.close()?;
        Ok(self.out)
    }

    /// The time a line at `t` is written with, after closing the chunk it does not fit and
    /// opening one (with a keyframe when one is due).
    fn begin(&mut self, t: i64) -> io::Result<i64> {
        let t = t.max(self.last_t);
        self.last_t = t;
        if let Some((first, _)) = self.span
            && t - first >= CHUNK_MS
        {
            self.close()?;
        }
        match &mut self.span {
            Some((_, last)) => *last = t,
            None => {
                self.span = Some((t, t));
                if self
                    .last_keyframe
                    .is_none_or(|k| t - k >= KEYFRAME_EVERY_MS)
                {
                    self.push_keyframe(t);
                }
            }
        }
        Ok(t)
    }

    /// Writes every feed's whole state at the start of the open chunk.
    fn push_keyframe(&mut self, t: i64) {
        self.last_keyframe = Some(t);
        self.keyframe = true;
        let mut by_feed: BTreeMap<FeedId, Vec<FixRef<'_>>> =
            self.feeds.keys().map(|f| (*f, Vec::new())).collect();
        for (_, v) in self.model.iter() {
            by_feed.entry(v.feed()).or_default().push(v.as_fix());
        }
        format::push_keyframe(
            &mut self.lines,
            t,
            by_feed.len() as u32,
            &mut self.positions,
        );
        for (feed, vehicles) in &by_feed {
            let about = self
                .feeds
                .get(feed)
                .map_or((String::new(), false), |f| (f.name.clone(), f.up));
            self.fixes_in_chunk += format::push_state(
                &mut self.lines,
                t,
                *feed,
                (&about.0, about.1),
                vehicles,
                &mut self.positions,
            );
        }
    }

    /// Compresses and writes the open chunk, if any.
    fn close(&mut self) -> io::Result<()> {
        let Some((first_t, last_t)) = self.span.take() else {
            return Ok(());
        };
        let payload = compress(&self.lines)?;
        let header = ChunkHeader {
            keyframe: self.keyframe,
            payload_len: payload.len() as u32,
            first_t,
            last_t,
            fixes: self.fixes_in_chunk,
        };
        let mut bytes = Vec::with_capacity(payload.len() + 40);
        format::skippable(CHUNK_MAGIC, &header.encode(), &mut bytes);
        bytes.extend_from_slice(&payload);
        self.out.write_all(&bytes)?;
        self.out.flush()?;
        self.written.bytes += bytes.len() as u64;
        self.written.chunks += 1;
        self.written.keyframes += u64::from(self.keyframe);
        self.lines.clear();
        self.keyframe = false;
        self.fixes_in_chunk = 0;
        Ok(())
    }
}

/// One zstd frame with its content size and checksum (so damage is found, not played).
fn compress(lines: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(lines.len() / 4 + 64);
    let mut encoder = zstd::stream::Encoder::new(&mut out, LEVEL)?;
    encoder.include_checksum(true)?;
    encoder.set_pledged_src_size(Some(lines.len() as u64))?;
    encoder.include_contentsize(true)?;
    encoder.write_all(lines)?;
    encoder.finish()?;
    Ok(out)
}
