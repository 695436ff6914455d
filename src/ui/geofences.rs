//! The Geofences window: every geofence with its name (rename it in place) and a Delete
//! button; drawing a new one on the map (a polygon by its corners, a circle by its centre and a
//! point on its edge); saving them all back to the GeoJSON file they came from.

use egui::{Context, TextEdit};

use super::action::Action;
use super::view::Drawing;
use crate::alerts::{Area, Geofences};

/// What the window keeps between frames: the names being edited, the new geofence's name.
#[derive(Debug, Default)]
pub struct GeofencesWindow {
    pub names: Vec<String>,
    pub new_name: String,
}

/// The window, when open. `file` is where Save writes (none: the geofences were not read from
/// a file, so there is nowhere to save them).
pub fn show(
    ctx: &Context,
    fences: &Geofences,
    drawing: Option<&Drawing>,
    file: Option<&str>,
    state: &mut GeofencesWindow,
) -> Vec<Action> {
    let mut actions = Vec::new();
    if state.names.len() != fences.len() {
        state.names = fences.iter().map(|f| f.name.clone()).collect();
    }
    let mut open = true;
    egui::Window::new("Geofences")
        .open(&mut open)
        .default_width(320.0)
        .show(ctx, |ui| {
            actions.extend(rows(ui, fences, state));
            ui.separator();
            match drawing {
                None => {
                    ui.horizontal(|ui| {
                        if ui.button("Draw polygon").clicked() {
                            actions.push(Action::DrawGeofence(false));
                        }
                        if ui.button("Draw circle").clicked() {
                            actions.push(Action::DrawGeofence(true));
                        }
                    });
                }
                Some(d) => actions.extend(drawing_controls(ui, d, state)),
            }
            ui.separator();
            match file {
                Some(path) => {
                    if ui
                        .button("Save")
                        .on_hover_text(format!("Write them to {path}"))
                        .clicked()
                    {
                        actions.push(Action::SaveGeofences);
                    }
                }
                None => {
                    ui.weak("Start with --geofences FILE to save them.");
                }
            }
        });
    if !open {
        actions.push(Action::ToggleGeofences);
    }
    actions
}

/// A row per geofence: its shape, its name (edited in place; Enter renames) and Delete.
fn rows(ui: &mut egui::Ui, fences: &Geofences, state: &mut GeofencesWindow) -> Vec<Action> {
    let mut actions = Vec::new();
    for (i, fence) in fences.iter().enumerate() {
        ui.horizontal(|ui| {
            let what = match fence.area {
                Area::Polygons(_) => "polygon",
                Area::Circle { .. } => "circle",
            };
            ui.weak(what);
            let edit = ui.add(TextEdit::singleline(&mut state.names[i]).desired_width(160.0));
            if edit.lost_focus() && state.names[i] != fence.name {
                actions.push(Action::RenameGeofence(i, state.names[i].clone()));
            }
            if ui.small_button("Delete").clicked() {
                actions.push(Action::DeleteGeofence(i));
            }
        });
    }
    actions
}

fn drawing_controls(ui: &mut egui::Ui, d: &Drawing, state: &mut GeofencesWindow) -> Vec<Action> {
    let mut actions = Vec::new();
    let (needed, hint) = if d.circle {
        (2, "Click the centre on the map, then a point on the edge.")
    } else {
        (3, "Click each corner on the map.")
    };
    ui.label(format!("{hint} {} so far.", d.points.len()));
    ui.horizontal(|ui| {
        ui.label("Name");
        ui.add(TextEdit::singleline(&mut state.new_name).hint_text("Depot"));
    });
    ui.horizontal(|ui| {
        let ready = d.points.len() >= needed && !state.new_name.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Finish")).clicked() {
            actions.push(Action::FinishDrawing(state.new_name.trim().to_owned()));
            state.new_name.clear();
        }
        if ui.button("Cancel").clicked() {
            actions.push(Action::CancelDrawing);
        }
    });
    actions
}
