//! The live segment's log: every batch of fixes the server accepts is appended as records
//! (`u32` length, `u32` CRC-32 of the bytes, the bytes: one fix, `codec::put_fix`), so a crash
//! loses at most what had not reached the file. Reading it back on start stops at the first
//! record that is cut short or fails its checksum (a power cut mid-write) and cuts the file
//! there, keeping every record before it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fleetview_core::protocol::FixBatch;

use super::codec::{put_fix, read_fix};

/// A record longer than this is damage, not a fix.
const MAX_RECORD: usize = 1 << 20;

/// What reading a log back found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub records: u64,
    /// Bytes cut off the end (a torn last record), 0 when the log was whole.
    pub cut_bytes: u64,
}

pub struct Wal {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
    pub bytes: u64,
}

impl Wal {
    /// Opens (or creates) the log at `path`, reading every good record back into `batch` and
    /// cutting a torn tail.
    pub fn open(path: &Path, batch: &mut FixBatch) -> io::Result<(Self, Recovered)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (good, records) = read_back(&bytes, batch);
        let cut_bytes = (bytes.len() - good) as u64;
        if cut_bytes > 0 {
            file.set_len(good as u64)?;
            file.sync_data()?;
        }
        file.seek(SeekFrom::End(0))?;
        let wal = Self {
            file,
            path: path.to_path_buf(),
            buffer: Vec::new(),
            bytes: good as u64,
        };
        Ok((wal, Recovered { records, cut_bytes }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends every fix of `batch` with one write.
    pub fn append(&mut self, batch: &FixBatch) -> io::Result<()> {
        self.buffer.clear();
        let mut record = Vec::with_capacity(96);
        for fix in batch.iter() {
            record.clear();
            put_fix(&mut record, &fix);
            self.buffer
                .extend_from_slice(&(record.len() as u32).to_le_bytes());
            self.buffer
                .extend_from_slice(&crc32fast::hash(&record).to_le_bytes());
            self.buffer.extend_from_slice(&record);
        }
        self.file.write_all(&self.buffer)?;
        self.bytes += self.buffer.len() as u64;
        Ok(())
    }

    /// Makes what was appended durable (at most once a second: the writer's choice).
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

/// Reads records into `batch` up to the first bad one; (the length of the good part, records).
fn read_back(bytes: &[u8], batch: &mut FixBatch) -> (usize, u64) {
    let (mut at, mut records) = (0usize, 0u64);
    while let Some(head) = bytes.get(at..at + 8) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let Some(record) = bytes
            .get(at + 8..at + 8 + len)
            .filter(|_| len <= MAX_RECORD)
        else {
            break;
        };
        if crc32fast::hash(record) != crc || read_fix(record, batch).is_err() {
            break;
        }
        at += 8 + len;
        records += 1;
    }
    (at, records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::protocol::Position;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fleetview-wal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir.join("live.wal")
    }

    fn fixes(n: i64) -> FixBatch {
        let ps: Vec<Position> = (0..n)
            .map(|i| Position::new(format!("bus-{i}"), -16.9, 145.7, 1_000 + i))
            .collect();
        FixBatch::from_positions(&ps)
    }

    #[test]
    fn what_was_appended_is_read_back_on_the_next_open() {
        let path = temp("whole");
        let (mut wal, first) = Wal::open(&path, &mut FixBatch::default()).expect("open");
        assert_eq!(first, Recovered::default());
        wal.append(&fixes(3)).expect("append");
        wal.append(&fixes(2)).expect("append");
        drop(wal);
        let mut back = FixBatch::default();
        let (_, found) = Wal::open(&path, &mut back).expect("reopen");
        assert_eq!(
            found,
            Recovered {
                records: 5,
                cut_bytes: 0
            }
        );
        assert_eq!(back.len(), 5);
        assert_eq!(back.get(4).map(|f| f.id), Some("bus-1"));
    }

    #[test]
    fn a_torn_last_record_is_cut_and_everything_before_it_kept() {
        let path = temp("torn");
        let (mut wal, _) = Wal::open(&path, &mut FixBatch::default()).expect("open");
        wal.append(&fixes(4)).expect("append");
        drop(wal);
        let whole = std::fs::metadata(&path).expect("file").len();
        // A power cut five bytes into the last record's payload.
        let last = {
            let mut one = Vec::new();
            put_fix(&mut one, &fixes(4).get(3).expect("fix"));
            one.len() as u64 + 8
        };
        let file = OpenOptions::new().write(true).open(&path).expect("file");
        file.set_len(whole - last + 13).expect("tear");
        drop(file);
        let mut back = FixBatch::default();
        let (mut wal, found) = Wal::open(&path, &mut back).expect("reopen");
        assert_eq!(
            found,
            Recovered {
                records: 3,
                cut_bytes: 13
            },
            "its header and 5 bytes"
        );
        assert_eq!(std::fs::metadata(&path).expect("file").len(), whole - last);
        wal.append(&fixes(1)).expect("appends after the cut");
        drop(wal);
        let mut again = FixBatch::default();
        let (_, found) = Wal::open(&path, &mut again).expect("reopen");
        assert_eq!((found.records, found.cut_bytes), (4, 0));
    }

    #[test]
    fn a_flipped_byte_ends_the_log_at_the_record_before() {
        let path = temp("flipped");
        let (mut wal, _) = Wal::open(&path, &mut FixBatch::default()).expect("open");
        wal.append(&fixes(3)).expect("append");
        drop(wal);
        let mut bytes = std::fs::read(&path).expect("read");
        let n = bytes.len();
        bytes[n - 2] ^= 0x55;
        std::fs::write(&path, &bytes).expect("write");
        let mut back = FixBatch::default();
        let (_, found) = Wal::open(&path, &mut back).expect("reopen");
        assert_eq!(found.records, 2);
        assert!(found.cut_bytes > 0);
    }
}
