//! fleetview: a live map of a fleet, fed over WebSocket.
//!
//! The layers, each in its own module and reaching only downwards:
//! - [`protocol`]: wire types and decoding (no I/O);
//! - [`fleet`]: the pure model a map draws (no tokio, no egui);
//! - [`feed`]: the background thread that owns the WebSocket subscription and sends
//!   [`feed::FeedEvent`]s over a bounded channel;
//! - [`stats`]: the `fleetview stats` harness on top of the feed and the model.

pub mod clock;
pub mod events;
pub mod feed;
pub mod fleet;
pub mod formats;
pub mod geo;
pub mod protocol;
pub mod server;
pub mod session;
pub mod sim;
pub mod stats;
pub mod ui;
