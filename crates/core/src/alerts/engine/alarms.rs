//! Alarms a feed reports, as alerts, whatever other rules say (unless `[alarms] enabled =
//! false`): a notice (Traccar's `alarm` event), an `alarm` attribute on a fix (Traccar's
//! positions carry it, and Traccar sends events only where notifications are set up), and an AIS
//! ship whose status says its SART is active (distress). Once per alarm: a fix repeating the
//! alarm its last fix carried raises nothing, and a notice and a fix saying the same alarm
//! within [`SAME_ALARM_MS`] raise one alert.

use super::Engine;
use crate::alerts::severity::of_alarm;
use crate::alerts::{Alert, Rule};
use crate::events::VehicleNotice;
use crate::fleet::{FeedId, Fleet, Vehicle};

/// A notice and a fix saying the same alarm this close in time are one alarm.
pub const SAME_ALARM_MS: i64 = 60_000;

/// The AIS navigational status of a ship whose search-and-rescue transmitter is active.
const AIS_SART: &str = "ais_sart_active";

impl Engine {
    /// An alert for a feed's alarm notice about one of its vehicles.
    pub fn notice(&mut self, fleet: &Fleet, feed: FeedId, n: &VehicleNotice, out: &mut Vec<Alert>) {
        let alarm = n.kind.eq_ignore_ascii_case("alarm") || n.kind.eq_ignore_ascii_case("sos");
        if !self.rules.alarms.enabled || !alarm {
            return;
        }
        let Some(key) = fleet.key_of(feed, &n.id) else {
            return;
        };
        if let Some(v) = fleet.vehicle(key) {
            let name = n.detail.clone().unwrap_or_else(|| n.kind.clone());
            self.alarm(key.0 as usize, v, &name, n.ts, out);
        }
    }

    /// The alarm a new fix carries, if it is not the one its last fix carried.
    pub(super) fn fix_alarm(&mut self, k: usize, v: &Vehicle, out: &mut Vec<Alert>) {
        let now = alarm_of(v);
        let Some(state) = self.states.get_mut(k).and_then(Option::as_mut) else {
            return;
        };
        if state.alarm.as_deref() == now.as_deref() {
            return;
        }
        state.alarm = now.as_deref().map(Box::from);
        if let Some(name) = now.filter(|_| self.rules.alarms.enabled) {
            self.alarm(k, v, &name, v.fix.ts, out);
        }
    }

    /// Raises alarm `name` of the vehicle in slot `k`, unless it was just raised.
    fn alarm(&mut self, k: usize, v: &Vehicle, name: &str, at_ms: i64, out: &mut Vec<Alert>) {
        let state = self
            .states
            .get_mut(k)
            .and_then(Option::as_mut)
            .filter(|s| v.is(&s.id));
        if let Some(state) = state {
            let same = state.raised_alarm.as_ref().is_some_and(|(was, t)| {
                was.eq_ignore_ascii_case(name) && (at_ms - t).abs() <= SAME_ALARM_MS
            });
            if same {
                return;
            }
            state.raised_alarm = Some((name.into(), at_ms));
        }
        let rule = (Rule::Alarm, of_alarm(name));
        self.push(out, v, rule, at_ms, None, name.to_owned());
    }
}

/// The alarm a vehicle's last fix carries: its `alarm` attribute (Traccar's), or "distress" for
/// an AIS ship whose SART is active.
fn alarm_of(v: &Vehicle) -> Option<String> {
    if v.status() == Some(AIS_SART) {
        return Some("distress".to_owned());
    }
    // Most fixes carry no alarm: look before parsing.
    let attrs = v.attrs().filter(|a| a.contains("\"alarm\""))?;
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(attrs).ok()?;
    map.get("alarm")
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}
