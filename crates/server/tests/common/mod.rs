//! The workspace's test viewer and fake servers (`tests/common/client.rs`), shared with the
//! app's tests: the server's own tests watch it through the real feeds thread and session.
#![allow(dead_code)]

#[path = "../../../../tests/common/client.rs"]
mod client;
#[allow(unused_imports)]
pub use client::*;

pub mod emulator;
mod http;
pub mod load;
#[allow(unused_imports)]
pub use http::curl;
