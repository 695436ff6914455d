//! The feed: one background thread owning a tokio runtime and the WebSocket subscription.
//!
//! [`FeedHandle::spawn`] starts it; it connects, subscribes, decodes frames and sends
//! [`FeedEvent`]s over a bounded channel, calling a waker after each send (the UI passes egui's
//! `request_repaint`; nothing here knows egui). It reconnects forever with backoff, detects a
//! dead peer by heartbeat, and coalesces when the consumer lags. Dropping the handle shuts the
//! thread down and joins it.

mod backoff;
mod connect;
mod connection;
mod event;
mod outbox;
mod throttle;
mod tls;

use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::Receiver;

pub use backoff::{Backoff, BackoffConfig};
pub use event::{FeedCommand, FeedEvent};
pub use outbox::Waker;
pub use throttle::{LogThrottle, RefusalLog};
pub use tls::install_crypto_provider;

use crate::protocol::{DecodeLimits, Subscribe};

/// Everything the feed needs to know; `FeedConfig::new(url)` gives sensible defaults.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// `ws://` or `wss://` URL of the feed.
    pub url: String,
    /// Sent as `Authorization: Bearer` on the upgrade and in the `subscribe` message.
    pub token: Option<String>,
    pub subscribe: Subscribe,
    pub limits: DecodeLimits,
    /// Events the channel holds before the feed starts coalescing.
    pub channel_capacity: usize,
    /// Distinct vehicles held while coalescing; beyond it, new ids are refused and counted.
    pub max_pending_vehicles: usize,
    pub backoff: BackoffConfig,
    /// Send a ping after this long without hearing from the server.
    pub ping_interval: Duration,
    /// Give the connection up after this long without any frame or pong.
    pub dead_after: Duration,
    /// Give up a connection attempt (TCP, TLS and upgrade) after this long.
    pub connect_timeout: Duration,
    /// Seed of the backoff jitter; `None` picks one at random.
    pub jitter_seed: Option<u64>,
    /// Extra CA certificates (PEM) to trust for `wss://`, beside the system's.
    pub ca_file: Option<std::path::PathBuf>,
}

impl FeedConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            token: None,
            subscribe: Subscribe::default(),
            limits: DecodeLimits::default(),
            channel_capacity: 64,
            max_pending_vehicles: 250_000,
            backoff: BackoffConfig::default(),
            ping_interval: Duration::from_secs(10),
            dead_after: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            jitter_seed: None,
            ca_file: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("could not start the feed thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("the feed thread has stopped")]
    Stopped,
    #[error("the feed is busy; command not sent")]
    Busy,
}

/// Owns the feed thread and the receiving end of its events.
pub struct FeedHandle {
    events: Receiver<FeedEvent>,
    commands: tokio::sync::mpsc::Sender<FeedCommand>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FeedHandle {
    /// Starts the feed thread. `waker` is called after events are sent.
    pub fn spawn(config: FeedConfig, waker: Waker) -> Result<Self, FeedError> {
        install_crypto_provider();
        let (event_tx, events) = crossbeam_channel::bounded(config.channel_capacity.max(1));
        let (commands, command_rx) = tokio::sync::mpsc::channel(16);
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fleetview-feed".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = event_tx.try_send(FeedEvent::Disconnected {
                            reason: format!("could not start the feed runtime: {e}"),
                            retry_in: None,
                        });
                        waker();
                        return;
                    }
                };
                let outbox =
                    outbox::Outbox::new(event_tx, waker, config.max_pending_vehicles.max(1));
                runtime.block_on(connection::run(config, outbox, command_rx, shutdown_rx));
            })
            .map_err(FeedError::Spawn)?;
        Ok(Self {
            events,
            commands,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The events, for a consumer that wants to select or block on them.
    pub fn events(&self) -> &Receiver<FeedEvent> {
        &self.events
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<FeedEvent> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<FeedEvent> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Asks the feed thread to do something; never blocks.
    pub fn send(&self, command: FeedCommand) -> Result<(), FeedError> {
        self.commands.try_send(command).map_err(|e| match e {
            tokio::sync::mpsc::error::TrySendError::Full(_) => FeedError::Busy,
            tokio::sync::mpsc::error::TrySendError::Closed(_) => FeedError::Stopped,
        })
    }

    /// Whether the feed thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for FeedHandle {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the feed thread panicked");
        }
    }
}
