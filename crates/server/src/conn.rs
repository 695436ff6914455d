//! Accepting a connection on the WebSocket port: hyper reads the HTTP request (never code of
//! ours). A WebSocket upgrade is judged from its path and token (a viewer, a publisher, or an
//! HTTP status to turn it away) and then handed to the WebSocket session; any other request is
//! served as plain HTTP: the device routes (`/osmand`, `/owntracks`, `/pub`), `/healthz` and
//! `/metrics`, as on the device port.

use std::sync::{Arc, Mutex};

use futures_util::SinkExt;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, HeaderValue, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::ServerConfig;
use super::auth::token_of;
use super::http::{Cx, Port, route};
use super::scopes::{Denied, publisher_access, viewer_access};

/// A byte stream a connection can run over: plain TCP, or TLS over it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for S {}

pub type Socket<S> = WebSocketStream<S>;

/// The stream a WebSocket session runs over once hyper has handed the connection on.
pub type UpgradedIo = TokioIo<Upgraded>;

/// Who connected, with the token it showed on the upgrade (checked). A viewer without one
/// may show it in its `subscribe`. The token is looked up again whenever it is used, so a
/// reloaded tokens file takes effect on connections already open.
#[derive(Clone, PartialEq, Eq)]
pub enum Role {
    Viewer { token: Option<String> },
    Publisher { token: Option<String> },
}

/// Never the token itself (this is logged).
impl std::fmt::Debug for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (role, token) = match self {
            Self::Viewer { token } => ("viewer", token),
            Self::Publisher { token } => ("publisher", token),
        };
        write!(
            f,
            "{role} ({})",
            if token.is_some() {
                "token shown"
            } else {
                "no token yet"
            }
        )
    }
}

/// The upgrade a request asked for and was granted.
type Granted = Arc<Mutex<Option<(OnUpgrade, Role)>>>;

/// Serves the connection's HTTP until it upgrades to a WebSocket (returned, with who it is) or
/// ends (`Ok(None)`: plain HTTP requests were answered). Refusals are answered with their status:
/// 503 without a connection slot, 403 for a browser origin not allowed, 404 for an unknown path,
/// 401 for a missing or wrong token, 426 for a plain request on a WebSocket path.
pub async fn upgrade<S: Stream>(
    stream: S,
    config: &ServerConfig,
    permit: Option<&OwnedSemaphorePermit>,
    cx: &Cx,
) -> Result<Option<(Socket<UpgradedIo>, Role)>, String> {
    let granted: Granted = Arc::default();
    let has_slot = permit.is_some();
    let service = {
        let (granted, cx, config) = (granted.clone(), cx.clone(), cx.config.clone());
        hyper::service::service_fn(move |mut request: Request<Incoming>| {
            let (granted, cx, config) = (granted.clone(), cx.clone(), config.clone());
            async move {
                if !is_upgrade(&request) {
                    return Ok::<_, std::convert::Infallible>(
                        route(request, &cx, Port::WebSocket).await,
                    );
                }
                let answer = match judge(&request, &config, has_slot) {
                    Ok(role) => {
                        let key = request
                            .headers()
                            .get(SEC_WEBSOCKET_KEY)
                            .map(|k| derive_accept_key(k.as_bytes()));
                        match key {
                            Some(accept) => {
                                let on = hyper::upgrade::on(&mut request);
                                *granted.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some((on, role));
                                switching(&accept)
                            }
                            None => status(StatusCode::BAD_REQUEST, "no Sec-WebSocket-Key"),
                        }
                    }
                    Err((code, why)) => status(code, why),
                };
                Ok(answer)
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(Some(config.upgrade_timeout))
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::time::timeout(config.idle_timeout, connection)
        .await
        .map_err(|_| "held too long".to_owned())?
        .map_err(|e| e.to_string())?;
    let Some((on, role)) = granted.lock().unwrap_or_else(|p| p.into_inner()).take() else {
        return Ok(None);
    };
    let upgraded = on.await.map_err(|e| e.to_string())?;
    let ws = WebSocketStream::from_raw_socket(
        TokioIo::new(upgraded),
        tokio_tungstenite::tungstenite::protocol::Role::Server,
        Some(ws_config(config)),
    )
    .await;
    Ok(Some((ws, role)))
}

/// Viewers send next to nothing and publishers small reports: a small read buffer per
/// connection; writes go out as they come rather than collecting in a second buffer.
fn ws_config(config: &ServerConfig) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes))
}

/// Whether a request asks to become a WebSocket.
fn is_upgrade(request: &Request<Incoming>) -> bool {
    let has = |name, token: &str| {
        request
            .headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    has(UPGRADE, "websocket") && has(CONNECTION, "upgrade")
}

/// Who may upgrade, by path and token; or the status and reason to turn them away with.
fn judge(
    request: &Request<Incoming>,
    config: &ServerConfig,
    has_slot: bool,
) -> Result<Role, (StatusCode, &'static str)> {
    if !has_slot {
        return Err((StatusCode::SERVICE_UNAVAILABLE, "too many connections"));
    }
    if !config.allowed_origins.is_empty()
        && let Some(origin) = request.headers().get("origin")
    {
        let origin = origin.to_str().unwrap_or("");
        if !config.allowed_origins.iter().any(|o| o == origin) {
            return Err((StatusCode::FORBIDDEN, "origin not allowed"));
        }
    }
    let token = token_of(request.headers(), request.uri());
    let file = config.tokens.as_deref();
    match request.uri().path() {
        "/ingest" => {
            match publisher_access(config.publisher_token.as_deref(), file, token.as_deref()) {
                Ok(_) => Ok(Role::Publisher { token }),
                Err(Denied::Wrong) => Err((StatusCode::UNAUTHORIZED, "wrong publisher token")),
                Err(Denied::Missing) => Err((StatusCode::UNAUTHORIZED, "publisher token required")),
            }
        }
        "/" | "/feed" => match token {
            None => Ok(Role::Viewer { token: None }),
            Some(t) => match viewer_access(config.viewer_token.as_deref(), file, Some(&t)) {
                Ok(_) => Ok(Role::Viewer { token: Some(t) }),
                Err(_) => Err((StatusCode::UNAUTHORIZED, "wrong viewer token")),
            },
        },
        _ => Err((
            StatusCode::NOT_FOUND,
            "paths: /feed for viewers, /ingest for publishers",
        )),
    }
}

fn switching(accept: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = r.headers_mut();
    headers.insert(CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(accept) {
        headers.insert(SEC_WEBSOCKET_ACCEPT, v);
    }
    r
}

fn status(code: StatusCode, why: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(why.to_owned())));
    *r.status_mut() = code;
    r
}

/// Says goodbye with a reason; a peer that does not take it is simply dropped.
pub async fn close<K: futures_util::Sink<Message> + Unpin>(sink: &mut K, reason: &str) {
    let frame = CloseFrame {
        code: CloseCode::Away,
        reason: reason.to_owned().into(),
    };
    let _ = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}
