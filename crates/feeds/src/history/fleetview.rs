//! A vehicle's day from fleetview-server's history API: the track a page at a time
//! (`/api/track`, following `X-Next-From`), and the server's trips, stops and summary, asked
//! for beside the track.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::http::Http;
use super::{HistoryDay, HistoryError, HistoryQuery, Reporter, off_runtime};
use fleetview_core::protocol::{DecodeLimits, FixBatch, RejectTally, ServerFrame, decode_server};
use fleetview_core::reports::{Report, Stop, Summary, Trip};

/// Fixes asked for in one page (the server's own default page).
pub(super) const PAGE: usize = 10_000;
/// The most fixes one request reads: a month at one fix a second.
pub(super) const MAX_FIXES: usize = 2_700_000;

pub(super) async fn day(
    http: &Http,
    q: &HistoryQuery,
    report: &Reporter<HistoryDay>,
) -> Result<HistoryDay, HistoryError> {
    let (fixes, report) = tokio::try_join!(track(http, q, report), reports(http, q))?;
    Ok(HistoryDay {
        fixes,
        report,
        server: "fleetview-server",
    })
}

fn range(q: &HistoryQuery, from: i64) -> Vec<(&'static str, String)> {
    vec![
        ("id", q.vehicle.clone()),
        ("from", from.to_string()),
        ("to", q.to_ms.to_string()),
    ]
}

async fn track(
    http: &Http,
    q: &HistoryQuery,
    report: &Reporter<HistoryDay>,
) -> Result<FixBatch, HistoryError> {
    let mut fixes = FixBatch::default();
    let mut from = q.from_ms;
    loop {
        let mut query = range(q, from);
        query.push(("limit", PAGE.to_string()));
        let body = http.get("/api/track", &query).await?;
        let next = next_from(&body.headers);
        let text = body.text;
        fixes.append(&off_runtime(move || page_fixes(&text, "/api/track")).await?);
        report.progress("track", fixes.len());
        if fixes.len() > MAX_FIXES {
            return Err(HistoryError::Failed(format!(
                "the range holds over {MAX_FIXES} fixes: ask for a shorter one"
            )));
        }
        match next {
            Some(n) if n > from => from = n,
            _ => return Ok(fixes),
        }
    }
}

/// A page of fixes, as `/api/track` and `/api/fixes` answer: `{..., "fixes": [...]}`.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    fixes: &'a RawValue,
}

/// The fixes of a page's text.
pub(super) fn page_fixes(text: &str, path: &str) -> Result<FixBatch, HistoryError> {
    let page: Page<'_> = serde_json::from_str(text)
        .map_err(|e| HistoryError::Failed(format!("{path}: unreadable answer: {e}")))?;
    fixes_of(page.fixes, path)
}

/// Where the next page starts, when the server says there is one (`X-Next-From`, ms).
pub(super) fn next_from(headers: &reqwest::header::HeaderMap) -> Option<i64> {
    headers
        .get("x-next-from")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// An array of protocol v1 positions (as the server writes fixes) through the protocol's own
/// decoder: every fix checked as a live one is, a bad one refused.
pub(super) fn fixes_of(array: &RawValue, path: &str) -> Result<FixBatch, HistoryError> {
    let frame = format!(r#"{{"type":"positions","positions":{}}}"#, array.get());
    let limits = DecodeLimits {
        max_frame_bytes: frame.len().max(DecodeLimits::default().max_frame_bytes),
        ..DecodeLimits::default()
    };
    let mut refused = RejectTally::default();
    match decode_server(&frame, &limits, &mut refused) {
        Ok(ServerFrame::Positions(batch)) => {
            if refused.total() > 0 {
                tracing::warn!(path, refused = refused.total(), "history fixes refused");
            }
            Ok(batch)
        }
        Ok(_) => Err(HistoryError::Failed(format!("{path}: not a list of fixes"))),
        Err(e) => Err(HistoryError::Failed(format!(
            "{path}: unreadable fixes: {e}"
        ))),
    }
}

async fn reports(http: &Http, q: &HistoryQuery) -> Result<Report, HistoryError> {
    let query = range(q, q.from_ms);
    let (trips, stops, summary) = tokio::try_join!(
        json::<Vec<Trip>>(http, "/api/trips", &query),
        json::<Vec<Stop>>(http, "/api/stops", &query),
        json::<Summary>(http, "/api/summary", &query),
    )?;
    Ok(Report {
        trips,
        stops,
        summary,
    })
}

async fn json<T: serde::de::DeserializeOwned>(
    http: &Http,
    path: &str,
    query: &[(&str, String)],
) -> Result<T, HistoryError> {
    let body = http.get(path, query).await?;
    serde_json::from_str(&body.text)
        .map_err(|e| HistoryError::Failed(format!("{path}: unreadable answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_track_page_as_the_server_writes_it_reads_back_with_every_field() {
        let text = r#"{"id":"van-7","fixes":[
{"id":"van-7","lat":-16.92,"lon":145.77,"ts":1764900000000,"time":"2025-12-05T02:00:00Z","heading":90,"speed":12.5,"label":"Van 7","attrs":{"ignition":true}},
{"id":"van-7","lat":-16.921,"lon":145.771,"ts":1764900001000,"time":"2025-12-05T02:00:01Z"}
]}"#;
        let batch = page_fixes(text, "/api/track").unwrap();
        assert_eq!(batch.len(), 2);
        let first = batch.get(0).unwrap();
        assert_eq!(
            (first.id, first.ts, first.speed),
            ("van-7", 1764900000000, Some(12.5))
        );
        assert_eq!(first.meta.label, Some("Van 7"));
        assert_eq!(batch.get(1).unwrap().lat, -16.921);
    }

    #[test]
    fn a_bad_fix_in_a_page_is_refused_and_the_rest_kept() {
        let text = r#"{"id":"v","fixes":[{"id":"v","lat":95,"lon":1,"ts":1},{"id":"v","lat":1,"lon":1,"ts":2}]}"#;
        let batch = page_fixes(text, "/api/track").unwrap();
        assert_eq!(batch.iter().map(|f| f.ts).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn the_servers_reports_read_back_as_the_core_types() {
        let trips = r#"[{"start":{"ts":1,"lat":1.0,"lon":2.0},"end":{"ts":2,"lat":1.5,"lon":2.5},"distance_m":1000.0,"duration_ms":60000,"avg_speed_mps":16.6,"max_speed_mps":20.0,"fixes":61}]"#;
        let trips: Vec<Trip> = serde_json::from_str(trips).unwrap();
        assert_eq!(trips[0].distance_m, 1000.0);
        let summary = r#"{"start_ms":1,"end_ms":2,"distance_m":1000.0,"moving_ms":60000,"stopped_ms":0,"max_speed_mps":20.0,"avg_speed_mps":16.6,"fixes":61}"#;
        let summary: Summary = serde_json::from_str(summary).unwrap();
        assert_eq!(summary.fixes, 61);
    }
}
