//! The config file (TOML): a `[[feed]]` table per feed.
//!
//! ```toml
//! [[feed]]
//! name = "Depot"
//! kind = "traccar"                      # fleetview | traccar | owntracks
//! url = "https://traccar.example.com"
//! user = "dispatch@example.com"
//! password_env = "DEPOT_TRACCAR_PASSWORD"   # or password = "..." (keep the file private)
//! colour = "#1f77b4"
//! enabled = true
//!
//! [[feed]]
//! name = "Metro buses"
//! kind = "gtfs-rt"                      # also: ais (tcp:// or a file), aisstream
//! url = "https://api.metro.example/gtfs-rt/vehicle-positions"
//! token_env = "METRO_KEY"               # the API key ...
//! api_key_header = "x-api-key"          # ... sent in this header (or api_key_param = "key")
//! poll = "15s"
//!
//! [[feed]]
//! name = "Harbour"
//! kind = "aisstream"
//! url = "wss://stream.aisstream.io/v0/stream"
//! token_env = "AISSTREAM_KEY"
//! area = [[-17.5, 145.0], [-16.0, 146.5]]   # two corners, [lat, lon]
//! ```
//!
//! Secrets are read from the file or from the environment variable it names; they never go to
//! the window's remembered state.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::spec::{Credentials, FeedSpec, SpecError, parse_colour};
use fleetview_core::formats::FeedKind;
use fleetview_core::formats::aisstream::Area;
use fleetview_core::protocol::Encoding;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: feed {index} ({name}): {source}")]
    Feed {
        path: PathBuf,
        index: usize,
        name: String,
        source: SpecError,
    },
    #[error("{path}: feed {index} ({name}): {message}")]
    Option {
        path: PathBuf,
        index: usize,
        name: String,
        message: String,
    },
    #[error("{path}: feed {index} ({name}): the environment variable {var} is not set")]
    MissingEnv {
        path: PathBuf,
        index: usize,
        name: String,
        var: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    feed: Vec<Entry>,
    /// The alerts' geofences (GeoJSON), relative to the config file.
    geofences: Option<PathBuf>,
    /// The alert rules (the tables of a rules file, under `[alerts]`).
    alerts: Option<toml::Table>,
}

/// What the config file says beside its feeds: where the geofences are, and the alert rules
/// (a TOML table, for `alerts::Rules::from_table` to read).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct AlertSettings {
    pub geofences: Option<PathBuf>,
    pub rules: Option<toml::Table>,
}

/// The alert settings of the config file at `path`.
pub fn load_alerts(path: &Path) -> Result<AlertSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    let file: File = toml::from_str(&text).map_err(|e| ConfigError::Parse {
        path: path.into(),
        message: e.to_string(),
    })?;
    let dir = path.parent().unwrap_or(Path::new("."));
    Ok(AlertSettings {
        geofences: file.geofences.map(|g| dir.join(g)),
        rules: file.alerts,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: Option<String>,
    #[serde(default)]
    kind: FeedKind,
    url: String,
    token: Option<String>,
    token_env: Option<String>,
    user: Option<String>,
    password: Option<String>,
    password_env: Option<String>,
    code: Option<String>,
    colour: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    ca_file: Option<PathBuf>,
    /// GTFS-RT: `"15s"`, `"1m"`.
    poll: Option<String>,
    api_key_header: Option<String>,
    api_key_param: Option<String>,
    /// AISStream: `[[lat, lon], [lat, lon]]`.
    area: Option<Area>,
    /// fleetview: `"compact"` (the default) or `"v1"`.
    encoding: Option<String>,
}

fn yes() -> bool {
    true
}

/// Where the config file is looked for when `--config` is not given.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("fleetview").join("config.toml"))
}

/// Reads the feeds of the config file at `path`; `env` looks up environment variables.
pub fn load(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<FeedSpec>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.into(),
        source,
    })?;
    parse(&text, path, env)
}

/// The feeds of a config file's text (`path` names it in errors).
pub fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<FeedSpec>, ConfigError> {
    let file: File = toml::from_str(text).map_err(|e| ConfigError::Parse {
        path: path.into(),
        message: e.to_string(),
    })?;
    file.feed
        .into_iter()
        .enumerate()
        .map(|(i, entry)| entry_spec(entry, i + 1, path, env))
        .collect()
}

fn entry_spec(
    e: Entry,
    index: usize,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<FeedSpec, ConfigError> {
    let name = e.name.clone().unwrap_or_else(|| e.url.clone());
    let from_env = |var: &Option<String>| -> Result<Option<String>, ConfigError> {
        match var {
            None => Ok(None),
            Some(var) => env(var).map(Some).ok_or_else(|| ConfigError::MissingEnv {
                path: path.into(),
                index,
                name: name.clone(),
                var: var.clone(),
            }),
        }
    };
    let credentials = Credentials {
        token: e.token.or(from_env(&e.token_env)?),
        user: e.user,
        password: e.password.or(from_env(&e.password_env)?),
        code: e.code,
    };
    let feed_error = |source| ConfigError::Feed {
        path: path.into(),
        index,
        name: name.clone(),
        source,
    };
    let mut spec = FeedSpec::new(e.name, e.kind, &e.url, credentials).map_err(feed_error)?;
    spec.colour = e
        .colour
        .as_deref()
        .map(parse_colour)
        .transpose()
        .map_err(feed_error)?;
    spec.enabled = e.enabled;
    spec.ca_file = e.ca_file;
    let options = Options {
        poll: e.poll,
        key_header: e.api_key_header,
        key_param: e.api_key_param,
        area: e.area,
        encoding: e.encoding,
    };
    options
        .apply(&mut spec)
        .map_err(|message| ConfigError::Option {
            path: path.into(),
            index,
            name: name.clone(),
            message,
        })?;
    Ok(spec)
}

/// An encoding a fleetview feed may ask for, by name.
pub fn parse_encoding(name: &str) -> Result<Encoding, String> {
    match name {
        "v1" => Ok(Encoding::V1),
        "compact" => Ok(Encoding::Compact),
        _ => Err(format!("encoding {name:?} is not v1 or compact")),
    }
}

/// The settings only some kinds use, as the file has them.
struct Options {
    poll: Option<String>,
    key_header: Option<String>,
    key_param: Option<String>,
    area: Option<Area>,
    encoding: Option<String>,
}

impl Options {
    fn apply(self, spec: &mut FeedSpec) -> Result<(), String> {
        if let Some(poll) = &self.poll {
            let period = humantime::parse_duration(poll)
                .map_err(|err| format!("poll {poll:?} is not a duration: {err}"))?;
            if period < std::time::Duration::from_secs(1) {
                return Err(format!("poll {poll:?} is under a second"));
            }
            spec.options.poll = Some(period);
        }
        if self.key_header.is_some() {
            spec.options.key_header = self.key_header;
            spec.options.key_param = None;
        }
        if self.key_param.is_some() {
            spec.options.key_param = self.key_param;
        }
        if let Some(area) = self.area {
            let ok = area
                .iter()
                .all(|[lat, lon]| lat.abs() <= 90.0 && lon.abs() <= 180.0);
            if !ok {
                return Err(format!(
                    "area {area:?} is not two [lat, lon] corners within -90..90, -180..180"
                ));
            }
            spec.options.area = Some(area);
        }
        if let Some(name) = &self.encoding {
            spec.options.encoding = Some(parse_encoding(name)?);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r##"
[[feed]]
name = "Depot"
kind = "traccar"
url = "https://traccar.example.com"
user = "dispatch@example.com"
password_env = "DEPOT_PW"
colour = "#1f77b4"

[[feed]]
name = "Phones"
kind = "owntracks"
url = "https://rec.example.com"
enabled = false

[[feed]]
url = "wss://fleet.example.com/feed"
token_env = "FLEET_TOKEN"
"##;

    fn env(var: &str) -> Option<String> {
        match var {
            "DEPOT_PW" => Some("pw".into()),
            "FLEET_TOKEN" => Some("tok".into()),
            _ => None,
        }
    }

    #[test]
    fn every_feed_table_becomes_a_feed_with_its_secrets_from_the_environment() {
        let feeds = parse(EXAMPLE, Path::new("c.toml"), &env).expect("parses");
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].kind, FeedKind::Traccar);
        assert_eq!(feeds[0].credentials.password.as_deref(), Some("pw"));
        assert_eq!(feeds[0].colour, Some([0x1f, 0x77, 0xb4]));
        assert_eq!(feeds[1].url, "wss://rec.example.com/ws/last");
        assert!(!feeds[1].enabled);
        assert_eq!(feeds[2].kind, FeedKind::Fleetview);
        assert_eq!(feeds[2].name, "fleet.example.com");
        assert_eq!(feeds[2].credentials.token.as_deref(), Some("tok"));
    }

    #[test]
    fn a_missing_variable_or_an_unknown_field_is_a_clear_error() {
        let e = parse(EXAMPLE, Path::new("c.toml"), &|_| None).expect_err("no env");
        assert_eq!(
            e.to_string(),
            "c.toml: feed 1 (Depot): the environment variable DEPOT_PW is not set"
        );
        let e = parse(
            "[[feed]]\nurl = \"ws://x\"\npasword = \"typo\"\n",
            Path::new("c.toml"),
            &env,
        )
        .expect_err("unknown field");
        assert!(e.to_string().contains("pasword"), "{e}");
        let e = parse(
            "[[feed]]\nkind = \"gps\"\nurl = \"ws://x\"\n",
            Path::new("c.toml"),
            &env,
        )
        .expect_err("unknown kind");
        assert!(e.to_string().contains("gps"), "{e}");
    }

    #[test]
    fn transit_and_ship_feeds_take_their_poll_key_and_area() {
        let text = r#"
[[feed]]
kind = "gtfs-rt"
url = "https://agency.example/vp.pb"
token = "k"
api_key_header = "x-api-key"
poll = "30s"

[[feed]]
kind = "aisstream"
url = "wss://stream.aisstream.io/v0/stream"
area = [[-17.5, 145.0], [-16.0, 146.5]]
"#;
        let feeds = parse(text, Path::new("c.toml"), &env).expect("parses");
        assert_eq!(feeds[0].kind, FeedKind::GtfsRt);
        assert_eq!(
            feeds[0].options.poll,
            Some(std::time::Duration::from_secs(30))
        );
        assert_eq!(feeds[0].options.key_header.as_deref(), Some("x-api-key"));
        assert_eq!(
            feeds[1].options.area,
            Some([[-17.5, 145.0], [-16.0, 146.5]])
        );
        let bad = text.replace("-17.5, 145.0", "-97.5, 145.0");
        let e = parse(&bad, Path::new("c.toml"), &env).expect_err("area off the globe");
        assert!(e.to_string().contains("feed 2"), "{e}");
        let bad = text.replace("30s", "soon");
        let e = parse(&bad, Path::new("c.toml"), &env).expect_err("poll not a duration");
        assert!(e.to_string().contains("poll \"soon\""), "{e}");
    }

    #[test]
    fn the_alert_settings_ride_beside_the_feeds() {
        let dir = std::env::temp_dir().join(format!("fleetview-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("config.toml");
        let text = "geofences = \"fences.geojson\"\n[alerts.geofence]\nenter = true\n\n[[feed]]\nurl = \"ws://x\"\n";
        std::fs::write(&path, text).expect("write");
        let settings = load_alerts(&path).expect("reads");
        assert_eq!(settings.geofences, Some(dir.join("fences.geojson")));
        let rules = settings.rules.expect("rules");
        assert_eq!(rules["geofence"]["enter"].as_bool(), Some(true));
        assert_eq!(parse(text, &path, &env).expect("feeds").len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
