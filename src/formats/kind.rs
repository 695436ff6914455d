//! The kinds of feed fleetview reads, by the names used on the command line and in the config.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// fleetview's own protocol v1 over WebSocket (`fleetview-server`).
    #[default]
    Fleetview,
    /// A Traccar server (6.x): login over HTTP, then `/api/socket`.
    Traccar,
    /// An OwnTracks Recorder's `/ws/last`.
    OwnTracks,
}

impl FeedKind {
    pub const ALL: [FeedKind; 3] = [FeedKind::Fleetview, FeedKind::Traccar, FeedKind::OwnTracks];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Fleetview => "fleetview",
            FeedKind::Traccar => "traccar",
            FeedKind::OwnTracks => "owntracks",
        }
    }

    /// The kind named `s` (as in `traccar:https://host`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for FeedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
