//! The Alerts panel: what the alert engine raised, newest first, with the vehicle, its feed, the
//! rule and the detail; a click selects and centres the vehicle; alerts are acknowledged one by
//! one or all at once. [`AlertLog`] is the plain data (tested alone); [`show`] draws it.

use std::collections::HashMap;

use egui::{RichText, Ui};

use super::action::Action;
use super::table::FeedNames;
use super::tokens;
use crate::alerts::Alert;
use crate::fleet::{FeedId, VehicleId};

/// Alerts kept; older ones are forgotten (acknowledged or not).
pub const KEPT: usize = 500;

/// The alerts raised so far, newest first, and which are acknowledged.
#[derive(Debug, Default)]
pub struct AlertLog {
    entries: Vec<(Alert, bool)>,
    /// Unacknowledged alerts per feed and vehicle id (their markers say so; looked up by
    /// `&str` on every drawn marker, so without allocating).
    open: HashMap<FeedId, HashMap<Box<str>, usize>>,
}

impl AlertLog {
    pub fn push(&mut self, alert: Alert) {
        *self
            .open
            .entry(alert.feed)
            .or_default()
            .entry(alert.vehicle.as_str().into())
            .or_default() += 1;
        self.entries.insert(0, (alert, false));
        if self.entries.len() > KEPT
            && let Some((old, acked)) = self.entries.pop()
            && !acked
        {
            self.close(old.feed, &old.vehicle);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Alerts not yet acknowledged.
    pub fn unacknowledged(&self) -> usize {
        self.open.values().flat_map(HashMap::values).sum()
    }

    /// Whether `vehicle` has an alert not yet acknowledged.
    pub fn is_open(&self, vehicle: &VehicleId) -> bool {
        self.is_open_at(vehicle.feed, &vehicle.id)
    }

    /// ... by its feed and id, without allocating.
    pub fn is_open_at(&self, feed: FeedId, id: &str) -> bool {
        self.open.get(&feed).is_some_and(|ids| ids.contains_key(id))
    }

    pub fn get(&self, seq: u64) -> Option<&Alert> {
        self.entries.iter().map(|(a, _)| a).find(|a| a.seq == seq)
    }

    pub fn acknowledge(&mut self, seq: u64) {
        let found = self
            .entries
            .iter_mut()
            .find(|(a, acked)| a.seq == seq && !*acked);
        if let Some((alert, acked)) = found {
            *acked = true;
            let (feed, id) = (alert.feed, alert.vehicle.clone());
            self.close(feed, &id);
        }
    }

    pub fn acknowledge_all(&mut self) {
        for (_, acked) in &mut self.entries {
            *acked = true;
        }
        self.open.clear();
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Alert, bool)> {
        self.entries.iter().map(|(a, acked)| (a, *acked))
    }

    /// The newest alert's number.
    pub fn newest(&self) -> Option<u64> {
        self.entries.first().map(|(a, _)| a.seq)
    }

    /// The rows a list held at `held` shows (alerts up to it, so rows never shift under the
    /// pointer), and how many newer ones wait above.
    pub fn held_at(&self, held: Option<u64>) -> (impl Iterator<Item = (&Alert, bool)>, usize) {
        let newer = held.map_or(0, |h| {
            self.entries.iter().take_while(|(a, _)| a.seq > h).count()
        });
        (self.iter().skip(newer), newer)
    }

    fn close(&mut self, feed: FeedId, id: &str) {
        let Some(ids) = self.open.get_mut(&feed) else {
            return;
        };
        if let Some(n) = ids.get_mut(id) {
            *n -= 1;
            if *n == 0 {
                ids.remove(id);
            }
        }
        if ids.is_empty() {
            self.open.remove(&feed);
        }
    }
}

/// The panel's rows.
/// The panel. While the pointer is over the list it is held (`held`: the newest alert shown
/// then): alerts raised meanwhile wait above it, counted, so a click never lands on a row that
/// moved; it asks to hold and to let go through [`Action::HoldAlerts`].
pub fn show(
    ui: &mut Ui,
    log: &AlertLog,
    (sound, held): (bool, Option<u64>),
    feeds: &FeedNames,
    now_ms: i64,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let (rows, newer) = log.held_at(held);
    actions.extend(header(ui, log, sound, newer));
    if log.is_empty() {
        ui.weak("No alert yet. Rules and geofences: --rules FILE, --geofences FILE.");
        return actions;
    }
    let list = egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (alert, acked) in rows {
                ui.horizontal(|ui| actions.extend(row(ui, alert, acked, feeds, now_ms)));
            }
        });
    let hovered = ui.rect_contains_pointer(list.inner_rect);
    match (hovered, held) {
        (true, None) => actions.push(Action::HoldAlerts(log.newest())),
        (false, Some(_)) => actions.push(Action::HoldAlerts(None)),
        _ => {}
    }
    actions
}

/// The panel's header: the count, Acknowledge all, Geofences, Sound, and alerts held back.
fn header(ui: &mut Ui, log: &AlertLog, sound: bool, newer: usize) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        ui.strong(format!("Alerts: {} new", log.unacknowledged()));
        if ui
            .add_enabled(
                log.unacknowledged() > 0,
                egui::Button::new("Acknowledge all"),
            )
            .clicked()
        {
            actions.push(Action::AcknowledgeAll);
        }
        if ui
            .button("Geofences")
            .on_hover_text("List, draw, rename, delete and save geofences")
            .clicked()
        {
            actions.push(Action::ToggleGeofences);
        }
        let mut on = sound;
        if ui
            .checkbox(&mut on, "Sound")
            .on_hover_text("Play a sound on a new alert (where this computer has a sound player)")
            .changed()
        {
            actions.push(Action::AlertSound(on));
        }
        // In the header, so the list itself never moves under the pointer.
        if newer > 0 {
            ui.label(
                RichText::new(format!(
                    "{newer} newer alert{} (shown when the pointer leaves the list)",
                    if newer == 1 { "" } else { "s" }
                ))
                .color(tokens::ALERT_RED),
            );
        }
    });
    actions
}

fn row(ui: &mut Ui, alert: &Alert, acked: bool, feeds: &FeedNames, now_ms: i64) -> Vec<Action> {
    let mut actions = Vec::new();
    if acked {
        ui.weak("acked");
    } else if ui
        .small_button("Ack")
        .on_hover_text("Acknowledge this alert")
        .clicked()
    {
        actions.push(Action::Acknowledge(alert.seq));
    }
    let ago = super::words::ago(now_ms - alert.at_ms);
    let feed = feeds.get(&alert.feed).map_or("", String::as_str);
    let text = format!(
        "{ago}  {}  {}  {}: {}",
        alert.label,
        feed,
        alert.rule.as_str(),
        alert.detail
    );
    let colour = if acked {
        ui.visuals().weak_text_color()
    } else {
        tokens::ALERT_RED
    };
    if ui
        .add(egui::Label::new(RichText::new(text).color(colour)).sense(egui::Sense::click()))
        .on_hover_text("Select and show this vehicle")
        .clicked()
    {
        actions.push(Action::ShowAlert(alert.seq));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Rule;

    fn alert(seq: u64, vehicle: &str) -> Alert {
        Alert {
            seq,
            at_ms: 0,
            rule: Rule::Enter,
            feed: FeedId(1),
            vehicle: vehicle.into(),
            label: vehicle.into(),
            geofence: None,
            detail: String::new(),
            lat: 0.0,
            lon: 0.0,
        }
    }

    #[test]
    fn acknowledging_closes_a_vehicles_alerts_one_by_one_then_all() {
        let mut log = AlertLog::default();
        log.push(alert(1, "a"));
        log.push(alert(2, "a"));
        log.push(alert(3, "b"));
        assert_eq!(log.unacknowledged(), 3);
        assert_eq!(
            log.iter().next().map(|(a, _)| a.seq),
            Some(3),
            "newest first"
        );
        let a = VehicleId::new(FeedId(1), "a");
        log.acknowledge(1);
        log.acknowledge(1);
        assert!(log.is_open(&a), "one of its two is still open");
        log.acknowledge(2);
        assert!(!log.is_open(&a));
        log.acknowledge_all();
        assert_eq!(log.unacknowledged(), 0);
        assert_eq!(log.len(), 3, "acknowledged alerts stay listed");
    }

    #[test]
    fn a_held_list_shows_the_alerts_up_to_where_it_was_held_and_counts_the_newer() {
        let mut log = AlertLog::default();
        for seq in 1..=3 {
            log.push(alert(seq, "bus-1"));
        }
        let held = log.newest();
        assert_eq!(held, Some(3));
        log.push(alert(4, "bus-2"));
        log.push(alert(5, "bus-2"));
        let (rows, newer) = log.held_at(held);
        let shown: Vec<u64> = rows.map(|(a, _)| a.seq).collect();
        assert_eq!((shown, newer), (vec![3, 2, 1], 2));
        let (rows, newer) = log.held_at(None);
        assert_eq!((rows.count(), newer), (5, 0));
    }

    #[test]
    fn the_log_keeps_the_newest_and_forgets_what_it_drops() {
        let mut log = AlertLog::default();
        for seq in 1..=(KEPT as u64 + 10) {
            log.push(alert(seq, &format!("v{seq}")));
        }
        assert_eq!(log.len(), KEPT);
        assert_eq!(log.unacknowledged(), KEPT);
        assert!(log.get(1).is_none());
    }
}
