//! What applying something to the model changed: consumed by the session (per-feed counts and
//! refusals) and, later, by alerts and recording.

use super::{VehicleId, VehicleKey};
use crate::protocol::RejectTally;

/// What one fix did to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Added(VehicleKey),
    Moved(VehicleKey),
    Duplicate,
    Refused(crate::protocol::RejectReason),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// Vehicles added by this change, in the order applied.
    pub added: Vec<VehicleKey>,
    /// Vehicles that took a newer fix, in the order applied (a vehicle may appear twice).
    pub moved: Vec<VehicleKey>,
    /// Fixes identical in time to the one held (a resync repeating what we have).
    pub duplicates: u64,
    /// Vehicles that left: removed by their feed, swept by a snapshot, or evicted at the cap.
    pub removed: Vec<VehicleId>,
    /// Of `removed`, how many were evicted to stay under the cap.
    pub evicted: u64,
    /// Fixes the model refused (out of order, from the future, over the cap), by reason.
    pub rejected: RejectTally,
}

impl Changes {
    /// Fixes that moved a vehicle or added one.
    pub fn applied(&self) -> u64 {
        (self.added.len() + self.moved.len()) as u64
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.moved.is_empty()
            && self.duplicates == 0
            && self.removed.is_empty()
            && self.rejected.is_empty()
    }

    /// Folds a later change into this one.
    pub fn extend(&mut self, other: Changes) {
        self.added.extend(other.added);
        self.moved.extend(other.moved);
        self.duplicates += other.duplicates;
        self.removed.extend(other.removed);
        self.evicted += other.evicted;
        self.rejected.merge(&other.rejected);
    }
}
