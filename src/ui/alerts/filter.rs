//! What the Alerts panel lets through: some severities, one feed, one vehicle, and a search over
//! the vehicle's name and id, the rule, the detail and the geofence. Plain data with methods;
//! the panel edits a copy and hands it back as an action.

use crate::alerts::{Alert, Severity};
use crate::fleet::{FeedId, VehicleId, text_matches};

/// The Alerts panel's filter; the default lets everything through.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertFilter {
    /// Severities hidden (all shown by default).
    pub(super) hidden: Vec<Severity>,
    /// Only this feed's alerts.
    pub feed: Option<FeedId>,
    /// Only this vehicle's alerts.
    pub vehicle: Option<VehicleId>,
    /// Words to look for (any case), in the vehicle's name and id, the feed's name, the rule,
    /// the severity, the detail and the geofence.
    pub text: String,
}

impl AlertFilter {
    /// Whether alerts of `severity` are shown.
    pub fn shows(&self, severity: Severity) -> bool {
        !self.hidden.contains(&severity)
    }

    /// Shows (or hides) alerts of `severity`.
    pub fn set_shown(&mut self, severity: Severity, shown: bool) {
        self.hidden.retain(|s| *s != severity);
        if !shown {
            self.hidden.push(severity);
        }
    }

    /// Whether anything is filtered out.
    pub fn is_active(&self) -> bool {
        *self != Self::default()
    }

    /// Whether `alert` (of the feed named `feed_name`) is let through.
    pub fn matches(&self, alert: &Alert, feed_name: &str) -> bool {
        self.shows(alert.severity)
            && self.feed.is_none_or(|f| f == alert.feed)
            && self
                .vehicle
                .as_ref()
                .is_none_or(|v| v.feed == alert.feed && *v.id == *alert.vehicle)
            && self.text_matches(alert, feed_name)
    }

    /// Every word of the search is somewhere in the alert.
    fn text_matches(&self, alert: &Alert, feed_name: &str) -> bool {
        let fields = [
            alert.label.as_str(),
            alert.vehicle.as_str(),
            feed_name,
            alert.rule.as_str(),
            alert.severity.as_str(),
            alert.detail.as_str(),
            alert.geofence.as_deref().unwrap_or(""),
        ];
        self.text
            .split_whitespace()
            .all(|word| fields.iter().any(|f| text_matches(f, word)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Rule;

    fn alert(rule: Rule, severity: Severity, vehicle: &str, detail: &str) -> Alert {
        Alert {
            seq: 1,
            at_ms: 0,
            rule,
            severity,
            feed: FeedId(1),
            vehicle: vehicle.into(),
            label: format!("Truck {vehicle}"),
            geofence: (rule == Rule::Enter).then(|| "City depot".to_owned()),
            detail: detail.into(),
            lat: 0.0,
            lon: 0.0,
        }
    }

    fn sos() -> Alert {
        alert(Rule::Alarm, Severity::Critical, "12", "sos")
    }

    fn overspeed() -> Alert {
        alert(Rule::Overspeed, Severity::Warning, "7", "82 km/h for 6 s")
    }

    #[test]
    fn the_default_filter_lets_everything_through() {
        let f = AlertFilter::default();
        assert!(!f.is_active());
        assert!(f.matches(&sos(), "Depot") && f.matches(&overspeed(), "Depot"));
    }

    #[test]
    fn hiding_a_severity_hides_only_its_alerts_and_showing_it_brings_them_back() {
        let mut f = AlertFilter::default();
        f.set_shown(Severity::Warning, false);
        f.set_shown(Severity::Warning, false);
        assert!(f.is_active());
        assert!(f.matches(&sos(), "") && !f.matches(&overspeed(), ""));
        f.set_shown(Severity::Warning, true);
        assert_eq!(f, AlertFilter::default());
    }

    #[test]
    fn a_feed_or_a_vehicle_picked_lets_only_its_alerts_through() {
        let mut f = AlertFilter {
            feed: Some(FeedId(2)),
            ..AlertFilter::default()
        };
        assert!(!f.matches(&sos(), ""));
        f.feed = Some(FeedId(1));
        assert!(f.matches(&sos(), ""));
        f.vehicle = Some(VehicleId::new(FeedId(1), "7"));
        assert!(f.matches(&overspeed(), "") && !f.matches(&sos(), ""));
        f.vehicle = Some(VehicleId::new(FeedId(3), "7"));
        assert!(!f.matches(&overspeed(), ""), "the same id in another feed");
    }

    #[test]
    fn the_search_finds_every_word_in_any_field_in_any_case() {
        let text = |t: &str| AlertFilter {
            text: t.into(),
            ..AlertFilter::default()
        };
        let enter = alert(Rule::Enter, Severity::Warning, "9", "entered City depot");
        assert!(text("SOS").matches(&sos(), ""));
        assert!(text("truck 12").matches(&sos(), ""), "the name");
        assert!(text("critical").matches(&sos(), ""), "the severity");
        assert!(text("overspeed km/h").matches(&overspeed(), ""));
        assert!(text("depot").matches(&enter, ""), "the geofence");
        assert!(text("buses").matches(&sos(), "Buses"), "the feed's name");
        assert!(!text("sos").matches(&overspeed(), ""));
        assert!(
            !text("truck 13").matches(&sos(), ""),
            "every word must match"
        );
        assert!(
            text("   ").matches(&sos(), ""),
            "a blank search is no search"
        );
    }
}
