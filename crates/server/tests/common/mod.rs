//! The workspace's test viewer and fake servers (`tests/common/client.rs`), shared with the
//! app's tests: the server's own tests watch it through the real feeds thread and session.
#![allow(dead_code)]

#[path = "../../../../tests/common/client.rs"]
mod client;
pub use client::*;

pub mod emulator;
mod http;
pub mod load;
pub use http::curl;
