//! The fleet from a moment on, from fleetview-server's history, as a recording the replay
//! timeline plays: `/api/fleet?at=T` is the first state (every vehicle's newest fix at T), then
//! `/api/fixes?from=T&to=U` the whole fleet's fixes ahead, a page at a time, written in
//! quarter-second batches at their own times. The player then seeks and plays it as any
//! recording (keyframes every 10 s, so a seek reads at most 10 s of records).

use std::fs::File;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::fleetview::{MAX_FIXES, fixes_of, next_from, page_fixes};
use super::http::Http;
use super::{HistoryError, ReplayQuery, Reporter, off_runtime};
use fleetview_core::events::FeedEvent;
use fleetview_core::fleet::FeedId;
use fleetview_core::protocol::FixBatch;
use fleetview_core::record::Writer;

/// Fixes asked for in one page: the server's largest (each page reads the range's segments
/// again, so fewer pages are faster).
const PAGE: usize = 100_000;
/// Fixes of one record: a quarter of a second of the fleet.
const BATCH_MS: i64 = 250;

/// What was fetched and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    pub path: PathBuf,
    /// The range the recording covers, UTC ms.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Vehicles at the start, and fixes written in all.
    pub vehicles: usize,
    pub fixes: usize,
}

#[derive(Deserialize)]
struct FleetAt<'a> {
    #[serde(borrow)]
    vehicles: &'a RawValue,
}

pub(super) async fn fetch(
    http: &Http,
    q: &ReplayQuery,
    feed: FeedId,
    report: &Reporter<Replayed>,
) -> Result<Replayed, HistoryError> {
    if q.at_ms >= q.until_ms {
        return Err(HistoryError::Failed(
            "the replay ends before it starts".into(),
        ));
    }
    let failed =
        |e: std::io::Error| HistoryError::Failed(format!("cannot write {}: {e}", q.path.display()));
    let body = http
        .get("/api/fleet", &[("at", q.at_ms.to_string())])
        .await?;
    let at: FleetAt<'_> = serde_json::from_str(&body.text)
        .map_err(|e| HistoryError::Failed(format!("/api/fleet: unreadable answer: {e}")))?;
    let start = fixes_of(at.vehicles, "/api/fleet")?;
    if let Some(dir) = q.path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let file = File::create(&q.path).map_err(failed)?;
    let mut out = Writer::new(file, q.at_ms).map_err(failed)?;
    out.name(q.at_ms, feed, &q.feed_name).map_err(failed)?;
    let connected = FeedEvent::Connected {
        url: http.base.clone(),
    };
    out.event(q.at_ms, feed, &connected).map_err(failed)?;
    out.event(q.at_ms, feed, &FeedEvent::Snapshot(start.clone()))
        .map_err(failed)?;
    report.progress("fleet", start.len());
    let mut written = start.len();
    let mut from = q.at_ms + 1;
    loop {
        let query = [
            ("from", from.to_string()),
            ("to", q.until_ms.to_string()),
            ("limit", PAGE.to_string()),
        ];
        let body = http.get("/api/fixes", &query).await?;
        let next = next_from(&body.headers);
        let (text, path) = (body.text, q.path.clone());
        let (back, n) = off_runtime(move || {
            let fixes = page_fixes(&text, "/api/fixes")?;
            write_batches(&mut out, feed, &fixes).map_err(|e| cannot_write(&path, e))?;
            Ok((out, fixes.len()))
        })
        .await?;
        out = back;
        written += n;
        report.progress("fixes", written);
        if written > MAX_FIXES {
            return Err(HistoryError::Failed(format!(
                "the range holds over {MAX_FIXES} fixes: replay a shorter one"
            )));
        }
        match next {
            Some(n) if n > from => from = n,
            _ => break,
        }
    }
    let path = q.path.clone();
    off_runtime(move || {
        let file = out.finish().map_err(|e| cannot_write(&path, e))?;
        file.sync_all().map_err(|e| cannot_write(&path, e))
    })
    .await?;
    Ok(Replayed {
        path: q.path.clone(),
        from_ms: q.at_ms,
        to_ms: q.until_ms,
        vehicles: start.len(),
        fixes: written,
    })
}

fn cannot_write(path: &std::path::Path, e: std::io::Error) -> HistoryError {
    HistoryError::Failed(format!("cannot write {}: {e}", path.display()))
}

/// `fixes` (in time order) as records of at most [`BATCH_MS`], each at its newest fix's time.
fn write_batches(out: &mut Writer<File>, feed: FeedId, fixes: &FixBatch) -> std::io::Result<()> {
    let mut batch = FixBatch::default();
    let mut first = None;
    let mut last = 0;
    for fix in fixes.iter() {
        let start = *first.get_or_insert(fix.ts);
        if fix.ts - start >= BATCH_MS && !batch.is_empty() {
            out.event(
                last,
                feed,
                &FeedEvent::Positions(std::mem::take(&mut batch)),
            )?;
            out.tick(last)?;
            first = Some(fix.ts);
        }
        batch.push(&fix);
        last = fix.ts;
    }
    if !batch.is_empty() {
        out.event(last, feed, &FeedEvent::Positions(batch))?;
        out.tick(last)?;
    }
    Ok(())
}
