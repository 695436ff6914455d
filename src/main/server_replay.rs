//! `fleetview --replay-from-server FEED --at T [--for 30m]`: the fleet as it was at T and after,
//! fetched from a fleetview server's history (`/api/fleet`, then `/api/fixes` in pages) into a
//! recording beside the others, then played in the window as any recording is.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use fleetview::feed::history::{ReplayQuery, Update};
use fleetview::feed::{FeedConfig, FeedId, FeedSet, FeedSpec};
use fleetview::ui::history::range::time_of;

/// The longest a fetch may take before the command gives up.
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);

/// Fetches `feed`'s fleet from `at` for `span` into a recording; its path.
pub fn fetch(feed: &str, at: &str, span: Duration, now_ms: i64) -> anyhow::Result<PathBuf> {
    let mut spec =
        FeedSpec::parse(feed).with_context(|| format!("--replay-from-server {feed:?}"))?;
    // The history is read over HTTP; the feed's own socket is not needed.
    spec.enabled = false;
    let Some(at_ms) = time_of(at) else {
        bail!("--at {at:?}: not a time (ISO 8601, or like 2026-12-04 14:00 in UTC)");
    };
    if at_ms > now_ms {
        bail!("--at {at:?} is in the future");
    }
    let until_ms = at_ms + span.as_millis() as i64;
    let dir = fleetview::ui::default_recording(now_ms)
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let query = ReplayQuery {
        at_ms,
        until_ms,
        path: fleetview::ui::server_recording(&dir, &spec.name, at_ms),
        feed_name: spec.name.clone(),
    };
    let feeds = FeedSet::spawn(Arc::new(|| {}))?;
    let id = FeedId(0);
    feeds.add(id, FeedConfig::from_spec(spec))?;
    let handle = feeds.replay(id, query)?;
    let deadline = Instant::now() + FETCH_TIMEOUT;
    while Instant::now() < deadline {
        match handle.recv_timeout(Duration::from_millis(500)) {
            Some(Update::Progress { fixes, .. }) => eprint!("\rfetched {fixes} fixes"),
            Some(Update::Done(Ok(replayed))) => {
                eprintln!(
                    "\r{} vehicles, {} fixes written to {}",
                    replayed.vehicles,
                    replayed.fixes,
                    replayed.path.display()
                );
                return Ok(replayed.path);
            }
            Some(Update::Done(Err(e))) => bail!("the server's history: {e}"),
            None => {}
        }
    }
    bail!("the server's history did not come within {FETCH_TIMEOUT:?}")
}
