//! Record and replay: every feed's decoded events, with the time they arrived, in a compact
//! append-only file (`format`), written beside the window or headless (`recorder`, `writer`),
//! read back chunk by chunk (`reader`) and played through the same session and map as a live
//! feed (`player`). Keyframes holding the whole state let a seek start close to where it lands.

pub mod format;
pub mod player;
pub mod reader;
pub mod recorder;
pub mod track;
pub mod writer;

use thiserror::Error;

pub use format::{Chunk, FeedState, Record, Recorded};
pub use reader::{ChunkInfo, Damage, Recording};
pub use writer::{Writer, Written};

/// What can go wrong with a recording file.
#[derive(Debug, Error)]
pub enum RecordingError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} is not a fleetview recording")]
    NotARecording(String),
    #[error(
        "{path} was written by a newer fleetview (recording format version {found}; this one reads up to {supported})"
    )]
    NewerVersion {
        path: String,
        found: u32,
        supported: u32,
    },
    #[error("{path} is damaged in chunk {chunk} (byte {offset}): {reason}")]
    Damaged {
        path: String,
        chunk: usize,
        offset: u64,
        reason: String,
    },
}

#[cfg(test)]
mod tests;
