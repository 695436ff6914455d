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

/// Vehicles a cluster's context menu lists to pick from, first by name.
const LISTED_MEMBERS: usize = 1_000;

/// How many vehicles a cluster holds, and those its context menu lists (name, id).
pub(super) type Members = (usize, Vec<(String, VehicleId)>);

pub(super) struct Picking<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) names: &'a FeedNames,
    pub(super) now_ms: i64,
    pub(super) frame: &'a RefCell<Frame>,
    /// Where the context menu was opened, and the cluster's vehicles it lists (kept while it is
    /// open).
    pub(super) context_at: &'a Cell<Option<(f64, f64)>>,
    pub(super) context_members: &'a RefCell<Members>,
    /// The last cluster's tooltip, kept while the pointer stays on the same cluster.
    pub(super) tip: &'a RefCell<Option<ClusterTip>>,
}

/// What a cluster's tooltip says about its vehicles (their kinds, who they are): worked out
/// once for a cluster, not every frame (a cluster may hold a million).
pub(super) struct ClusterTip {
    /// The cluster it was made for: its count, its mix, where (whole pixels) and the fleet's
    /// membership then.
    made_for: (u32, [u32; 4], (i32, i32), u64),
    kinds: String,
    lines: Vec<String>,
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
                _ => (0, Vec::new()),
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
        if members.1.is_empty() {
            return;
        }
        ui.separator();
        let (total, members) = (members.0, &members.1);
        ui.label(RichText::new(format!("{total} vehicles here")).strong());
        if total > members.len() {
            ui.weak(format!(
                "the first {} by name: zoom in to pick among the rest",
                members.len()
            ));
        }
        // Only the rows in sight are built: a cluster may hold a million.
        let row = ui.spacing().interact_size.y + ui.spacing().item_spacing.y;
        egui::ScrollArea::vertical().max_height(320.0).show_rows(
            ui,
            row,
            members.len(),
            |ui, rows| {
                for (name, id) in &members[rows] {
                    if ui.button(name).clicked() {
                        frame.picked = Some(id.clone());
                        ui.close();
                    }
                }
            },
        );
    }

    /// How many vehicles a cluster holds, and the first [`LISTED_MEMBERS`] of them by name.
    fn members_of(&self, frame: &Frame, c: usize) -> Members {
        let mut members: Vec<&Vehicle> = frame
            .cluster_keys(c, self.fleet)
            .into_iter()
            .filter_map(|k| self.fleet.vehicle(k))
            .collect();
        let total = members.len();
        let by_name = |a: &&Vehicle, b: &&Vehicle| natural_cmp(a.display_name(), b.display_name());
        if total > LISTED_MEMBERS {
            members.select_nth_unstable_by(LISTED_MEMBERS, by_name);
            members.truncate(LISTED_MEMBERS);
        }
        members.sort_by(by_name);
        let listed = members
            .iter()
            .map(|v| (v.display_name().to_owned(), v.vehicle_id()));
        (total, listed.collect())
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
        let made_for = (
            cluster.count,
            cluster.by_condition,
            (cluster.centre.x as i32, cluster.centre.y as i32),
            self.fleet.membership(),
        );
        let mut tip = self.tip.borrow_mut();
        if tip.as_ref().is_none_or(|t| t.made_for != made_for) {
            let members: Vec<&Vehicle> = frame
                .cluster_keys(c, self.fleet)
                .into_iter()
                .filter_map(|k| self.fleet.vehicle(k))
                .collect();
            *tip = Some(ClusterTip {
                made_for,
                kinds: words::kind_mix(members.iter().copied()),
                lines: member_lines(self.fleet, &members, self.now_ms),
            });
        }
        let Some(tip) = tip.as_ref() else {
            return;
        };
        ui.label(&tip.kinds);
        ui.separator();
        for line in &tip.lines {
            ui.label(line);
        }
        ui.label(RichText::new("Click to zoom in, right-click to list them").weak());
    }
}

/// Who is in a cluster: up to [`NAMED_MEMBERS`] by name with how each is doing (in name order),
/// then how many more.
fn member_lines(fleet: &Fleet, members: &[&Vehicle], now_ms: i64) -> Vec<String> {
    let mut named: Vec<(&str, &Vehicle)> = members.iter().map(|v| (v.display_name(), *v)).collect();
    // The first few by name, without sorting them all.
    if named.len() > NAMED_MEMBERS {
        named.select_nth_unstable_by(NAMED_MEMBERS, |a, b| natural_cmp(a.0, b.0));
    }
    let first = named.len().min(NAMED_MEMBERS);
    named[..first].sort_by(|a, b| natural_cmp(a.0, b.0));
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
