//! The picking plugin: a tooltip for what the pointer is over (a vehicle: name, feed, speed,
//! status, updated x ago; a cluster: how many, their mix, what a click does), and what a click
//! hit, for the map to turn into an action.

use std::cell::{Cell, RefCell};

use egui::{Response, RichText, Ui};
use walkers::{MapMemory, Plugin, Projector};

use super::{Frame, Hit};
use crate::fleet::{Fleet, Vehicle, VehicleId};
use crate::ui::table::{FeedNames, natural_cmp};
use crate::ui::words;

/// Vehicles a cluster's tooltip names.
const NAMED_MEMBERS: usize = 10;

pub(super) struct Picking<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) names: &'a FeedNames,
    pub(super) now_ms: i64,
    pub(super) frame: &'a RefCell<Frame>,
    /// Where the context menu was opened, and the cluster's vehicles it lists (kept while it is
    /// open).
    pub(super) context_at: &'a Cell<Option<(f64, f64)>>,
    pub(super) context_members: &'a RefCell<Vec<(String, VehicleId)>>,
}

impl Plugin for Picking<'_> {
    fn run(
        self: Box<Self>,
        _ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let mut frame = self.frame.borrow_mut();
        if response.clicked()
            && let Some(p) = response.interact_pointer_pos()
        {
            frame.clicked = Some(frame.hit(p));
            let at = projector.unproject(p.to_vec2());
            frame.clicked_at = Some((at.y(), at.x()));
        }
        if response.secondary_clicked()
            && let Some(p) = response.interact_pointer_pos()
        {
            let at = projector.unproject(p.to_vec2());
            self.context_at.set(Some((at.y(), at.x())));
            *self.context_members.borrow_mut() = match frame.hit(p) {
                Some(Hit::Cluster(c)) => self.members_of(&frame, c),
                _ => Vec::new(),
            };
        }
        if let Some(at) = self.context_at.get() {
            response.context_menu(|ui| self.context_menu(ui, &mut frame, at));
        }
        let Some(hovered) = frame.hovered else {
            return;
        };
        if response.dragged() {
            return;
        }
        egui::Tooltip::for_widget(response)
            .at_pointer()
            .show(|ui| match hovered {
                Hit::Vehicle(key) => self.vehicle_tip(ui, key),
                Hit::Cluster(c) => self.cluster_tip(ui, &frame, c),
            });
    }
}

impl Picking<'_> {
    /// A right-click's menu: the nearest vehicles to that point, and on a cluster, every vehicle
    /// in it to pick from.
    fn context_menu(&self, ui: &mut Ui, frame: &mut Frame, (lat, lon): (f64, f64)) {
        ui.weak(format!("{lat:.5}, {lon:.5}"));
        if ui.button("Nearest vehicles").clicked() {
            frame.nearest_asked = Some((lat, lon));
            ui.close();
        }
        let members = self.context_members.borrow();
        if members.is_empty() {
            return;
        }
        ui.separator();
        ui.label(RichText::new(format!("{} vehicles here", members.len())).strong());
        egui::ScrollArea::vertical()
            .max_height(320.0)
            .show(ui, |ui| {
                for (name, id) in members.iter() {
                    if ui.button(name).clicked() {
                        frame.picked = Some(id.clone());
                        ui.close();
                    }
                }
            });
    }

    /// A cluster's vehicles, by name.
    fn members_of(&self, frame: &Frame, c: usize) -> Vec<(String, VehicleId)> {
        let mut members: Vec<(String, VehicleId)> = frame
            .cluster_keys(c, self.fleet)
            .into_iter()
            .filter_map(|k| self.fleet.vehicle(k))
            .map(|v| (v.display_name().to_owned(), v.vehicle_id()))
            .collect();
        members.sort_by(|a, b| natural_cmp(&a.0, &b.0));
        members
    }

    fn vehicle_tip(&self, ui: &mut Ui, key: crate::fleet::VehicleKey) {
        let Some(v) = self.fleet.vehicle(key) else {
            return;
        };
        ui.label(RichText::new(v.display_name()).strong());
        ui.label(words::condition_line(self.fleet, v, self.now_ms));
        let what: Vec<String> = [
            v.kind().map(words::status),
            v.route().map(|r| format!("route {r}")),
            v.status().map(words::status),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !what.is_empty() {
            ui.label(what.join(" · "));
        }
        if let Some(feed) = self.names.get(&v.feed()) {
            ui.label(format!("feed {feed}"));
        }
        ui.label(format!(
            "updated {}",
            words::ago(self.fleet.age_ms(v, self.now_ms))
        ));
    }

    fn cluster_tip(&self, ui: &mut Ui, frame: &Frame, c: usize) {
        let Some(cluster) = frame.clusters.clusters.get(c) else {
            return;
        };
        ui.label(RichText::new(format!("{} vehicles", cluster.count)).strong());
        ui.label(words::condition_mix(&cluster.by_condition));
        let members: Vec<&Vehicle> = frame
            .cluster_keys(c, self.fleet)
            .into_iter()
            .filter_map(|k| self.fleet.vehicle(k))
            .collect();
        ui.label(words::kind_mix(members.iter().copied()));
        ui.separator();
        for line in member_lines(self.fleet, &members, self.now_ms) {
            ui.label(line);
        }
        ui.label(RichText::new("Click to zoom in, right-click to list them").weak());
    }
}

/// Who is in a cluster: up to [`NAMED_MEMBERS`] by name with how each is doing (in name order),
/// then how many more.
fn member_lines(fleet: &Fleet, members: &[&Vehicle], now_ms: i64) -> Vec<String> {
    let mut named: Vec<(&str, &Vehicle)> = members.iter().map(|v| (v.display_name(), *v)).collect();
    named.sort_by(|a, b| natural_cmp(a.0, b.0));
    let mut lines: Vec<String> = named
        .iter()
        .take(NAMED_MEMBERS)
        .map(|(name, v)| format!("{name} · {}", fleet.condition(v, now_ms).word()))
        .collect();
    if named.len() > NAMED_MEMBERS {
        lines.push(format!("and {} more", named.len() - NAMED_MEMBERS));
    }
    lines
}
