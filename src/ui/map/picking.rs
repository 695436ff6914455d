//! The picking plugin: a tooltip for what the pointer is over (a vehicle: name, feed, speed,
//! status, updated x ago; a cluster: how many, their mix, what a click does), and what a click
//! hit, for the map to turn into an action.

use std::cell::RefCell;

use egui::{Response, RichText, Ui};
use walkers::{MapMemory, Plugin, Projector};

use super::{Frame, Hit};
use crate::fleet::Fleet;
use crate::ui::table::FeedNames;
use crate::ui::words;

pub(super) struct Picking<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) names: &'a FeedNames,
    pub(super) now_ms: i64,
    pub(super) frame: &'a RefCell<Frame>,
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
        let members = frame
            .clusters
            .members(c)
            .filter_map(|i| self.fleet.vehicle(frame.in_view[i].key));
        ui.label(words::kind_mix(members));
        ui.label(RichText::new("Click to zoom in").weak());
    }
}
