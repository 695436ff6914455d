//! The feed thread's async loop: connect, subscribe, read, and start over when the connection
//! is lost, until told to shut down.

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
use super::outbox::Outbox;
use super::{FeedCommand, FeedConfig, FeedEvent};
use crate::clock::now_ms;
use crate::protocol::{
    ClientMessage, FixBatch, RejectReason, RejectTally, ServerFrame, Subscribe, decode_server,
    encode,
};

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How often a stalled outbox retries handing pending events to the consumer.
const FLUSH_RETRY: Duration = Duration::from_millis(10);
/// How long a goodbye (close frame) may take before we just drop the socket.
const CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// What the loop is currently connecting to and asking for; commands change it.
struct Target {
    url: String,
    token: Option<String>,
    subscribe: Subscribe,
}

/// Why a connection attempt or session ended.
pub(super) enum Ended {
    Shutdown,
    /// The URL was switched: connect again at once.
    Switched,
    /// Lost or refused. `fatal` when retrying the same URL cannot help.
    Failed {
        reason: String,
        fatal: bool,
    },
}

/// Runs until shutdown.
pub(super) async fn run(
    config: FeedConfig,
    mut outbox: Outbox,
    mut commands: mpsc::Receiver<FeedCommand>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut target = Target {
        url: config.url.clone(),
        token: config.token.clone(),
        subscribe: config.subscribe.clone(),
    };
    let seed = config.jitter_seed.unwrap_or_else(|| fastrand::u64(..));
    let mut backoff = Backoff::new(config.backoff.clone(), seed);
    let mut attempt = 0u32;
    loop {
        attempt += 1;
        outbox.send(FeedEvent::Connecting {
            url: redact(&target.url),
            attempt,
        });
        let ended = match connect_or_command(
            &config,
            &mut target,
            &mut commands,
            &mut shutdown,
            &mut outbox,
        )
        .await
        {
            Ok(ws) => {
                tracing::info!(url = %redact(&target.url), "connected");
                outbox.send(FeedEvent::Connected {
                    url: redact(&target.url),
                });
                let started = Instant::now();
                let ended = session(
                    ws,
                    &config,
                    &mut target,
                    &mut outbox,
                    &mut commands,
                    &mut shutdown,
                )
                .await;
                backoff.connection_ended(started.elapsed());
                if matches!(ended, Ended::Failed { .. }) && backoff.failures() == 0 {
                    attempt = 0;
                }
                ended
            }
            Err(ended) => ended,
        };
        match ended {
            Ended::Shutdown => return,
            Ended::Switched => {
                backoff.reset();
                attempt = 0;
            }
            Ended::Failed { reason, fatal } => {
                let delay = (!fatal).then(|| backoff.next_delay());
                tracing::warn!(url = %redact(&target.url), %reason, retry_in = ?delay, "feed connection ended");
                outbox.send(FeedEvent::Disconnected {
                    reason,
                    retry_in: delay,
                });
                match wait(
                    delay,
                    &mut target,
                    &mut commands,
                    &mut shutdown,
                    &mut outbox,
                )
                .await
                {
                    Wait::Shutdown => return,
                    Wait::Switched => {
                        backoff.reset();
                        attempt = 0;
                    }
                    Wait::Elapsed => {}
                }
            }
        }
    }
}

enum Wait {
    Elapsed,
    Switched,
    Shutdown,
}

/// Waits out a retry delay (forever when `None`) while obeying commands and flushing.
async fn wait(
    delay: Option<Duration>,
    target: &mut Target,
    commands: &mut mpsc::Receiver<FeedCommand>,
    shutdown: &mut oneshot::Receiver<()>,
    outbox: &mut Outbox,
) -> Wait {
    let deadline = delay.map(|d| Instant::now() + d);
    loop {
        tokio::select! {
            _ = &mut *shutdown => return Wait::Shutdown,
            _ = sleep_until_opt(deadline) => return Wait::Elapsed,
            command = commands.recv() => match command {
                None => return Wait::Shutdown,
                Some(c) => if target.obey(c) { return Wait::Switched },
            },
            _ = sleep(FLUSH_RETRY), if outbox.has_pending() => outbox.flush(),
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Target {
    /// Applies a command; returns true when it switched the URL (the caller reconnects).
    fn obey(&mut self, command: FeedCommand) -> bool {
        match command {
            FeedCommand::SwitchUrl { url, token } => {
                tracing::info!(url = %redact(&url), "switching feed");
                self.url = url;
                self.token = token;
                true
            }
            FeedCommand::Subscribe(s) => {
                self.subscribe = s;
                false
            }
        }
    }

    fn subscribe_text(&self) -> String {
        let mut subscribe = self.subscribe.clone();
        if subscribe.token.is_none() {
            subscribe.token = self.token.clone();
        }
        encode(&ClientMessage::Subscribe(subscribe))
            .unwrap_or_else(|_| r#"{"type":"subscribe"}"#.into())
    }
}

async fn connect_or_command(
    config: &FeedConfig,
    target: &mut Target,
    commands: &mut mpsc::Receiver<FeedCommand>,
    shutdown: &mut oneshot::Receiver<()>,
    outbox: &mut Outbox,
) -> Result<Ws, Ended> {
    let url = target.url.clone();
    let token = target.token.clone();
    let connecting = connect(&url, token.as_deref(), config);
    tokio::pin!(connecting);
    loop {
        tokio::select! {
            _ = &mut *shutdown => return Err(Ended::Shutdown),
            result = &mut connecting => return result,
            command = commands.recv() => match command {
                None => return Err(Ended::Shutdown),
                Some(c) => if target.obey(c) { return Err(Ended::Switched) },
            },
            _ = sleep(FLUSH_RETRY), if outbox.has_pending() => outbox.flush(),
        }
    }
}

/// One connected session: subscribe, then read until the connection ends or we are told to go.
async fn session(
    ws: Ws,
    config: &FeedConfig,
    target: &mut Target,
    outbox: &mut Outbox,
    commands: &mut mpsc::Receiver<FeedCommand>,
    shutdown: &mut oneshot::Receiver<()>,
) -> Ended {
    let (mut sink, mut stream) = ws.split();
    let send_timeout = config.dead_after;
    let lost = |reason: String| Ended::Failed {
        reason,
        fatal: false,
    };
    match timeout(
        send_timeout,
        sink.send(Message::text(target.subscribe_text())),
    )
    .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return lost(format!("could not subscribe: {e}")),
        Err(_) => return lost("could not subscribe: the server does not read".into()),
    }
    let mut last_heard = Instant::now();
    let mut pinged = false;
    // Parts of a large snapshot received so far (the set is replaced when the last arrives).
    let mut snapshot_parts: Option<FixBatch> = None;
    let check_every =
        (config.ping_interval.min(config.dead_after) / 2).max(Duration::from_millis(10));
    let mut heartbeat = tokio::time::interval(check_every);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut *shutdown => {
                let _ = timeout(CLOSE_TIMEOUT, sink.send(Message::Close(None))).await;
                return Ended::Shutdown;
            }
            command = commands.recv() => match command {
                None => return Ended::Shutdown,
                Some(c) => {
                    if target.obey(c) {
                        let _ = timeout(CLOSE_TIMEOUT, sink.send(Message::Close(None))).await;
                        return Ended::Switched;
                    }
                    let text = target.subscribe_text();
                    if timeout(send_timeout, sink.send(Message::text(text))).await.is_err() {
                        return lost("could not resubscribe: the server does not read".into());
                    }
                }
            },
            message = stream.next() => {
                last_heard = Instant::now();
                pinged = false;
                match message {
                    Some(Ok(Message::Text(text))) => {
                        on_text(text.as_str(), config, &mut snapshot_parts, outbox);
                    }
                    Some(Ok(Message::Binary(bytes))) => {
                        let mut tally = RejectTally::default();
                        tally.record(
                            RejectReason::BinaryFrame,
                            &format!("binary frame of {} bytes (protocol v1 is JSON text)", bytes.len()),
                        );
                        report(tally, outbox);
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(frame))) => {
                        return lost(match frame {
                            Some(f) if !f.reason.is_empty() => {
                                format!("the server closed the connection ({}: {})", f.code, f.reason)
                            }
                            Some(f) => format!("the server closed the connection ({})", f.code),
                            None => "the server closed the connection".into(),
                        });
                    }
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                        let mut tally = RejectTally::default();
                        tally.record(
                            RejectReason::Oversized,
                            &format!("frame of {size} bytes is over the transport ceiling of {max_size}; it cannot be skipped"),
                        );
                        report(tally, outbox);
                        return lost(format!("a frame of {size} bytes was too large to read"));
                    }
                    Some(Err(e)) => return lost(format!("connection lost: {e}")),
                    None => return lost("the connection closed".into()),
                }
            }
            _ = heartbeat.tick() => {
                let quiet = last_heard.elapsed();
                if quiet >= config.dead_after {
                    return lost(format!(
                        "no data or pong for {:.1} s: the server is presumed dead",
                        quiet.as_secs_f32()
                    ));
                }
                if quiet >= config.ping_interval && !pinged {
                    pinged = true;
                    if timeout(send_timeout, sink.send(Message::Ping(Default::default()))).await.is_err() {
                        return lost("the server stopped reading".into());
                    }
                }
            }
            _ = sleep(FLUSH_RETRY), if outbox.has_pending() => outbox.flush(),
        }
    }
}

fn on_text(
    text: &str,
    config: &FeedConfig,
    snapshot_parts: &mut Option<FixBatch>,
    outbox: &mut Outbox,
) {
    let received_ms = now_ms();
    let mut tally = RejectTally::default();
    match decode_server(text, &config.limits, &mut tally) {
        Ok(ServerFrame::SnapshotPart(batch)) => {
            let parts = snapshot_parts.get_or_insert_with(FixBatch::default);
            let room = config.max_pending_vehicles.saturating_sub(parts.len());
            if batch.len() > room {
                tally.record_n(
                    RejectReason::OverCapacity,
                    (batch.len() - room) as u64,
                    &format!(
                        "a snapshot of over {} vehicles",
                        config.max_pending_vehicles
                    ),
                );
            }
            for fix in batch.iter().take(room) {
                parts.push(&fix);
            }
        }
        Ok(ServerFrame::Snapshot(mut batch)) => {
            if let Some(mut parts) = snapshot_parts.take() {
                parts.append(&batch);
                batch = parts;
            }
            batch.received_ms = received_ms;
            outbox.send(FeedEvent::Snapshot(batch));
        }
        Ok(ServerFrame::Positions(mut batch)) => {
            batch.received_ms = received_ms;
            if !batch.is_empty() {
                outbox.send(FeedEvent::Positions(batch));
            }
        }
        Ok(ServerFrame::Remove(ids)) => {
            if !ids.is_empty() {
                outbox.send(FeedEvent::Removed(ids));
            }
        }
        Ok(ServerFrame::Error { code, message }) => {
            tracing::warn!(%code, %message, "the server reported an error");
            outbox.send(FeedEvent::ServerError { code, message });
        }
        Err(rejection) => tally.add(&rejection),
    }
    if !tally.is_empty() {
        report(tally, outbox);
    }
}

fn report(tally: RejectTally, outbox: &mut Outbox) {
    // Counted (and logged) where the model applies it: one place for every refusal.
    outbox.send(FeedEvent::Rejected(Box::new(tally)));
}
