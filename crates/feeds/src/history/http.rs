//! The HTTP side of history requests: the server's base address (a fleetview feed's `ws://`
//! becomes `http://`), its credentials, and a `GET` whose failures say what failed in words.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, COOKIE, HeaderMap};

use super::{FeedAccess, HistoryError};
use crate::handshake::describe;
use crate::login::Login;
use crate::spec::Credentials;

/// The longest one request may take: a month of fixes is a large answer.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A server's address and credentials, with a client to ask it.
pub(super) struct Http {
    pub client: reqwest::Client,
    /// `http(s)://host:port`, no trailing slash.
    pub base: String,
    pub credentials: Credentials,
    pub login: Login,
}

/// An answer's body and headers.
pub(super) struct Body {
    pub text: String,
    pub headers: HeaderMap,
}

impl Http {
    pub fn new(feed: &FeedAccess) -> Result<Self, HistoryError> {
        let spec = &feed.config.spec;
        let tls = crate::tls::client_config(spec.ca_file.as_deref())
            .map_err(|e| HistoryError::Failed(format!("cannot set up TLS: {e}")))?;
        let client = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(feed.config.connect_timeout)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("fleetview/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HistoryError::Failed(format!("cannot set up HTTP: {e}")))?;
        Ok(Self {
            client,
            base: base_of(&spec.url)?,
            credentials: spec.credentials.clone(),
            login: feed.login.clone(),
        })
    }

    /// `GET base + path ? query` with the feed's credentials; 2xx answers only.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Body, HistoryError> {
        let mut url = url::Url::parse(&format!("{}{path}", self.base))
            .map_err(|e| HistoryError::Failed(format!("{}{path}: {e}", self.base)))?;
        url.query_pairs_mut()
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        let mut request = self.client.get(url).header(ACCEPT, "application/json");
        if let Some(token) = &self.credentials.token {
            request = request.header(AUTHORIZATION, format!("Bearer {token}"));
        } else if let Some(cookie) = self.login.get() {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.map_err(|e| {
            HistoryError::Failed(format!("cannot reach {}: {}", self.base, describe(&e)))
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.map_err(|e| {
            HistoryError::Failed(format!("{path}: the answer was cut off: {}", describe(&e)))
        })?;
        if status.is_success() {
            return Ok(Body { text, headers });
        }
        Err(failure(path, status, text.trim()))
    }
}

/// A non-2xx answer in words; the server's own message where it gave one.
fn failure(path: &str, status: StatusCode, said: &str) -> HistoryError {
    let said: String = said
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    match status.as_u16() {
        401 | 403 => HistoryError::Refused(format!(
            "the server refused the feed's credentials for {path} (HTTP {status})"
        )),
        404 => HistoryError::NotFound(if said.is_empty() {
            format!("{path}: the server has no such history (HTTP 404)")
        } else {
            said
        }),
        501 => HistoryError::Unsupported(if said.is_empty() {
            "this server keeps no history".into()
        } else {
            said
        }),
        _ => HistoryError::Failed(format!("{path} failed: HTTP {status} {said}")),
    }
}

/// `http(s)://host:port` of a feed's address (`ws` -> `http`, `wss` -> `https`; path dropped).
pub(super) fn base_of(url: &str) -> Result<String, HistoryError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| HistoryError::Failed(format!("the feed's address {url:?}: {e}")))?;
    let scheme = match parsed.scheme() {
        "ws" | "http" => "http",
        "wss" | "https" => "https",
        other => {
            return Err(HistoryError::Unsupported(format!(
                "a {other}:// feed has no HTTP server to ask for history"
            )));
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| HistoryError::Failed(format!("the feed's address {url:?} has no host")))?;
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    Ok(match parsed.port() {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feeds_websocket_address_becomes_its_servers_http_base() {
        assert_eq!(
            base_of("ws://127.0.0.1:9000/ws?token=x").unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            base_of("wss://fleet.example.com/feed").unwrap(),
            "https://fleet.example.com"
        );
        assert_eq!(
            base_of("https://traccar.example.com:8082/").unwrap(),
            "https://traccar.example.com:8082"
        );
        assert_eq!(base_of("ws://[::1]:9000/").unwrap(), "http://[::1]:9000");
        assert!(matches!(
            base_of("tcp://127.0.0.1:10110"),
            Err(HistoryError::Unsupported(_))
        ));
    }

    #[test]
    fn an_error_answer_says_what_the_server_said() {
        let e = failure("/api/track", StatusCode::NOT_FOUND, "no vehicle \"van-9\"");
        assert_eq!(e, HistoryError::NotFound("no vehicle \"van-9\"".into()));
        let e = failure("/api/track", StatusCode::NOT_IMPLEMENTED, "");
        assert!(matches!(e, HistoryError::Unsupported(_)));
        let e = failure("/api/trips", StatusCode::UNAUTHORIZED, "");
        assert!(e.to_string().contains("refused"), "{e}");
    }
}
