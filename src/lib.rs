//! fleetview: a live map of a fleet, fed by fleetview servers, Traccar servers, OwnTracks
//! Recorders, GTFS-Realtime feeds and AIS. This crate is the window and the headless commands;
//! the layers below live in their own crates and are re-exported here under the names the
//! window, the tests and the benchmarks use:
//! - `fleetview-core` (pure: no runtime, no GUI): [`protocol`], [`events`], [`formats`],
//!   [`geo`], [`routes`], [`fleet`], [`session`], [`pipeline`], [`alerts`], [`record`], [`sim`],
//!   [`reports`], [`export`], [`clock`];
//! - `fleetview-feeds`: [`feed`], the background thread that owns every feed's connection and
//!   sends `(FeedId, FeedEvent)` over a bounded channel;
//! - `fleetview-server`: [`server`], the feed server (the window embeds it for its default
//!   simulated fleet).
//!
//! Here: [`ui`] (the window), [`stats`] (`fleetview stats`) and [`commands`] (`fleetview alerts`
//! and `fleetview record`), all on the one [`pipeline::Pipeline`].

pub use fleetview_core::{
    alerts, clock, events, export, fleet, formats, geo, pipeline, protocol, record, reports,
    routes, session, sim,
};
pub use fleetview_feeds as feed;
pub use fleetview_server as server;

pub mod commands;
pub mod stats;
pub mod ui;
