//! The app's recording and replay: a recorder beside the live feeds (every event drained is
//! offered to it), and a player standing in for the feeds thread when replaying, whose time
//! is the window's "now". A seek resets the session to a keyframe's state.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{DRAIN_BUDGET, FleetApp};
use crate::fleet::VehicleId;
use crate::record::player::Player;
use crate::record::recorder::{Backpressure, RecorderStatus};
use crate::record::track::{Track, TrackJob};
use crate::ui::action::{Action, ReplayAction};
use crate::ui::timeline::{self, Timeline};

/// A jump of the arrow keys, and with Shift.
pub const JUMP_MS: i64 = 10_000;
pub const LONG_JUMP_MS: i64 = 60_000;

/// A replay in the window: the player, and the selected vehicle's whole track.
pub struct Replaying {
    pub player: Player,
    track_job: Option<TrackJob>,
    track: Option<(VehicleId, Track)>,
    /// Why the last track could not be read.
    track_error: Option<String>,
}

impl Replaying {
    pub fn new(player: Player) -> Self {
        Self {
            player,
            track_job: None,
            track: None,
            track_error: None,
        }
    }
}

impl Replaying {
    /// The selected vehicle's whole track, when drawn.
    pub fn track(&self) -> Option<&Track> {
        self.track.as_ref().map(|(_, t)| t)
    }
}

/// Where the window's Record button writes: the data directory's `recordings`, by date.
pub fn default_recording(now_ms: i64) -> PathBuf {
    let dir = dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("fleetview")
        .join("recordings");
    let stamp = timeline::date_time(now_ms)
        .trim_end_matches(" UTC")
        .replace([' ', ':'], "-");
    dir.join(format!("fleetview-{stamp}.fvr"))
}

impl FleetApp {
    /// Now as the window shows it: replay time when replaying, else the clock's.
    pub(super) fn now(&self) -> i64 {
        match &self.replay {
            Some(r) => r.player.position(),
            None => self.pipeline.now_ms(),
        }
    }

    /// The replay, when the window plays a recording.
    pub fn replay(&self) -> Option<&Player> {
        self.replay.as_ref().map(|r| &r.player)
    }

    /// The map's badge while a recording plays: its time and speed.
    pub(super) fn replay_badge(&self) -> Option<String> {
        let p = &self.replay.as_ref()?.player;
        let speed = p.is_playing().then(|| p.speed());
        Some(crate::ui::map::replay_badge::words(p.position(), speed))
    }

    /// The selected vehicle's whole track, when drawn.
    pub fn whole_track(&self) -> Option<&Track> {
        self.replay.as_ref()?.track()
    }

    /// How the recording goes, when recording.
    pub fn recording(&self) -> Option<(&Path, RecorderStatus)> {
        self.pipeline.recording()
    }

    /// Moves replay time on and applies what is due (within the time budget).
    pub(super) fn drain_replay(&mut self, ctx: &egui::Context, wall_ms: i64) {
        let Some(replay) = self.replay.as_mut() else {
            return;
        };
        replay.player.advance(wall_ms);
        let deadline = Instant::now() + DRAIN_BUDGET;
        while let Some(step) = replay.player.next_step() {
            self.pipeline.play(&step);
            if Instant::now() >= deadline {
                break;
            }
        }
        replay.player.keep_up();
        if replay.player.is_playing() || !replay.player.is_caught_up() {
            ctx.request_repaint();
        }
        if let Some(job) = &replay.track_job
            && let Some(result) = job.try_take()
        {
            let who = job.vehicle().clone();
            replay.track_job = None;
            match result {
                Ok(track) => replay.track = Some((who, track)),
                Err(e) => replay.track_error = Some(e.to_string()),
            }
        }
    }

    pub(super) fn replay_action(&mut self, action: ReplayAction) {
        let wall = self.pipeline.now_ms();
        let Some(replay) = self.replay.as_mut() else {
            return;
        };
        let p = &mut replay.player;
        match action {
            ReplayAction::PlayPause => {
                if !p.is_playing() && p.position() >= p.span().1 {
                    p.seek(p.span().0);
                }
                let play = !p.is_playing();
                p.set_playing(play, wall);
            }
            ReplayAction::StepSpeed(by) => p.step_speed(by),
            ReplayAction::Speed(s) => p.set_speed(s),
            ReplayAction::Seek(t) => p.seek(t),
            ReplayAction::Jump(ms) => p.seek(p.position() + ms),
        }
    }

    /// Starts the selected vehicle's whole-track scan, or hides the track.
    pub(super) fn show_whole_track(&mut self, on: bool) {
        let selected = self.view.selected.clone();
        let Some(replay) = self.replay.as_mut() else {
            return;
        };
        replay.track = None;
        replay.track_error = None;
        replay.track_job = match (on, selected) {
            (true, Some(id)) => Some(TrackJob::start(replay.player.path(), id)),
            _ => None,
        };
    }

    /// Starts recording (to `--record`'s file, else a new one by date), or stops.
    pub(super) fn set_recording(&mut self, on: bool, now_ms: i64) {
        if !on {
            if let Some((path, status)) = self.pipeline.stop_recording() {
                let path = path.display();
                self.view.notify(
                    format!("Recorded {:.1} MB to {path}", status.bytes as f64 / 1e6),
                    now_ms,
                );
            }
            return;
        }
        if self.pipeline.recording().is_some() || self.replay.is_some() {
            return;
        }
        let path = self
            .record_to
            .clone()
            .unwrap_or_else(|| default_recording(now_ms));
        if let Err(e) = self.pipeline.start_recording(&path, Backpressure::Drop) {
            self.view.notify(format!("Cannot record: {e}"), now_ms);
        }
    }

    /// Where recordings are listed from: `--record`'s directory, else the default one.
    pub(super) fn recordings_dir(&self, now_ms: i64) -> PathBuf {
        let file = self
            .record_to
            .clone()
            .unwrap_or_else(|| default_recording(now_ms));
        file.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The Recordings window, when open.
    pub(super) fn recordings_window(&mut self, ctx: &egui::Context) -> Vec<Action> {
        if !self.recordings_window.open {
            return Vec::new();
        }
        let dir = self.recordings_dir(self.pipeline.now_ms());
        crate::ui::recordings::show(ctx, &dir, &mut self.recordings_window)
    }

    /// Replays `path` in a window of its own (this program again, with `--replay`), once it
    /// reads as a recording; the live map stays.
    pub(super) fn open_replay(&mut self, path: &Path, now_ms: i64) {
        let opened = crate::record::Recording::open(path)
            .map_err(|e| e.to_string())
            .and_then(|_| std::env::current_exe().map_err(|e| e.to_string()))
            .and_then(|exe| {
                std::process::Command::new(exe)
                    .arg("--replay")
                    .arg(path)
                    .spawn()
                    .map_err(|e| format!("cannot start the replay: {e}"))
            });
        match opened {
            Ok(_) => {
                self.recordings_window.open = false;
                self.view.notify(
                    format!("Replaying {} in a new window", path.display()),
                    now_ms,
                );
            }
            Err(e) => self.recordings_window.error = Some(e),
        }
    }

    /// Under the timeline: the selected vehicle's whole-track button, or the track's state.
    fn track_row(
        &self,
        ui: &mut egui::Ui,
        replay: &Replaying,
        selected: Option<&str>,
    ) -> Vec<Action> {
        let mut actions = Vec::new();
        ui.horizontal(|ui| {
            let shown = replay.track.is_some() || replay.track_job.is_some();
            match (selected, shown) {
                (Some(name), false) => {
                    if ui
                        .button(format!("Whole track of {name}"))
                        .on_hover_text("Draw its every fix in the recording, coloured by speed, with its stops")
                        .clicked()
                    {
                        actions.push(Action::WholeTrack(true));
                    }
                }
                (_, true) => {
                    if replay.track_job.is_some() {
                        ui.spinner();
                        ui.label("reading the track...");
                    } else if let Some((id, track)) = &replay.track {
                        let name = self.fleet().find(id).map_or(&*id.id, |v| v.display_name());
                        ui.label(format!(
                            "{name}: {} fixes, {} stops",
                            track.points.len(),
                            track.stops.len()
                        ));
                    }
                    if ui.button("Hide the track").clicked() {
                        actions.push(Action::WholeTrack(false));
                    }
                }
                (None, false) => {
                    ui.label("Select a vehicle to draw its whole track");
                }
            }
            if let Some(e) = &replay.track_error {
                ui.colored_label(crate::ui::tokens::FAIL_RED, e);
            }
        });
        actions
    }

    /// The timeline bar, when replaying.
    pub(super) fn timeline_panel(&self, ui: &mut egui::Ui) -> Vec<Action> {
        let Some(replay) = &self.replay else {
            return Vec::new();
        };
        let p = &replay.player;
        let file = p.path().display().to_string();
        let selected = self
            .view
            .selected
            .as_ref()
            .and_then(|id| self.fleet().find(id))
            .map(|v| v.display_name().to_owned());
        let t = Timeline {
            position: p.position(),
            span: p.span(),
            playing: p.is_playing(),
            speed: p.speed(),
            loading: !p.is_caught_up(),
            damage: p.damage(),
            file: &file,
        };
        let mut actions = Vec::new();
        egui::Panel::bottom("timeline").show(ui, |ui| {
            actions = timeline::show(ui, &t);
            actions.extend(self.track_row(ui, replay, selected.as_deref()));
        });
        actions
    }
}
