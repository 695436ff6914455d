//! Alert rules, read from a TOML file (`--rules FILE`). Every rule is off until enabled, but
//! alarms: an alarm a feed reports (an SOS) is an alert unless the rules say otherwise, with
//! or without a rules file ([`Rules::default`]).
//!
//! ```toml
//! [geofence]                 # entering and leaving geofences
//! enter = true
//! exit = true
//! only = ["City depot"]      # these geofences (by name); all when left out
//! feeds = ["Buses"]          # these feeds (by name); all when left out
//! kinds = ["bus"]            # these kinds; all when left out
//! confirm_fixes = 2          # fixes on the new side before it counts (no flapping)
//!
//! [overspeed]
//! enabled = true
//! limits_kmh = { bus = 60, truck = 80 }   # per kind; a geofence's speed_limit_kmh wins inside it
//! default_kmh = 100          # any other kind
//! grace_s = 5                # above the limit this long before the alert
//! sound = true               # these alerts sound even with the panel's Sound off (any rule)
//!
//! [stopped]
//! enabled = true
//! minutes = 20               # stopped this long outside any geofence with depot = true
//!
//! [lost]
//! enabled = true
//! minutes = 10               # no fix this long; "back online" when one comes
//!
//! [alarms]
//! enabled = true             # alarms a feed reports (Traccar's alarm: sos, ...); the default
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    #[serde(default)]
    pub geofence: GeofenceRule,
    #[serde(default)]
    pub overspeed: Overspeed,
    #[serde(default)]
    pub stopped: Stopped,
    #[serde(default)]
    pub lost: Lost,
    #[serde(default)]
    pub alarms: Alarms,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeofenceRule {
    #[serde(default)]
    pub enter: bool,
    #[serde(default)]
    pub exit: bool,
    pub only: Option<Vec<String>>,
    pub feeds: Option<Vec<String>>,
    pub kinds: Option<Vec<String>>,
    #[serde(default = "two")]
    pub confirm_fixes: u32,
    /// A new alert of this rule sounds even with the panel's Sound off.
    #[serde(default)]
    pub sound: bool,
}

impl Default for GeofenceRule {
    fn default() -> Self {
        Self {
            enter: false,
            exit: false,
            only: None,
            feeds: None,
            kinds: None,
            confirm_fixes: two(),
            sound: false,
        }
    }
}

fn two() -> u32 {
    2
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overspeed {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub limits_kmh: HashMap<String, f64>,
    pub default_kmh: Option<f64>,
    #[serde(default = "five")]
    pub grace_s: f64,
    #[serde(default)]
    pub sound: bool,
}

impl Default for Overspeed {
    fn default() -> Self {
        Self {
            enabled: false,
            limits_kmh: HashMap::new(),
            default_kmh: None,
            grace_s: five(),
            sound: false,
        }
    }
}

fn five() -> f64 {
    5.0
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stopped {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "twenty")]
    pub minutes: f64,
    #[serde(default)]
    pub sound: bool,
}

impl Default for Stopped {
    fn default() -> Self {
        Self {
            enabled: false,
            minutes: twenty(),
            sound: false,
        }
    }
}

fn twenty() -> f64 {
    20.0
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lost {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "ten")]
    pub minutes: f64,
    #[serde(default)]
    pub sound: bool,
}

impl Default for Lost {
    fn default() -> Self {
        Self {
            enabled: false,
            minutes: ten(),
            sound: false,
        }
    }
}

fn ten() -> f64 {
    10.0
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alarms {
    /// On unless turned off: an SOS must never depend on a rules file.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Every alarm sounds, not only the critical ones (which sound unless muted).
    #[serde(default)]
    pub sound: bool,
}

impl Default for Alarms {
    fn default() -> Self {
        Self {
            enabled: yes(),
            sound: false,
        }
    }
}

fn yes() -> bool {
    true
}

impl Rules {
    /// Whether a new alert of `rule` sounds whatever the panel's Sound says (`sound = true` in
    /// its table).
    pub fn sounds(&self, rule: super::Rule) -> bool {
        use super::Rule;
        match rule {
            Rule::Enter | Rule::Exit => self.geofence.sound,
            Rule::Overspeed => self.overspeed.sound,
            Rule::Stopped => self.stopped.sound,
            Rule::Lost | Rule::Online => self.lost.sound,
            Rule::Alarm => self.alarms.sound,
        }
    }

    pub fn load(path: &Path) -> Result<Self, RulesError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| RulesError::Read {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text, &name)
    }

    pub fn parse(text: &str, path: &str) -> Result<Self, RulesError> {
        let rules: Rules = toml::from_str(text).map_err(|e| RulesError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        rules.checked(path)
    }

    /// The rules of a config file's `[alerts]` table (`path` names the file in errors).
    pub fn from_table(table: toml::Table, path: &str) -> Result<Self, RulesError> {
        let rules: Rules = table
            .try_into()
            .map_err(|e: toml::de::Error| RulesError::Parse {
                path: path.to_owned(),
                message: format!("[alerts]: {e}"),
            })?;
        rules.checked(path)
    }

    /// The rules, or what value in them makes no sense.
    fn checked(self, path: &str) -> Result<Self, RulesError> {
        let rules = self;
        let bad = |message: String| RulesError::Parse {
            path: path.to_owned(),
            message,
        };
        let limits = rules
            .overspeed
            .limits_kmh
            .values()
            .chain(&rules.overspeed.default_kmh);
        if let Some(l) = limits.into_iter().find(|l| !(l.is_finite() && **l > 0.0)) {
            return Err(bad(format!("overspeed: a limit of {l} km/h")));
        }
        for (what, n) in [
            ("overspeed.grace_s", rules.overspeed.grace_s),
            ("stopped.minutes", rules.stopped.minutes),
            ("lost.minutes", rules.lost.minutes),
        ] {
            if !(n.is_finite() && n >= 0.0) {
                return Err(bad(format!("{what} is {n}")));
            }
        }
        if rules.geofence.confirm_fixes == 0 {
            return Err(bad("geofence.confirm_fixes must be at least 1".into()));
        }
        Ok(rules)
    }

    /// The speed limit of a vehicle of `kind`, km/h (the geofence's own limit is the caller's).
    pub fn limit_kmh(&self, kind: Option<&str>) -> Option<f64> {
        kind.and_then(|k| self.overspeed.limits_kmh.get(&k.to_ascii_lowercase()))
            .copied()
            .or(self.overspeed.default_kmh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_off_until_enabled_and_the_file_sets_them() {
        let none = Rules::parse("", "r.toml").expect("empty");
        assert!(!none.geofence.enter && !none.overspeed.enabled && !none.lost.enabled);
        assert!(none.alarms.enabled, "but alarms, with or without a file");
        assert_eq!(none, Rules::default());
        let off = Rules::parse("[alarms]\nenabled = false\n", "r.toml").expect("off");
        assert!(!off.alarms.enabled);
        let r = Rules::parse(
            "[geofence]\nenter = true\nonly = [\"Depot\"]\n[overspeed]\nenabled = true\n\
             limits_kmh = { bus = 60 }\ndefault_kmh = 100\n",
            "r.toml",
        )
        .expect("parses");
        assert!(r.geofence.enter && !r.geofence.exit);
        assert_eq!(r.geofence.confirm_fixes, 2);
        assert_eq!(r.limit_kmh(Some("Bus")), Some(60.0));
        assert_eq!(r.limit_kmh(Some("van")), Some(100.0));
    }

    #[test]
    fn a_typo_or_a_silly_value_is_a_clear_error() {
        let e = Rules::parse("[overspeed]\nenabeld = true\n", "r.toml").expect_err("typo");
        assert!(e.to_string().contains("enabeld"), "{e}");
        let e = Rules::parse("[overspeed]\nlimits_kmh = { bus = -5 }\n", "r.toml")
            .expect_err("negative");
        assert_eq!(e.to_string(), "r.toml: overspeed: a limit of -5 km/h");
    }
}
