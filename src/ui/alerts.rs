//! The Alerts panel: what the alert engine raised, critical alerts pinned on top until
//! acknowledged, then newest first; each row says its severity by colour, icon and word, with
//! the vehicle, its feed, the rule and the detail; a click selects and centres the vehicle;
//! alerts are acknowledged one by one or all at once; a filter bar picks severities, a feed, a
//! vehicle, and searches. [`AlertLog`] and [`AlertFilter`] are the plain data (tested alone);
//! [`show`] only draws them and returns what the dispatcher asked for.

mod filter;
mod icon;
mod log;

pub use filter::AlertFilter;
pub use log::AlertLog;

use egui::{ComboBox, RichText, TextEdit, Ui};

use super::action::Action;
use super::table::FeedNames;
use super::tokens;
use crate::alerts::{Alert, Severity};

/// What the panel draws.
pub struct Panel<'a> {
    pub log: &'a AlertLog,
    pub filter: &'a AlertFilter,
    /// The sound on every alert, and whether critical alerts are muted.
    pub sound: bool,
    pub critical_muted: bool,
    /// Desktop notifications while the window is in the background.
    pub notify: bool,
    /// The list is held at this alert while the pointer is over it.
    pub held: Option<u64>,
    pub feeds: &'a FeedNames,
    pub now_ms: i64,
}

/// The panel. While the pointer is over the list it is held (`held`: the newest alert shown
/// then): alerts raised meanwhile wait above it, counted, so a click never lands on a row that
/// moved; it asks to hold and to let go through [`Action::HoldAlerts`].
pub fn show(ui: &mut Ui, p: &Panel<'_>) -> Vec<Action> {
    let mut actions = Vec::new();
    let (rows, newer) = p.log.rows(p.held, p.filter, p.feeds);
    actions.extend(header(ui, p, newer));
    if p.log.is_empty() {
        ui.weak(
            "No alert yet. Alarms the feeds report are alerts; other rules and geofences: \
             --rules FILE, --geofences FILE.",
        );
        return actions;
    }
    actions.extend(filter_bar(ui, p));
    if rows.is_empty() {
        ui.weak(format!(
            "None of the {} alerts matches the filter.",
            p.log.len()
        ));
    }
    let theme = tokens::theme(ui.visuals());
    let list = egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (alert, acked) in rows {
                ui.horizontal(|ui| {
                    actions.extend(row(ui, (alert, acked), theme, p.feeds, p.now_ms));
                });
            }
        });
    let hovered = ui.rect_contains_pointer(list.inner_rect);
    match (hovered, p.held) {
        (true, None) => actions.push(Action::HoldAlerts(p.log.newest())),
        (false, Some(_)) => actions.push(Action::HoldAlerts(None)),
        _ => {}
    }
    actions
}

/// The panel's header: the counts, Acknowledge all, Geofences, the sounds, and alerts held back.
fn header(ui: &mut Ui, p: &Panel<'_>, newer: usize) -> Vec<Action> {
    let mut actions = Vec::new();
    let theme = tokens::theme(ui.visuals());
    // Two rows of fixed height (never wrapping), so the list never moves under the pointer:
    // the counts and the newer alerts waiting, then the buttons.
    let log = p.log;
    ui.horizontal(|ui| {
        ui.strong(format!("Alerts: {} new", log.unacknowledged()));
        if log.open_critical() > 0 {
            icon::show(ui, Severity::Critical);
            let text = format!("{} critical", log.open_critical());
            ui.label(RichText::new(text).color(theme.critical).strong());
        }
        if newer > 0 {
            let text = format!(
                "{newer} newer alert{} (shown when the pointer leaves the list)",
                if newer == 1 { "" } else { "s" }
            );
            ui.label(RichText::new(text).color(theme.warning));
        }
    });
    ui.horizontal(|ui| {
        let any_open = log.unacknowledged() > 0;
        if ui
            .add_enabled(any_open, egui::Button::new("Acknowledge all"))
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
        let mut on = p.sound;
        if ui
            .checkbox(&mut on, "Sound")
            .on_hover_text("Play a sound on every new alert (where this computer has a player)")
            .changed()
        {
            actions.push(Action::AlertSound(on));
        }
        let mut critical = !p.critical_muted;
        if ui
            .checkbox(&mut critical, "Critical sound")
            .on_hover_text("Play a sound on a new critical alert (SOS, ...) even with Sound off")
            .changed()
        {
            actions.push(Action::CriticalSound(critical));
        }
        let mut notify = p.notify;
        if ui
            .checkbox(&mut notify, "Notify")
            .on_hover_text(
                "A desktop notification for each new alert while this window is in the background",
            )
            .changed()
        {
            actions.push(Action::Notifications(notify));
        }
    });
    actions
}

/// Severities, a feed, a vehicle and a search; a changed filter is handed back whole.
fn filter_bar(ui: &mut Ui, p: &Panel<'_>) -> Vec<Action> {
    let mut f = p.filter.clone();
    let theme = tokens::theme(ui.visuals());
    ui.horizontal(|ui| {
        for severity in Severity::ALL {
            icon::show(ui, severity);
            let text = RichText::new(tokens::severity_word(severity))
                .color(tokens::severity(theme, severity));
            let shown = f.shows(severity);
            if ui
                .selectable_label(shown, text)
                .on_hover_text("Show or hide these alerts")
                .clicked()
            {
                f.set_shown(severity, !shown);
            }
        }
        let feed = f
            .feed
            .and_then(|id| p.feeds.get(&id))
            .map_or("All feeds", String::as_str);
        ComboBox::from_id_salt("alerts-feed")
            .selected_text(feed)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.feed, None, "All feeds");
                for (id, name) in p.feeds {
                    ui.selectable_value(&mut f.feed, Some(*id), name);
                }
            });
        // The vehicles with alerts are listed only while the box is open.
        let vehicle = f.vehicle.as_ref().map_or("All vehicles".to_owned(), |v| {
            let named = p
                .log
                .iter()
                .find(|(a, _)| a.feed == v.feed && *a.vehicle == *v.id);
            named.map_or(v.id.to_string(), |(a, _)| a.label.clone())
        });
        ComboBox::from_id_salt("alerts-vehicle")
            .selected_text(vehicle)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.vehicle, None, "All vehicles");
                for (id, name) in p.log.vehicles() {
                    ui.selectable_value(&mut f.vehicle, Some(id), name);
                }
            });
        ui.add(
            TextEdit::singleline(&mut f.text)
                .hint_text("Search alerts")
                .desired_width(180.0),
        );
        if p.filter.is_active() && ui.button("Clear filter").clicked() {
            f = AlertFilter::default();
        }
    });
    if f == *p.filter {
        Vec::new()
    } else {
        vec![Action::FilterAlerts(Box::new(f))]
    }
}

fn row(
    ui: &mut Ui,
    (alert, acked): (&Alert, bool),
    theme: &tokens::Theme,
    feeds: &FeedNames,
    now_ms: i64,
) -> Vec<Action> {
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
    icon::show(ui, alert.severity);
    let word = tokens::severity_word(alert.severity);
    let ago = super::words::ago(now_ms - alert.at_ms);
    let feed = feeds.get(&alert.feed).map_or("", String::as_str);
    let text = format!(
        "{word}  {ago}  {}  {}  {}: {}",
        alert.label,
        feed,
        alert.rule.as_str(),
        alert.detail
    );
    let mut text = RichText::new(text);
    text = if acked {
        text.color(ui.visuals().weak_text_color())
    } else {
        text.color(tokens::severity(theme, alert.severity))
    };
    if alert.severity == Severity::Critical && !acked {
        text = text.strong();
    }
    if ui
        .add(egui::Label::new(text).sense(egui::Sense::click()))
        .on_hover_text("Select and show this vehicle")
        .clicked()
    {
        actions.push(Action::ShowAlert(alert.seq));
    }
    actions
}
