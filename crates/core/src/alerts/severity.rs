//! How urgent an alert is: `Critical` (a person or the vehicle in danger: SOS, panic, power cut,
//! tamper, a crash, AIS distress), `Warning` (routine trouble: overspeed, geofences, stopped,
//! lost, any other alarm) or `Info` (good news: back online, power restored). One pure mapping
//! from a feed's alarm names, so the panel, the sound and the JSON lines agree.

use serde::Serialize;

use super::Rule;

/// How urgent an alert is; ordered, `Critical` highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    /// Every severity, most urgent first (the panel's order).
    pub const ALL: [Severity; 3] = [Severity::Critical, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// The severity of an alert of `rule`; an alarm's is its name's ([`of_alarm`]).
    pub fn of_rule(rule: Rule, alarm: &str) -> Severity {
        match rule {
            Rule::Alarm => of_alarm(alarm),
            Rule::Online => Severity::Info,
            Rule::Enter | Rule::Exit | Rule::Overspeed | Rule::Stopped | Rule::Lost => {
                Severity::Warning
            }
        }
    }
}

/// Alarm names that mean danger (Traccar's `Position.ALARM_*`, in any case, and synonyms other
/// trackers use).
const CRITICAL: &[&str] = &[
    "sos",
    "panic",
    "powercut",
    "poweroff",
    "tampering",
    "tamper",
    "removing",
    "accident",
    "collision",
    "crash",
    "distress",
];

/// Alarm names that are good news.
const INFO: &[&str] = &["poweron", "powerrestored"];

/// The severity of a feed's alarm, by its name (`sos`, `powerCut`, `overspeed`, ...). Traccar
/// joins several alarms of one position with commas: the most urgent wins. Unknown names are
/// warnings (an alarm is never mere information unless known to be).
pub fn of_alarm(name: &str) -> Severity {
    name.split(',')
        .map(|one| {
            let one: String = one
                .trim()
                .chars()
                .filter(|c| !matches!(c, '_' | '-' | ' '))
                .flat_map(char::to_lowercase)
                .collect();
            if CRITICAL.contains(&one.as_str()) {
                Severity::Critical
            } else if INFO.contains(&one.as_str()) {
                Severity::Info
            } else {
                Severity::Warning
            }
        })
        .max()
        .unwrap_or(Severity::Warning)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Traccar's alarm names (`Position.ALARM_*`).
    const TRACCAR: &[&str] = &[
        "general",
        "sos",
        "vibration",
        "movement",
        "lowspeed",
        "overspeed",
        "fallDown",
        "lowPower",
        "lowBattery",
        "fault",
        "powerOff",
        "powerOn",
        "door",
        "lock",
        "unlock",
        "geofence",
        "geofenceEnter",
        "geofenceExit",
        "gpsAntennaCut",
        "accident",
        "tow",
        "idle",
        "highRpm",
        "hardAcceleration",
        "hardBraking",
        "hardCornering",
        "laneChange",
        "fatigueDriving",
        "powerCut",
        "powerRestored",
        "jamming",
        "temperature",
        "parking",
        "bonnet",
        "footBrake",
        "fuelLeak",
        "tampering",
        "removing",
    ];

    #[test]
    fn an_sos_a_power_cut_tampering_and_a_crash_are_critical() {
        for name in [
            "sos",
            "SOS",
            "panic",
            "powerCut",
            "powerOff",
            "power_cut",
            "tampering",
            "removing",
            "accident",
            "collision",
            "crash",
            "distress",
        ] {
            assert_eq!(of_alarm(name), Severity::Critical, "{name}");
        }
    }

    #[test]
    fn every_other_traccar_alarm_is_a_warning_but_power_coming_back_is_info() {
        let critical = [
            "sos",
            "powerOff",
            "accident",
            "powerCut",
            "tampering",
            "removing",
        ];
        let info = ["powerOn", "powerRestored"];
        for name in TRACCAR {
            let want = if critical.contains(name) {
                Severity::Critical
            } else if info.contains(name) {
                Severity::Info
            } else {
                Severity::Warning
            };
            assert_eq!(of_alarm(name), want, "{name}");
        }
        assert_eq!(of_alarm("somethingNew"), Severity::Warning);
        assert_eq!(of_alarm(""), Severity::Warning);
    }

    #[test]
    fn of_several_alarms_at_once_the_most_urgent_wins() {
        assert_eq!(of_alarm("overspeed,sos"), Severity::Critical);
        assert_eq!(of_alarm("powerOn, door"), Severity::Warning);
    }

    #[test]
    fn routine_rules_are_warnings_and_back_online_is_info() {
        assert_eq!(Severity::of_rule(Rule::Overspeed, ""), Severity::Warning);
        assert_eq!(Severity::of_rule(Rule::Enter, ""), Severity::Warning);
        assert_eq!(Severity::of_rule(Rule::Lost, ""), Severity::Warning);
        assert_eq!(Severity::of_rule(Rule::Online, ""), Severity::Info);
        assert_eq!(Severity::of_rule(Rule::Alarm, "sos"), Severity::Critical);
        assert!(Severity::Critical > Severity::Warning && Severity::Warning > Severity::Info);
    }
}
