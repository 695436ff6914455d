//! fleetview-core: the pure layers every other crate builds on. No async runtime, no GUI, no
//! sockets: bytes in, plain data out, the clock passed in.
//!
//! The layers, each reaching only downwards:
//! - [`protocol`]: fleetview's wire types (v1 and the compact encoding), decoding, validation;
//! - [`events`]: what a feed says, as plain data;
//! - [`formats`]: one file per feed or device format, bytes to events (no I/O);
//! - [`geo`] and [`routes`]: distances and route lines;
//! - [`reports`]: one vehicle's trips, stops and summary from its fixes (Traccar's rules);
//! - [`export`]: one vehicle's track streamed as JSON, GeoJSON, GPX, KML or CSV;
//! - [`fleet`]: the model a map draws, vehicles keyed by (feed, id);
//! - [`session`]: applies feed events to the fleet and to each feed's status;
//! - [`alerts`]: geofences, rules and the alert engine over the fleet's changes;
//! - [`record`]: the recording format, its writer thread and its player;
//! - [`pipeline`]: session, alert engine and recorder as one, the only place they are wired;
//! - [`sim`]: the simulated fleet (a pure function of time);
//! - [`clock`]: time, passed in.

pub mod alerts;
pub mod clock;
pub mod events;
pub mod export;
pub mod fleet;
pub mod formats;
pub mod geo;
pub mod pipeline;
pub mod protocol;
pub mod record;
pub mod reports;
pub mod routes;
pub mod session;
pub mod sim;
