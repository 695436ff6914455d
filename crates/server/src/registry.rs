//! The device registry: which devices may report, what they are called, and (optionally) a
//! secret each must show. With a registry in force, a report from a device it does not list is
//! refused (`unknown_device`, counted; the OsmAnd port answers 404 as Traccar does); without
//! one, any id is accepted, and the server says so at start when it listens beyond loopback.
//!
//! A TOML file, a `[[device]]` table per device:
//!
//! ```toml
//! [[device]]
//! id = "358240051111110"    # what the app sends: OsmAnd's id, OwnTracks' user/device
//! label = "Truck 12"        # shown instead of whatever the device calls itself
//! kind = "truck"
//! secret = "k3y"            # optional: OsmAnd reports must carry secret=k3y
//! group = "contractor-a"    # optional: scoped tokens may name the group (see `scopes`)
//! ```

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use fleetview_core::protocol::{FixBatch, FixRef, RejectReason, RejectTally, truncate};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {why}")]
    Invalid { path: String, why: String },
}

/// One device as the registry lists it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: String,
    pub label: Option<String>,
    pub kind: Option<String>,
    pub secret: Option<String>,
    /// The team it belongs to, for scoped tokens' `groups`.
    pub group: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    device: Vec<Device>,
}

/// Devices by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    devices: HashMap<String, Device>,
}

/// Whether a device may report.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Known,
    Unknown,
    WrongSecret,
}

impl Registry {
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|why| RegistryError::Invalid {
            path: path.display().to_string(),
            why,
        })
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut devices = HashMap::new();
        for d in file.device {
            if d.id.trim().is_empty() {
                return Err("a device with an empty id".into());
            }
            if let Some(old) = devices.insert(d.id.clone(), d) {
                return Err(format!("device {:?} is listed twice", old.id));
            }
        }
        Ok(Self { devices })
    }

    pub fn len(&self) -> usize {
        self.devices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// The ids of the devices in `group`.
    pub fn members<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.devices
            .values()
            .filter(move |d| d.group.as_deref() == Some(group))
            .map(|d| d.id.as_str())
    }

    /// Whether `id` may report, showing `secret` (compared in constant time).
    pub fn admit(&self, id: &str, secret: Option<&str>) -> Admission {
        match self.devices.get(id) {
            None => Admission::Unknown,
            Some(Device {
                secret: Some(expected),
                ..
            }) => {
                if secret.is_some_and(|s| super::auth::token_matches(expected, s)) {
                    Admission::Known
                } else {
                    Admission::WrongSecret
                }
            }
            Some(_) => Admission::Known,
        }
    }

    /// The fixes of listed devices, named as the registry names them; the others refused
    /// (`unknown_device`). Secrets are checked by the transports that carry them.
    pub fn listed(&self, batch: &FixBatch, refused: &mut RejectTally) -> FixBatch {
        let mut kept = FixBatch::with_capacity(batch.len(), 0);
        for fix in batch.iter() {
            match self.devices.get(fix.id) {
                None => refused.record(
                    RejectReason::UnknownDevice,
                    &format!("device {:?} is not in the registry", truncate(fix.id, 64)),
                ),
                Some(device) => {
                    let mut named = FixRef { ..fix };
                    named.meta.label = device.label.as_deref().or(fix.meta.label);
                    named.meta.kind = device.kind.as_deref().or(fix.meta.kind);
                    kept.push(&named);
                }
            }
        }
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::protocol::Position;

    const FILE: &str = r#"
[[device]]
id = "358240051111110"
label = "Truck 12"
kind = "truck"
secret = "k3y"
group = "contractor-a"

[[device]]
id = "jane/phone"
"#;

    #[test]
    fn listed_devices_are_named_by_the_registry_and_the_others_refused() {
        let registry = Registry::parse(FILE).expect("parses");
        assert_eq!(registry.len(), 2);
        let mut truck = Position::new("358240051111110", 1.0, 1.0, 0);
        truck.label = Some("my phone".into());
        let mut jane = Position::new("jane/phone", 1.0, 1.0, 0);
        jane.label = Some("JJ".into());
        let stranger = Position::new("999", 1.0, 1.0, 0);
        let batch = FixBatch::from_positions(&[truck, jane, stranger]);
        let mut refused = RejectTally::default();
        let kept = registry.listed(&batch, &mut refused);
        let named: Vec<(&str, Option<&str>, Option<&str>)> = kept
            .iter()
            .map(|f| (f.id, f.meta.label, f.meta.kind))
            .collect();
        assert_eq!(
            named,
            vec![
                ("358240051111110", Some("Truck 12"), Some("truck")),
                ("jane/phone", Some("JJ"), None),
            ]
        );
        assert_eq!(refused.count(RejectReason::UnknownDevice), 1);
    }

    #[test]
    fn a_group_lists_the_devices_that_name_it() {
        let registry = Registry::parse(FILE).expect("parses");
        assert_eq!(
            registry.members("contractor-a").collect::<Vec<_>>(),
            ["358240051111110"]
        );
        assert_eq!(registry.members("nobody").count(), 0);
    }

    #[test]
    fn a_device_with_a_secret_must_show_it() {
        let registry = Registry::parse(FILE).expect("parses");
        assert_eq!(
            registry.admit("358240051111110", Some("k3y")),
            Admission::Known
        );
        assert_eq!(
            registry.admit("358240051111110", Some("nope")),
            Admission::WrongSecret
        );
        assert_eq!(
            registry.admit("358240051111110", None),
            Admission::WrongSecret
        );
        assert_eq!(registry.admit("jane/phone", None), Admission::Known);
        assert_eq!(registry.admit("999", None), Admission::Unknown);
    }

    #[test]
    fn a_bad_file_says_what_is_wrong() {
        assert!(Registry::parse("[[device]]\nid = \"a\"\ncolour = 1\n").is_err());
        let twice = "[[device]]\nid = \"a\"\n[[device]]\nid = \"a\"\n";
        assert!(Registry::parse(twice).expect_err("twice").contains("twice"));
        assert!(Registry::parse("[[device]]\nid = \" \"\n").is_err());
    }
}
