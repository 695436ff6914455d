//! What happens before a feed's WebSocket opens, by kind: the headers of the upgrade request,
//! and for Traccar the login over HTTP (a token, or email and password for a `JSESSIONID`
//! cookie) and the device list, which the format takes as an HTTP answer.

use tokio_tungstenite::tungstenite::http::header::{
    AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderName, HeaderValue, SET_COOKIE, WWW_AUTHENTICATE,
};

use super::FeedConfig;
use super::connection::Ended;
use fleetview_core::formats::{FeedKind, traccar};

/// How to open the socket, and what was fetched on the way.
pub(super) struct Prepared {
    pub url: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// (path, body) of HTTP answers for the format (Traccar's device list).
    pub answers: Vec<(&'static str, String)>,
    /// The login session to reuse on the next connection (Traccar's `JSESSIONID` cookie).
    pub session: Option<String>,
}

fn fatal(reason: impl Into<String>) -> Ended {
    Ended::Failed {
        reason: reason.into(),
        fatal: true,
    }
}

fn lost(reason: impl Into<String>) -> Ended {
    Ended::Failed {
        reason: reason.into(),
        fatal: false,
    }
}

fn header(value: String) -> Result<HeaderValue, Ended> {
    HeaderValue::from_str(&value)
        .map_err(|_| fatal("the credentials have characters a header cannot carry"))
}

/// The HTTP client of a feed that needs one, made once per feed settings.
pub(super) fn http_client(config: &FeedConfig) -> Result<reqwest::Client, Ended> {
    let tls = super::tls::client_config(config.spec.ca_file.as_deref()).map_err(fatal)?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .connect_timeout(config.connect_timeout)
        .timeout(config.connect_timeout)
        .user_agent(concat!("fleetview/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| fatal(format!("cannot set up HTTP: {e}")))
}

/// `session`: the login session of the last connection, tried again before logging in anew
/// (an account with one-time codes cannot log in again unattended).
pub(super) async fn prepare(
    config: &FeedConfig,
    http: Option<&reqwest::Client>,
    session: Option<String>,
) -> Result<Prepared, Ended> {
    let spec = &config.spec;
    let creds = &spec.credentials;
    match spec.kind {
        FeedKind::Fleetview => {
            let mut headers = Vec::new();
            if let Some(token) = &creds.token {
                headers.push((AUTHORIZATION, header(format!("Bearer {token}"))?));
            }
            Ok(Prepared {
                url: spec.url.clone(),
                headers,
                answers: Vec::new(),
                session: None,
            })
        }
        FeedKind::OwnTracks => {
            let mut headers = Vec::new();
            if let Some(user) = &creds.user {
                use base64::Engine;
                let pair = format!("{user}:{}", creds.password.as_deref().unwrap_or(""));
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                headers.push((AUTHORIZATION, header(format!("Basic {encoded}"))?));
            }
            Ok(Prepared {
                url: spec.url.clone(),
                headers,
                answers: Vec::new(),
                session: None,
            })
        }
        FeedKind::Traccar => match http {
            Some(http) => traccar_login(config, http, session).await,
            None => Err(fatal("no HTTP client for the Traccar login")),
        },
        // The key travels in the subscription message, not the upgrade.
        FeedKind::AisStream => Ok(Prepared {
            url: spec.url.clone(),
            headers: Vec::new(),
            answers: Vec::new(),
            session: None,
        }),
        FeedKind::GtfsRt | FeedKind::Ais => Err(fatal(format!(
            "a {} feed does not open a WebSocket",
            spec.kind
        ))),
    }
}

async fn traccar_login(
    config: &FeedConfig,
    http: &reqwest::Client,
    session: Option<String>,
) -> Result<Prepared, Ended> {
    let spec = &config.spec;
    let creds = &spec.credentials;
    let base = spec.url.trim_end_matches('/');
    let socket = format!(
        "{}/api/socket",
        base.replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1)
    );
    let prepared = |auth: (HeaderName, HeaderValue), url: String, body, session| Prepared {
        url,
        headers: vec![auth],
        answers: vec![(traccar::DEVICES_PATH, body)],
        session,
    };
    if let Some(token) = &creds.token {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .finish();
        let auth = (AUTHORIZATION, header(format!("Bearer {token}"))?);
        let body = devices(base, &auth, http)
            .await?
            .ok_or_else(|| fatal("Traccar refused the token (HTTP 401 on the device list)"))?;
        return Ok(prepared(auth, format!("{socket}?{query}"), body, None));
    }
    let (Some(email), Some(password)) = (&creds.user, &creds.password) else {
        return Err(fatal(
            "a Traccar feed needs a token, or an email and a password",
        ));
    };
    // The last connection's session first: it usually outlives a dropped socket.
    if let Some(cookie) = session {
        let auth = (COOKIE, header(cookie.clone())?);
        if let Some(body) = devices(base, &auth, http).await? {
            return Ok(prepared(auth, socket, body, Some(cookie)));
        }
    }
    let cookie = traccar_session(base, email, password, creds.code.as_deref(), http).await?;
    let auth = (COOKIE, header(cookie.clone())?);
    let body = devices(base, &auth, http).await?.ok_or_else(|| {
        fatal("Traccar refused the device list right after the login (check the account)")
    })?;
    Ok(prepared(auth, socket, body, Some(cookie)))
}

/// `GET /api/devices` with `auth`: the body, or `None` when the session or token is refused.
async fn devices(
    base: &str,
    auth: &(HeaderName, HeaderValue),
    http: &reqwest::Client,
) -> Result<Option<String>, Ended> {
    let response = http
        .get(format!("{base}{}", traccar::DEVICES_PATH))
        .header(auth.0.clone(), auth.1.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| lost(format!("cannot fetch the device list: {}", describe(&e))))?;
    let status = response.status();
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(lost(format!("Traccar's device list failed: HTTP {status}")));
    }
    response
        .text()
        .await
        .map(Some)
        .map_err(|e| lost(format!("the device list was cut off: {}", describe(&e))))
}

/// `POST /api/session`: the `JSESSIONID` cookie of a new session, or why there is none. No
/// Origin header is sent: Traccar 6.12 and later tie a cookie session to the login's Origin.
pub(crate) async fn traccar_session(
    base: &str,
    email: &str,
    password: &str,
    code: Option<&str>,
    http: &reqwest::Client,
) -> Result<String, Ended> {
    let form = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("email", email)
            .append_pair("password", password);
        if let Some(code) = code {
            form.append_pair("code", code);
        }
        form.finish()
    };
    let response = http
        .post(format!("{base}/api/session"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .map_err(|e| lost(format!("cannot log in to Traccar: {}", describe(&e))))?;
    let status = response.status();
    if status.as_u16() == 401 {
        let totp = response
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_uppercase().contains("TOTP"));
        return Err(fatal(if totp {
            "Traccar wants a one-time code for this account: set the feed's code"
        } else {
            "Traccar refused the login: wrong email or password (HTTP 401)"
        }));
    }
    if !status.is_success() {
        return Err(lost(format!("Traccar's login failed: HTTP {status}")));
    }
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.trim_start().starts_with("JSESSIONID="))
        .map(|kv| kv.trim().to_owned())
        .ok_or_else(|| lost("Traccar accepted the login but set no JSESSIONID cookie"))
}

/// reqwest's error in the words that say what went wrong: its deepest cause, named as a
/// connection failure or a timeout where it is one.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(source) = root.source() {
        root = source;
    }
    if e.is_timeout() {
        "no answer in time".into()
    } else if e.is_connect() {
        format!("cannot connect: {root}")
    } else if std::ptr::addr_eq(root, e as &dyn std::error::Error) {
        e.to_string()
    } else {
        format!("{e}: {root}")
    }
}
