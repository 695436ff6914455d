//! The history API: plain HTTP `GET`s on the WebSocket port and on the device port, answered
//! from the history store off the async threads.
//!
//! - `/api/track?id=ID&from=T&to=T[&format=json|geojson|gpx|kml|csv][&limit=N]`: one vehicle's
//!   fixes in time order, a page of at most `limit` (10,000 by default, 100,000 at most); a full
//!   page says where the next starts in the `X-Next-From` header (ms).
//! - `/api/fleet?at=T`: every vehicle's newest fix at or before `T` within `--drop-after`.
//! - `/api/fixes?from=T&to=T[&limit=N]`: every vehicle's fixes in time order, a page at a
//!   time as for a track (a page ends between two times); what a replay from the server reads.
//! - `/api/trips`, `/api/stops`, `/api/summary` `?id=ID&from=T&to=T`: the vehicle's trips,
//!   stops and totals over the range (`fleetview_core::reports`).
//!
//! Times are epoch ms or ISO 8601 (`2026-12-05T14:05:00Z`, an offset, or milliseconds). A range
//! is at most [`MAX_RANGE_MS`]. With a viewer token set (or a tokens file), every route wants
//! one (bearer header or `?token=`), and a scoped token's answers hold only what it may see: a
//! vehicle outside its scope is the same 404 as one never heard of, and fixes outside its bbox
//! are left out. Bad input is a 400 naming the parameter; a vehicle the store never heard of a
//! 404; a server without history a 501.

use std::collections::HashMap;
use std::io::Write;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

use super::auth::token_of;
use super::cluster::history::StreamHistory;
use super::history::{HistoryError, HistoryReader, Page};
use super::http::{Cx, reply};
use super::scopes::{Access, viewer_access};
use fleetview_core::clock::now_ms;
use fleetview_core::export::{TrackFormat, TrackWriter};
use fleetview_core::formats::traccar::parse_time;
use fleetview_core::protocol::{Fix, FixBatch};
use fleetview_core::reports::{Thresholds, analyse};

/// The longest range one request may ask for: 31 days.
pub const MAX_RANGE_MS: i64 = 31 * 24 * 3_600_000;
/// Fixes in a page of a track, unless `limit` says fewer (or more, up to [`MAX_PAGE`]).
pub const PAGE: usize = 10_000;
pub const MAX_PAGE: usize = 100_000;
/// Fixes a report (trips, stops, summary) reads at most: a month at one fix a second.
pub const MAX_REPORT_FIXES: usize = 2_700_000;

/// The paths answered here.
pub const PATHS: [&str; 6] = [
    "/api/track",
    "/api/fleet",
    "/api/fixes",
    "/api/trips",
    "/api/stops",
    "/api/summary",
];

/// Why a request gets no answer.
#[derive(Debug, thiserror::Error)]
enum ApiError {
    #[error("{0}")]
    Bad(String),
    #[error("no vehicle {0:?} in this server's history")]
    Unknown(String),
    #[error("the history could not be read: {0}")]
    Failed(#[from] HistoryError),
    #[error("the cluster's history could not be read: {0}")]
    Stream(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::Bad(_) => StatusCode::BAD_REQUEST,
            Self::Unknown(_) => StatusCode::NOT_FOUND,
            Self::Failed(_) | Self::Stream(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// Where the routes read from: this node's store, or the cluster's stream.
#[derive(Clone)]
pub(crate) enum Source {
    Local(HistoryReader),
    Stream(Box<StreamHistory>),
}

impl Source {
    async fn track(
        &self,
        id: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Option<Page>, ApiError> {
        match self {
            Self::Local(reader) => {
                let (reader, id) = (reader.clone(), id.to_owned());
                let work = move || reader.track(&id, from, to, limit);
                Ok(blocking(work).await??)
            }
            Self::Stream(stream) => stream
                .track(id, from, to, limit)
                .await
                .map_err(ApiError::Stream),
        }
    }

    async fn fleet_range(&self, from: i64, to: i64, limit: usize) -> Result<Page, ApiError> {
        match self {
            Self::Local(reader) => {
                let reader = reader.clone();
                Ok(blocking(move || reader.fleet_range(from, to, limit)).await??)
            }
            Self::Stream(stream) => stream
                .fleet_range(from, to, limit)
                .await
                .map_err(ApiError::Stream),
        }
    }

    async fn fleet_at(&self, at: i64, within: i64) -> Result<FixBatch, ApiError> {
        match self {
            Self::Local(reader) => {
                let reader = reader.clone();
                Ok(blocking(move || reader.fleet_at(at, within)).await??)
            }
            Self::Stream(stream) => stream.fleet_at(at, within).await.map_err(ApiError::Stream),
        }
    }
}

/// Runs file reads off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| ApiError::Stream("the query stopped".into()))
}

/// The answer to a `GET` of one of [`PATHS`].
pub(super) async fn answer(
    path: &str,
    headers: &hyper::HeaderMap,
    uri: &hyper::Uri,
    cx: &Cx,
) -> Response<Full<Bytes>> {
    let given = token_of(headers, uri);
    let Ok(access) = viewer_access(
        cx.config.viewer_token.as_deref(),
        cx.config.tokens.as_deref(),
        given.as_deref(),
    ) else {
        return reply(StatusCode::UNAUTHORIZED, "the viewer token is required\n");
    };
    let Some(history) = cx.history.clone() else {
        return reply(
            StatusCode::NOT_IMPLEMENTED,
            "this server keeps no history (it runs with --no-history)\n",
        );
    };
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let within = cx.config.drop_after.as_millis() as i64;
    match route(path, &params, &history, within, &access).await {
        Ok(response) => response,
        Err(e) => {
            if matches!(e, ApiError::Failed(_) | ApiError::Stream(_)) {
                tracing::error!(error = %e, "history API");
            }
            reply(e.status(), &format!("{e}\n"))
        }
    }
}

async fn route(
    path: &str,
    params: &HashMap<String, String>,
    history: &Source,
    within: i64,
    access: &Access,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = Params(params);
    match path {
        "/api/track" => track(&p, history, access).await,
        "/api/fixes" => fixes(&p, history, access).await,
        "/api/fleet" => {
            let at = p.time_or("at", now_ms())?;
            let fleet = access.visible(history.fleet_at(at, within).await?);
            let mut out = Vec::with_capacity(64 + fleet.len() * 120);
            write!(out, "{{\"at\":{at},\"vehicles\":").map_err(io)?;
            fleetview_core::export::write_json_fixes(&mut out, &fleet).map_err(io)?;
            out.extend_from_slice(b"}\n");
            Ok(body(out, "application/json"))
        }
        _ => report(path, &p, history, access).await,
    }
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::Bad(format!("cannot write the answer: {e}"))
}

fn body(bytes: Vec<u8>, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(bytes)));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The query string, read with clear errors.
struct Params<'a>(&'a HashMap<String, String>);

impl Params<'_> {
    fn id(&self) -> Result<&str, ApiError> {
        self.0
            .get("id")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::Bad("id: missing (the vehicle's id)".into()))
    }

    fn time_or(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.0.get(name) {
            None => Ok(default),
            Some(s) => time_of(s).ok_or_else(|| {
                ApiError::Bad(format!(
                    "{name}: {s:?} is not a time (epoch ms, or ISO 8601 like 2026-12-05T14:05:00Z)"
                ))
            }),
        }
    }

    /// `limit`: fixes in a page, [`PAGE`] unless said.
    fn limit(&self) -> Result<usize, ApiError> {
        match self.0.get("limit") {
            None => Ok(PAGE),
            Some(n) => n
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_PAGE).contains(n))
                .ok_or_else(|| {
                    ApiError::Bad(format!("limit: {n:?} is not a number from 1 to {MAX_PAGE}"))
                }),
        }
    }

    /// `from` and `to`, both required, in order, within [`MAX_RANGE_MS`].
    fn range(&self) -> Result<(i64, i64), ApiError> {
        let need = |name: &str| {
            if self.0.contains_key(name) {
                self.time_or(name, 0)
            } else {
                Err(ApiError::Bad(format!(
                    "{name}: missing (epoch ms or ISO 8601)"
                )))
            }
        };
        let (from, to) = (need("from")?, need("to")?);
        if from > to {
            return Err(ApiError::Bad(format!("from ({from}) is after to ({to})")));
        }
        if to - from > MAX_RANGE_MS {
            return Err(ApiError::Bad(format!(
                "from..to spans {} days; at most 31 may be asked at once",
                (to - from) / 86_400_000
            )));
        }
        Ok((from, to))
    }
}

/// A vehicle outside the token's scope is as unknown as one never heard of, and is found so
/// where an unknown one would be (after the other parameters are checked), so that no answer
/// tells the two apart.
fn in_scope(id: &str, access: &Access) -> Result<(), ApiError> {
    if access.sees_id(id) {
        Ok(())
    } else {
        Err(ApiError::Unknown(id.to_owned()))
    }
}

/// Epoch ms (digits), or ISO 8601.
fn time_of(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    parse_time(s)
}

async fn track(
    p: &Params<'_>,
    history: &Source,
    access: &Access,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let id = p.id()?;
    let (from, to) = p.range()?;
    let format: TrackFormat = match p.0.get("format") {
        None => TrackFormat::Json,
        Some(f) => f
            .parse()
            .map_err(|e| ApiError::Bad(format!("format: {e}")))?,
    };
    let limit = p.limit()?;
    in_scope(id, access)?;
    let page = history
        .track(id, from, to, limit)
        .await?
        .ok_or_else(|| ApiError::Unknown(id.to_owned()))?;
    let fixes = access.visible(page.fixes);
    let mut writer =
        TrackWriter::begin(Vec::with_capacity(fixes.len() * 96), format, id).map_err(io)?;
    for fix in fixes.iter() {
        writer.point(&fix).map_err(io)?;
    }
    let response = body(writer.end().map_err(io)?, format.content_type());
    Ok(with_next(response, page.next))
}

/// `X-Next-From: ms` on a full page's answer.
fn with_next(mut response: Response<Full<Bytes>>, next: Option<i64>) -> Response<Full<Bytes>> {
    if let Some(next) = next
        && let Ok(v) = HeaderValue::from_str(&next.to_string())
    {
        response.headers_mut().insert("x-next-from", v);
    }
    response
}

/// `{"from":T,"to":T,"fixes":[...]}`: a page of the whole fleet's fixes.
async fn fixes(
    p: &Params<'_>,
    history: &Source,
    access: &Access,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let (from, to) = p.range()?;
    let page = history.fleet_range(from, to, p.limit()?).await?;
    let fixes = access.visible(page.fixes);
    let mut out = Vec::with_capacity(64 + fixes.len() * 120);
    write!(out, "{{\"from\":{from},\"to\":{to},\"fixes\":").map_err(io)?;
    fleetview_core::export::write_json_fixes(&mut out, &fixes).map_err(io)?;
    out.extend_from_slice(b"}\n");
    Ok(with_next(body(out, "application/json"), page.next))
}

/// Every fix of `id` in `from..=to` the token may see, read a page at a time, at most
/// [`MAX_REPORT_FIXES`].
async fn all_fixes(
    history: &Source,
    id: &str,
    (from, to): (i64, i64),
    access: &Access,
) -> Result<Vec<Fix>, ApiError> {
    let mut fixes = Vec::new();
    let mut next = Some(from);
    while let Some(start) = next {
        let page = history
            .track(id, start, to, MAX_PAGE)
            .await?
            .ok_or_else(|| ApiError::Unknown(id.to_owned()))?;
        fixes.extend(access.visible(page.fixes).iter().map(|f| f.fix()));
        if fixes.len() > MAX_REPORT_FIXES {
            return Err(ApiError::Bad(format!(
                "from..to holds over {MAX_REPORT_FIXES} fixes of {id:?}: ask for a shorter range"
            )));
        }
        next = page.next;
    }
    Ok(fixes)
}

async fn report(
    path: &str,
    p: &Params<'_>,
    history: &Source,
    access: &Access,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let id = p.id()?;
    let range = p.range()?;
    in_scope(id, access)?;
    let fixes = all_fixes(history, id, range, access).await?;
    let report = analyse(&fixes, &Thresholds::default());
    let json = match path {
        "/api/trips" => serde_json::to_vec(&report.trips),
        "/api/stops" => serde_json::to_vec(&report.stops),
        _ => serde_json::to_vec(&report.summary),
    };
    let mut out = json.map_err(|e| ApiError::Bad(e.to_string()))?;
    out.push(b'\n');
    Ok(body(out, "application/json"))
}
