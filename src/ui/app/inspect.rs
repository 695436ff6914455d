//! What tests, benchmarks and the binary read of the app: the session and fleet, the view,
//! the feeds' settings, and what the map and the table drew in the last frame.

use std::collections::BTreeMap;

use super::FleetApp;
use crate::feed::FeedSpec;
use crate::fleet::{FeedId, Fleet};
use crate::session::Session;
use crate::ui::view::ViewState;

impl FleetApp {
    pub fn session(&self) -> &Session {
        self.pipeline.session()
    }

    pub fn fleet(&self) -> &Fleet {
        self.pipeline.fleet()
    }

    pub fn view(&self) -> &ViewState {
        &self.view
    }

    /// The settings of the feeds this app runs.
    pub fn specs(&self) -> &BTreeMap<FeedId, FeedSpec> {
        &self.specs
    }

    /// The map's centre (lat, lon) and zoom.
    pub fn map_view(&self) -> ((f64, f64), f64) {
        (self.map.centre(), self.map.zoom())
    }

    /// Vehicles in view in the last frame, and whether they were drawn as clusters.
    pub fn map_in_view(&self) -> (usize, bool) {
        self.map.in_view
    }

    /// The spatial index's level whose cells the map drew in the last frame (`None`: it placed
    /// each vehicle on its own).
    pub fn map_cells_level(&self) -> Option<u8> {
        self.map.cells_level()
    }

    /// The clusters the map drew in the last frame: where, and how many vehicles each holds.
    pub fn map_clusters(&self) -> Vec<(egui::Pos2, u32)> {
        self.map.clusters()
    }

    /// Where the map drew labels in the last frame.
    pub fn map_labels(&self) -> Vec<egui::Rect> {
        self.map.labels()
    }

    /// The vehicles of a fanned-out cluster, as ids, and where they were drawn.
    pub fn map_fanned(&self) -> Vec<(String, egui::Pos2)> {
        self.map
            .fanned()
            .into_iter()
            .filter_map(|(k, p)| Some((self.fleet().vehicle(k)?.id().to_owned(), p)))
            .collect()
    }

    /// The vehicles with a critical alert open, as ids, and where the map drew them apart from
    /// every cluster.
    pub fn map_alarmed(&self) -> Vec<(String, egui::Pos2)> {
        self.map
            .alarmed()
            .into_iter()
            .filter_map(|(k, p)| Some((self.fleet().vehicle(k)?.id().to_owned(), p)))
            .collect()
    }

    /// Where the map was drawn in the last frame.
    pub fn map_rect(&self) -> egui::Rect {
        self.map.rect()
    }

    /// The rows of the table, as ids, in order.
    pub fn list_ids(&self) -> Vec<String> {
        self.table
            .rows()
            .iter()
            .filter_map(|k| self.fleet().vehicle(*k))
            .map(|v| v.id().to_owned())
            .collect()
    }
}
