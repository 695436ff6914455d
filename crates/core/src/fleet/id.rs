//! Who a vehicle is: the feed it comes from and the id that feed gives it. Two feeds may both
//! have a vehicle "12"; they are two vehicles.

use serde::{Deserialize, Serialize};

/// A feed, as numbered by whoever set up the feeds (the window, `stats`, a test).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct FeedId(pub u32);

impl std::fmt::Display for FeedId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "feed {}", self.0)
    }
}

/// A vehicle's identity across feeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VehicleId {
    pub feed: FeedId,
    pub id: Box<str>,
}

impl VehicleId {
    pub fn new(feed: FeedId, id: impl Into<Box<str>>) -> Self {
        Self {
            feed,
            id: id.into(),
        }
    }
}
