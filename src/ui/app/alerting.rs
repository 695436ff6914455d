//! Alerts in the app: what each event and the clock raise, into the log, with a sound when
//! wanted; the engine always runs (the default rules raise the alarms feeds report).

use super::FleetApp;
use crate::alerts::Engine;
use crate::feed::FeedEvent;
use crate::fleet::{Changes, FeedId};
use crate::ui::alerts::{AlertFilter, AlertLog};
use crate::ui::chime::{self, Chime};

impl FleetApp {
    /// What one event's changes raise.
    pub(super) fn check_alerts(&mut self, feed: FeedId, event: &FeedEvent, changes: &Changes) {
        let Some(engine) = self.alerts.as_mut() else {
            return;
        };
        let fleet = self.session.fleet();
        engine.observe(fleet, changes, &mut self.scratch_alerts);
        if let FeedEvent::Notices(notices) = event {
            for n in notices {
                engine.notice(fleet, feed, n, &mut self.scratch_alerts);
            }
        }
        self.log_alerts();
    }

    /// Moves what the engine raised into the log, with a sound when the dispatcher wants one
    /// (any alert with the sound on; a critical one unless muted; a rule's with `sound = true`).
    pub(super) fn log_alerts(&mut self) {
        if self.scratch_alerts.is_empty() {
            return;
        }
        let listening = chime::Listening {
            every_alert: self.view.alert_sound,
            critical: !self.view.critical_muted,
        };
        let rules = self.alerts.as_ref().map(|e| e.rules());
        if chime::sounds(&self.scratch_alerts, listening, rules) {
            self.chime.get_or_insert_with(Chime::start).ring();
        }
        for alert in self.scratch_alerts.drain(..) {
            self.alert_log.push(alert);
        }
    }

    /// The engine's clock-driven rules (lost, stopped), once a second.
    pub(super) fn tick_alerts(&mut self, ctx: &egui::Context, now_ms: i64) {
        let Some(engine) = self.alerts.as_mut() else {
            return;
        };
        if now_ms - self.alerts_ticked_ms < 1000 {
            return;
        }
        self.alerts_ticked_ms = now_ms;
        engine.tick(self.session.fleet(), now_ms, &mut self.scratch_alerts);
        if !self.scratch_alerts.is_empty() {
            self.log_alerts();
            ctx.request_repaint();
        }
    }

    /// The alert engine, when there is one.
    pub fn alert_engine(&self) -> Option<&Engine> {
        self.alerts.as_ref()
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
