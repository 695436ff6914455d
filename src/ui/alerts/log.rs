//! The alerts raised so far, newest first, and which are acknowledged; what the panel lists in
//! which order (critical alerts pinned on top until acknowledged) and which vehicles have alerts
//! open (their markers say so). Plain data, tested alone.

use std::collections::HashMap;

use super::filter::AlertFilter;
use crate::alerts::{Alert, Severity};
use crate::fleet::{FeedId, VehicleId};
use crate::ui::table::FeedNames;

/// Alerts kept; older ones are forgotten (acknowledged or not), critical ones still open last.
pub const KEPT: usize = 500;

/// A vehicle's open alerts: all of them, and how many are critical.
#[derive(Debug, Default, Clone, Copy)]
struct Open {
    all: usize,
    critical: usize,
}

/// The alerts raised so far, newest first, and which are acknowledged.
#[derive(Debug, Default)]
pub struct AlertLog {
    entries: Vec<(Alert, bool)>,
    /// Unacknowledged alerts per feed and vehicle id (their markers say so; looked up by
    /// `&str` on every drawn marker, so without allocating).
    open: HashMap<FeedId, HashMap<Box<str>, Open>>,
}

/// Whether an entry is pinned on top: critical and not acknowledged.
fn pinned((alert, acked): &(Alert, bool)) -> bool {
    alert.severity == Severity::Critical && !acked
}

impl AlertLog {
    pub fn push(&mut self, alert: Alert) {
        let open = self
            .open
            .entry(alert.feed)
            .or_default()
            .entry(alert.vehicle.as_str().into())
            .or_default();
        open.all += 1;
        open.critical += usize::from(alert.severity == Severity::Critical);
        self.entries.insert(0, (alert, false));
        if self.entries.len() > KEPT {
            // The oldest that is not a critical alert still open, else the oldest.
            let at = self
                .entries
                .iter()
                .rposition(|e| !pinned(e))
                .unwrap_or(self.entries.len() - 1);
            let (old, acked) = self.entries.remove(at);
            if !acked {
                self.close(&old);
            }
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
        self.open
            .values()
            .flat_map(HashMap::values)
            .map(|o| o.all)
            .sum()
    }

    /// Critical alerts not yet acknowledged.
    pub fn open_critical(&self) -> usize {
        let open = self.open.values().flat_map(HashMap::values);
        open.map(|o| o.critical).sum()
    }

    /// The vehicles with a critical alert not yet acknowledged.
    pub fn critical_vehicles(&self) -> impl Iterator<Item = (FeedId, &str)> + '_ {
        self.open.iter().flat_map(|(feed, open)| {
            open.iter()
                .filter(|(_, o)| o.critical > 0)
                .map(move |(id, _)| (*feed, &**id))
        })
    }

    /// Whether `vehicle` has an alert not yet acknowledged.
    pub fn is_open(&self, vehicle: &VehicleId) -> bool {
        self.is_open_at(vehicle.feed, &vehicle.id)
    }

    /// ... by its feed and id, without allocating.
    pub fn is_open_at(&self, feed: FeedId, id: &str) -> bool {
        self.open_severity_at(feed, id).is_some()
    }

    /// How urgent a vehicle's open alerts are: critical if any is, else a warning; `None`
    /// when it has none open.
    pub fn open_severity_at(&self, feed: FeedId, id: &str) -> Option<Severity> {
        let open = self.open.get(&feed)?.get(id)?;
        Some(if open.critical > 0 {
            Severity::Critical
        } else {
            Severity::Warning
        })
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
            let alert = alert.clone();
            self.close(&alert);
        }
    }

    pub fn acknowledge_all(&mut self) {
        for (_, acked) in &mut self.entries {
            *acked = true;
        }
        self.open.clear();
    }

    /// Every alert, newest first, with whether it is acknowledged.
    pub fn iter(&self) -> impl Iterator<Item = (&Alert, bool)> {
        self.entries.iter().map(|(a, acked)| (a, *acked))
    }

    /// The newest alert's number.
    pub fn newest(&self) -> Option<u64> {
        self.entries.first().map(|(a, _)| a.seq)
    }

    /// The vehicles with alerts in the log, by name, each once (the panel's vehicle filter).
    pub fn vehicles(&self) -> Vec<(VehicleId, &str)> {
        let mut out: Vec<(VehicleId, &str)> = self
            .entries
            .iter()
            .map(|(a, _)| (VehicleId::new(a.feed, a.vehicle.as_str()), a.label.as_str()))
            .collect();
        out.sort_by(|a, b| (a.1, &a.0.id, a.0.feed).cmp(&(b.1, &b.0.id, b.0.feed)));
        out.dedup_by(|a, b| a.0 == b.0);
        out
    }

    /// The rows the panel shows, in order: the alerts `filter` lets through, critical ones not
    /// yet acknowledged first (newest first), then the rest (newest first). A list held at
    /// `held` (while the pointer is over it) shows the alerts up to it, so rows never shift
    /// under the pointer; the second value counts the newer ones waiting above.
    pub fn rows(
        &self,
        held: Option<u64>,
        filter: &AlertFilter,
        feeds: &FeedNames,
    ) -> (Vec<(&Alert, bool)>, usize) {
        let newer = held.map_or(0, |h| {
            self.entries.iter().take_while(|(a, _)| a.seq > h).count()
        });
        let shown = || {
            self.entries[newer..].iter().filter(|(a, _)| {
                let feed = feeds.get(&a.feed).map_or("", String::as_str);
                filter.matches(a, feed)
            })
        };
        let rows = shown()
            .filter(|e| pinned(e))
            .chain(shown().filter(|e| !pinned(e)))
            .map(|(a, acked)| (a, *acked))
            .collect();
        (rows, newer)
    }

    fn close(&mut self, alert: &Alert) {
        let Some(ids) = self.open.get_mut(&alert.feed) else {
            return;
        };
        if let Some(n) = ids.get_mut(alert.vehicle.as_str()) {
            n.all = n.all.saturating_sub(1);
            if alert.severity == Severity::Critical {
                n.critical = n.critical.saturating_sub(1);
            }
            if n.all == 0 {
                ids.remove(alert.vehicle.as_str());
            }
        }
        if ids.is_empty() {
            self.open.remove(&alert.feed);
        }
    }
}

#[cfg(test)]
mod tests;
