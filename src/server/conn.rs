//! Accepting a connection: the WebSocket upgrade decides, from the path and the token, whether
//! this is a viewer, a publisher, or someone to turn away with an HTTP status.

use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::OwnedSemaphorePermit;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::ServerConfig;
use super::auth::{token_matches, token_of};

/// A byte stream a connection can run over: plain TCP, or TLS over it.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for S {}

pub type Socket<S> = WebSocketStream<S>;

/// Who connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A viewer; `authorized` when it showed a valid viewer token on the upgrade (or none is
    /// needed), otherwise it must show one in its `subscribe`.
    Viewer {
        authorized: bool,
    },
    Publisher,
}

/// Performs the upgrade, or refuses it: 503 without a connection slot, 404 for an unknown
/// path, 401 for a missing or wrong token.
// tungstenite's upgrade callback must return its (large) ErrorResponse.
#[allow(clippy::result_large_err)]
pub async fn upgrade<S: Stream>(
    stream: S,
    config: &ServerConfig,
    permit: Option<&OwnedSemaphorePermit>,
) -> Result<(Socket<S>, Role), String> {
    let mut role = None;
    let mut refusal = None;
    let has_slot = permit.is_some();
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let deny = |status: StatusCode, why: &str| {
            let mut e = ErrorResponse::new(Some(why.to_owned()));
            *e.status_mut() = status;
            e
        };
        if !has_slot {
            return Err(deny(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many connections",
            ));
        }
        if !config.allowed_origins.is_empty()
            && let Some(origin) = request.headers().get("origin")
        {
            let origin = origin.to_str().unwrap_or("");
            if !config.allowed_origins.iter().any(|o| o == origin) {
                refusal = Some(format!("origin {origin:?} is not allowed"));
                return Err(deny(StatusCode::FORBIDDEN, "origin not allowed"));
            }
        }
        let token = token_of(request);
        let valid = |expected: &Option<String>| match (expected, &token) {
            (None, _) => Some(true),
            (Some(e), Some(t)) => Some(token_matches(e, t)),
            (Some(_), None) => None,
        };
        match request.uri().path() {
            "/ingest" => match valid(&config.publisher_token) {
                Some(true) => role = Some(Role::Publisher),
                Some(false) => return Err(deny(StatusCode::UNAUTHORIZED, "wrong publisher token")),
                None => return Err(deny(StatusCode::UNAUTHORIZED, "publisher token required")),
            },
            "/" | "/feed" => match valid(&config.viewer_token) {
                Some(true) => role = Some(Role::Viewer { authorized: true }),
                Some(false) => return Err(deny(StatusCode::UNAUTHORIZED, "wrong viewer token")),
                None => role = Some(Role::Viewer { authorized: false }),
            },
            other => {
                refusal = Some(format!("no such path {other:?}"));
                return Err(deny(
                    StatusCode::NOT_FOUND,
                    "paths: /feed for viewers, /ingest for publishers",
                ));
            }
        }
        Ok(response)
    };
    // Viewers send next to nothing and publishers small reports: a small read buffer per
    // connection; writes go out as they come rather than collecting in a second buffer.
    let ws_config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_message_size(Some(config.max_message_bytes))
        .max_frame_size(Some(config.max_message_bytes));
    let handshake =
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(ws_config));
    // The caller bounds the whole upgrade by its deadline.
    let ws = handshake
        .await
        .map_err(|e| refusal.take().unwrap_or_else(|| e.to_string()))?;
    role.map(|r| (ws, r)).ok_or_else(|| "refused".into())
}

/// Says goodbye with a reason; a peer that does not take it is simply dropped.
pub async fn close<S: Stream>(sink: &mut SplitSink<Socket<S>, Message>, reason: &str) {
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
