//! What the dispatcher asked for, as values: drawing code returns these and one place
//! ([`super::app`]) applies them.

/// An intent from a widget or a key.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Select this vehicle; picking the selected one again re-centres the map on it.
    Select(String),
    /// Select this vehicle and centre the map on it (from the list, or the arrow keys).
    Show(String),
    /// Select this vehicle and follow it.
    Follow(String),
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
    /// A cluster was clicked: centre there and zoom in.
    ZoomTo { lat: f64, lon: f64 },
    /// `+` (1) or `-` (-1).
    Zoom(i32),
    /// Connect to another feed.
    SwitchFeed(String),
}
