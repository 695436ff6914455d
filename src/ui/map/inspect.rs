//! What the map drew in the last frame, for tests and benchmarks: clusters, labels, fanned-out
//! and alarmed vehicles, the History's cursor.

use egui::{Pos2, Rect};

use super::MapView;
use crate::fleet::VehicleKey;

impl MapView {
    /// The clusters drawn in the last frame (two or more vehicles): where, and how many.
    /// The spatial index's level whose cells the last frame drew, if it drew cells.
    pub fn cells_level(&self) -> Option<u8> {
        self.frame.borrow().cells_level
    }

    pub fn clusters(&self) -> Vec<(Pos2, u32)> {
        let frame = self.frame.borrow();
        frame
            .clusters
            .clusters
            .iter()
            .filter(|c| c.count > 1)
            .map(|c| (c.centre, c.count))
            .collect()
    }

    /// Where labels were drawn in the last frame.
    pub fn labels(&self) -> Vec<Rect> {
        self.frame.borrow().labelled.clone()
    }

    /// The vehicles of a fanned-out cluster drawn in the last frame.
    pub fn fanned(&self) -> Vec<(VehicleKey, Pos2)> {
        self.frame.borrow().fanned.clone()
    }

    /// The vehicles with a critical alert open drawn in the last frame (never clustered).
    pub fn alarmed(&self) -> Vec<(VehicleKey, Pos2)> {
        self.frame.borrow().alarmed.clone()
    }

    /// Where the History's cursor was drawn in the last frame.
    pub fn history_cursor(&self) -> Option<Pos2> {
        self.frame.borrow().history_cursor
    }
}
