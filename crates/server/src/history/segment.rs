//! A sealed segment: the fixes one span of arrival time brought (an hour by default), one
//! zstd-compressed block of columns per vehicle, and an index of the blocks at the end, written
//! once to a temporary file, synced and renamed, so a segment on disk is always whole.
//!
//! ```text
//! "FVHS" u32 version            header (8 bytes)
//! block ...                     zstd(codec::Column::encode) per vehicle
//! index                         zstd(count, then per vehicle: id, offset, len, crc32, fixes,
//!                               min ts, max ts; varints)
//! u64 index offset, u32 index length, u32 index crc32, "FVHE", u32 version   footer (24 bytes)
//! ```

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fleetview_core::protocol::FixBatch;

use super::codec::{Column, Corrupt, Reader, put_i, put_u, read_column};

const MAGIC: &[u8; 4] = b"FVHS";
const END: &[u8; 4] = b"FVHE";
/// The on-disk format's version; a newer one is refused with the number.
pub const VERSION: u32 = 1;
const FOOTER: usize = 24;
const ZSTD_LEVEL: i32 = 3;

/// Why a segment cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path} is not a fleetview history segment, or is damaged: {why}")]
    Damaged { path: String, why: String },
    #[error(
        "{path} was written by a newer fleetview-server (history format {found}; this one reads {VERSION})"
    )]
    Newer { path: String, found: u32 },
}

/// Where one vehicle's block is, and what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub offset: u64,
    pub len: u32,
    pub crc: u32,
    pub count: u32,
    pub min_ts: i64,
    pub max_ts: i64,
}

/// A sealed segment as the store keeps it in memory: its index, not its fixes.
#[derive(Debug)]
pub struct Sealed {
    pub path: PathBuf,
    /// Arrival time the segment started at, UTC ms (in its file name).
    pub start_ms: i64,
    pub min_ts: i64,
    pub max_ts: i64,
    pub bytes: u64,
    pub fixes: u64,
    pub entries: HashMap<Arc<str>, Entry>,
}

/// The file a segment starting at `start_ms` lives in.
pub fn path_of(dir: &Path, start_ms: i64) -> PathBuf {
    dir.join(format!("seg-{start_ms:015}.fvh"))
}

/// The start of a segment file's name, when it is one.
pub fn start_of(name: &str) -> Option<i64> {
    name.strip_prefix("seg-")?
        .strip_suffix(".fvh")?
        .parse()
        .ok()
}

/// Writes `columns` as the segment starting at `start_ms` in `dir`.
pub fn seal(
    dir: &Path,
    start_ms: i64,
    columns: &HashMap<Arc<str>, Column>,
) -> Result<Sealed, SegmentError> {
    let path = path_of(dir, start_ms);
    let io = |source| SegmentError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let mut entries = HashMap::with_capacity(columns.len());
    for (id, column) in columns {
        let block = zstd::bulk::compress(&column.encode(), ZSTD_LEVEL).map_err(io)?;
        let entry = Entry {
            offset: out.len() as u64,
            len: block.len() as u32,
            crc: crc32fast::hash(&block),
            count: column.count,
            min_ts: column.min_ts,
            max_ts: column.max_ts,
        };
        out.extend_from_slice(&block);
        entries.insert(id.clone(), entry);
    }
    let index = zstd::bulk::compress(&encode_index(&entries), ZSTD_LEVEL).map_err(io)?;
    let index_offset = out.len() as u64;
    out.extend_from_slice(&index);
    out.extend_from_slice(&index_offset.to_le_bytes());
    out.extend_from_slice(&(index.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&index).to_le_bytes());
    out.extend_from_slice(END);
    out.extend_from_slice(&VERSION.to_le_bytes());
    let temp = path.with_extension("fvh.tmp");
    let mut file = File::create(&temp).map_err(io)?;
    file.write_all(&out).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temp, &path).map_err(io)?;
    Ok(summarise(path, start_ms, out.len() as u64, entries))
}

fn summarise(
    path: PathBuf,
    start_ms: i64,
    bytes: u64,
    entries: HashMap<Arc<str>, Entry>,
) -> Sealed {
    let min_ts = entries.values().map(|e| e.min_ts).min().unwrap_or(i64::MAX);
    let max_ts = entries.values().map(|e| e.max_ts).max().unwrap_or(i64::MIN);
    let fixes = entries.values().map(|e| u64::from(e.count)).sum();
    Sealed {
        path,
        start_ms,
        min_ts,
        max_ts,
        bytes,
        fixes,
        entries,
    }
}

fn encode_index(entries: &HashMap<Arc<str>, Entry>) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 32);
    put_u(&mut out, entries.len() as u64);
    for (id, e) in entries {
        put_u(&mut out, id.len() as u64);
        out.extend_from_slice(id.as_bytes());
        put_u(&mut out, e.offset);
        put_u(&mut out, u64::from(e.len));
        put_u(&mut out, u64::from(e.crc));
        put_u(&mut out, u64::from(e.count));
        put_i(&mut out, e.min_ts);
        put_i(&mut out, e.max_ts);
    }
    out
}

fn decode_index(
    bytes: &[u8],
    intern: &mut impl FnMut(&str) -> Arc<str>,
) -> Result<HashMap<Arc<str>, Entry>, Corrupt> {
    let mut r = Reader::new(bytes);
    let n = r.u()?;
    let mut entries = HashMap::with_capacity(n.min(1 << 20) as usize);
    let small = |v: u64| u32::try_from(v).map_err(|_| Corrupt("an index number out of range"));
    for _ in 0..n {
        let id = intern(r.text()?);
        let entry = Entry {
            offset: r.u()?,
            len: small(r.u()?)?,
            crc: small(r.u()?)?,
            count: small(r.u()?)?,
            min_ts: r.i()?,
            max_ts: r.i()?,
        };
        entries.insert(id, entry);
    }
    Ok(entries)
}

/// Reads a segment's index (ids interned by `intern`).
pub fn load(
    path: &Path,
    start_ms: i64,
    intern: &mut impl FnMut(&str) -> Arc<str>,
) -> Result<Sealed, SegmentError> {
    let shown = path.display().to_string();
    let io = |source| SegmentError::Io {
        path: shown.clone(),
        source,
    };
    let damaged = |why: &str| SegmentError::Damaged {
        path: shown.clone(),
        why: why.to_owned(),
    };
    let mut file = File::open(path).map_err(io)?;
    let bytes = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 8];
    file.read_exact(&mut head)
        .map_err(|_| damaged("shorter than its header"))?;
    if &head[..4] != MAGIC {
        return Err(damaged("no header"));
    }
    if bytes < (8 + FOOTER) as u64 {
        return Err(damaged("shorter than its footer"));
    }
    let mut foot = [0u8; FOOTER];
    file.seek(SeekFrom::End(-(FOOTER as i64))).map_err(io)?;
    file.read_exact(&mut foot).map_err(io)?;
    let word = |at: usize| u32::from_le_bytes([foot[at], foot[at + 1], foot[at + 2], foot[at + 3]]);
    let version = word(20);
    if &foot[16..20] != END {
        return Err(damaged("no footer"));
    }
    if version > VERSION {
        return Err(SegmentError::Newer {
            path: shown.clone(),
            found: version,
        });
    }
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&foot[..8]);
    let (index_offset, index_len, index_crc) = (u64::from_le_bytes(offset), word(8), word(12));
    if index_offset + u64::from(index_len) + FOOTER as u64 != bytes {
        return Err(damaged("the index is not where the footer says"));
    }
    let mut index = vec![0u8; index_len as usize];
    file.seek(SeekFrom::Start(index_offset)).map_err(io)?;
    file.read_exact(&mut index).map_err(io)?;
    if crc32fast::hash(&index) != index_crc {
        return Err(damaged("the index fails its checksum"));
    }
    let index = zstd::stream::decode_all(&index[..]).map_err(|e| damaged(&e.to_string()))?;
    let entries = decode_index(&index, intern).map_err(|e| damaged(e.0))?;
    Ok(summarise(path.to_path_buf(), start_ms, bytes, entries))
}

/// Vehicle `id`'s fixes in the block `entry` of the segment at `path`, into `batch`.
pub fn read_block(
    file: &mut File,
    path: &Path,
    id: &str,
    entry: &Entry,
    batch: &mut FixBatch,
) -> Result<(), SegmentError> {
    let damaged = |why: &str| SegmentError::Damaged {
        path: path.display().to_string(),
        why: format!("vehicle {id:?}'s block: {why}"),
    };
    let mut block = vec![0u8; entry.len as usize];
    file.seek(SeekFrom::Start(entry.offset))
        .and_then(|_| file.read_exact(&mut block))
        .map_err(|e| damaged(&e.to_string()))?;
    if crc32fast::hash(&block) != entry.crc {
        return Err(damaged("fails its checksum"));
    }
    let columns = zstd::stream::decode_all(&block[..]).map_err(|e| damaged(&e.to_string()))?;
    read_column(&columns, id, batch).map_err(|e| damaged(e.0))
}
