//! Applying what the dispatcher asked for, in one place: selection, following, search, zoom, and
//! the Feeds panel's changes (which go to the feeds thread and the session together).

use super::FleetApp;
use crate::feed::{FeedCommand, FeedSpec};
use crate::fleet::{FeedId, VehicleId};
use crate::ui::action::Action;
use crate::ui::view::Column;

/// The zoom "zoom to the selection" goes to: streets and their names.
const SELECTION_ZOOM: f64 = 16.0;

impl FleetApp {
    /// Applies one action. `searching`: the search box had the keyboard when the frame began.
    pub(super) fn apply(
        &mut self,
        action: Action,
        ctx: &egui::Context,
        searching: bool,
        now_ms: i64,
    ) {
        match action {
            Action::Select(id) => {
                if self.view.selected.as_ref() == Some(&id) {
                    self.centre_on(&id, now_ms);
                } else {
                    self.view.selected = Some(id);
                    self.view.following = false;
                    self.view.scroll_to_selected = true;
                }
            }
            Action::Show(id) => {
                // From the table: the row is in view already, so the table does not scroll.
                self.centre_on(&id, now_ms);
                self.view.selected = Some(id);
            }
            Action::Follow(id) => {
                self.view.selected = Some(id);
                self.view.following = true;
                self.view.scroll_to_selected = true;
            }
            Action::FollowSelected => match &self.view.selected {
                Some(_) => self.view.following = true,
                None => self.view.notify("Select a vehicle to follow first", now_ms),
            },
            Action::MapDragged => self.view.following = false,
            Action::Escape => {
                if self.view.help_open {
                    self.view.help_open = false;
                } else if self.map.close_fan() {
                } else if searching || ctx.egui_wants_keyboard_input() {
                    self.view.search.clear();
                    ctx.memory_mut(|m| m.stop_text_input());
                } else if self.view.following {
                    self.view.following = false;
                } else {
                    self.view.selected = None;
                }
            }
            Action::FocusSearch => self.view.focus_search = true,
            Action::MoveSelection(delta) => {
                let names = self.feed_names();
                self.table
                    .refresh(self.pipeline.fleet(), &self.view, &names, now_ms);
                if let Some(id) =
                    self.table
                        .step(self.pipeline.fleet(), self.view.selected.as_ref(), delta)
                {
                    self.apply(Action::Show(id), ctx, false, now_ms);
                    self.view.scroll_to_selected = true;
                }
            }
            Action::ShowAlert(_)
            | Action::Acknowledge(_)
            | Action::AcknowledgeAll
            | Action::HoldAlerts(_)
            | Action::AlertSound(_)
            | Action::CriticalSound(_)
            | Action::Notifications(_)
            | Action::FilterAlerts(_) => self.apply_alert_action(action, ctx, now_ms),
            Action::ToggleGeofences
            | Action::DrawGeofence(_)
            | Action::DrawAt(..)
            | Action::FinishDrawing(_)
            | Action::CancelDrawing
            | Action::RenameGeofence(..)
            | Action::DeleteGeofence(_)
            | Action::SaveGeofences => self.apply_geofence_action(action, now_ms),
            Action::Replay(replay) => self.replay_action(replay),
            Action::Record(on) => self.set_recording(on, now_ms),
            Action::WholeTrack(on) => self.show_whole_track(on),
            Action::ShowRecordings => {
                let dir = self.recordings_dir(now_ms);
                self.recordings_window.open_at(&dir);
            }
            Action::OpenReplay(path) => self.open_replay(&path, now_ms),
            Action::Nearest(lat, lon) => self.view.nearest = Some((lat, lon)),
            Action::CloseNearest => self.view.nearest = None,
            Action::History(a) => self.history_action(a, now_ms),
            Action::ToggleServerReplay => self.server_replay.toggle(now_ms),
            Action::ReplayFromServer { feed, at, until } => {
                self.replay_from_server(feed, at, until)
            }
            other => self.apply_map_action(other, now_ms),
        }
    }

    /// The Alerts panel's actions.
    fn apply_alert_action(&mut self, action: Action, ctx: &egui::Context, now_ms: i64) {
        match action {
            Action::ShowAlert(seq) => {
                let id = self
                    .alert_log
                    .get(seq)
                    .map(|a| VehicleId::new(a.feed, a.vehicle.as_str()));
                match id.filter(|id| self.pipeline.fleet().find(id).is_some()) {
                    Some(id) => {
                        self.apply(Action::Show(id), ctx, false, now_ms);
                        self.view.scroll_to_selected = true;
                    }
                    None => self
                        .view
                        .notify("That vehicle is no longer in its feed", now_ms),
                }
            }
            Action::Acknowledge(seq) => self.alert_log.acknowledge(seq),
            Action::AcknowledgeAll => self.alert_log.acknowledge_all(),
            Action::AlertSound(on) => self.view.alert_sound = on,
            Action::CriticalSound(on) => self.view.critical_muted = !on,
            Action::Notifications(on) => self.view.notifications_off = !on,
            Action::FilterAlerts(filter) => self.alert_filter = *filter,
            Action::HoldAlerts(held) => self.view.alerts_held = held,
            _ => {}
        }
    }

    /// The map's and the table's actions: zoom, fit, layers, keys, sorting and filters.
    fn apply_map_action(&mut self, action: Action, now_ms: i64) {
        match action {
            Action::Zoom(d) => {
                let _ = if d > 0 {
                    self.map.memory.zoom_in()
                } else {
                    self.map.memory.zoom_out()
                };
            }
            Action::FitBounds(bounds) => {
                self.view.following = false;
                self.map.fit(bounds);
            }
            Action::FitFleet => self.fit_to_fleet(),
            Action::ZoomToSelection => match self.view.selected.clone() {
                Some(id) => {
                    self.centre_on(&id, now_ms);
                    let _ = self.map.memory.set_zoom(SELECTION_ZOOM);
                }
                None => self.view.notify("Select a vehicle first", now_ms),
            },
            Action::SetLayer(layer, on) => self.view.layers.set(layer, on),
            Action::ToggleHelp => self.view.help_open = !self.view.help_open,
            Action::SortBy(column) => {
                let table = &mut self.view.table;
                if table.sort == column {
                    table.descending = !table.descending;
                } else {
                    table.sort = column;
                    // Fastest first; every other column reads best from its smallest.
                    table.descending = column == Column::Speed;
                }
            }
            Action::ShowCondition(condition, shown) => {
                self.view.table.shown[condition.index()] = shown;
            }
            Action::ClearFilters => self.view.clear_filters(),
            feed_action => self.apply_feed_action(feed_action, now_ms),
        }
    }

    /// The Feeds panel's actions.
    fn apply_feed_action(&mut self, action: Action, now_ms: i64) {
        let command = match action {
            Action::AddFeed(spec) => {
                if self.feeds.is_none() {
                    self.view.notify("No feeds thread to add a feed to", now_ms);
                    return;
                }
                let name = spec.name.clone();
                self.start_feed(*spec);
                self.view.notify(format!("Feed {name} added"), now_ms);
                return;
            }
            Action::EditFeed(id, spec) => {
                self.replace_feed(id, *spec, now_ms);
                FeedCommand::Remove(id)
            }
            Action::RemoveFeed(id) => {
                self.specs.remove(&id);
                let _ = self.pipeline.remove_feed(id);
                self.view.hidden.remove(&id);
                if self.embedded == Some(id) {
                    self.embedded = None;
                }
                self.forget_gone_selection(now_ms);
                FeedCommand::Remove(id)
            }
            Action::PauseFeed(id) => {
                if let Some(spec) = self.specs.get_mut(&id) {
                    spec.enabled = false;
                }
                FeedCommand::Pause(id)
            }
            Action::ResumeFeed(id) => {
                if let Some(spec) = self.specs.get_mut(&id) {
                    spec.enabled = true;
                }
                FeedCommand::Resume(id)
            }
            Action::SetHidden(id, hidden) => {
                if hidden {
                    self.view.hidden.insert(id);
                } else {
                    self.view.hidden.remove(&id);
                }
                self.forget_gone_selection(now_ms);
                return;
            }
            Action::ColourByFeed(on) => {
                self.view.colour_by_feed = on;
                return;
            }
            _ => return,
        };
        if let Some(set) = &self.feeds
            && let Err(e) = set.send(command)
        {
            self.view
                .notify(format!("Cannot change the feed: {e}"), now_ms);
        }
    }

    /// New settings run as a new feed in the old one's place, with its colour and visibility:
    /// the old feed's vehicles (and any of its events still on the way) are gone for good.
    fn replace_feed(&mut self, old: FeedId, mut spec: FeedSpec, now_ms: i64) {
        if spec.colour.is_none() {
            let [r, g, b, _] = self.palette().feed(old).to_array();
            spec.colour = Some([r, g, b]);
        }
        let new = FeedId(self.next_id);
        self.next_id += 1;
        let _ = self.pipeline.replace_feed(old, new, &spec.name);
        self.specs.remove(&old);
        if self.view.hidden.remove(&old) {
            self.view.hidden.insert(new);
        }
        if self.embedded == Some(old) {
            self.embedded = None;
        }
        self.run_feed(new, spec);
        self.forget_gone_selection(now_ms);
    }

    fn centre_on(&mut self, id: &VehicleId, now_ms: i64) {
        if let Some(v) = self.pipeline.fleet().find(id) {
            let (lat, lon) = v.display_position(now_ms);
            self.map.centre_on(lat, lon);
        }
    }
}
