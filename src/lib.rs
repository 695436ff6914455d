//! fleetview: a live map of a fleet, fed by fleetview servers, Traccar servers, OwnTracks
//! Recorders, GTFS-Realtime feeds and AIS.
//!
//! The layers, each in its own module and reaching only downwards:
//! - [`protocol`]: fleetview's wire types, decoding and validation (no I/O);
//! - [`events`]: what a feed says, as plain data;
//! - [`formats`]: one file per feed format, bytes to events (no I/O);
//! - [`geo`] and [`routes`]: distances and route lines, as plain data;
//! - [`fleet`]: the pure model a map draws, vehicles keyed by (feed, id) (no tokio, no egui);
//! - [`feed`]: the background thread that owns every feed's connection and sends
//!   `(FeedId, FeedEvent)` over a bounded channel;
//! - [`alerts`]: geofences, rules and the alert engine over the fleet's changes (pure), and
//!   `fleetview alerts` (its `headless` module, on the feeds and the session);
//! - [`session`]: applies feed events to the fleet and to each feed's status (no tokio, no egui);
//! - [`stats`] and [`ui`]: the `fleetview stats` harness and the window, both on the session;
//! - [`server`] and [`sim`]: the feed server and its simulated fleet.

pub mod alerts;
pub mod clock;
pub mod events;
pub mod feed;
pub mod fleet;
pub mod formats;
pub mod geo;
pub mod protocol;
pub mod record;
pub mod routes;
mod runtime_thread;
pub mod server;
pub mod session;
pub mod sim;
pub mod stats;
pub mod ui;
