//! The device port: plain HTTP for tracker apps (hyper parses it, never code of ours), beside
//! the WebSocket port. Traccar Client, OsmAnd and other trackers send the OsmAnd protocol here
//! (`GET` or `POST` on any path; Traccar's port is 5055, so phones set up for Traccar work
//! unchanged), and operators ask `GET /healthz`.
//!
//! A report goes through the same checks as a WebSocket publisher's (the protocol decoder's
//! limits, then the server's screening of timestamps and speeds) and on to the hub. Answers are
//! Traccar's: 200 with an empty body when accepted, 400 with the reason otherwise. Each
//! connection must send its request headers within the upgrade deadline, bodies are capped, and
//! one client address holds at most its share of connections, as on the WebSocket port.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

use super::limits::AddressSlots;
use super::{HubMsg, ServerConfig, ingest, osmand, owntracks_http};
use crate::clock::now_ms;
use crate::protocol::{RejectTally, decode_report};

/// The largest request body read, bytes (a report is a few hundred).
const MAX_BODY: usize = 64 * 1024;

/// Serves the device port on `listener` until `shutdown`.
pub(super) async fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    hub: mpsc::Sender<HubMsg>,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(config.max_connections));
    let by_address = AddressSlots::new(config.max_connections_per_address);
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "device port: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (Some(address_slot), Ok(permit)) = (
            by_address.take(peer.ip()),
            slots.clone().try_acquire_owned(),
        ) else {
            drop(stream);
            continue;
        };
        let (config, hub) = (config.clone(), hub.clone());
        let (deadline, idle) = (config.upgrade_timeout, config.idle_timeout);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (config, hub) = (config.clone(), hub.clone());
                async move { Ok::<_, Infallible>(answer(request, &config, &hub, peer).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Some(deadline))
                .serve_connection(TokioIo::new(stream), service);
            if tokio::time::timeout(idle, connection).await.is_err() {
                tracing::debug!(%peer, "device port: connection held too long");
            }
            drop((permit, address_slot));
        });
    }
}

/// One request's answer.
async fn answer(
    request: Request<Incoming>,
    config: &ServerConfig,
    hub: &mpsc::Sender<HubMsg>,
    peer: SocketAddr,
) -> Response<Full<Bytes>> {
    if request.uri().path() == "/healthz" {
        return if hub.is_closed() {
            reply(StatusCode::SERVICE_UNAVAILABLE, "the hub has stopped\n")
        } else {
            reply(StatusCode::OK, "ok\n")
        };
    }
    if request.method() != Method::GET && request.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "GET or POST\n");
    }
    if matches!(request.uri().path(), "/owntracks" | "/pub") {
        return owntracks(request, config, hub).await;
    }
    let json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let query = request.uri().query().unwrap_or("").to_owned();
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return reply(StatusCode::PAYLOAD_TOO_LARGE, &format!("{e}\n")),
    };
    let now = now_ms();
    let decoded = if json {
        osmand::decode_json(&body, now)
    } else {
        osmand::decode_form(&query, &String::from_utf8_lossy(&body), now)
    };
    let report = match decoded {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%peer, error = %e, "device port: report refused");
            return reply(StatusCode::BAD_REQUEST, &format!("{e}\n"));
        }
    };
    // Cells or Wi-Fi alone: accepted, as Traccar accepts them, with nothing to place.
    let Some(position) = report.position() else {
        return reply(StatusCode::OK, "");
    };
    match publish(position, config, hub, now).await {
        Ok(()) => reply(StatusCode::OK, ""),
        Err(why) => reply(StatusCode::BAD_REQUEST, &format!("{why}\n")),
    }
}

/// Through the decoder's limits and the server's screening, to the hub.
async fn publish(
    position: crate::protocol::Position,
    config: &ServerConfig,
    hub: &mpsc::Sender<HubMsg>,
    now: i64,
) -> Result<(), String> {
    let text = serde_json::json!({"type": "report", "positions": [position]}).to_string();
    let mut refused = RejectTally::default();
    let batch = decode_report(&text, &config.limits, &mut refused).map_err(|e| e.to_string())?;
    if refused.total() > 0 {
        return Err(refusal(refused, hub).await);
    }
    forward(batch, config, hub, now).await
}

/// The server's screening (timestamps, speeds), then the hub.
async fn forward(
    batch: crate::protocol::FixBatch,
    config: &ServerConfig,
    hub: &mpsc::Sender<HubMsg>,
    now: i64,
) -> Result<(), String> {
    let mut refused = RejectTally::default();
    let kept = ingest::screen(
        &batch,
        now,
        config.max_future.as_millis() as i64,
        config.max_speed,
        &mut refused,
    );
    if refused.total() > 0 {
        return Err(refusal(refused, hub).await);
    }
    hub.send(HubMsg::Report(kept))
        .await
        .map_err(|_| "the server is stopping".to_owned())
}

/// Counts a refusal at the hub; its words for the answer.
async fn refusal(refused: RejectTally, hub: &mpsc::Sender<HubMsg>) -> String {
    let why = match ingest::refusal_message(&refused) {
        crate::protocol::ServerMessage::Error { message, .. } => message,
        _ => "refused".to_owned(),
    };
    let _ = hub.send(HubMsg::Refused(Box::new(refused))).await;
    why
}

/// OwnTracks' HTTP mode: who is posting (checked against the users file when there is one),
/// the location, and `[]` back, which is what the app expects.
async fn owntracks(
    request: Request<Incoming>,
    config: &ServerConfig,
    hub: &mpsc::Sender<HubMsg>,
) -> Response<Full<Bytes>> {
    if request.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "POST\n");
    }
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
    };
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
    let basic = header("authorization").and_then(|h| basic_credentials(&h));
    if let Some(users) = &config.users {
        match &basic {
            Some((user, password)) if users.verify(user, password) => {}
            _ => {
                let mut r = reply(
                    StatusCode::UNAUTHORIZED,
                    "wrong or missing user and password\n",
                );
                r.headers_mut().insert(
                    hyper::header::WWW_AUTHENTICATE,
                    hyper::header::HeaderValue::from_static("Basic realm=\"fleetview\""),
                );
                return r;
            }
        }
    }
    let basic_user = basic.map(|(u, _)| u);
    // With a users file, the user is who logged in; otherwise who the app says it is.
    let user = match (&config.users, basic_user) {
        (Some(_), Some(u)) => Some(u),
        (_, basic_user) => header("x-limit-u").or_else(|| param("u")).or(basic_user),
    }
    .unwrap_or_default();
    let device = header("x-limit-d")
        .or_else(|| param("d"))
        .unwrap_or_default();
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return reply(StatusCode::PAYLOAD_TOO_LARGE, &format!("{e}\n")),
    };
    let posted = owntracks_http::decode(&body, &user, &device, &config.limits);
    let batch = match posted {
        Ok(owntracks_http::Posted::Location(batch)) => batch,
        Ok(owntracks_http::Posted::Ignored) => return json_reply("[]"),
        Err(why) => return reply(StatusCode::BAD_REQUEST, &format!("{why}\n")),
    };
    match forward(batch, config, hub, now_ms()).await {
        Ok(()) => json_reply("[]"),
        Err(why) => reply(StatusCode::BAD_REQUEST, &format!("{why}\n")),
    }
}

/// The user and password of a Basic `Authorization` header.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    use base64::Engine;
    let encoded = header
        .strip_prefix("Basic ")
        .or_else(|| header.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn json_reply(body: &str) -> Response<Full<Bytes>> {
    let mut r = reply(StatusCode::OK, body);
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}
