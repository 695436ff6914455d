//! Reads a recording: an index of its chunks from their headers alone (fast even for hours),
//! then any chunk on demand. A file still being written can be read: `refresh` picks up the
//! chunks appended since. A cut or damaged file reads up to the damage and says where it is.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::RecordingError;
use super::format::{
    self, CHUNK_HEADER_LEN, CHUNK_MAGIC, Chunk, ChunkHeader, FILE_MAGIC, FileHeader, Positions,
    VERSION,
};

/// Largest file header accepted.
const MAX_FILE_HEADER: u32 = 64 * 1024;

/// Where a chunk is, and what its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    /// Byte offset of its zstd frame.
    pub offset: u64,
    pub header: ChunkHeader,
}

/// Where a recording stops being readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub offset: u64,
    pub reason: String,
}

pub struct Recording {
    path: PathBuf,
    file: File,
    header: FileHeader,
    chunks: Vec<ChunkInfo>,
    /// Where the next chunk header is expected.
    scanned_to: u64,
    /// Bytes after the last whole chunk that do not make one yet (a cut file, or one being
    /// written), or a header that is not a chunk's.
    damage: Option<Damage>,
}

impl Recording {
    /// Opens a recording and indexes its chunks.
    pub fn open(path: &Path) -> Result<Self, RecordingError> {
        let io = |source| RecordingError::Io {
            path: path.display().to_string(),
            source,
        };
        let not = || RecordingError::NotARecording(path.display().to_string());
        let mut file = File::open(path).map_err(io)?;
        let mut head = [0u8; 8];
        if file.read_exact(&mut head).is_err() {
            return Err(not());
        }
        let (magic, len) = split(&head);
        if magic != FILE_MAGIC || len > MAX_FILE_HEADER {
            return Err(not());
        }
        let mut json = vec![0u8; len as usize];
        file.read_exact(&mut json).map_err(|_| not())?;
        let header: FileHeader = serde_json::from_slice(&json).map_err(|_| not())?;
        if header.format != format::FORMAT {
            return Err(not());
        }
        if header.version > VERSION {
            return Err(RecordingError::NewerVersion {
                path: path.display().to_string(),
                found: header.version,
                supported: VERSION,
            });
        }
        let mut recording = Self {
            path: path.to_path_buf(),
            file,
            header,
            chunks: Vec::new(),
            scanned_to: 8 + u64::from(len),
            damage: None,
        };
        recording.refresh().map_err(io)?;
        Ok(recording)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn header(&self) -> &FileHeader {
        &self.header
    }

    pub fn chunks(&self) -> &[ChunkInfo] {
        &self.chunks
    }

    /// The first and last record times, when there is a chunk.
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((
            self.chunks.first()?.header.first_t,
            self.chunks.last()?.header.last_t,
        ))
    }

    /// Where reading stops short of the file's end, if it does.
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// Indexes chunks appended since the last look; returns how many were found.
    pub fn refresh(&mut self) -> io::Result<usize> {
        let before = self.chunks.len();
        let len = self.file.metadata()?.len();
        self.damage = None;
        self.file.seek(SeekFrom::Start(self.scanned_to))?;
        let mut reader = io::BufReader::new(&mut self.file);
        let mut at = self.scanned_to;
        while at < len {
            let cut = |reason: &str| Damage {
                offset: at,
                reason: reason.to_owned(),
            };
            let need = 8 + CHUNK_HEADER_LEN as u64;
            if len - at < need {
                self.damage = Some(cut("the file ends inside a chunk header"));
                break;
            }
            let mut head = [0u8; 8 + CHUNK_HEADER_LEN];
            reader.read_exact(&mut head)?;
            let (magic, size) = split(&head[..8]);
            if magic != CHUNK_MAGIC || size as usize != CHUNK_HEADER_LEN {
                self.damage = Some(cut("not a chunk header"));
                break;
            }
            let header = match ChunkHeader::decode(&head[8..]) {
                Ok(h) => h,
                Err(e) => {
                    self.damage = Some(cut(&e));
                    break;
                }
            };
            if len - at - need < u64::from(header.payload_len) {
                self.damage = Some(cut("the file ends inside a chunk"));
                break;
            }
            if let Some(last) = self.chunks.last()
                && header.first_t < last.header.last_t
            {
                self.damage = Some(cut("a chunk earlier than the one before it"));
                break;
            }
            reader.seek_relative(i64::from(header.payload_len))?;
            self.chunks.push(ChunkInfo {
                offset: at + need,
                header,
            });
            at += need + u64::from(header.payload_len);
        }
        self.scanned_to = at;
        Ok(self.chunks.len() - before)
    }

    /// Reads and decodes chunk `i`. `positions` is the coordinate table as reading the chunks
    /// before it left it: read chunks in order from a keyframe (which resets it).
    pub fn chunk(&mut self, i: usize, positions: &mut Positions) -> Result<Chunk, RecordingError> {
        let text = self.payload(i)?;
        let offset = self.chunks[i].offset;
        format::decode_payload(&text, positions).map_err(|e| self.damaged(i, offset, &e))
    }

    /// Chunk `i`'s lines, decompressed (zstd checks them against the frame's checksum).
    pub fn payload(&mut self, i: usize) -> Result<Vec<u8>, RecordingError> {
        let info = *self
            .chunks
            .get(i)
            .ok_or_else(|| self.damaged(i, 0, "no such chunk"))?;
        let mut compressed = vec![0u8; info.header.payload_len as usize];
        self.file
            .seek(SeekFrom::Start(info.offset))
            .and_then(|_| self.file.read_exact(&mut compressed))
            .map_err(|e| self.damaged(i, info.offset, &e.to_string()))?;
        zstd::stream::decode_all(compressed.as_slice())
            .map_err(|e| self.damaged(i, info.offset, &format!("zstd: {e}")))
    }

    /// The chunk a seek to `t` starts from: the last keyframe at or before `t` (else the first).
    pub fn keyframe_at(&self, t: i64) -> usize {
        self.chunks
            .iter()
            .rposition(|c| c.header.keyframe && c.header.first_t <= t)
            .unwrap_or(0)
    }

    fn damaged(&self, chunk: usize, offset: u64, reason: &str) -> RecordingError {
        RecordingError::Damaged {
            path: self.path.display().to_string(),
            chunk,
            offset,
            reason: reason.to_owned(),
        }
    }
}

fn split(b: &[u8]) -> (u32, u32) {
    (
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        u32::from_le_bytes([b[4], b[5], b[6], b[7]]),
    )
}
