//! `fleetview record`: feeds to a recording without a window. Events go from the feeds thread
//! straight to the writer; if the disk is slower than the feeds, the feeds thread coalesces
//! as it does for a busy window.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::{RecordingError, Writer, Written};
use crate::clock::SharedClock;
use crate::feed::{FeedConfig, FeedId, FeedSet};

/// Records `feeds` into `out` for `duration` (until the process is stopped, when `None`: every
/// second is on disk by then), reporting progress to `progress` about once a second.
pub fn run(
    feeds: Vec<FeedConfig>,
    out: &Path,
    duration: Option<Duration>,
    clock: SharedClock,
    progress: &mut dyn FnMut(Written),
) -> Result<Written, RecordingError> {
    let io = |source| RecordingError::Io {
        path: out.display().to_string(),
        source,
    };
    let file = File::create(out).map_err(io)?;
    let started = clock.now_ms();
    let mut writer = Writer::new(file, started).map_err(io)?;
    let set = FeedSet::spawn(Arc::new(|| {}))?;
    for (i, feed) in feeds.into_iter().enumerate() {
        let id = FeedId(i as u32);
        writer.name(started, id, &feed.spec.name).map_err(io)?;
        set.add(id, feed)?;
    }
    let end = duration.map(|d| started + d.as_millis() as i64);
    let mut reported = started;
    loop {
        let now = clock.now_ms();
        if end.is_some_and(|end| now >= end) {
            break;
        }
        if let Some((feed, event)) = set.recv_timeout(Duration::from_millis(200)) {
            writer.event(clock.now_ms(), feed, &event).map_err(io)?;
        }
        let now = clock.now_ms();
        writer.tick(now).map_err(io)?;
        if now - reported >= 1000 {
            reported = now;
            progress(writer.written());
        }
    }
    drop(set);
    writer.tick(i64::MAX).map_err(io)?;
    let written = writer.written();
    writer.finish().map_err(io)?;
    Ok(written)
}
