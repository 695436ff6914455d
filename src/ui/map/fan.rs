//! Clusters that a click opens: zoomed into when their vehicles can part on screen, else fanned
//! out on a circle round where they are (a fan folds away when the zoom changes).

use super::camera::{self, Bounds};
use super::{Frame, MapView};
use crate::fleet::{Fleet, Vehicle, VehicleId, VehicleKey};
use crate::ui::action::Action;
use crate::ui::tokens;

/// The vehicles of a cluster that cannot split further, spread on a circle round it.
pub(super) struct Fan {
    pub(super) ids: Vec<VehicleId>,
    pub(super) anchor: (f64, f64),
    pub(super) zoom: f64,
}

impl MapView {
    /// The fanned-out cluster's vehicles, sorted; a change of zoom folds it away.
    pub(super) fn fan_keys(&mut self, fleet: &Fleet) -> Vec<VehicleKey> {
        if self
            .fan
            .as_ref()
            .is_some_and(|f| f.zoom != self.memory.zoom())
        {
            self.fan = None;
        }
        let Some(fan) = &self.fan else {
            return Vec::new();
        };
        let mut keys: Vec<VehicleKey> = fan
            .ids
            .iter()
            .filter_map(|id| fleet.key_of(id.feed, &id.id))
            .collect();
        keys.sort();
        keys
    }

    /// A click on a cluster zooms to fit its vehicles, or, when they are too close together to
    /// part even at street level, fans them out round it.
    pub(super) fn cluster_clicked(
        &mut self,
        frame: &Frame,
        c: usize,
        cx: &super::MapContext<'_>,
    ) -> Option<Action> {
        let members: Vec<&Vehicle> = frame
            .cluster_keys(c, cx.fleet)
            .into_iter()
            .filter_map(|k| cx.fleet.vehicle(k))
            .collect();
        let bounds = Bounds::of(members.iter().map(|v| v.display_position(cx.now_ms)))?;
        let apart = 2.0 * tokens::CLUSTER_DISTANCE as f64;
        let (needed, _) = camera::fit_unclamped(bounds, apart, apart);
        if needed <= camera::MAX_FIT_ZOOM && self.memory.zoom() < camera::MAX_FIT_ZOOM - 0.01 {
            return Some(Action::FitBounds(bounds));
        }
        let mut ids: Vec<VehicleId> = members.iter().map(|v| v.vehicle_id()).collect();
        ids.sort_by(|a, b| crate::ui::table::natural_cmp(&a.id, &b.id));
        self.fan = Some(Fan {
            ids,
            anchor: (
                (bounds.south + bounds.north) / 2.0,
                (bounds.west + bounds.east) / 2.0,
            ),
            zoom: self.memory.zoom(),
        });
        None
    }
}
