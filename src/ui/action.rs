//! What the dispatcher asked for, as values: drawing code returns these and one place
//! ([`super::app`]) applies them.

use super::map::camera::Bounds;
use super::view::{Column, Layer};
use crate::feed::FeedSpec;
use crate::fleet::{Condition, FeedId, VehicleId};

/// An intent from a widget or a key.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Select this vehicle; picking the selected one again re-centres the map on it.
    Select(VehicleId),
    /// Select this vehicle and centre the map on it (from the list, or the arrow keys).
    Show(VehicleId),
    /// Select this vehicle and follow it.
    Follow(VehicleId),
    /// Follow the selected vehicle (F).
    FollowSelected,
    /// The dispatcher dragged the map: following stops.
    MapDragged,
    /// Esc: stop following; if not following, clear the selection.
    Escape,
    /// `/` or Ctrl+F.
    FocusSearch,
    /// Arrow keys: move the selection this many rows in the list.
    MoveSelection(i32),
    /// A cluster was clicked: show all of its vehicles.
    FitBounds(Bounds),
    /// `Home` or the button: show the whole fleet (of the feeds shown).
    FitFleet,
    /// `Z` or the button: zoom to the selected vehicle.
    ZoomToSelection,
    /// Show or hide a map layer (its key, or the Layers menu).
    SetLayer(Layer, bool),
    /// `?`: show or hide the list of keys.
    ToggleHelp,
    /// A table header was clicked: sort by it (again: the other way round).
    SortBy(Column),
    /// A status chip was clicked: show or hide the vehicles in that condition.
    ShowCondition(Condition, bool),
    /// Show every vehicle again: no search, every status, every feed.
    ClearFilters,
    /// `+` (1) or `-` (-1).
    Zoom(i32),
    /// Start a new feed.
    AddFeed(Box<FeedSpec>),
    /// Change a feed's settings (it reconnects).
    EditFeed(FeedId, Box<FeedSpec>),
    RemoveFeed(FeedId),
    PauseFeed(FeedId),
    ResumeFeed(FeedId),
    /// Hide or show a feed's vehicles on the map and in the list.
    SetHidden(FeedId, bool),
    /// Colour markers by feed (true) or by route and kind (false).
    ColourByFeed(bool),
    /// An alert was clicked: select its vehicle and show it.
    ShowAlert(u64),
    /// Acknowledge one alert, or all of them.
    Acknowledge(u64),
    AcknowledgeAll,
    /// Hold the Alerts list at this alert while the pointer is over it (`None`: let go).
    HoldAlerts(Option<u64>),
    /// Play a sound on a new alert (true) or not.
    AlertSound(bool),
    /// Play a sound on a new critical alert even with the sound off (true), or not (muted).
    CriticalSound(bool),
    /// Show the alerts this filter lets through.
    FilterAlerts(Box<super::alerts::AlertFilter>),
    /// Desktop notifications for new alerts while the window is in the background, on or off.
    Notifications(bool),
    /// Show the live vehicles nearest this point (lat, lon).
    Nearest(f64, f64),
    /// Close the Nearest vehicles window.
    CloseNearest,
    /// Open or close the Geofences window.
    ToggleGeofences,
    /// Start drawing a geofence: a circle (true) or a polygon.
    DrawGeofence(bool),
    /// A click on the map while drawing: (lat, lon).
    DrawAt(f64, f64),
    /// Make the geofence drawn so far one of the geofences, named so.
    FinishDrawing(String),
    CancelDrawing,
    RenameGeofence(usize, String),
    DeleteGeofence(usize),
    /// Write the geofences back to their GeoJSON file.
    SaveGeofences,
    /// The replay's controls (the timeline bar and its keys).
    Replay(ReplayAction),
    /// Start (true) or stop recording every feed.
    Record(bool),
    /// Draw the selected vehicle's whole track in the recording (true), or stop.
    WholeTrack(bool),
    /// Open the Recordings window.
    ShowRecordings,
    /// Replay this recording in a window of its own.
    OpenReplay(std::path::PathBuf),
    /// The History window's controls.
    History(HistoryAction),
    /// Open or close the "Replay from server" window.
    ToggleServerReplay,
    /// Fetch the fleet of this feed from `at` to `until` (UTC ms) from its server and replay it.
    ReplayFromServer {
        feed: FeedId,
        at: i64,
        until: i64,
    },
}

/// What the History window (and the map's track, and the chart) ask for.
#[derive(Debug, Clone, PartialEq)]
pub enum HistoryAction {
    /// Open the History of this vehicle (a row's menu).
    Open(VehicleId),
    /// ... of the selected vehicle (the details' button, `H`).
    OpenSelected,
    /// Ask its server for this range.
    Ask(super::history::Range),
    /// Ask for the two times typed in.
    AskTyped,
    Cancel,
    Close,
    /// The moment under the pointer, on the chart or the track.
    Hover(Option<i64>),
    /// A trip or a stop in the list: zoom the map to it.
    Pick(super::history::Picked),
    /// Save the track shown in this format (a save dialog asks where).
    Export(crate::export::TrackFormat),
    /// Overspeed above this many km/h.
    Limit(f32),
}

/// What the timeline bar asks of a replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayAction {
    /// Space: play or pause.
    PlayPause,
    /// `[` / `]`: the next slower (-1) or faster (1) speed.
    StepSpeed(i32),
    Speed(f64),
    /// Scrub to this moment, UTC ms.
    Seek(i64),
    /// The arrow keys: jump by this many ms.
    Jump(i64),
}
