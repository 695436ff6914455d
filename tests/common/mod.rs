//! Shared by the tests: fake feed servers and viewers ([`client`]), and fixtures per subject.
#![allow(dead_code)]
// accept_hdr_async's callback must return tungstenite's large ErrorResponse.
#![allow(clippy::result_large_err)]

mod client;
pub use client::*;

pub mod history;
pub mod owntracks;
pub mod pki;
pub mod replay;
pub mod traccar;
pub mod transit;
pub mod window;
