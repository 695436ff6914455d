//! The store's state: the sealed segments' indexes, and the live segment (its columns in
//! memory, its log on disk). Opening it reads every segment's index and the live log back (a
//! torn tail cut); fixes are appended to the log and the columns; when its span ends the live
//! segment is sealed; retention drops the oldest segments by age and by size.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fleetview_core::protocol::FixBatch;

use super::codec::Column;
use super::segment::{self, Entry, Sealed};
use super::wal::{Recovered, Wal};
use super::{HistoryConfig, HistoryError};

/// The live segment: the fixes arriving now.
struct Live {
    start_ms: i64,
    columns: HashMap<Arc<str>, Column>,
    wal: Wal,
}

/// What opening found on disk.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Opened {
    pub segments: usize,
    pub fixes: u64,
    pub bytes: u64,
    /// Fixes read back from the live log(s), and bytes of torn tail cut off them.
    pub recovered: Recovered,
    /// Segment files that could not be read (kept aside, named in the log).
    pub unreadable: Vec<String>,
}

/// Where a query must look: sealed blocks (read outside the lock) and the live columns' bytes.
#[derive(Default)]
pub struct Plan {
    pub blocks: Vec<(PathBuf, Arc<str>, Entry)>,
    pub live: Vec<(Arc<str>, Vec<u8>)>,
}

pub struct Store {
    pub(super) config: HistoryConfig,
    sealed: Vec<Sealed>,
    live: Live,
    ids: HashSet<Arc<str>>,
}

fn log_path(dir: &Path, start_ms: i64) -> PathBuf {
    dir.join(format!("live-{start_ms:015}.wal"))
}

fn log_start(name: &str) -> Option<i64> {
    name.strip_prefix("live-")?
        .strip_suffix(".wal")?
        .parse()
        .ok()
}

impl Store {
    /// Opens the store in `config.dir` (creating it), as of `now_ms`.
    pub fn open(config: HistoryConfig, now_ms: i64) -> Result<(Self, Opened), HistoryError> {
        let dir = config.dir.clone();
        let io = io_at(&dir);
        std::fs::create_dir_all(&dir).map_err(&io)?;
        let mut ids = HashSet::new();
        let mut opened = Opened::default();
        let (mut sealed, mut logs) = (Vec::new(), Vec::new());
        for entry in std::fs::read_dir(&dir).map_err(&io)? {
            let path = entry.map_err(&io)?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if let Some(start) = segment::start_of(name) {
                let mut intern = |s: &str| intern(&mut ids, s);
                match segment::load(&path, start, &mut intern) {
                    Ok(s) => sealed.push(s),
                    Err(e) => opened.unreadable.push(e.to_string()),
                }
            } else if let Some(start) = log_start(name) {
                logs.push(start);
            } else if name.ends_with(".fvh.tmp") {
                // A seal cut short: its log is still there.
                let _ = std::fs::remove_file(&path);
            }
        }
        sealed.sort_by_key(|s| s.start_ms);
        logs.sort_unstable();
        // The live segment's log, read back once (created when there is none).
        let start_ms = config.segment_start(now_ms);
        let live_path = log_path(&dir, start_ms);
        let mut live_fixes = FixBatch::default();
        let (wal, found) = Wal::open(&live_path, &mut live_fixes).map_err(io_at(&live_path))?;
        add(&mut opened.recovered, &found);
        let mut store = Self {
            live: Live {
                start_ms,
                columns: HashMap::new(),
                wal,
            },
            config,
            sealed,
            ids,
        };
        store.push_columns(&live_fixes);
        for start in logs.into_iter().filter(|s| *s != start_ms) {
            store.recover(start, &mut opened)?;
        }
        opened.segments = store.sealed.len();
        opened.fixes = store.sealed.iter().map(|s| s.fixes).sum();
        opened.bytes = store.bytes();
        Ok((store, opened))
    }

    /// Seals the log a crash left of the earlier segment that started at `start`.
    fn recover(&mut self, start: i64, opened: &mut Opened) -> Result<(), HistoryError> {
        let path = log_path(&self.config.dir, start);
        let mut batch = FixBatch::default();
        let (_, found) = Wal::open(&path, &mut batch).map_err(io_at(&path))?;
        add(&mut opened.recovered, &found);
        let mut columns: HashMap<Arc<str>, Column> = HashMap::new();
        for fix in batch.iter() {
            let id = intern(&mut self.ids, fix.id);
            columns.entry(id).or_default().push(&fix);
        }
        if !columns.is_empty() && !self.sealed.iter().any(|s| s.start_ms == start) {
            let sealed = segment::seal(&self.config.dir, start, &columns)?;
            self.insert_sealed(sealed);
        }
        let _ = std::fs::remove_file(&path);
        Ok(())
    }

    fn insert_sealed(&mut self, sealed: Sealed) {
        let at = self
            .sealed
            .partition_point(|s| s.start_ms < sealed.start_ms);
        self.sealed.insert(at, sealed);
    }

    fn push_columns(&mut self, batch: &FixBatch) {
        for fix in batch.iter() {
            let id = intern(&mut self.ids, fix.id);
            self.live.columns.entry(id).or_default().push(&fix);
        }
    }

    /// Appends fixes that arrived at `now_ms` (sealing the live segment first when its span has
    /// ended).
    pub fn append(&mut self, batch: &FixBatch, now_ms: i64) -> Result<(), HistoryError> {
        self.roll_if_due(now_ms)?;
        self.live
            .wal
            .append(batch)
            .map_err(io_at(self.live.wal.path()))?;
        self.push_columns(batch);
        Ok(())
    }

    /// Seals the live segment when `now_ms` is past its span; whether it did.
    pub fn roll_if_due(&mut self, now_ms: i64) -> Result<bool, HistoryError> {
        let start = self.config.segment_start(now_ms);
        if start <= self.live.start_ms {
            return Ok(false);
        }
        let path = log_path(&self.config.dir, start);
        let (wal, _) = Wal::open(&path, &mut FixBatch::default()).map_err(io_at(&path))?;
        let old = std::mem::replace(
            &mut self.live,
            Live {
                start_ms: start,
                columns: HashMap::new(),
                wal,
            },
        );
        if !old.columns.is_empty() {
            let sealed = segment::seal(&self.config.dir, old.start_ms, &old.columns)?;
            self.insert_sealed(sealed);
        }
        let _ = std::fs::remove_file(old.wal.path());
        Ok(true)
    }

    /// Makes the live log durable.
    pub fn sync(&mut self) -> Result<(), HistoryError> {
        self.live.wal.sync().map_err(io_at(self.live.wal.path()))
    }

    /// Drops the oldest segments older than the retention, then while over the size cap; says
    /// what went.
    pub fn retain(&mut self, now_ms: i64) -> Vec<String> {
        let mut dropped = Vec::new();
        let oldest = now_ms - self.config.retention.as_millis() as i64;
        while let Some(first) = self.sealed.first() {
            let too_old = first.start_ms + self.config.segment_ms() <= oldest;
            let too_big = self.config.max_bytes.is_some_and(|max| self.bytes() > max);
            if !too_old && !too_big {
                break;
            }
            let gone = self.sealed.remove(0);
            let why = if too_old {
                "older than the retention"
            } else {
                "over the size limit"
            };
            let _ = std::fs::remove_file(&gone.path);
            dropped.push(format!(
                "{} ({} fixes, {} bytes): {why}",
                gone.path.display(),
                gone.fixes,
                gone.bytes
            ));
        }
        dropped
    }

    /// Bytes on disk: the sealed segments and the live log.
    pub fn bytes(&self) -> u64 {
        self.sealed.iter().map(|s| s.bytes).sum::<u64>() + self.live.wal.bytes
    }

    /// A reader over this store alone (benchmarks and tools: no writer thread).
    pub fn into_reader(self) -> super::HistoryReader {
        super::HistoryReader(std::sync::Arc::new(std::sync::Mutex::new(self)))
    }

    pub fn knows(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    /// Where fixes of `id` (every vehicle when `None`) with times in `from..=to` may be.
    pub fn plan(&self, id: Option<&str>, from: i64, to: i64) -> Plan {
        let mut plan = Plan::default();
        let overlaps = |min: i64, max: i64| min <= to && max >= from;
        for s in self.sealed.iter().filter(|s| overlaps(s.min_ts, s.max_ts)) {
            let mut take = |id: &Arc<str>, e: &Entry| {
                if overlaps(e.min_ts, e.max_ts) {
                    plan.blocks.push((s.path.clone(), id.clone(), *e));
                }
            };
            match id {
                Some(id) => {
                    if let Some((id, e)) = s.entries.get_key_value(id) {
                        take(id, e);
                    }
                }
                None => s.entries.iter().for_each(|(id, e)| take(id, e)),
            }
        }
        let live = self
            .live
            .columns
            .iter()
            .filter(|(v, c)| id.is_none_or(|id| &***v == id) && overlaps(c.min_ts, c.max_ts));
        plan.live = live.map(|(v, c)| (v.clone(), c.encode())).collect();
        plan
    }
}

/// An I/O failure on `path`, as the store's error.
fn io_at(path: &Path) -> impl Fn(std::io::Error) -> HistoryError + '_ {
    move |source| HistoryError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn intern(ids: &mut HashSet<Arc<str>>, id: &str) -> Arc<str> {
    if let Some(known) = ids.get(id) {
        return known.clone();
    }
    let id: Arc<str> = id.into();
    ids.insert(id.clone());
    id
}

fn add(total: &mut Recovered, found: &Recovered) {
    total.records += found.records;
    total.cut_bytes += found.cut_bytes;
}
