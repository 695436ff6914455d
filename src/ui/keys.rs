//! The keyboard, tar1090 style: F follow, Esc stop or clear, / or Ctrl+F search, +/- zoom,
//! arrows move through the list.

use egui::{Context, Key, Modifiers};

use super::action::Action;

/// The actions the keys pressed this frame ask for. While a text field has the keyboard only
/// Esc counts (it leaves the field), so typing "f" in the search box does not follow anything.
pub fn read(ctx: &Context) -> Vec<Action> {
    let typing = ctx.egui_wants_keyboard_input();
    ctx.input_mut(|i| {
        let mut actions = Vec::new();
        if i.consume_key(Modifiers::NONE, Key::Escape) {
            actions.push(Action::Escape);
        }
        if typing {
            return actions;
        }
        if i.consume_key(Modifiers::NONE, Key::F) {
            actions.push(Action::FollowSelected);
        }
        if i.consume_key(Modifiers::NONE, Key::Slash) || i.consume_key(Modifiers::COMMAND, Key::F) {
            actions.push(Action::FocusSearch);
        }
        if i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals) {
            actions.push(Action::Zoom(1));
        }
        if i.key_pressed(Key::Minus) {
            actions.push(Action::Zoom(-1));
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowDown) {
            actions.push(Action::MoveSelection(1));
        }
        if i.consume_key(Modifiers::NONE, Key::ArrowUp) {
            actions.push(Action::MoveSelection(-1));
        }
        actions
    })
}
