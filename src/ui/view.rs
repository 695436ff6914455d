//! The dispatcher's view state, apart from any widget: what is selected, whether it is followed,
//! the search text, hidden feeds, the colouring, the notice shown. Plain data, changed only by
//! [`super::app`] applying actions.

use std::collections::BTreeSet;

use crate::fleet::{FeedId, Vehicle, VehicleId};

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
