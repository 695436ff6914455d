//! `fleetview alerts`: the alert engine without a window, for operators. Feeds go through the
//! same feeds thread and session as the window's; each alert is printed as one JSON line and,
//! when a webhook is given, POSTed to it by a worker of its own, so a slow webhook never slows
//! evaluation (its queue is bounded; what does not fit is dropped and counted).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{Alert, Engine};
use crate::clock::now_ms;
use crate::feed::{FeedConfig, FeedError, FeedEvent, FeedId, FeedSet};
use crate::fleet::FleetConfig;
use crate::session::Session;

/// Alerts waiting for the webhook before new ones are dropped.
pub const WEBHOOK_QUEUE: usize = 1000;
/// Attempts per alert, and the wait before the first retry (doubling).
const ATTEMPTS: u32 = 4;
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// An alert as a JSON line: the alert and its feed's name.
#[derive(Serialize)]
pub struct Line<'a> {
    pub feed: &'a str,
    #[serde(flatten)]
    pub alert: &'a Alert,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub alerts: u64,
    pub webhook_sent: u64,
    pub webhook_failed: u64,
    pub webhook_dropped: u64,
}

/// Runs `engine` over `feeds` for `duration` (until `stop` turns, when `None`), writing each
/// alert to `out` and to the webhook.
pub fn run(
    feeds: Vec<FeedConfig>,
    fleet: FleetConfig,
    mut engine: Engine,
    webhook: Option<String>,
    duration: Option<Duration>,
    out: &mut dyn Write,
) -> Result<Summary, FeedError> {
    let started = Instant::now();
    let set = FeedSet::spawn(Arc::new(|| {}))?;
    let mut session = Session::new(fleet);
    let mut names = Vec::new();
    for (i, feed) in feeds.into_iter().enumerate() {
        let id = FeedId(i as u32);
        session.add_feed(id, &feed.spec.name);
        engine.name_feed(id, &feed.spec.name);
        names.push(feed.spec.name.clone());
        set.add(id, feed)?;
    }
    let hook = webhook.map(Webhook::start);
    let mut summary = Summary::default();
    let mut alerts = Vec::new();
    let mut next_tick = Instant::now();
    while duration.is_none_or(|d| started.elapsed() < d) {
        if let Some((feed, event)) = set.recv_timeout(Duration::from_millis(200)) {
            let changes = session.apply(feed, &event, now_ms());
            engine.observe(session.fleet(), &changes, &mut alerts);
            if let FeedEvent::Notices(notices) = &event {
                for n in notices {
                    engine.notice(session.fleet(), feed, n, &mut alerts);
                }
            }
        }
        if Instant::now() >= next_tick {
            engine.tick(session.fleet(), now_ms(), &mut alerts);
            next_tick += Duration::from_secs(1);
        }
        for alert in alerts.drain(..) {
            let feed = names.get(alert.feed.0 as usize).map_or("", String::as_str);
            let line = serde_json::to_string(&Line {
                feed,
                alert: &alert,
            })
            .unwrap_or_default();
            // A closed stdout (a pipe's reader gone) ends the run.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Ok(summary);
            }
            summary.alerts += 1;
            if let Some(hook) = &hook {
                hook.send(line);
            }
        }
    }
    drop(set);
    if let Some(hook) = hook {
        let counts = hook.finish();
        summary.webhook_sent = counts.0;
        summary.webhook_failed = counts.1;
        summary.webhook_dropped = counts.2;
    }
    Ok(summary)
}

/// The webhook's worker: one named thread POSTing queued alerts in order, with retries.
pub struct Webhook {
    queue: Option<tokio::sync::mpsc::Sender<String>>,
    stopping: Arc<AtomicBool>,
    counts: Arc<[AtomicU64; 3]>,
    thread: Option<JoinHandle<()>>,
}

impl Webhook {
    pub fn start(url: String) -> Self {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<String>(WEBHOOK_QUEUE);
        let stopping = Arc::new(AtomicBool::new(false));
        let counts: Arc<[AtomicU64; 3]> = Arc::new(Default::default());
        let (stop, count) = (stopping.clone(), counts.clone());
        let thread = crate::runtime_thread::spawn("fleetview-webhook", move || async move {
            let http = crate::feed::tls_client_config(None).and_then(|tls| {
                reqwest::Client::builder()
                    .use_preconfigured_tls(tls)
                    .timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| e.to_string())
            });
            let http = match http {
                Ok(http) => http,
                Err(e) => {
                    tracing::error!(error = %e, "cannot set up HTTP for the webhook");
                    return;
                }
            };
            while let Some(line) = rx.recv().await {
                if stop.load(Ordering::Relaxed) {
                    // Stopping: what is still queued is dropped (counted), not tried.
                    count[2].fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let sent = post(&http, &url, line, &stop).await;
                count[usize::from(!sent)].fetch_add(1, Ordering::Relaxed);
            }
        })
        .ok();
        Self {
            queue: Some(queue),
            stopping,
            counts,
            thread,
        }
    }

    /// Queues an alert; drops (and counts) it when the queue is full.
    pub fn send(&self, line: String) {
        if let Some(queue) = &self.queue
            && queue.try_send(line).is_err()
        {
            self.counts[2].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Stops (the alert being sent gets its one attempt; what is queued is dropped) and returns
    /// (sent, failed, dropped).
    pub fn finish(mut self) -> (u64, u64, u64) {
        self.shut();
        let c = |i: usize| self.counts[i].load(Ordering::Relaxed);
        (c(0), c(1), c(2))
    }

    fn shut(&mut self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.queue = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the webhook thread panicked");
        }
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.shut();
    }
}

/// POSTs one alert, retrying with doubling waits unless stopping; whether it was taken.
async fn post(http: &reqwest::Client, url: &str, line: String, stopping: &AtomicBool) -> bool {
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        let answer = http
            .post(url)
            .header("content-type", "application/json")
            .body(line.clone())
            .send()
            .await;
        match answer {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => tracing::warn!(status = %r.status(), attempt, "the webhook refused an alert"),
            Err(e) => tracing::warn!(error = %e.without_url(), attempt, "the webhook failed"),
        }
        if stopping.load(Ordering::Relaxed) {
            return false;
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A webhook that takes connections and never answers.
    fn silent_webhook() -> (String, std::net::TcpListener) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        (url, listener)
    }

    #[test]
    fn each_alert_is_posted_to_the_webhook_as_its_json_line() {
        use std::io::{Read, Write};
        crate::feed::install_crypto_provider();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let server = std::thread::spawn(move || {
            let mut bodies = Vec::new();
            for stream in listener.incoming().take(3) {
                let mut stream = stream.expect("accept");
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                // Headers, then the body (a JSON line ends with its closing brace).
                while !seen.ends_with(b"}") {
                    let n = stream.read(&mut buf).expect("read");
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                let text = String::from_utf8_lossy(&seen).into_owned();
                bodies.push(text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned());
            }
            bodies
        });
        let hook = Webhook::start(url);
        for i in 1..=3 {
            hook.send(format!("{{\"seq\":{i}}}"));
        }
        let bodies = server.join().expect("server");
        assert_eq!(bodies, ["{\"seq\":1}", "{\"seq\":2}", "{\"seq\":3}"]);
        let (sent, _, dropped) = hook.finish();
        assert_eq!((sent, dropped), (3, 0));
    }

    #[test]
    fn a_webhook_that_never_answers_never_slows_the_sender_and_drops_are_counted() {
        crate::feed::install_crypto_provider();
        let (url, _listener) = silent_webhook();
        let hook = Webhook::start(url);
        let started = Instant::now();
        for i in 0..(WEBHOOK_QUEUE + 500) {
            hook.send(format!("{{\"seq\":{i}}}"));
        }
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "queueing {} alerts took {:?}",
            WEBHOOK_QUEUE + 500,
            started.elapsed()
        );
        let (sent, failed, dropped) = hook.finish();
        assert_eq!(sent, 0);
        assert!(failed <= 1, "only the alert in flight is tried: {failed}");
        assert_eq!(sent + failed + dropped, (WEBHOOK_QUEUE + 500) as u64);
    }
}
