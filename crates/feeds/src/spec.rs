//! What a person says about a feed: its name, kind, URL, credentials, colour and whether it is
//! on. Read from a `--feed` string (`[NAME=]KIND:URL`) or a `[[feed]]` table of the config file;
//! secrets come from the URL's user info, the environment or the config file, never from the
//! remembered app state, and never show: [`Credentials`] prints masked, and URLs are kept
//! without them.

use std::path::PathBuf;
use std::time::Duration;

use fleetview_core::formats::FeedKind;
use fleetview_core::formats::aisstream::Area;
use fleetview_core::protocol::Encoding;

/// Secrets a feed needs. `Debug` masks them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// fleetview: the viewer token; Traccar: an API token (instead of a login).
    pub token: Option<String>,
    /// Traccar: the account's email; OwnTracks: the user of the reverse proxy (HTTP Basic).
    pub user: Option<String>,
    pub password: Option<String>,
    /// Traccar: the one-time code, for accounts that use one.
    pub code: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mask = |s: &Option<String>| s.as_ref().map(|_| "***");
        f.debug_struct("Credentials")
            .field("token", &mask(&self.token))
            .field("user", &self.user)
            .field("password", &mask(&self.password))
            .field("code", &mask(&self.code))
            .finish()
    }
}

/// Settings only some kinds of feed use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedOptions {
    /// GTFS-RT: how often to poll (15 s when not said).
    pub poll: Option<Duration>,
    /// GTFS-RT: the request header that carries the API key (the credentials' token), such as
    /// `x-api-key` or `Authorization`.
    pub key_header: Option<String>,
    /// GTFS-RT: the query parameter that carries the API key instead (`api_key`, `key`, ...).
    pub key_param: Option<String>,
    /// AISStream: the box to watch (the whole world when not said).
    pub area: Option<Area>,
    /// fleetview: the encoding to ask for (compact when not said; a server that does not know
    /// it sends v1).
    pub encoding: Option<Encoding>,
}

/// The poll period of a GTFS-RT feed that names none.
pub const DEFAULT_POLL: Duration = Duration::from_secs(15);

/// Query parameters that carry a GTFS-RT feed's key; moved out of the URL like a token.
const KEY_PARAMS: [&str; 6] = [
    "token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "access_token",
];

/// An RGB colour for a feed's markers.
pub type Colour = [u8; 3];

#[derive(Debug, Clone, PartialEq)]
pub struct FeedSpec {
    /// What the dispatcher calls it ("Depot Traccar").
    pub name: String,
    pub kind: FeedKind,
    /// Where it is, without credentials: `ws(s)://` for fleetview and OwnTracks, `http(s)://`
    /// (the server's base) for Traccar.
    pub url: String,
    pub credentials: Credentials,
    pub colour: Option<Colour>,
    pub enabled: bool,
    /// Extra CA certificates (PEM) to trust for TLS, beside the system's.
    pub ca_file: Option<PathBuf>,
    pub options: FeedOptions,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("{0:?} is not a URL: {1}")]
    BadUrl(String, String),
    #[error("a {kind} feed's URL starts with {expected}, not {url:?}")]
    WrongScheme {
        kind: FeedKind,
        expected: &'static str,
        url: String,
    },
    #[error("{0:?} is not a colour like #1f77b4")]
    BadColour(String),
}

impl FeedSpec {
    /// A fleetview feed at `url`, named after its host.
    pub fn fleetview(url: impl Into<String>) -> Self {
        let url = url.into();
        Self {
            name: host_of(&url).unwrap_or_else(|| "fleetview".into()),
            kind: FeedKind::Fleetview,
            url,
            credentials: Credentials::default(),
            colour: None,
            enabled: true,
            ca_file: None,
            options: FeedOptions::default(),
        }
    }

    /// Reads `[NAME=]KIND:URL`, or a bare `ws://` / `wss://` URL (a fleetview feed). User info
    /// and a `token` query parameter in the URL become credentials.
    pub fn parse(text: &str) -> Result<Self, SpecError> {
        let text = text.trim();
        let (name, rest) = match text.split_once('=') {
            Some((name, rest)) if !name.contains(':') && !name.contains('/') => {
                (Some(name.trim().to_owned()), rest.trim())
            }
            _ => (None, text),
        };
        let (kind, url) = match rest.split_once(':') {
            Some((k, url)) if FeedKind::parse(k).is_some() => {
                (FeedKind::parse(k).unwrap_or_default(), url)
            }
            _ => (FeedKind::Fleetview, rest),
        };
        Self::new(name, kind, url, Credentials::default())
    }

    /// A feed of `kind` at `url` (normalised for its kind); credentials in the URL are moved
    /// into `credentials` where those are not already set. A raw AIS feed may be a file's path.
    pub fn new(
        name: Option<String>,
        kind: FeedKind,
        url: &str,
        mut credentials: Credentials,
    ) -> Result<Self, SpecError> {
        let mut parsed = match url::Url::parse(url) {
            Err(url::ParseError::RelativeUrlWithoutBase) if kind == FeedKind::Ais => {
                file_url(url).ok_or_else(|| SpecError::BadUrl(url.into(), "not a file".into()))?
            }
            parsed => parsed.map_err(|e| SpecError::BadUrl(url.into(), e.to_string()))?,
        };
        if !parsed.username().is_empty() {
            let user = decode(parsed.username());
            credentials.user.get_or_insert(user);
            if let Some(p) = parsed.password() {
                credentials.password.get_or_insert(decode(p));
            }
        }
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        let secret_params: &[&str] = match kind {
            FeedKind::GtfsRt => &KEY_PARAMS,
            _ => &KEY_PARAMS[..1],
        };
        let mut options = FeedOptions::default();
        let token = parsed
            .query_pairs()
            .find(|(k, _)| secret_params.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()));
        if let Some((param, token)) = token {
            credentials.token.get_or_insert(token);
            if kind == FeedKind::GtfsRt {
                options.key_param = Some(param.clone());
            }
            let rest: Vec<(String, String)> = parsed
                .query_pairs()
                .filter(|(k, _)| *k != param)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            parsed.set_query(None);
            if !rest.is_empty() {
                parsed.query_pairs_mut().extend_pairs(rest);
            }
        }
        normalise(kind, &mut parsed)?;
        let url = parsed.to_string();
        Ok(Self {
            name: name
                .filter(|n| !n.is_empty())
                .or_else(|| host_of(&url))
                .unwrap_or_else(|| kind.to_string()),
            kind,
            url,
            credentials,
            colour: None,
            enabled: true,
            ca_file: None,
            options,
        })
    }
}

/// A file's path as a `file://` URL.
fn file_url(path: &str) -> Option<url::Url> {
    let path = std::path::absolute(path).ok()?;
    url::Url::from_file_path(path).ok()
}

/// Checks the scheme for the kind and fills in the usual path.
fn normalise(kind: FeedKind, url: &mut url::Url) -> Result<(), SpecError> {
    let scheme = url.scheme().to_owned();
    let wrong = |expected| SpecError::WrongScheme {
        kind,
        expected,
        url: url.to_string(),
    };
    match kind {
        FeedKind::Fleetview => {
            if scheme != "ws" && scheme != "wss" {
                return Err(wrong("ws:// or wss://"));
            }
        }
        FeedKind::Traccar => {
            let http = match scheme.as_str() {
                "http" | "ws" => "http",
                "https" | "wss" => "https",
                _ => return Err(wrong("http:// or https://")),
            };
            let _ = url.set_scheme(http);
            let path = url.path().trim_end_matches('/');
            let base = path.strip_suffix("/api/socket").unwrap_or(path).to_owned();
            url.set_path(&base);
        }
        FeedKind::OwnTracks => {
            let ws = match scheme.as_str() {
                "ws" | "http" => "ws",
                "wss" | "https" => "wss",
                _ => return Err(wrong("ws://, wss://, http:// or https://")),
            };
            let _ = url.set_scheme(ws);
            // The recorder's base (at the root or behind a proxy's prefix) gets /ws/last.
            let path = url.path().trim_end_matches('/').to_owned();
            if !path.ends_with("/ws/last") {
                url.set_path(&format!("{path}/ws/last"));
            }
        }
        FeedKind::GtfsRt => {
            if scheme != "http" && scheme != "https" {
                return Err(wrong("http:// or https://"));
            }
        }
        FeedKind::Ais => {
            if scheme != "tcp" && scheme != "file" {
                return Err(wrong("tcp://HOST:PORT or file:// (or a file's path)"));
            }
            if scheme == "tcp" && (url.host_str().is_none() || url.port().is_none()) {
                return Err(wrong("tcp://HOST:PORT"));
            }
        }
        FeedKind::AisStream => {
            let ws = match scheme.as_str() {
                "ws" | "http" => "ws",
                "wss" | "https" => "wss",
                _ => return Err(wrong("wss:// (or ws:// for a test server)")),
            };
            let _ = url.set_scheme(ws);
            if url.path().trim_end_matches('/').is_empty() {
                url.set_path("/v0/stream");
            }
        }
    }
    Ok(())
}

/// User info as typed, from its percent-encoded form in the URL (`+` stays a plus).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

fn host_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?;
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_owned(),
    })
}

/// `#1f77b4` (or `1f77b4`) as RGB.
pub fn parse_colour(s: &str) -> Result<Colour, SpecError> {
    let hex = s.trim().trim_start_matches('#');
    let bad = || SpecError::BadColour(s.to_owned());
    if hex.len() != 6 || !hex.is_ascii() {
        return Err(bad());
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
    Ok([byte(0)?, byte(2)?, byte(4)?])
}

/// `[r, g, b]` as `#rrggbb`.
pub fn colour_hex(c: Colour) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_string_names_its_kind_and_its_credentials_leave_the_url() {
        let s = FeedSpec::parse("depot=traccar:https://ana%40x.com:p%40ss@t.example.com/")
            .expect("spec");
        assert_eq!(s.name, "depot");
        assert_eq!(s.kind, FeedKind::Traccar);
        assert_eq!(s.url, "https://t.example.com/");
        assert_eq!(s.credentials.user.as_deref(), Some("ana@x.com"));
        assert_eq!(s.credentials.password.as_deref(), Some("p@ss"));
        assert!(
            !format!("{s:?}").contains("p@ss"),
            "Debug masks the password"
        );
    }

    #[test]
    fn a_plus_in_a_password_stays_a_plus_and_percent_escapes_are_undone() {
        let s =
            FeedSpec::parse("owntracks:https://proxy:a+b%20c%2B@rec.example.com").expect("spec");
        assert_eq!(s.credentials.password.as_deref(), Some("a+b c+"));
    }

    #[test]
    fn a_bare_ws_url_is_a_fleetview_feed_and_its_token_a_credential() {
        let s = FeedSpec::parse("ws://127.0.0.1:9000/feed?token=s3cret&x=1").expect("spec");
        assert_eq!(s.kind, FeedKind::Fleetview);
        assert_eq!(s.url, "ws://127.0.0.1:9000/feed?x=1");
        assert_eq!(s.name, "127.0.0.1:9000");
        assert_eq!(s.credentials.token.as_deref(), Some("s3cret"));
    }

    #[test]
    fn each_kind_gets_its_usual_scheme_and_path() {
        let t = FeedSpec::parse("traccar:wss://t.example.com/api/socket").expect("traccar");
        assert_eq!(t.url, "https://t.example.com/");
        let o = FeedSpec::parse("owntracks:https://rec.example.com").expect("owntracks");
        assert_eq!(o.url, "wss://rec.example.com/ws/last");
        let o = FeedSpec::parse("owntracks:https://x.com/owntracks/").expect("behind a prefix");
        assert_eq!(o.url, "wss://x.com/owntracks/ws/last");
        let o = FeedSpec::parse("owntracks:ws://x.com:8083/ws/last").expect("in full");
        assert_eq!(o.url, "ws://x.com:8083/ws/last");
        assert!(matches!(
            FeedSpec::parse("fleetview:http://x"),
            Err(SpecError::WrongScheme { .. })
        ));
        assert!(matches!(
            FeedSpec::parse("traccar:not a url"),
            Err(SpecError::BadUrl(..))
        ));
    }

    #[test]
    fn the_new_kinds_get_their_schemes_and_a_gtfs_key_leaves_the_url() {
        let g = FeedSpec::parse("bus=gtfs-rt:https://agency.example/vp.pb?api_key=abc&route=1")
            .expect("gtfs-rt");
        assert_eq!(g.url, "https://agency.example/vp.pb?route=1");
        assert_eq!(g.credentials.token.as_deref(), Some("abc"));
        assert_eq!(g.options.key_param.as_deref(), Some("api_key"));
        let a = FeedSpec::parse("aisstream:wss://stream.aisstream.io").expect("aisstream");
        assert_eq!(a.url, "wss://stream.aisstream.io/v0/stream");
        let t = FeedSpec::parse("ais:tcp://127.0.0.1:5631").expect("ais over tcp");
        assert_eq!(t.url, "tcp://127.0.0.1:5631");
        let f = FeedSpec::parse("ais:tests/fixtures/ais/AisHubSample.nmea").expect("a path");
        assert!(f.url.starts_with("file:///"), "{}", f.url);
        assert!(matches!(
            FeedSpec::parse("ais:tcp://host-without-port"),
            Err(SpecError::WrongScheme { .. })
        ));
        assert!(matches!(
            FeedSpec::parse("gtfs-rt:ws://x"),
            Err(SpecError::WrongScheme { .. })
        ));
    }

    #[test]
    fn colours_read_and_write_as_hex() {
        assert_eq!(parse_colour("#1f77b4"), Ok([0x1f, 0x77, 0xb4]));
        assert_eq!(colour_hex([0x1f, 0x77, 0xb4]), "#1f77b4");
        assert!(parse_colour("blue").is_err());
    }
}
