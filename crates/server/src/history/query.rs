//! Answering from the store: one vehicle's fixes in a time range (in time order, a page at a
//! time), and every vehicle's newest fix at a moment. The plan is made under the store's lock;
//! the files are read outside it, so a long query never holds up the writer.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use fleetview_core::protocol::{FixBatch, FixRef};

use super::HistoryError;
use super::codec::read_column;
use super::segment::read_block;
use super::store::{Plan, Store};

/// A page of one vehicle's track.
#[derive(Debug, Default)]
pub struct Page {
    /// Fixes in time order (one per time: a repeated one is kept once).
    pub fixes: FixBatch,
    /// When the page is full: the time the next page starts from.
    pub next: Option<i64>,
}

fn plan(store: &Mutex<Store>, id: Option<&str>, from: i64, to: i64) -> Result<Plan, HistoryError> {
    let store = store.lock().map_err(|_| HistoryError::Poisoned)?;
    Ok(store.plan(id, from, to))
}

/// Every block of the plan decoded, each vehicle's fixes in their own batch.
fn read(plan: Plan) -> Result<HashMap<Arc<str>, FixBatch>, HistoryError> {
    let mut out: HashMap<Arc<str>, FixBatch> = HashMap::new();
    let mut open: Option<(PathBuf, File)> = None;
    for (path, id, entry) in plan.blocks {
        let file = match &mut open {
            Some((p, f)) if *p == path => f,
            _ => {
                let f = File::open(&path).map_err(|source| HistoryError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                &mut open.insert((path.clone(), f)).1
            }
        };
        read_block(file, &path, &id, &entry, out.entry(id.clone()).or_default())?;
    }
    for (id, bytes) in plan.live {
        read_column(&bytes, &id, out.entry(id.clone()).or_default())
            .map_err(|e| HistoryError::Damaged(format!("the live segment: {}", e.0)))?;
    }
    Ok(out)
}

/// Vehicle `id`'s fixes with times in `from..=to`, at most `limit` of them; `None` when the
/// store has never heard of it.
pub fn track(
    store: &Mutex<Store>,
    id: &str,
    from: i64,
    to: i64,
    limit: usize,
) -> Result<Option<Page>, HistoryError> {
    if !store.lock().map_err(|_| HistoryError::Poisoned)?.knows(id) {
        return Ok(None);
    }
    let read = read(plan(store, Some(id), from, to)?)?;
    let Some(all) = read.values().next() else {
        return Ok(Some(Page::default()));
    };
    Ok(Some(Page::of(all, from, to, limit)))
}

impl Page {
    /// The first page of `limit` of `all`'s fixes with times in `from..=to`, in time order,
    /// one per time.
    pub fn of(all: &FixBatch, from: i64, to: i64, limit: usize) -> Self {
        let mut order: Vec<FixRef<'_>> =
            all.iter().filter(|f| (from..=to).contains(&f.ts)).collect();
        order.sort_by_key(|f| f.ts);
        order.dedup_by_key(|f| f.ts);
        let mut page = Page::default();
        for fix in order.iter().take(limit) {
            page.fixes.push(fix);
        }
        page.next = order.get(limit).map(|f| f.ts);
        page
    }
}

/// A page of every vehicle's fixes with times in `from..=to`, in time order.
pub fn fleet_range(
    store: &Mutex<Store>,
    from: i64,
    to: i64,
    limit: usize,
) -> Result<Page, HistoryError> {
    let read = read(plan(store, None, from, to)?)?;
    let mut all = FixBatch::default();
    for batch in read.values() {
        all.append(batch);
    }
    Ok(Page::fleet(&all, from, to, limit))
}

impl Page {
    /// The first page of about `limit` of `all`'s fixes (any vehicles) with times in
    /// `from..=to`, in time order, a vehicle's repeated time kept once. A page ends between two
    /// times, never inside one, so the next (from [`Page::next`]) neither repeats nor skips a
    /// fix; when more than `limit` fixes share the first time, the page holds them all.
    pub fn fleet(all: &FixBatch, from: i64, to: i64, limit: usize) -> Self {
        let mut order: Vec<FixRef<'_>> =
            all.iter().filter(|f| (from..=to).contains(&f.ts)).collect();
        order.sort_by(|a, b| a.ts.cmp(&b.ts).then_with(|| a.id.cmp(b.id)));
        order.dedup_by(|a, b| a.ts == b.ts && a.id == b.id);
        let mut end = order.len().min(limit.max(1));
        if let Some(cut) = order.get(end).map(|f| f.ts) {
            let before = order[..end].partition_point(|f| f.ts < cut);
            end = if before > 0 {
                before
            } else {
                order.partition_point(|f| f.ts <= cut)
            };
        }
        let mut page = Page::default();
        for fix in &order[..end] {
            page.fixes.push(fix);
        }
        page.next = order.get(end).map(|f| f.ts);
        page
    }
}

/// Every vehicle's newest fix with a time in `at - within ..= at`.
pub fn fleet_at(store: &Mutex<Store>, at: i64, within: i64) -> Result<FixBatch, HistoryError> {
    let read = read(plan(store, None, at - within, at)?)?;
    let mut out = FixBatch::with_capacity(read.len(), read.len() * 48);
    for batch in read.values() {
        let newest = batch
            .iter()
            .filter(|f| f.ts <= at && f.ts >= at - within)
            .max_by_key(|f| f.ts);
        if let Some(fix) = newest {
            out.push(&fix);
        }
    }
    Ok(out)
}
