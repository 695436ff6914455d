//! The feed: a background thread owning a tokio runtime and the WebSocket subscription.
mod event;
pub use event::{FeedCommand, FeedEvent};
