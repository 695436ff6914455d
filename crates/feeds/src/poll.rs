//! The polling transport (GTFS-Realtime): GET the feed's URL, hand the body to the format, wait
//! out the period, again. One request at a time, so a slow server never has requests piling
//! up; the next starts a period after the last one started, or at once if it took longer.
//!
//! Each request sends `If-None-Match` / `If-Modified-Since` from the last answer and takes
//! `304 Not Modified` as "nothing new". The API key goes in the header or query parameter the
//! feed names (`x-api-key` by default) and never into a log. An error answer ends the session,
//! so the feed backs off as any lost connection does, never sooner than a `Retry-After` asks;
//! 401 and 403 stop it until the dispatcher retries. A body over the frame limit is refused
//! (counted) without being read to its end.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{
    CONTENT_LENGTH, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use tokio::time::Instant;

use super::DEFAULT_POLL;
use super::connection::{Ended, Feed};
use fleetview_core::clock::now_ms;
use fleetview_core::formats::Decoded;
use fleetview_core::protocol::{RejectReason, RejectTally};

/// The header that carries a key when the feed names neither a header nor a parameter.
pub const DEFAULT_KEY_HEADER: &str = "x-api-key";
/// The longest one request (headers and body) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What identifies the last answer, sent back so an unchanged feed can answer 304.
#[derive(Debug, Default)]
struct Validators {
    etag: Option<HeaderValue>,
    last_modified: Option<HeaderValue>,
}

/// How one request went.
enum Answer {
    Body(Vec<u8>),
    NotModified,
    /// The request failed; `refused` is counted when the body itself was the problem.
    Failed {
        reason: String,
        fatal: bool,
        retry_after: Option<Duration>,
        refused: Option<(RejectReason, String)>,
    },
}

impl Feed {
    /// Polls until the feed is stopped, paused or a request fails; returns how it ended and
    /// when the first answer came.
    pub(super) async fn poll_session(&mut self) -> (Ended, Option<Instant>) {
        let http = match self.http_client() {
            Ok(http) => http,
            Err(ended) => return (ended, None),
        };
        let period = self.config.spec.options.poll.unwrap_or(DEFAULT_POLL);
        let max_bytes = self.config.limits.max_frame_bytes;
        let mut validators = Validators::default();
        let mut connected = None;
        self.format.opened();
        loop {
            let started = Instant::now();
            let request = self.request(&http, &validators);
            let answer = match self.guard(fetch(request, max_bytes, &mut validators)).await {
                Ok(answer) => answer,
                Err(ended) => return (ended, connected),
            };
            match answer {
                Answer::Body(body) => {
                    connected.get_or_insert_with(|| self.connected());
                    let mut out = Decoded::default();
                    self.format.decode_bytes(&body, now_ms(), &mut out);
                    self.deliver(out);
                }
                Answer::NotModified => {
                    connected.get_or_insert_with(|| self.connected());
                }
                Answer::Failed {
                    reason,
                    fatal,
                    retry_after,
                    refused,
                } => {
                    if let Some((why, detail)) = refused {
                        let mut tally = RejectTally::default();
                        tally.record(why, &detail);
                        self.report(tally);
                    }
                    self.retry_after = retry_after;
                    return (Ended::Failed { reason, fatal }, connected);
                }
            }
            if let Err(ended) = self.guard(tokio::time::sleep_until(started + period)).await {
                return (ended, connected);
            }
        }
    }

    /// The GET, with the key and the validators of the last answer.
    fn request(&self, http: &reqwest::Client, validators: &Validators) -> reqwest::RequestBuilder {
        let spec = &self.config.spec;
        let key = spec.credentials.token.as_deref();
        let mut url = spec.url.clone();
        if let (Some(key), Some(param)) = (key, &spec.options.key_param)
            && let Ok(mut with_key) = url::Url::parse(&spec.url)
        {
            with_key.query_pairs_mut().append_pair(param, key);
            url = with_key.into();
        }
        let mut request = http.get(url).timeout(REQUEST_TIMEOUT);
        if let (Some(key), None) = (key, &spec.options.key_param) {
            let name = spec.options.key_header.as_deref();
            request = request.header(name.unwrap_or(DEFAULT_KEY_HEADER), key);
        }
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag.clone());
        }
        if let Some(modified) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified.clone());
        }
        request
    }
}

/// Sends one request and reads its answer, at most `max_bytes` of body.
async fn fetch(
    request: reqwest::RequestBuilder,
    max_bytes: usize,
    validators: &mut Validators,
) -> Answer {
    let failed = |reason: String| Answer::Failed {
        reason,
        fatal: false,
        retry_after: None,
        refused: None,
    };
    let mut response = match request.send().await {
        Ok(r) => r,
        // reqwest's errors name the URL; ours never carries the key (it is a header or was
        // taken out of the URL), but say only what went wrong.
        Err(e) => return failed(format!("request failed: {}", e.without_url())),
    };
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Answer::NotModified;
    }
    if !status.is_success() {
        return refused_status(status, response.headers());
    }
    if let Some(length) = content_length(response.headers())
        && length > max_bytes as u64
    {
        return oversized(length, max_bytes);
    }
    let etag = response.headers().get(ETAG).cloned();
    let last_modified = response.headers().get(LAST_MODIFIED).cloned();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > max_bytes {
                    return oversized((body.len() + chunk.len()) as u64, max_bytes);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => return failed(format!("reading the answer failed: {}", e.without_url())),
        }
    }
    validators.etag = etag;
    validators.last_modified = last_modified;
    Answer::Body(body)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

fn oversized(length: u64, max_bytes: usize) -> Answer {
    Answer::Failed {
        reason: format!("the answer is over {max_bytes} bytes"),
        fatal: false,
        retry_after: None,
        refused: Some((
            RejectReason::Oversized,
            format!("an answer of {length} bytes or more is over the limit of {max_bytes}"),
        )),
    }
}

/// An error status: its reason, whether retrying can help, and the wait the server asks.
fn refused_status(status: StatusCode, headers: &HeaderMap) -> Answer {
    let fatal = matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    let reason = if fatal {
        format!("the feed refused the key ({status}); check it and retry")
    } else {
        format!("the feed answered {status}")
    };
    Answer::Failed {
        reason,
        fatal,
        retry_after: headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, std::time::SystemTime::now())),
        refused: None,
    }
}

/// `Retry-After` as seconds or as an HTTP date, from `now`; capped at an hour.
pub fn retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate_after(value, now)?,
    };
    Some(wait.min(Duration::from_secs(3600)))
}

/// An IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`) as the time from `now` until then.
fn httpdate_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, format)
        .ok()?
        .assume_utc();
    let now = time::OffsetDateTime::from(now);
    Some(Duration::try_from(at - now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_460);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO),
            "a date passed: at once"
        );
        assert_eq!(retry_after("999999", now), Some(Duration::from_secs(3600)));
        assert_eq!(retry_after("soon", now), None);
    }
}
