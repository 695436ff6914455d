//! The Recordings window: the recordings in the recordings directory (newest first, with their
//! size) and a path to type, each opened for replay in a window of its own, so the live map
//! stays as it is. A file that is not a recording is refused here, with the reason.

use std::path::{Path, PathBuf};

use egui::{Context, TextEdit};

use super::action::Action;

/// What the window keeps between frames.
#[derive(Debug, Default)]
pub struct RecordingsWindow {
    pub open: bool,
    pub path: String,
    /// The recordings found when the window was opened: path, bytes.
    pub found: Vec<(PathBuf, u64)>,
    /// Why the last recording could not be opened.
    pub error: Option<String>,
}

impl RecordingsWindow {
    /// Opens the window listing the `.fvr` files in `dir`, newest first.
    pub fn open_at(&mut self, dir: &Path) {
        self.open = true;
        self.error = None;
        let mut found: Vec<(PathBuf, u64, std::time::SystemTime)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "fvr"))
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                Some((e.path(), meta.len(), meta.modified().ok()?))
            })
            .collect();
        found.sort_by_key(|f| std::cmp::Reverse(f.2));
        self.found = found.into_iter().map(|(p, n, _)| (p, n)).collect();
    }
}

/// The window, when open.
pub fn show(ctx: &Context, dir: &Path, state: &mut RecordingsWindow) -> Vec<Action> {
    let mut actions = Vec::new();
    let mut open = state.open;
    egui::Window::new("Recordings")
        .open(&mut open)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.label(format!("In {}:", dir.display()));
            if state.found.is_empty() {
                ui.weak("No recordings yet: the status bar's Record button makes one.");
            }
            egui::ScrollArea::vertical()
                .max_height(240.0)
                .show(ui, |ui| {
                    for (path, bytes) in &state.found {
                        ui.horizontal(|ui| {
                            let name = path
                                .file_name()
                                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                            ui.label(format!("{name} ({:.1} MB)", *bytes as f64 / 1e6));
                            if ui.button("Replay").clicked() {
                                actions.push(Action::OpenReplay(path.clone()));
                            }
                        });
                    }
                });
            ui.separator();
            ui.horizontal(|ui| {
                ui.add(TextEdit::singleline(&mut state.path).hint_text("or a recording's path"));
                let ready = !state.path.trim().is_empty();
                if ui.add_enabled(ready, egui::Button::new("Replay")).clicked() {
                    actions.push(Action::OpenReplay(PathBuf::from(state.path.trim())));
                }
            });
            if ui
                .button("Replay from server…")
                .on_hover_text("The fleet at a moment and after, from a fleetview server's history: no recording needed")
                .clicked()
            {
                actions.push(Action::ToggleServerReplay);
            }
            if let Some(e) = &state.error {
                ui.colored_label(super::tokens::FAIL_RED, e);
            }
        });
    state.open = open;
    actions
}
