//! What one frame of the map saw, shared by its plugins in turn (`RefCell<Frame>`), and what
//! they found for the map to turn into actions.

use egui::{Pos2, Rect};

use super::Hit;
use super::declutter::{Clusters, InView, LabelPlacer};
use super::motion::Motion;
use crate::fleet::{VehicleId, VehicleKey};

/// What one frame of the map saw, shared by its plugins in turn. Kept between frames so its
/// buffers are reused, not reallocated, at 100k vehicles.
#[derive(Default)]
pub(super) struct Frame {
    pub(super) in_view: Vec<InView>,
    /// The spatial index's level whose cells stand for vehicles in `in_view`, if any do.
    pub(super) cells_level: Option<u8>,
    /// The vehicles near the view, found from the spatial index (a buffer kept between frames).
    pub(super) nearby: Vec<VehicleKey>,
    pub(super) clusters: Clusters,
    /// A fanned-out cluster's vehicles and where they were drawn.
    pub(super) fanned: Vec<(VehicleKey, Pos2)>,
    /// Vehicles with a critical alert open (an SOS): never in a cluster, always labelled.
    pub(super) alarmed: Vec<(VehicleKey, Pos2)>,
    pub(super) selected_at: Option<(VehicleKey, Pos2)>,
    pub(super) labels: LabelPlacer,
    /// The labels drawn, where.
    pub(super) labelled: Vec<Rect>,
    /// How fast the markers drawn move on screen (for how often to repaint).
    pub(super) motion: Motion,
    pub(super) hovered: Option<Hit>,
    /// A click on the map, and what it hit.
    pub(super) clicked: Option<Option<Hit>>,
    /// Where on Earth that click was, (lat, lon).
    pub(super) clicked_at: Option<(f64, f64)>,
    /// The context menu's "Nearest vehicles" was chosen, for this point.
    pub(super) nearest_asked: Option<(f64, f64)>,
    /// A vehicle was picked from a cluster's list in the context menu.
    pub(super) picked: Option<VehicleId>,
    /// The moment of the History's track under the pointer.
    pub(super) history_hover: Option<i64>,
    /// Where the History's cursor was drawn.
    pub(super) history_cursor: Option<Pos2>,
}

impl Frame {
    pub(super) fn reset(&mut self) {
        self.in_view.clear();
        self.cells_level = None;
        self.fanned.clear();
        self.alarmed.clear();
        self.selected_at = None;
        self.labelled.clear();
        self.motion = Motion::Still;
        self.hovered = None;
        self.clicked = None;
        self.clicked_at = None;
        self.nearest_asked = None;
        self.picked = None;
        self.history_hover = None;
        self.history_cursor = None;
    }
}
