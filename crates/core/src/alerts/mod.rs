//! Alerts: the dispatcher is told instead of having to watch. A pure engine fed by what the
//! fleet model says changed (`fleet::Changes`), by the clock (for "lost" and "stopped too
//! long") and by the notices feeds send (alarms); it knows no sockets, no widgets and no time of
//! its own.
//!
//! - [`geofence`]: areas from GeoJSON, with an R-tree over their bounds;
//! - [`rules`]: which alerts are on, and their limits (TOML);
//! - [`engine`]: each vehicle's state (confirmed geofences, time over the limit, stopped since,
//!   lost, its alarm) and the alerts its changes raise;
//! - [`severity`]: how urgent an alert is (critical, warning, info), from its rule or alarm.
//!
//! The engine runs inside the [`crate::pipeline::Pipeline`]; `fleetview alerts` (JSON lines on
//! stdout and a webhook) is the app's `commands::alerts`.

pub mod engine;
pub mod geofence;
pub mod rules;
pub mod severity;

pub use engine::Engine;
pub use geofence::{Area, Geofence, GeofenceError, Geofences};
pub use rules::{Rules, RulesError};
pub use severity::Severity;

use serde::Serialize;

use crate::fleet::FeedId;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    Enter,
    Exit,
    Overspeed,
    Stopped,
    Lost,
    Online,
    Alarm,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Enter => "enter",
            Rule::Exit => "exit",
            Rule::Overspeed => "overspeed",
            Rule::Stopped => "stopped",
            Rule::Lost => "lost",
            Rule::Online => "online",
            Rule::Alarm => "alarm",
        }
    }
}

/// One alert, as the panel lists it and the headless mode prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Raised in this order, from 1.
    pub seq: u64,
    /// When it happened, UTC ms: the fix's time, or the clock's for "lost".
    pub at_ms: i64,
    pub rule: Rule,
    /// How urgent: an alarm's by its name (an SOS is critical), else its rule's.
    pub severity: Severity,
    #[serde(skip)]
    pub feed: FeedId,
    /// The vehicle's id in its feed.
    pub vehicle: String,
    /// The vehicle's name as shown (its label, else its id).
    pub label: String,
    /// The geofence it entered or left, or whose limit it broke.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geofence: Option<String>,
    /// In words: "82 km/h for 6 s (limit 60)".
    pub detail: String,
    pub lat: f64,
    pub lon: f64,
}
