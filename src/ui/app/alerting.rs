//! Alerts in the app: what each event and the clock raise, into the log, with a sound when
//! wanted; the engine always runs (the default rules raise the alarms feeds report).

use super::FleetApp;
use crate::alerts::Engine;
use crate::ui::alerts::{AlertFilter, AlertLog};
use crate::ui::chime::{self, Chime};
use crate::ui::notify::{self, Notifier};

impl FleetApp {
    /// Moves what the pipeline's engine raised into the log, with a sound when the dispatcher
    /// wants one (any alert with the sound on; a critical one unless muted; a rule's with
    /// `sound = true`), and a desktop notification while the window is in the background.
    pub(super) fn log_alerts(&mut self, ctx: &egui::Context) {
        if self.pipeline.raised().is_empty() {
            return;
        }
        let focused = ctx.input(|i| i.viewport().focused);
        let replaying = self.replay.is_some();
        if notify::wanted(focused, self.view.notifications_off, replaying) {
            let notifier = self.notifier.get_or_insert_with(Notifier::start);
            for (summary, body) in notify::batch(self.pipeline.raised()) {
                notifier.show(summary, body);
            }
        }
        let listening = chime::Listening {
            every_alert: self.view.alert_sound,
            critical: !self.view.critical_muted,
        };
        let rules = self.pipeline.alerts().map(|e| e.rules());
        if chime::sounds(self.pipeline.raised(), listening, rules) {
            self.chime.get_or_insert_with(Chime::start).ring();
        }
        for alert in self.pipeline.take_alerts() {
            self.alert_log.push(alert);
        }
    }

    /// The engine's clock-driven rules (lost, stopped), once a second.
    pub(super) fn tick_alerts(&mut self, ctx: &egui::Context) {
        if self.pipeline.tick() && !self.pipeline.raised().is_empty() {
            self.log_alerts(ctx);
            ctx.request_repaint();
        }
    }

    /// The alert engine, when there is one.
    pub fn alert_engine(&self) -> Option<&Engine> {
        self.pipeline.alerts()
    }

    /// The alerts raised so far.
    pub fn alert_log(&self) -> &AlertLog {
        &self.alert_log
    }

    /// What the Alerts panel lets through.
    pub fn alert_filter(&self) -> &AlertFilter {
        &self.alert_filter
    }
}
