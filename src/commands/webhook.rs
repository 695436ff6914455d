//! The alerts webhook: one named thread POSTing queued alerts (JSON lines) in order, with
//! retries, so a slow webhook never slows evaluation. Its queue is bounded; what does not fit is
//! dropped and counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
#[cfg(test)]
use std::time::Instant;

/// Alerts waiting for the webhook before new ones are dropped.
pub const WEBHOOK_QUEUE: usize = 1000;
/// Attempts per alert, and the wait before the first retry (doubling).
const ATTEMPTS: u32 = 4;
const FIRST_RETRY: Duration = Duration::from_millis(500);

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
        let thread =
            fleetview_feeds::runtime_thread::spawn("fleetview-webhook", move || async move {
                let http = fleetview_feeds::tls_client_config(None).and_then(|tls| {
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
        fleetview_feeds::install_crypto_provider();
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
        fleetview_feeds::install_crypto_provider();
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
