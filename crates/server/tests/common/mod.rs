//! The workspace's test viewer and fake servers (`tests/common/client.rs`), shared with the
//! app's tests: the server's own tests watch it through the real feeds thread and session. Also
//! a tracker emulator, `curl`, NATS with cluster nodes as child processes, and load clients
//! (viewers and OsmAnd devices from chosen loopback addresses).
#![allow(dead_code)]

#[path = "../../../../tests/common/client.rs"]
mod client;
#[allow(unused_imports)]
pub use client::*;

pub mod emulator;
mod http;
pub mod load;
pub mod nats;
pub mod server;
#[allow(unused_imports)] // not every test asks over HTTP
pub use http::curl;
