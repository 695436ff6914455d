//! The headless commands beside the window: `fleetview alerts` ([`alerts`]: JSON lines and a
//! [`webhook`]) and `fleetview record` ([`record`]: feeds to a recording file). Both drain the
//! feeds thread into the one [`crate::pipeline::Pipeline`] on the clock they are handed.

pub mod alerts;
pub mod record;
pub mod webhook;

use crate::feed::FeedError;
use crate::record::RecordingError;

/// Why a headless command could not run.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Feeds(#[from] FeedError),
    #[error(transparent)]
    Recording(#[from] RecordingError),
    #[error("the recording failed: {0}")]
    RecordingFailed(String),
}
