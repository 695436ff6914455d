//! What the consumer asks of the feeds thread (the events it gets back are
//! [`fleetview_core::events::FeedEvent`]s, each with the [`FeedId`] of its feed).

use super::FeedConfig;
use super::history::{HistoryDay, HistoryQuery, Job, ReplayQuery, Replayed};
use fleetview_core::fleet::FeedId;
use fleetview_core::protocol::Subscribe;

/// consumer -> feeds thread.
#[derive(Debug)]
pub enum FeedCommand {
    /// Start a feed (or replace the one with this id: it reconnects with the new settings).
    Add(FeedId, Box<FeedConfig>),
    /// Stop a feed and forget it.
    Remove(FeedId),
    /// Close a feed's connection and keep it closed until resumed.
    Pause(FeedId),
    /// Reconnect a paused feed, or retry at once one that stopped or is waiting to retry.
    Resume(FeedId),
    /// Send a new subscription on a fleetview feed (and use it for every reconnect).
    Subscribe(FeedId, Subscribe),
    /// Ask the feed's server for a vehicle's history (answered through the job's handle).
    History(FeedId, Box<Job<HistoryQuery, HistoryDay>>),
    /// Ask the feed's server for the fleet from a moment on, written as a recording.
    Replay(FeedId, Box<Job<ReplayQuery, Replayed>>),
}
