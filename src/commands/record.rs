//! `fleetview record`: feeds to a recording without a window, on the one [`Pipeline`]. The
//! recorder waits for the disk ([`Backpressure::Wait`]); meanwhile the feeds thread coalesces
//! as it does for a busy window, so a slow disk loses nothing that matters.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::CommandError;
use crate::clock::SharedClock;
use crate::feed::{FeedConfig, FeedId, FeedSet};
use crate::fleet::FleetConfig;
use crate::pipeline::Pipeline;
use crate::record::recorder::{Backpressure, RecorderStatus};

/// Records `feeds` into `out` for `duration` (until the process is stopped, when `None`: every
/// second is on disk by then), reporting progress to `progress` about once a second.
pub fn run(
    feeds: Vec<FeedConfig>,
    out: &Path,
    duration: Option<Duration>,
    clock: SharedClock,
    progress: &mut dyn FnMut(&RecorderStatus),
) -> Result<RecorderStatus, CommandError> {
    let mut pipeline = Pipeline::new(FleetConfig::default(), clock);
    let started = pipeline.now_ms();
    pipeline.start_recording(out, Backpressure::Wait)?;
    let set = FeedSet::spawn(Arc::new(|| {}))?;
    for (i, feed) in feeds.into_iter().enumerate() {
        let id = FeedId(i as u32);
        pipeline.add_feed(id, &feed.spec.name);
        set.add(id, feed)?;
    }
    let end = duration.map(|d| started + d.as_millis() as i64);
    let mut reported = started;
    while end.is_none_or(|end| pipeline.now_ms() < end) {
        if let Some((feed, event)) = set.recv_timeout(Duration::from_millis(200)) {
            pipeline.apply(feed, &event);
        }
        let now = pipeline.now_ms();
        if now - reported >= 1000 {
            reported = now;
            if let Some((_, status)) = pipeline.recording() {
                progress(&status);
            }
        }
    }
    drop(set);
    let (_, status) = pipeline.stop_recording().unwrap_or_default();
    match status.failed {
        Some(reason) => Err(CommandError::RecordingFailed(reason)),
        None => Ok(status),
    }
}
