//! The kinds of feed fleetview reads, by the names used on the command line and in the config,
//! and the transport each kind travels over.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FeedKind {
    /// fleetview's own protocol v1 over WebSocket (`fleetview-server`).
    #[default]
    #[serde(rename = "fleetview")]
    Fleetview,
    /// A Traccar server (6.x): login over HTTP, then `/api/socket`.
    #[serde(rename = "traccar")]
    Traccar,
    /// An OwnTracks Recorder's `/ws/last`.
    #[serde(rename = "owntracks")]
    OwnTracks,
    /// A GTFS-Realtime VehiclePositions feed, polled over HTTP(S).
    #[serde(rename = "gtfs-rt")]
    GtfsRt,
    /// Raw AIS: NMEA `!AIVDM`/`!AIVDO` sentences over TCP (a receiver, AISHub) or from a file.
    #[serde(rename = "ais")]
    Ais,
    /// AISStream's WebSocket (`wss://stream.aisstream.io/v0/stream`).
    #[serde(rename = "aisstream")]
    AisStream,
}

/// How a kind's data arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// A WebSocket that the server pushes frames down.
    WebSocket,
    /// HTTP GET of one URL, again and again.
    Poll,
    /// Lines of text over TCP, or from a file.
    Lines,
}

impl FeedKind {
    pub const ALL: [FeedKind; 6] = [
        FeedKind::Fleetview,
        FeedKind::Traccar,
        FeedKind::OwnTracks,
        FeedKind::GtfsRt,
        FeedKind::Ais,
        FeedKind::AisStream,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Fleetview => "fleetview",
            FeedKind::Traccar => "traccar",
            FeedKind::OwnTracks => "owntracks",
            FeedKind::GtfsRt => "gtfs-rt",
            FeedKind::Ais => "ais",
            FeedKind::AisStream => "aisstream",
        }
    }

    /// The kind named `s` (as in `traccar:https://host`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    pub fn transport(self) -> Transport {
        match self {
            FeedKind::Fleetview | FeedKind::Traccar | FeedKind::OwnTracks | FeedKind::AisStream => {
                Transport::WebSocket
            }
            FeedKind::GtfsRt => Transport::Poll,
            FeedKind::Ais => Transport::Lines,
        }
    }
}

impl std::fmt::Display for FeedKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_in_text_and_in_toml() {
        for kind in FeedKind::ALL {
            assert_eq!(FeedKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).expect("serialise");
            assert_eq!(json, format!("\"{kind}\""));
        }
    }
}
