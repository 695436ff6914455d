//! The feeds: one background thread owning a tokio runtime that holds every feed's connection.
//!
//! [`FeedSet::spawn`] starts the thread; [`FeedSet::add`] starts a feed on it. Each feed is a
//! transport driving a format (`fleetview_core::formats`: frames to fixes). The transports share one
//! loop (`connection.rs`: reconnect with backoff, pause, coalescing) and differ in their
//! session: a WebSocket (`connection.rs`: heartbeat, greeting), HTTP polling (`poll.rs`) or
//! lines of text over TCP or from a file (`lines.rs`). Every feed connects, backs off and
//! coalesces on its own, so one failing or flooding feed never stalls another. Events go out as
//! `(FeedId, FeedEvent)` over one bounded channel, and a waker is called after each send (the UI
//! passes egui's `request_repaint`; nothing here knows egui). Dropping the set shuts every feed
//! down and joins the thread.

mod backoff;
pub mod config_file;
mod connect;
mod connection;
mod event;
mod handshake;
pub mod history;
mod lines;
mod login;
mod outbox;
mod poll;
pub mod runtime_thread;
mod set;
mod spec;
mod tls;

use std::time::Duration;

pub use backoff::{Backoff, BackoffConfig};
pub use connect::redact;
pub use event::FeedCommand;
pub use fleetview_core::events::{FeedEvent, VehicleNotice};
pub use fleetview_core::fleet::FeedId;
pub use outbox::Waker;
pub use set::{DEFAULT_CAPACITY, FeedError, FeedSet};
pub use spec::{
    Colour, Credentials, DEFAULT_POLL, FeedOptions, FeedSpec, SpecError, colour_hex, parse_colour,
};
pub use tls::{client_config as tls_client_config, install_crypto_provider};

use fleetview_core::formats::FeedKind;
use fleetview_core::protocol::{DecodeLimits, Subscribe};

/// Everything one feed needs: what it is ([`FeedSpec`]) and how its transport behaves.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub spec: FeedSpec,
    /// For fleetview feeds: what to subscribe to.
    pub subscribe: Subscribe,
    pub limits: DecodeLimits,
    /// Distinct vehicles held while coalescing; beyond it, new ids are refused and counted.
    pub max_pending_vehicles: usize,
    pub backoff: BackoffConfig,
    /// Send a ping after this long without hearing from the server.
    pub ping_interval: Duration,
    /// Give the connection up after this long without any frame or pong.
    pub dead_after: Duration,
    /// Give up a connection attempt (login, TCP, TLS and upgrade) after this long.
    pub connect_timeout: Duration,
    /// Seed of the backoff jitter; `None` picks one at random.
    pub jitter_seed: Option<u64>,
}

impl FeedConfig {
    /// A fleetview feed at `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        Self::from_spec(FeedSpec::fleetview(url))
    }

    /// The defaults for `spec`'s kind. Traccar sends a keepalive every 55 s and OwnTracks may
    /// be quiet for long, so their dead-peer timeout is longer than fleetview's 30 s. A raw AIS
    /// receiver in a quiet harbour may hear nothing for minutes. (A polled feed has neither:
    /// each request has its own timeout.)
    pub fn from_spec(spec: FeedSpec) -> Self {
        let (ping, dead) = match spec.kind {
            FeedKind::Fleetview => (10, 30),
            FeedKind::Traccar => (20, 75),
            FeedKind::OwnTracks => (20, 90),
            FeedKind::AisStream => (20, 60),
            FeedKind::GtfsRt => (30, 60),
            FeedKind::Ais => (300, 300),
        };
        Self {
            spec,
            subscribe: Subscribe::default(),
            limits: DecodeLimits::default(),
            max_pending_vehicles: 250_000,
            backoff: BackoffConfig::default(),
            ping_interval: Duration::from_secs(ping),
            dead_after: Duration::from_secs(dead),
            connect_timeout: Duration::from_secs(10),
            jitter_seed: None,
        }
    }
}
