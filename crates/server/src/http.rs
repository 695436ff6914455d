//! The device port: plain HTTP for tracker apps (hyper parses it, never code of ours), beside
//! the WebSocket port. Traccar Client, OsmAnd and other trackers send the OsmAnd protocol here
//! (`GET` or `POST` on any path; Traccar's port is 5055, so phones set up for Traccar work
//! unchanged), and operators ask `GET /healthz`.
//!
//! A report goes through the same checks as a WebSocket publisher's (the protocol decoder's
//! limits, then the server's screening of timestamps and speeds) and on to the hub. Answers are
//! Traccar's: 200 with an empty body when accepted, 400 with the reason otherwise. OwnTracks'
//! HTTP mode posts to `/owntracks` (or `/pub`, the Recorder's path), and `GET /metrics` gives
//! the Prometheus text, and `GET /gtfs-rt/vehicle_positions.pb` the fleet as GTFS-Realtime.
//! Each
//! connection must send its request headers within the upgrade deadline and bodies are capped;
//! the per-address cap is the port's own (`--device-connections-per-address`, off by default:
//! phones on mobile networks arrive through a few carrier NAT addresses).

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use super::api;
use super::auth::token_of;
use super::gtfs_rt::{self, Export};
use super::hub::HubStats;
use super::limits::{self, PortSlots};
use super::metrics::{Endpoint, Metrics, Turned};
use super::registry::Admission;
use super::scopes::viewer_access;
use super::{HubMsg, ServerConfig, ingest};
use fleetview_core::clock::now_ms;
use fleetview_core::formats::{osmand, owntracks_http};
use fleetview_core::protocol::{Candidate, FixBatch, Meta, RejectReason, RejectTally};

/// The largest request body read, bytes (a report is a few hundred).
const MAX_BODY: usize = 64 * 1024;

/// What answering a request needs.
#[derive(Clone)]
pub(super) struct Cx {
    pub(super) config: Arc<ServerConfig>,
    pub(super) metrics: Arc<Metrics>,
    pub(super) hub: mpsc::Sender<HubMsg>,
    pub(super) export: Arc<Export>,
    /// The history store, when the server keeps one.
    pub(super) history: Option<api::Source>,
}

/// Which port a request came in on: the device port takes the OsmAnd protocol on any path (as
/// Traccar's port 5055 does); the WebSocket port on `/osmand` only, beside `/feed` and `/ingest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Port {
    Device,
    WebSocket,
}

/// Serves the device port on `listener` until `shutdown`.
pub(super) async fn serve(listener: TcpListener, cx: Cx, mut shutdown: watch::Receiver<bool>) {
    let slots = PortSlots::new(
        cx.config.max_connections,
        cx.config.device_connections_per_address,
    );
    while let Some((stream, peer, slot)) =
        limits::next_admitted(&listener, &mut shutdown, &slots, &cx.metrics).await
    {
        let cx = cx.clone();
        let (deadline, idle) = (cx.config.upgrade_timeout, cx.config.idle_timeout);
        tokio::spawn(async move {
            let metrics = cx.metrics.clone();
            let service = hyper::service::service_fn(move |request| {
                let cx = cx.clone();
                async move { Ok::<_, Infallible>(route(request, &cx, Port::Device).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Some(deadline))
                .serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            if tokio::time::timeout(idle, connection.as_mut())
                .await
                .is_err()
            {
                metrics.turned_away(Turned::Slow);
                tracing::debug!(%peer, "device port: connection held too long");
                // A report being answered is answered before the connection closes (dropping
                // it here could cut an answer to a report the hub had taken); a peer that
                // still holds on after the upgrade deadline is dropped.
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(deadline, connection).await;
            }
            drop(slot);
        });
    }
}

/// One request's answer.
pub(super) async fn route(
    request: Request<Incoming>,
    cx: &Cx,
    port: Port,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if port == Port::WebSocket {
        match path {
            "/healthz" | "/metrics" | "/owntracks" | "/pub" | "/osmand" | gtfs_rt::PATH => {}
            p if api::PATHS.contains(&p) => {}
            "/" | "/feed" | "/ingest" => {
                return reply(
                    StatusCode::UPGRADE_REQUIRED,
                    "a WebSocket path: upgrade to use it\n",
                );
            }
            _ => {
                return reply(
                    StatusCode::NOT_FOUND,
                    "paths: /feed and /ingest (WebSocket); /osmand, /owntracks, /gtfs-rt/vehicle_positions.pb, /healthz, /metrics; /api/track, /api/fleet, /api/trips, /api/stops, /api/summary\n",
                );
            }
        }
    }
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/healthz") => {
            return if cx.hub.is_closed() {
                reply(StatusCode::SERVICE_UNAVAILABLE, "the hub has stopped\n")
            } else {
                reply(StatusCode::OK, "ok\n")
            };
        }
        (&Method::GET, "/metrics") => return metrics(cx).await,
        (&Method::GET, p) if api::PATHS.contains(&p) => {
            return api::answer(p, request.headers(), request.uri(), cx).await;
        }
        (&Method::GET, gtfs_rt::PATH) => {
            let token = token_of(request.headers(), request.uri());
            let config = &cx.config;
            let tokens = config.tokens.as_deref();
            let Ok(access) =
                viewer_access(config.viewer_token.as_deref(), tokens, token.as_deref())
            else {
                return reply(StatusCode::UNAUTHORIZED, "a viewer token is required\n");
            };
            let headers = request.headers();
            return cx.export.answer(headers, &access, &cx.hub, now_ms()).await;
        }
        (_, "/owntracks" | "/pub") => return owntracks(request, cx).await,
        (&Method::GET | &Method::POST, _) => {}
        _ => return reply(StatusCode::METHOD_NOT_ALLOWED, "GET or POST\n"),
    }
    osmand_report(request, cx).await
}

/// The OsmAnd protocol: the form (query or body) or the JSON form; the registry; the hub.
async fn osmand_report(request: Request<Incoming>, cx: &Cx) -> Response<Full<Bytes>> {
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
    let mut report = match decoded {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(error = %e, "OsmAnd report refused");
            cx.metrics.refused_request(Endpoint::OsmAnd, e.reason());
            return reply(StatusCode::BAD_REQUEST, &format!("{e}\n"));
        }
    };
    // A device secret is checked here and never passed on.
    let secret = match report.attrs.remove("secret") {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
        None => None,
    };
    if let Some(registry) = &cx.config.registry {
        match registry.admit(&report.id, secret.as_deref()) {
            Admission::Known => {}
            Admission::Unknown => {
                cx.metrics
                    .refused_request(Endpoint::OsmAnd, "unknown_device");
                let mut tally = RejectTally::default();
                tally.record(RejectReason::UnknownDevice, &report.id);
                let _ = cx.hub.send(HubMsg::Refused(Box::new(tally))).await;
                return reply(StatusCode::NOT_FOUND, "unknown device\n");
            }
            Admission::WrongSecret => {
                cx.metrics.refused_request(Endpoint::OsmAnd, "unauthorized");
                return reply(StatusCode::UNAUTHORIZED, "wrong or missing device secret\n");
            }
        }
    }
    // Cells or Wi-Fi alone: accepted, as Traccar accepts them, with nothing to place.
    let Some(fix) = report.fix else {
        return reply(StatusCode::OK, "");
    };
    let attrs = report.attrs_json();
    let meta = Meta {
        attrs: attrs.as_deref(),
        ..Meta::default()
    };
    match publish(
        Candidate::of(&report.id, &fix, meta),
        cx,
        Endpoint::OsmAnd,
        now,
    )
    .await
    {
        Ok(()) => reply(StatusCode::OK, ""),
        Err(why) => reply(StatusCode::BAD_REQUEST, &format!("{why}\n")),
    }
}

/// The Prometheus text, with the hub's counters as of now.
async fn metrics(cx: &Cx) -> Response<Full<Bytes>> {
    let (tx, rx) = oneshot::channel();
    let stats = match cx.hub.send(HubMsg::Stats(tx)).await {
        Ok(()) => rx.await.unwrap_or_default(),
        Err(_) => HubStats::default(),
    };
    let mut r = reply(StatusCode::OK, &cx.metrics.scrape(stats));
    r.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// Through the decoder's field checks (`Candidate::check`, as every feed's positions) and the
/// server's screening, to the hub.
async fn publish(
    candidate: Candidate<'_>,
    cx: &Cx,
    endpoint: Endpoint,
    now: i64,
) -> Result<(), String> {
    let mut batch = FixBatch::with_capacity(1, 64);
    match candidate.check(&cx.config.limits) {
        Ok(fix) => batch.push(&fix),
        Err(rejection) => {
            let mut refused = RejectTally::default();
            refused.add(&rejection);
            return Err(refusal(refused, cx, endpoint).await);
        }
    }
    forward(batch, cx, endpoint, now).await
}

/// The server's screening (timestamps, speeds), then the hub.
pub(super) async fn forward(
    batch: FixBatch,
    cx: &Cx,
    endpoint: Endpoint,
    now: i64,
) -> Result<(), String> {
    let mut refused = RejectTally::default();
    let mut kept = ingest::screen(
        &batch,
        now,
        cx.config.max_future.as_millis() as i64,
        cx.config.max_speed,
        &mut refused,
    );
    if let Some(registry) = &cx.config.registry {
        kept = registry.listed(&kept, &mut refused);
    }
    if refused.total() > 0 {
        return Err(refusal(refused, cx, endpoint).await);
    }
    cx.metrics.accepted(endpoint, kept.len());
    cx.hub
        .send(HubMsg::Report(kept))
        .await
        .map_err(|_| "the server is stopping".to_owned())
}

/// Counts a refusal (metrics and hub); its words for the answer.
async fn refusal(refused: RejectTally, cx: &Cx, endpoint: Endpoint) -> String {
    cx.metrics.refused(endpoint, &refused);
    let why = match ingest::refusal_message(&refused) {
        fleetview_core::protocol::ServerMessage::Error { message, .. } => message,
        _ => "refused".to_owned(),
    };
    let _ = cx.hub.send(HubMsg::Refused(Box::new(refused))).await;
    why
}

/// OwnTracks' HTTP mode: who is posting (checked against the users file when there is one),
/// the location, and `[]` back, which is what the app expects.
async fn owntracks(request: Request<Incoming>, cx: &Cx) -> Response<Full<Bytes>> {
    if request.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "POST\n");
    }
    let (user, device) = match poster(&request, &cx.config) {
        Ok(who) => who,
        Err(()) => {
            cx.metrics
                .refused_request(Endpoint::OwnTracks, "unauthorized");
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
    };
    if let Some(registry) = &cx.config.registry
        && registry.admit(&format!("{user}/{device}"), None) == Admission::Unknown
    {
        cx.metrics
            .refused_request(Endpoint::OwnTracks, "unknown_device");
        return reply(StatusCode::NOT_FOUND, "unknown device\n");
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return reply(StatusCode::PAYLOAD_TOO_LARGE, &format!("{e}\n")),
    };
    let batch = match owntracks_http::decode(&body, &user, &device, &cx.config.limits) {
        Ok(owntracks_http::Posted::Location(batch)) => batch,
        Ok(owntracks_http::Posted::Ignored) => return json_reply("[]"),
        Err(why) => {
            cx.metrics.refused_request(Endpoint::OwnTracks, "invalid");
            return reply(StatusCode::BAD_REQUEST, &format!("{why}\n"));
        }
    };
    match forward(batch, cx, Endpoint::OwnTracks, now_ms()).await {
        Ok(()) => json_reply("[]"),
        Err(why) => reply(StatusCode::BAD_REQUEST, &format!("{why}\n")),
    }
}

/// Who posts: with a users file, the Basic-auth user whose password checks out (else an
/// error); without one, the `X-Limit-U` header, `?u=`, or the Basic user. The device comes from
/// `X-Limit-D` or `?d=`.
fn poster(request: &Request<Incoming>, config: &ServerConfig) -> Result<(String, String), ()> {
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
    let user = match (&config.users, basic) {
        (Some(users), Some((user, password))) if users.verify(&user, &password) => user,
        (Some(_), _) => return Err(()),
        (None, basic) => header("x-limit-u")
            .or_else(|| param("u"))
            .or(basic.map(|(u, _)| u))
            .unwrap_or_default(),
    };
    let device = header("x-limit-d")
        .or_else(|| param("d"))
        .unwrap_or_default();
    Ok((user, device))
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

pub(super) fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response
}
