//! The keyboard, tar1090 style, and the one list of keys that the `?` overlay and `--help` both
//! show.

use egui::{Context, Key, Modifiers};

use super::action::Action;
use super::view::{Layer, ViewState};

/// Every key and pointer gesture, as the dispatcher reads them.
pub const KEYS: &[(&str, &str)] = &[
    (
        "click",
        "select a vehicle; on a cluster, zoom into it (or fan it out)",
    ),
    ("double-click a row", "follow that vehicle"),
    (
        "right-click the map",
        "the nearest vehicles to that point; on a cluster, every vehicle in it",
    ),
    ("drag", "move the map (stops following)"),
    (
        "wheel or pinch",
        "zoom about the pointer (following: about the vehicle)",
    ),
    ("F", "follow the selected vehicle"),
    (
        "Esc",
        "stop following, then clear the selection (in the search box: clear it)",
    ),
    ("/ or Ctrl+F", "search"),
    ("Up / Down", "previous / next vehicle in the table"),
    ("+ / -", "zoom in / out"),
    ("Home", "zoom to the whole fleet"),
    ("Z", "zoom to the selected vehicle"),
    (
        "H",
        "the selected vehicle's History: track, trips, stops and speed from its server",
    ),
    ("N", "show or hide the route network"),
    ("G", "show or hide the geofences"),
    ("T", "show or hide the selection's trail"),
    ("L", "show or hide labels"),
    ("?", "show or hide this list of keys"),
    ("Space", "replay: play or pause"),
    (
        "Left / Right",
        "replay: jump back / on 10 s (with Shift: 1 min)",
    ),
    ("[ / ]", "replay: slower / faster (1x to 100x)"),
];

/// The keys as plain text, for `--help`.
pub fn help_text() -> String {
    let mut out = String::from("Keys in the window:\n");
    for (key, what) in KEYS {
        out.push_str(&format!("  {key:<20} {what}\n"));
    }
    out
}

/// The actions the keys pressed this frame ask for. While a text field has the keyboard only
/// Esc counts (it leaves the field), so typing "f" in the search box does not follow anything.
pub fn read(ctx: &Context, view: &ViewState, replaying: bool) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    ctx.input_mut(|i| {
        let mut actions = Vec::new();
        if i.consume_key(Modifiers::NONE, Key::Escape) {
            actions.push(Action::Escape);
        }
        if typing {
            return actions;
        }
        let mut key = |k: Key, action: Action| {
            if i.consume_key(Modifiers::NONE, k) {
                actions.push(action);
            }
        };
        key(Key::F, Action::FollowSelected);
        key(Key::Slash, Action::FocusSearch);
        key(Key::Home, Action::FitFleet);
        key(Key::Z, Action::ZoomToSelection);
        key(
            Key::H,
            Action::History(super::action::HistoryAction::OpenSelected),
        );
        key(Key::ArrowDown, Action::MoveSelection(1));
        key(Key::ArrowUp, Action::MoveSelection(-1));
        for layer in Layer::ALL {
            let k = match layer {
                Layer::Network => Key::N,
                Layer::Trails => Key::T,
                Layer::Labels => Key::L,
                Layer::Geofences => Key::G,
            };
            key(k, Action::SetLayer(layer, !view.layers.get(layer)));
        }
        if i.consume_key(Modifiers::COMMAND, Key::F) {
            actions.push(Action::FocusSearch);
        }
        if i.consume_key(Modifiers::SHIFT, Key::Questionmark)
            || i.consume_key(Modifiers::NONE, Key::Questionmark)
        {
            actions.push(Action::ToggleHelp);
        }
        if i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals) {
            actions.push(Action::Zoom(1));
        }
        if i.key_pressed(Key::Minus) {
            actions.push(Action::Zoom(-1));
        }
        if replaying {
            actions.extend(replay_keys(i));
        }
        actions
    })
}

/// The timeline's keys.
fn replay_keys(i: &mut egui::InputState) -> Vec<Action> {
    use super::action::ReplayAction as R;
    use super::app::{JUMP_MS, LONG_JUMP_MS};
    let mut actions = Vec::new();
    let table = [
        (Modifiers::NONE, Key::Space, R::PlayPause),
        (Modifiers::NONE, Key::ArrowLeft, R::Jump(-JUMP_MS)),
        (Modifiers::NONE, Key::ArrowRight, R::Jump(JUMP_MS)),
        (Modifiers::SHIFT, Key::ArrowLeft, R::Jump(-LONG_JUMP_MS)),
        (Modifiers::SHIFT, Key::ArrowRight, R::Jump(LONG_JUMP_MS)),
        (Modifiers::NONE, Key::OpenBracket, R::StepSpeed(-1)),
        (Modifiers::NONE, Key::CloseBracket, R::StepSpeed(1)),
    ];
    for (modifiers, key, action) in table {
        if i.consume_key(modifiers, key) {
            actions.push(Action::Replay(action));
        }
    }
    actions
}

/// The `?` overlay: every key, over the window until closed.
pub fn help(ctx: &Context, open: bool) -> Option<Action> {
    if !open {
        return None;
    }
    let mut still_open = true;
    egui::Window::new("Keys")
        .open(&mut still_open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            egui::Grid::new("keys")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (key, what) in KEYS {
                        ui.label(egui::RichText::new(*key).strong());
                        ui.label(*what);
                        ui.end_row();
                    }
                });
        });
    (!still_open).then_some(Action::ToggleHelp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_text_lists_every_key() {
        let text = help_text();
        for (key, what) in KEYS {
            assert!(text.contains(key) && text.contains(what), "{key}");
        }
    }
}
