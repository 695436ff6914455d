//! The app's side of History: opening one for a vehicle, asking its feed's server (on the
//! feeds' runtime), taking the answer each frame, zooming to a trip or a stop, and exporting
//! the track shown. And the fleet from a server's history, replayed in a window of its own.

use std::path::Path;

use super::FleetApp;
use crate::export::{TrackFormat, TrackWriter};
use crate::feed::history::{HistoryDay, HistoryError, HistoryQuery, ReplayQuery, Update};
use crate::fleet::{FeedId, VehicleId};
use crate::formats::FeedKind;
use crate::ui::action::{Action, HistoryAction};
use crate::ui::history::{Fetch, HistoryWindow, Loaded, Range, range};
use crate::ui::map::camera::Bounds;

impl FleetApp {
    pub(super) fn history_action(&mut self, action: HistoryAction, now_ms: i64) {
        match action {
            HistoryAction::Open(id) => self.open_history(id, now_ms),
            HistoryAction::OpenSelected => match self.view.selected.clone() {
                Some(id) => self.open_history(id, now_ms),
                None => self
                    .view
                    .notify("Select a vehicle to see its History", now_ms),
            },
            HistoryAction::Ask(range) => self.ask_history(range, now_ms),
            HistoryAction::AskTyped => {
                let Some(w) = &mut self.history else { return };
                match range::between(&w.from_text, &w.to_text) {
                    Ok(r) => self.ask_history(r, now_ms),
                    Err(e) => w.error = Some(e),
                }
            }
            HistoryAction::Cancel => self.history.iter_mut().for_each(HistoryWindow::cancel),
            HistoryAction::Close => self.history = None,
            HistoryAction::Hover(ms) => self.history.iter_mut().for_each(|w| w.hover_ms = ms),
            HistoryAction::Pick(picked) => {
                let Some(w) = &mut self.history else { return };
                w.picked = Some(picked);
                self.zoom_to_picked();
            }
            HistoryAction::Limit(kmh) => self.history.iter_mut().for_each(|w| w.limit_kmh = kmh),
            HistoryAction::Export(format) => self.export_dialog(format, now_ms),
        }
    }

    /// Opens the History of `id` on today.
    fn open_history(&mut self, id: VehicleId, now_ms: i64) {
        let vehicle = self.pipeline.fleet().find(&id);
        let name = vehicle.map_or_else(|| id.id.to_string(), |v| v.display_name().to_owned());
        let limit = self.pipeline.alerts().and_then(|e| {
            e.rules()
                .limit_kmh(vehicle.and_then(|v| v.kind()))
                .map(|l| l as f32)
        });
        self.history = Some(HistoryWindow::new(id, name, limit));
        self.ask_history(Range::Today, now_ms);
    }

    /// Asks the vehicle's feed's server for `range` (the request before it is cancelled).
    fn ask_history(&mut self, range: Range, now_ms: i64) {
        let Some(w) = &mut self.history else { return };
        w.range = range;
        w.error = None;
        let (from_ms, to_ms) = range.span(now_ms);
        let query = HistoryQuery {
            vehicle: w.vehicle.id.to_string(),
            from_ms,
            to_ms,
        };
        let asked = match &self.feeds {
            Some(feeds) => feeds
                .history(w.vehicle.feed, query)
                .map_err(|e| e.to_string()),
            None => Err(
                "History is read from a live feed's server: this window replays a \
                         recording (its whole track is under the timeline)"
                    .to_owned(),
            ),
        };
        match asked {
            Ok(handle) => w.start(handle, (from_ms, to_ms)),
            Err(e) => w.fetch = Fetch::Failed(HistoryError::Unsupported(e)),
        }
    }

    /// Takes what the History's request has said (once a frame). A new track is fitted once
    /// the map has settled into the room the speed chart leaves it (its size unchanged for a
    /// frame).
    pub(super) fn poll_history(&mut self, ctx: &egui::Context) {
        let Some(w) = &mut self.history else { return };
        if w.fit_due && w.loaded().is_none() {
            // A new range was asked for before the last answer was fitted: that fit is moot,
            // and waiting for it (the chart it waits for shows only what is loaded) would never
            // look at the new answer.
            w.fit_due = false;
            w.fit_seen = None;
        }
        if w.fit_due {
            let rect = self.map.rect();
            if self.board.chart.is_some() && w.fit_seen == Some(rect) {
                w.fit_due = false;
                self.fit_history();
            } else {
                w.fit_seen = Some(rect);
                ctx.request_repaint();
            }
            return;
        }
        if w.poll() && w.loaded().is_some() {
            w.fit_due = true;
            ctx.request_repaint();
        }
    }

    /// The map around the whole track.
    fn fit_history(&mut self) {
        let Some(loaded) = self.history.as_ref().and_then(|w| w.loaded()) else {
            return;
        };
        if let Some(bounds) = Bounds::of(loaded.track.fixes.iter().map(|f| (f.lat, f.lon))) {
            self.view.following = false;
            self.map.fit(bounds);
        }
    }

    /// The map around the trip or stop picked in the list.
    fn zoom_to_picked(&mut self) {
        let Some(w) = &self.history else { return };
        let (Some(loaded), Some((from, to))) = (w.loaded(), w.picked_span()) else {
            return;
        };
        let fixes = loaded.track.between(from, to);
        if let Some(bounds) = Bounds::of(fixes.iter().map(|f| (f.lat, f.lon))) {
            self.view.following = false;
            self.map.fit(bounds);
        }
    }

    /// Asks where to save the track shown, then writes it there.
    fn export_dialog(&mut self, format: TrackFormat, now_ms: i64) {
        let Some(w) = &self.history else { return };
        let file = format!(
            "{}.{}",
            w.vehicle.id.replace(['/', '\\', ':'], "_"),
            format.extension()
        );
        let chosen = rfd::FileDialog::new()
            .set_file_name(file)
            .add_filter(format.name(), &[format.extension()])
            .save_file();
        let Some(path) = chosen else { return };
        match self.export_history(&path, format) {
            Ok(n) => self
                .view
                .notify(format!("Saved {n} fixes to {}", path.display()), now_ms),
            Err(e) => {
                if let Some(w) = &mut self.history {
                    w.error = Some(e);
                }
            }
        }
    }

    /// Writes the History's track to `path` in `format`; the number of fixes written.
    pub fn export_history(&self, path: &Path, format: TrackFormat) -> Result<usize, String> {
        let loaded = self
            .history
            .as_ref()
            .and_then(|w| w.loaded())
            .ok_or("no track is shown")?;
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let file = std::fs::File::create(path).map_err(failed)?;
        let id = self.history.as_ref().map_or("", |w| &*w.vehicle.id);
        let mut out =
            TrackWriter::begin(std::io::BufWriter::new(file), format, id).map_err(failed)?;
        for fix in loaded.day.fixes.iter() {
            out.point(&fix).map_err(failed)?;
        }
        out.end().map_err(failed)?;
        Ok(loaded.day.fixes.len())
    }

    /// The speed chart under the map, while a History has an answer.
    pub(super) fn chart_panel(&mut self, ui: &mut egui::Ui) -> Vec<Action> {
        let Some(w) = self.history.as_ref().filter(|w| w.loaded().is_some()) else {
            return Vec::new();
        };
        let mut actions = Vec::new();
        let shown = egui::Panel::bottom("speed-chart").show(ui, |ui| {
            actions = crate::ui::history::chart::show(ui, w);
        });
        self.board.chart = Some(shown.response.rect);
        actions
    }

    /// The History and "Replay from server" windows, when open.
    pub(super) fn history_windows(&mut self, ctx: &egui::Context) -> Vec<Action> {
        let mut actions = Vec::new();
        if let Some(w) = &mut self.history {
            actions.extend(crate::ui::history::window::show(ctx, w));
        }
        if self.server_replay.open {
            let feeds: Vec<(FeedId, String)> = self
                .specs
                .iter()
                .filter(|(_, s)| s.kind == FeedKind::Fleetview)
                .map(|(id, s)| (*id, s.name.clone()))
                .collect();
            actions.extend(crate::ui::server_replay::show(
                ctx,
                &mut self.server_replay,
                &feeds,
            ));
        }
        actions
    }

    /// The cursor follows the pointer: on the chart or the track this frame, or nowhere.
    pub(super) fn settle_hover(&mut self, actions: &[Action]) {
        if let Some(w) = &mut self.history {
            w.hover_ms = actions.iter().find_map(|a| match a {
                Action::History(HistoryAction::Hover(ms)) => *ms,
                _ => None,
            });
        }
    }

    /// Shows `day` as the History of `id` over `from_ms..=to_ms`, fetched elsewhere (a
    /// benchmark's made-up day, a file): as an answer from the server would be shown.
    pub fn show_history_day(&mut self, id: VehicleId, day: HistoryDay, from_ms: i64, to_ms: i64) {
        let name = id.id.to_string();
        let mut w = HistoryWindow::new(id, name, None);
        w.range = Range::Between(from_ms, to_ms);
        w.asked = (from_ms, to_ms);
        w.fetch = Fetch::Loaded(Box::new(Loaded::new(day, from_ms, to_ms)));
        w.fit_due = true;
        self.history = Some(w);
    }

    /// Where the map drew the History's cursor in the last frame.
    pub fn map_history_cursor(&self) -> Option<egui::Pos2> {
        self.map.history_cursor()
    }

    /// The History window, when open.
    pub fn history(&self) -> Option<&HistoryWindow> {
        self.history.as_ref()
    }

    /// ... to change by hand (tests and benches put it in a given state).
    pub fn history_mut(&mut self) -> Option<&mut HistoryWindow> {
        self.history.as_mut()
    }

    /// Asks feed `feed`'s server for the fleet from `at` to `until` and, once written, replays
    /// it in a window of its own.
    pub(super) fn replay_from_server(&mut self, feed: FeedId, at: i64, until: i64) {
        let Some(feeds) = &self.feeds else { return };
        let name = self
            .specs
            .get(&feed)
            .map_or_else(|| feed.to_string(), |s| s.name.clone());
        let query = ReplayQuery {
            at_ms: at,
            until_ms: until,
            path: server_recording(&self.recordings_dir(at), &name, at),
            feed_name: name,
        };
        match feeds.replay(feed, query) {
            Ok(handle) => self.server_replay.start(handle),
            Err(e) => self.server_replay.error = Some(e.to_string()),
        }
    }

    /// Takes what the replay's request has said; opens the replay when it is written.
    pub(super) fn poll_server_replay(&mut self, now_ms: i64) {
        let Some(update) = self.server_replay.poll() else {
            return;
        };
        match update {
            Update::Done(Ok(replayed)) => {
                self.server_replay.open = false;
                self.open_replay(&replayed.path, now_ms);
            }
            Update::Done(Err(e)) => self.server_replay.error = Some(e.to_string()),
            Update::Progress { .. } => {}
        }
    }
}

/// Where a replay fetched from a server is written: beside the recordings, named for the
/// feed and the moment.
pub fn server_recording(dir: &Path, feed_name: &str, at_ms: i64) -> std::path::PathBuf {
    let name: String = feed_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    dir.join(format!("server-{name}-{at_ms}.fvr"))
}
