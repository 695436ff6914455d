//! The dispatcher's view state, apart from any widget: what is selected, whether it is followed,
//! the search text, hidden feeds, the colouring, the notice shown. Plain data, changed only by
//! [`super::app`] applying actions.

use std::collections::BTreeSet;

use crate::fleet::{Condition, FeedId, Vehicle, VehicleId};

/// The map's layers a dispatcher can switch off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// The route network.
    Network,
    /// The selection's trail.
    Trails,
    /// Names beside the markers.
    Labels,
    /// The alert engine's geofences.
    Geofences,
}

impl Layer {
    pub const ALL: [Layer; 4] = [Self::Network, Self::Trails, Self::Labels, Self::Geofences];

    pub fn name(self) -> &'static str {
        match self {
            Self::Network => "Route network",
            Self::Trails => "Trail",
            Self::Labels => "Labels",
            Self::Geofences => "Geofences",
        }
    }

    /// Its key, as the list of keys says it.
    pub fn key(self) -> &'static str {
        match self {
            Self::Network => "N",
            Self::Trails => "T",
            Self::Labels => "L",
            Self::Geofences => "G",
        }
    }
}

/// A geofence being drawn on the map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Drawing {
    /// A circle (centre, then a point on its edge) rather than a polygon.
    pub circle: bool,
    /// (lat, lon) of each click so far.
    pub points: Vec<(f64, f64)>,
}

/// Which layers are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Layers {
    pub network: bool,
    pub trails: bool,
    pub labels: bool,
    pub geofences: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            network: true,
            trails: true,
            labels: true,
            geofences: true,
        }
    }
}

impl Layers {
    pub fn get(&self, layer: Layer) -> bool {
        match layer {
            Layer::Network => self.network,
            Layer::Trails => self.trails,
            Layer::Labels => self.labels,
            Layer::Geofences => self.geofences,
        }
    }

    pub fn set(&mut self, layer: Layer, on: bool) {
        match layer {
            Layer::Network => self.network = on,
            Layer::Trails => self.trails = on,
            Layer::Labels => self.labels = on,
            Layer::Geofences => self.geofences = on,
        }
    }
}

/// The vehicle table's columns (what it can be sorted by).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Column {
    Status,
    #[default]
    Name,
    /// Kind and route.
    What,
    Speed,
    Updated,
    Feed,
}

/// How the table is sorted and filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableView {
    pub sort: Column,
    pub descending: bool,
    /// Conditions shown, in [`Condition::ALL`] order.
    pub shown: [bool; 4],
}

impl Default for TableView {
    fn default() -> Self {
        Self {
            sort: Column::Name,
            descending: false,
            shown: [true; 4],
        }
    }
}

impl TableView {
    pub fn shows(&self, condition: Condition) -> bool {
        self.shown[condition.index()]
    }

    /// Whether every condition is shown (no filter).
    pub fn unfiltered(&self) -> bool {
        self.shown.iter().all(|s| *s)
    }
}

/// A short message shown over the map until it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    /// Our clock, UTC ms.
    pub until_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewState {
    /// The selected vehicle (ids survive removals and slot reuse; keys do not).
    pub selected: Option<VehicleId>,
    /// Keep the selected vehicle centred.
    pub following: bool,
    pub search: String,
    pub notice: Option<Notice>,
    /// The list should scroll to the selection on its next frame.
    pub scroll_to_selected: bool,
    /// The search box should take the keyboard on its next frame.
    pub focus_search: bool,
    /// The search box had the keyboard in the last frame (egui drops focus on Esc before the
    /// app sees the key, so Esc-in-search is told by this).
    pub search_focused: bool,
    /// Feeds whose vehicles are not drawn or listed.
    pub hidden: BTreeSet<FeedId>,
    /// Colour markers by feed rather than by route and kind.
    pub colour_by_feed: bool,
    /// Play a sound on a new alert.
    pub alert_sound: bool,
    /// No sound on a new critical alert unless `alert_sound` (critical alerts sound by default).
    pub critical_muted: bool,
    /// No desktop notification for new alerts while the window is in the background.
    pub notifications_off: bool,
    /// The Alerts list is held at this alert while the pointer is over it.
    pub alerts_held: Option<u64>,
    pub layers: Layers,
    pub table: TableView,
    /// The list of keys is open.
    pub help_open: bool,
    /// The Geofences window is open.
    pub geofences_open: bool,
    /// The point the Nearest vehicles window ranks vehicles by, when it is open (lat, lon).
    pub nearest: Option<(f64, f64)>,
    /// Coordinates typed in the search that have opened the Nearest vehicles window (once).
    pub searched_place: Option<(f64, f64)>,
    /// A geofence being drawn: map clicks add its corners (or its centre, then its edge).
    pub drawing: Option<Drawing>,
}

impl ViewState {
    pub fn notify(&mut self, text: impl Into<String>, now_ms: i64) {
        self.notice = Some(Notice {
            text: text.into(),
            until_ms: now_ms + 6_000,
        });
    }

    /// The notice to show at `now_ms`, if any.
    pub fn notice(&self, now_ms: i64) -> Option<&str> {
        self.notice
            .as_ref()
            .filter(|n| n.until_ms > now_ms)
            .map(|n| n.text.as_str())
    }

    pub fn is_selected(&self, v: &Vehicle) -> bool {
        self.selected.as_ref().is_some_and(|id| v.is(id))
    }

    /// Whether a vehicle of `feed` is shown.
    pub fn shows(&self, feed: FeedId) -> bool {
        !self.hidden.contains(&feed)
    }
}
