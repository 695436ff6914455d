//! The feed server: devices publish `report`s, viewers subscribe and get batched `positions`.
mod auth;
mod filter;
mod hub;
pub use filter::Filter;
pub use hub::{Hub, HubStats, ViewerId};
