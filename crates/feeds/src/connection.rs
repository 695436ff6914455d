//! One feed's task: prepare (log in), connect, greet, read frames into its format, and start
//! over when the connection is lost, until told to stop. Pausing closes the connection and
//! waits; new settings reconnect at once with a fresh backoff.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{Instant, sleep, timeout};
use tokio_tungstenite::tungstenite::error::CapacityError;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::backoff::Backoff;
use super::connect::{connect, redact};
use super::handshake::{Prepared, http_client, prepare};
use super::login::Login;
use super::outbox::Outbox;
use super::{FeedConfig, FeedEvent};
use fleetview_core::clock::now_ms;
use fleetview_core::formats::{self, Decoded, FeedKind, Format, Transport};
use fleetview_core::protocol::{Encoding, RejectReason, RejectTally, Subscribe};

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How often a stalled outbox retries handing pending events to the consumer.
const FLUSH_RETRY: Duration = Duration::from_millis(10);
/// How long a goodbye (close frame) may take before we just drop the socket.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// What the manager tells a running feed.
#[derive(Debug)]
pub(super) enum Control {
    Pause,
    Resume,
    Subscribe(Subscribe),
}

/// Why a connection attempt or session ended.
pub(super) enum Ended {
    Shutdown,
    /// Paused: close and wait for Resume.
    Paused,
    /// Lost or refused. `fatal` when retrying the same settings cannot help.
    Failed {
        reason: String,
        fatal: bool,
    },
}

/// A feed's running state: its settings, its format, and the channels it listens to. The
/// transports other than WebSocket (`poll.rs`, `lines.rs`) add their sessions to it.
pub(super) struct Feed {
    pub(super) config: FeedConfig,
    pub(super) format: Box<dyn Format>,
    pub(super) http: Option<reqwest::Client>,
    /// The login of the last connection (Traccar's session cookie), tried before logging in
    /// again.
    login: Login,
    pub(super) outbox: Outbox,
    control: mpsc::Receiver<Control>,
    stop: oneshot::Receiver<()>,
    paused: bool,
    /// The server asked us not to come back before this long (HTTP `Retry-After`).
    pub(super) retry_after: Option<Duration>,
    /// The format asked for the stream from the start: send the greeting again.
    resubscribe: bool,
}

/// What a control message asks of the loop.
enum Obeyed {
    Stay,
    Pause,
    Resume,
}

/// Runs one feed until it is stopped.
pub(super) async fn run(
    config: FeedConfig,
    login: Login,
    outbox: Outbox,
    control: mpsc::Receiver<Control>,
    stop: oneshot::Receiver<()>,
) {
    let format = format_for(&config);
    let paused = !config.spec.enabled;
    let mut feed = Feed {
        config,
        format,
        http: None,
        login,
        outbox,
        control,
        stop,
        paused,
        retry_after: None,
        resubscribe: false,
    };
    let seed = feed.config.jitter_seed.unwrap_or_else(|| fastrand::u64(..));
    let mut backoff = Backoff::new(feed.config.backoff.clone(), seed);
    let mut attempt = 0u32;
    loop {
        if feed.paused {
            feed.outbox.send(FeedEvent::Disconnected {
                reason: fleetview_core::events::PAUSED.into(),
                retry_in: None,
            });
            match feed.wait(None).await {
                Wait::Shutdown => return,
                Wait::Elapsed | Wait::Paused => continue,
                Wait::Resumed => {
                    backoff.reset();
                    attempt = 0;
                }
            }
        }
        attempt += 1;
        let ended = feed.attempt(attempt, &mut backoff).await;
        if ended.connected_long_enough {
            attempt = 0;
        }
        let delay = match ended.how {
            Ended::Shutdown => return,
            Ended::Paused => continue,
            Ended::Failed { reason, fatal } => feed.failed(reason, fatal, &mut backoff),
        };
        match feed.wait(delay).await {
            Wait::Shutdown => return,
            Wait::Resumed => {
                backoff.reset();
                attempt = 0;
            }
            Wait::Elapsed | Wait::Paused => {}
        }
    }
}

/// The format of a feed: its kind, and what of its settings the format needs (AISStream's
/// area and key).
fn format_for(config: &FeedConfig) -> Box<dyn Format> {
    let spec = &config.spec;
    let limits = config.limits.clone();
    match spec.kind {
        FeedKind::Fleetview => Box::new(
            formats::fleetview::Fleetview::new(limits, config.max_pending_vehicles)
                .asking(spec.options.encoding.unwrap_or(Encoding::Compact)),
        ),
        FeedKind::Traccar => Box::new(formats::traccar::Traccar::new(limits)),
        FeedKind::OwnTracks => Box::new(formats::owntracks::OwnTracks::new(limits)),
        FeedKind::GtfsRt => Box::new(formats::gtfs_rt::GtfsRt::new(limits)),
        FeedKind::Ais => Box::new(formats::ais::Nmea::new(limits)),
        FeedKind::AisStream => Box::new(formats::aisstream::AisStream::new(
            limits,
            spec.options.area.unwrap_or(formats::aisstream::WHOLE_WORLD),
            spec.credentials.token.clone(),
        )),
    }
}

/// How one attempt ended, and whether its connection lasted long enough to count as stable.
struct Attempt {
    how: Ended,
    connected_long_enough: bool,
}

enum Wait {
    Elapsed,
    Paused,
    Resumed,
    Shutdown,
}

impl Feed {
    /// One attempt: connect, then the session until it ends, over the kind's transport.
    async fn attempt(&mut self, attempt: u32, backoff: &mut Backoff) -> Attempt {
        let url = redact(&self.config.spec.url);
        self.outbox.send(FeedEvent::Connecting { url, attempt });
        let (how, connected) = match self.config.spec.kind.transport() {
            Transport::WebSocket => match self.open().await {
                Ok(ws) => {
                    let since = self.connected();
                    (self.session(ws).await, Some(since))
                }
                Err(how) => (how, None),
            },
            Transport::Poll => self.poll_session().await,
            Transport::Lines => self.lines_session().await,
        };
        let connected_long_enough = match connected {
            Some(since) => {
                backoff.connection_ended(since.elapsed());
                matches!(how, Ended::Failed { .. }) && backoff.failures() == 0
            }
            None => false,
        };
        Attempt {
            how,
            connected_long_enough,
        }
    }

    /// Says the feed is connected (for a polled feed: its first answer came); returns when.
    pub(super) fn connected(&mut self) -> Instant {
        let url = redact(&self.config.spec.url);
        tracing::info!(feed = %self.config.spec.name, %url, "connected");
        self.outbox.send(FeedEvent::Connected { url });
        Instant::now()
    }

    /// Reports a failure; returns when to try again (`None`: not until told), never sooner than
    /// the server asked.
    fn failed(&mut self, reason: String, fatal: bool, backoff: &mut Backoff) -> Option<Duration> {
        let asked = self.retry_after.take();
        let delay = (!fatal).then(|| backoff.next_delay().max(asked.unwrap_or_default()));
        let url = redact(&self.config.spec.url);
        tracing::warn!(feed = %self.config.spec.name, %url, %reason, retry_in = ?delay, "feed connection ended");
        self.outbox.send(FeedEvent::Disconnected {
            reason,
            retry_in: delay,
        });
        delay
    }

    fn obey(&mut self, control: Control) -> Obeyed {
        match control {
            Control::Pause => {
                self.paused = true;
                Obeyed::Pause
            }
            // Resume also retries at once a feed that stopped (a refused login) or is waiting
            // out its backoff; a connected feed carries on.
            Control::Resume => {
                self.paused = false;
                Obeyed::Resume
            }
            Control::Subscribe(s) => {
                self.config.subscribe = s;
                Obeyed::Stay
            }
        }
    }

    /// Waits out a retry delay (forever when `None`) while obeying controls and flushing. A
    /// Resume after a fatal failure tries again at once.
    async fn wait(&mut self, delay: Option<Duration>) -> Wait {
        let deadline = delay.map(|d| Instant::now() + d);
        loop {
            tokio::select! {
                _ = &mut self.stop => return Wait::Shutdown,
                _ = sleep_until_opt(deadline) => return Wait::Elapsed,
                control = self.control.recv() => match control {
                    None => return Wait::Shutdown,
                    Some(c) => match self.obey(c) {
                        Obeyed::Stay => {}
                        Obeyed::Pause => return Wait::Paused,
                        Obeyed::Resume => return Wait::Resumed,
                    },
                },
                _ = sleep(FLUSH_RETRY), if self.outbox.has_pending() => self.outbox.flush(),
            }
        }
    }

    /// Runs `work` to its end while obeying stop and controls and flushing the outbox; `Err`
    /// when told to stop or pause first (then `work` is dropped).
    pub(super) async fn guard<T>(&mut self, work: impl Future<Output = T>) -> Result<T, Ended> {
        tokio::pin!(work);
        loop {
            tokio::select! {
                _ = &mut self.stop => return Err(Ended::Shutdown),
                done = &mut work => return Ok(done),
                control = self.control.recv() => match control {
                    None => return Err(Ended::Shutdown),
                    Some(c) => if let Obeyed::Pause = self.obey(c) { return Err(Ended::Paused) },
                },
                _ = sleep(FLUSH_RETRY), if self.outbox.has_pending() => self.outbox.flush(),
            }
        }
    }

    /// The feed's HTTP client, made on first use.
    pub(super) fn http_client(&mut self) -> Result<reqwest::Client, Ended> {
        if self.http.is_none() {
            self.http = Some(http_client(&self.config)?);
        }
        self.http.clone().ok_or_else(|| Ended::Failed {
            reason: "no HTTP client".into(),
            fatal: true,
        })
    }

    /// Logs in where the kind needs it, then opens the socket; obeys controls meanwhile.
    async fn open(&mut self) -> Result<Ws, Ended> {
        let http = match self.config.spec.kind {
            FeedKind::Traccar => Some(self.http_client()?),
            _ => None,
        };
        let config = self.config.clone();
        let login = self.login.get();
        let opening = async move {
            let prepared: Prepared = prepare(&config, http.as_ref(), login).await?;
            let ws = connect(&prepared.url, &prepared.headers, &config).await?;
            Ok::<_, Ended>((ws, prepared.answers, prepared.session))
        };
        let (ws, answers, login) = self.guard(opening).await??;
        self.login.set(login);
        self.format.opened();
        let received = now_ms();
        for (path, body) in answers {
            let mut out = Decoded::default();
            self.format.http_answer(path, &body, received, &mut out);
            self.deliver(out);
        }
        Ok(ws)
    }

    fn greeting(&self) -> Vec<String> {
        self.format.greeting(
            &self.config.subscribe,
            self.config.spec.credentials.token.as_deref(),
        )
    }

    /// One connected session: greet, then read until the connection ends or we are told to go.
    async fn session(&mut self, ws: Ws) -> Ended {
        let (mut sink, mut stream) = ws.split();
        let send_timeout = self.config.dead_after;
        let lost = |reason: String| Ended::Failed {
            reason,
            fatal: false,
        };
        for text in self.greeting() {
            match timeout(send_timeout, sink.send(Message::text(text))).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return lost(format!("could not subscribe: {e}")),
                Err(_) => return lost("could not subscribe: the server does not read".into()),
            }
        }
        let mut last_heard = Instant::now();
        let mut pinged = false;
        let check_every = (self.config.ping_interval.min(self.config.dead_after) / 2)
            .max(Duration::from_millis(10));
        let mut heartbeat = tokio::time::interval(check_every);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = &mut self.stop => {
                    let _ = timeout(CLOSE_TIMEOUT, sink.send(Message::Close(None))).await;
                    return Ended::Shutdown;
                }
                control = self.control.recv() => match control {
                    None => return Ended::Shutdown,
                    Some(c) => {
                        let resubscribe = matches!(c, Control::Subscribe(_));
                        if let Obeyed::Pause = self.obey(c) {
                            let _ = timeout(CLOSE_TIMEOUT, sink.send(Message::Close(None))).await;
                            return Ended::Paused;
                        }
                        if resubscribe && let Err(ended) = self.subscribe_again(&mut sink).await {
                            return ended;
                        }
                    }
                },
                message = stream.next() => {
                    last_heard = Instant::now();
                    pinged = false;
                    if let Some(ended) = self.on_message(message) {
                        return ended;
                    }
                    if std::mem::take(&mut self.resubscribe) {
                        tracing::info!("the stream lost track; subscribing again for a snapshot");
                        if let Err(ended) = self.subscribe_again(&mut sink).await {
                            return ended;
                        }
                    }
                }
                _ = heartbeat.tick() => {
                    let quiet = last_heard.elapsed();
                    if quiet >= self.config.dead_after {
                        return lost(format!(
                            "no data or pong for {:.1} s: the server is presumed dead",
                            quiet.as_secs_f32()
                        ));
                    }
                    if quiet >= self.config.ping_interval && !pinged {
                        pinged = true;
                        if timeout(send_timeout, sink.send(Message::Ping(Default::default()))).await.is_err() {
                            return lost("the server stopped reading".into());
                        }
                    }
                }
                _ = sleep(FLUSH_RETRY), if self.outbox.has_pending() => self.outbox.flush(),
            }
        }
    }

    /// Sends the greeting again on an open connection (a new subscription, or a resync).
    async fn subscribe_again<S>(&mut self, sink: &mut S) -> Result<(), Ended>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let wait = self.config.dead_after;
        for text in self.greeting() {
            if !matches!(
                timeout(wait, sink.send(Message::text(text))).await,
                Ok(Ok(()))
            ) {
                return Err(Ended::Failed {
                    reason: "could not resubscribe: the server does not read".into(),
                    fatal: false,
                });
            }
        }
        Ok(())
    }

    /// What one message from the server does; `Some` when it ends the session.
    fn on_message(&mut self, message: Option<Result<Message, WsError>>) -> Option<Ended> {
        let reason = match message {
            Some(Ok(Message::Text(text))) => {
                let mut out = Decoded::default();
                self.format.decode(text.as_str(), now_ms(), &mut out);
                self.deliver(out);
                return None;
            }
            Some(Ok(Message::Binary(bytes))) => {
                let mut out = Decoded::default();
                self.format.decode_bytes(&bytes, now_ms(), &mut out);
                self.deliver(out);
                return None;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => return None,
            Some(Ok(Message::Close(frame))) => match frame {
                Some(f) if !f.reason.is_empty() => {
                    format!(
                        "the server closed the connection ({}: {})",
                        f.code, f.reason
                    )
                }
                Some(f) => format!("the server closed the connection ({})", f.code),
                None => "the server closed the connection".into(),
            },
            Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                let mut tally = RejectTally::default();
                tally.record(
                    RejectReason::Oversized,
                    &format!(
                        "frame of {size} bytes is over the transport ceiling of {max_size}; it cannot be skipped"
                    ),
                );
                self.report(tally);
                format!("a frame of {size} bytes was too large to read")
            }
            Some(Err(e)) => format!("connection lost: {e}"),
            None => "the connection closed".into(),
        };
        Some(Ended::Failed {
            reason,
            fatal: false,
        })
    }

    /// Hands a decoded frame's events and refusals to the outbox.
    pub(super) fn deliver(&mut self, out: Decoded) {
        self.resubscribe |= out.resubscribe;
        for event in out.events {
            self.outbox.send(event);
        }
        if !out.rejected.is_empty() {
            self.report(out.rejected);
        }
    }

    pub(super) fn report(&mut self, tally: RejectTally) {
        // Counted (and logged) where the session applies it: one place for every refusal.
        self.outbox.send(FeedEvent::Rejected(Box::new(tally)));
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
