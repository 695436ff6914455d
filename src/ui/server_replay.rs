//! The "Replay from server" window: a fleetview feed, a moment and how long; the fleet as it
//! was is fetched from that server's history (progress, Cancel) and replayed in a window of its
//! own, as a recording is. Times are UTC.

use egui::Context;

use super::action::Action;
use super::history::range::time_of;
use super::timeline::date_time;
use super::tokens;
use crate::feed::history::{Handle, Replayed, Update};
use crate::fleet::FeedId;

/// The window's state, and the request under way.
pub struct ServerReplayWindow {
    pub open: bool,
    pub feed: Option<FeedId>,
    pub at_text: String,
    pub minutes: u32,
    job: Option<Handle<Replayed>>,
    /// Fixes fetched so far.
    pub progress: usize,
    pub error: Option<String>,
}

impl Default for ServerReplayWindow {
    fn default() -> Self {
        Self {
            open: false,
            feed: None,
            at_text: String::new(),
            minutes: 30,
            job: None,
            progress: 0,
            error: None,
        }
    }
}

impl ServerReplayWindow {
    /// Opens it, the moment an hour before `now_ms` unless one was typed.
    pub fn toggle(&mut self, now_ms: i64) {
        self.open = !self.open;
        if self.at_text.is_empty() {
            let t = date_time(now_ms - 3_600_000);
            self.at_text = t.get(..16).unwrap_or(&t).to_owned();
        }
    }

    pub fn start(&mut self, handle: Handle<Replayed>) {
        self.job = Some(handle);
        self.progress = 0;
        self.error = None;
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// The request's progress since the last frame; its answer when it is done.
    pub fn poll(&mut self) -> Option<Update<Replayed>> {
        let job = self.job.as_ref()?;
        while let Some(update) = job.try_recv() {
            match update {
                Update::Progress { fixes, .. } => self.progress = fixes,
                done @ Update::Done(_) => {
                    self.job = None;
                    return Some(done);
                }
            }
        }
        None
    }
}

/// The window, when open; `feeds` are the fleetview feeds (whose servers keep history).
pub fn show(
    ctx: &Context,
    state: &mut ServerReplayWindow,
    feeds: &[(FeedId, String)],
) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut open = state.open;
    egui::Window::new("Replay from server")
        .open(&mut open)
        .default_width(360.0)
        .show(ctx, |ui| {
            if feeds.is_empty() {
                ui.label(
                    "No fleetview feed: a replay from a server reads a fleetview server's history.",
                );
                return;
            }
            let feed = *state.feed.get_or_insert(feeds[0].0);
            let name = feeds
                .iter()
                .find(|f| f.0 == feed)
                .map_or("", |f| f.1.as_str());
            egui::ComboBox::from_label("Feed")
                .selected_text(name)
                .show_ui(ui, |ui| {
                    for (id, name) in feeds {
                        ui.selectable_value(&mut state.feed, Some(*id), name);
                    }
                });
            ui.horizontal(|ui| {
                ui.label("From (UTC)");
                ui.text_edit_singleline(&mut state.at_text);
            });
            ui.horizontal(|ui| {
                ui.label("For");
                ui.add(
                    egui::DragValue::new(&mut state.minutes)
                        .range(1..=1440)
                        .suffix(" min"),
                );
            });
            if state.is_running() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Fetching: {} fixes", state.progress));
                    if ui.button("Cancel").clicked() {
                        state.job = None;
                    }
                });
            } else if ui.button("Replay").clicked() {
                match time_of(&state.at_text) {
                    Some(at) => actions.push(Action::ReplayFromServer {
                        feed,
                        at,
                        until: at + i64::from(state.minutes) * 60_000,
                    }),
                    None => {
                        state.error = Some(format!(
                            "{:?} is not a time (like 2026-12-04 14:00)",
                            state.at_text
                        ))
                    }
                }
            }
            if let Some(e) = &state.error {
                ui.colored_label(tokens::FAIL_RED, e);
            }
        });
    state.open = open;
    actions
}
