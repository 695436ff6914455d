//! The dispatcher's window: a walkers map of OSM tiles with every vehicle moving, a list and
//! details beside it, the Feeds panel on the left, a status bar below. Drawing only: the model
//! lives in [`crate::session`] and [`crate::fleet`], the sockets in [`crate::feed`]; panels
//! return [`Action`]s that [`FleetApp`] applies.

mod action;
mod alerts;
mod app;
mod attrs;
mod chime;
mod details;
mod feeds;
mod geofences;
pub mod history;
mod keys;
mod map;
mod markers;
mod nearest;
mod notify;
mod recordings;
mod server_replay;
mod shown;
mod status;
mod table;
mod tiles;
mod timeline;
mod tokens;
mod view;
mod words;

pub use action::Action;
pub use alerts::{AlertFilter, AlertLog};
pub use app::{AppConfig, Board, FeedSource, FleetApp, default_recording, server_recording};
pub use keys::{KEYS, help_text as keys_help};
pub use table::{FeedNames, TableState};
pub use tiles::TileSpec;
pub use view::{Column, TableView, ViewState};

/// Opens the window and runs until it is closed.
pub fn run(config: AppConfig) -> Result<(), eframe::Error> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("fleetview")
            .with_app_id("fleetview")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 560.0]),
        persist_window: true,
        ..eframe::NativeOptions::default()
    };
    eframe::run_native(
        "fleetview",
        options,
        Box::new(|cc| Ok(Box::new(FleetApp::new(cc, config)))),
    )
}
