//! The map's buttons, over its top right corner: zoom to the fleet, zoom to the selection, the
//! layers, and the list of keys.

use egui::{Align2, Button, Rect, Ui, Vec2};

use crate::ui::action::Action;
use crate::ui::view::Layer;
use crate::ui::view::ViewState;

pub(super) fn show(ui: &mut Ui, rect: Rect, view: &ViewState) -> Vec<Action> {
    let mut actions = Vec::new();
    egui::Area::new(egui::Id::unique("fleetview-map-controls"))
        .pivot(Align2::RIGHT_TOP)
        .fixed_pos(rect.right_top() + Vec2::new(-8.0, 8.0))
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.vertical(|ui| {
                    if ui
                        .button("Whole fleet")
                        .on_hover_text("Zoom to show every vehicle (Home)")
                        .clicked()
                    {
                        actions.push(Action::FitFleet);
                    }
                    if ui
                        .add_enabled(view.selected.is_some(), Button::new("Selection"))
                        .on_hover_text("Zoom to the selected vehicle (Z)")
                        .on_disabled_hover_text("Select a vehicle first")
                        .clicked()
                    {
                        actions.push(Action::ZoomToSelection);
                    }
                    ui.menu_button("Layers", |ui| {
                        for layer in Layer::ALL {
                            let mut on = view.layers.get(layer);
                            if ui
                                .checkbox(&mut on, layer.name())
                                .on_hover_text(layer.key())
                                .changed()
                            {
                                actions.push(Action::SetLayer(layer, on));
                            }
                        }
                    });
                    if ui
                        .selectable_label(view.help_open, "Keys ?")
                        .on_hover_text("Every key (?)")
                        .clicked()
                    {
                        actions.push(Action::ToggleHelp);
                    }
                });
            });
        });
    actions
}
