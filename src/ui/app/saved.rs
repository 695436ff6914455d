//! What the window remembers between runs (eframe persistence): the feeds without their
//! secrets, the colouring, the layers and the map view. The window size is eframe's own.

use serde::{Deserialize, Serialize};

use crate::feed::{Colour, Credentials, FeedSpec};
use crate::formats::FeedKind;

/// A feed as remembered between runs: never a secret (passwords and tokens come from the
/// environment, the config file or the Feeds panel).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct SavedFeed {
    name: String,
    kind: FeedKind,
    url: String,
    user: Option<String>,
    colour: Option<Colour>,
    enabled: bool,
}

impl SavedFeed {
    pub(super) fn of(spec: &FeedSpec) -> Self {
        Self {
            name: spec.name.clone(),
            kind: spec.kind,
            url: spec.url.clone(),
            user: spec.credentials.user.clone(),
            colour: spec.colour,
            enabled: spec.enabled,
        }
    }

    pub(super) fn spec(&self) -> Option<FeedSpec> {
        let mut spec = FeedSpec::new(
            Some(self.name.clone()),
            self.kind,
            &self.url,
            Credentials {
                user: self.user.clone(),
                ..Default::default()
            },
        )
        .ok()?;
        spec.colour = self.colour;
        spec.enabled = self.enabled;
        Some(spec)
    }
}

/// What is remembered between runs (eframe persistence; the window size is eframe's own).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Saved {
    pub feeds: Vec<SavedFeed>,
    pub centre: Option<(f64, f64)>,
    pub zoom: Option<f64>,
    pub colour_by_feed: bool,
    pub alert_sound: bool,
    /// The dispatcher muted the critical alerts' sound (they sound by default).
    pub critical_muted: bool,
    /// The dispatcher turned desktop notifications off (they are on by default).
    pub notifications_off: bool,
    /// The map layers switched on.
    pub layers: crate::ui::view::Layers,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remembered_feed_keeps_everything_but_its_secrets() {
        let mut spec =
            FeedSpec::parse("depot=traccar:https://ana%40x.com:pw@t.example.com?token=tk")
                .expect("spec");
        spec.colour = Some([1, 2, 3]);
        spec.enabled = false;
        let text = serde_json::to_string(&SavedFeed::of(&spec)).expect("json");
        assert!(!text.contains("pw") && !text.contains("tk"), "{text}");
        let back: SavedFeed = serde_json::from_str(&text).expect("back");
        let restored = back.spec().expect("valid");
        assert_eq!(restored.name, "depot");
        assert_eq!(restored.url, spec.url);
        assert_eq!(restored.credentials.user.as_deref(), Some("ana@x.com"));
        assert_eq!(
            (restored.credentials.password, restored.credentials.token),
            (None, None)
        );
        assert_eq!(
            (restored.colour, restored.enabled),
            (Some([1, 2, 3]), false)
        );
    }

    #[test]
    fn state_saved_by_an_older_version_still_loads() {
        let old: Saved =
            serde_json::from_str(r#"{"url":"ws://x/feed","centre":[1.0,2.0],"zoom":12.0}"#)
                .expect("loads");
        assert!(old.feeds.is_empty());
        assert_eq!(old.zoom, Some(12.0));
        assert_eq!(old.layers, crate::ui::view::Layers::default());
    }
}
