//! The alert engine: per vehicle, the geofences it is confirmed in, how long it has been over
//! its limit, since when it has stood still, whether it is lost; and the alerts each change
//! raises.
//!
//! - **Geofences, without flapping**: a vehicle's set of geofences changes only after
//!   `confirm_fixes` fixes in a row agree on the new set, so one jittering on a boundary raises
//!   nothing until it settles on one side. A vehicle's first fix sets its geofences silently (it
//!   did not enter; it was there).
//! - **Overspeed**: above its limit (the lowest `speed_limit_kmh` of the geofences it is in,
//!   else its kind's) for `grace_s` by the fixes' own times; once per episode.
//! - **Stopped**: slower than 0.5 m/s for `minutes`, outside every depot; once per stop.
//! - **Lost**: no fix for `minutes` by the clock handed to [`Engine::tick`]; "online" when one
//!   comes.
//! - **Alarms** (on unless the rules turn them off): a feed's `alarm` notice (Traccar's `sos`,
//!   ...), an `alarm` attribute on a fix, an AIS distress status; once per alarm (`alarms`).

use std::collections::HashMap;

use super::{Alert, Geofences, Rule, Rules, Severity};
use crate::fleet::{Changes, FeedId, Fleet, Vehicle, VehicleId, VehicleKey};

/// Slower than this (m/s) is standing still.
const STILL_MS: f32 = 0.5;

/// What is known of one vehicle.
#[derive(Debug)]
struct State {
    /// Whose state this is (a slot of the fleet is reused after a vehicle leaves).
    id: VehicleId,
    inside: Vec<u32>,
    /// A different set of geofences seen on the last fixes, and on how many in a row.
    candidate: Vec<u32>,
    streak: u32,
    over_since: Option<i64>,
    over_alerted: bool,
    still_since: Option<i64>,
    still_alerted: bool,
    lost: bool,
    /// Its geofences are known (false after the geofences changed: the next fix places it).
    placed: bool,
    /// The alarm its last fix carried (a new one raises an alert; the same one again does not).
    alarm: Option<Box<str>>,
    /// The last alarm alert raised for it, and when (a notice and a fix saying the same alarm
    /// raise one alert).
    raised_alarm: Option<(Box<str>, i64)>,
}

pub struct Engine {
    rules: Rules,
    fences: Geofences,
    /// Per geofence: whether enter/exit alerts watch it.
    watched: Vec<bool>,
    feed_names: HashMap<FeedId, String>,
    states: Vec<Option<State>>,
    scratch: Vec<u32>,
    seq: u64,
}

impl Default for Engine {
    /// The default rules (alarms the feeds report, nothing routine) and no geofence.
    fn default() -> Self {
        Self::new(Rules::default(), Geofences::default())
    }
}

impl Engine {
    pub fn new(rules: Rules, fences: Geofences) -> Self {
        Self {
            watched: watched(&rules, &fences),
            rules,
            fences,
            feed_names: HashMap::new(),
            states: Vec::new(),
            scratch: Vec::new(),
            seq: 0,
        }
    }

    pub fn geofences(&self) -> &Geofences {
        &self.fences
    }

    /// New geofences (edited in the window): which geofence each vehicle is in is found
    /// afresh on its next fix, silently.
    pub fn set_geofences(&mut self, fences: Geofences) {
        self.watched = watched(&self.rules, &fences);
        self.fences = fences;
        for state in self.states.iter_mut().flatten() {
            state.inside.clear();
            state.candidate.clear();
            state.streak = 0;
            state.placed = false;
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Names a feed, for the rules that pick feeds by name.
    pub fn name_feed(&mut self, feed: FeedId, name: &str) {
        self.feed_names.insert(feed, name.to_owned());
    }

    /// The alerts raised by what `changes` did to `fleet` (the fleet as it now is).
    pub fn observe(&mut self, fleet: &Fleet, changes: &Changes, out: &mut Vec<Alert>) {
        for &key in changes.added.iter().chain(&changes.moved) {
            if let Some(v) = fleet.vehicle(key) {
                self.fix(key, v, out);
            }
        }
    }

    /// Time-driven alerts as of `now_ms`: lost, and stopped too long. Call about once a second.
    pub fn tick(&mut self, fleet: &Fleet, now_ms: i64, out: &mut Vec<Alert>) {
        let lost_ms = (self.rules.lost.minutes * 60_000.0) as i64;
        for k in 0..self.states.len() {
            let key = VehicleKey(k as u32);
            let Some(state) = self.states[k].as_ref() else {
                continue;
            };
            let Some(v) = fleet.vehicle(key).filter(|v| v.is(&state.id)) else {
                self.states[k] = None;
                continue;
            };
            if self.rules.lost.enabled && !state.lost && now_ms - v.fix.ts >= lost_ms {
                let detail = format!("no fix for {}", minutes(now_ms - v.fix.ts));
                self.raise(out, v, Rule::Lost, now_ms, None, detail);
                if let Some(s) = self.states[k].as_mut() {
                    s.lost = true;
                }
            }
            self.check_still(key, v, now_ms, out);
        }
    }

    /// One new fix of a vehicle.
    fn fix(&mut self, key: VehicleKey, v: &Vehicle, out: &mut Vec<Alert>) {
        let k = key.0 as usize;
        if self.states.len() <= k {
            self.states.resize_with(k + 1, || None);
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        self.fences.containing(v.fix.lat, v.fix.lon, &mut scratch);
        let fresh = !self.states[k].as_ref().is_some_and(|s| v.is(&s.id));
        if fresh {
            self.states[k] = Some(State {
                id: v.vehicle_id(),
                inside: scratch.clone(),
                candidate: Vec::new(),
                streak: 0,
                over_since: None,
                over_alerted: false,
                still_since: None,
                still_alerted: false,
                lost: false,
                placed: true,
                alarm: None,
                raised_alarm: None,
            });
        } else {
            self.back_online(k, v, out);
            self.crossings(k, v, &scratch, out);
        }
        self.overspeed(k, v, &scratch, out);
        self.track_still(k, v);
        self.check_still(key, v, v.fix.ts, out);
        self.fix_alarm(k, v, out);
        self.scratch = scratch;
    }

    fn back_online(&mut self, k: usize, v: &Vehicle, out: &mut Vec<Alert>) {
        let Some(state) = self.states[k].as_mut().filter(|s| s.lost) else {
            return;
        };
        state.lost = false;
        if self.rules.lost.enabled {
            self.raise(out, v, Rule::Online, v.fix.ts, None, "a fix again".into());
        }
    }

    /// Enter and exit, once the new set of geofences has held for `confirm_fixes` fixes.
    fn crossings(&mut self, k: usize, v: &Vehicle, now: &[u32], out: &mut Vec<Alert>) {
        let confirm = self.rules.geofence.confirm_fixes;
        let Some(state) = self.states[k].as_mut() else {
            return;
        };
        if !state.placed {
            state.placed = true;
            state.inside = now.to_vec();
            return;
        }
        if state.inside == now {
            state.candidate.clear();
            state.streak = 0;
            return;
        }
        if state.candidate == now {
            state.streak += 1;
        } else {
            state.candidate = now.to_vec();
            state.streak = 1;
        }
        if state.streak < confirm {
            return;
        }
        let was = std::mem::replace(&mut state.inside, now.to_vec());
        state.candidate.clear();
        state.streak = 0;
        if !self.picks(v) {
            return;
        }
        let rule = &self.rules.geofence;
        let (enter, exit) = (rule.enter, rule.exit);
        for &g in now.iter().filter(|g| enter && !was.contains(g)) {
            self.crossed(out, v, Rule::Enter, g);
        }
        for &g in was.iter().filter(|g| exit && !now.contains(g)) {
            self.crossed(out, v, Rule::Exit, g);
        }
    }

    fn crossed(&mut self, out: &mut Vec<Alert>, v: &Vehicle, rule: Rule, g: u32) {
        if !self.watched.get(g as usize).copied().unwrap_or(false) {
            return;
        }
        let name = self.fences.get(g).map(|f| f.name.clone());
        let detail = format!(
            "{} {}",
            if rule == Rule::Enter {
                "entered"
            } else {
                "left"
            },
            name.as_deref().unwrap_or("?")
        );
        self.raise(out, v, rule, v.fix.ts, name, detail);
    }

    /// Whether the geofence rule's feeds and kinds include this vehicle.
    fn picks(&self, v: &Vehicle) -> bool {
        let rule = &self.rules.geofence;
        let feed_ok = rule.feeds.as_ref().is_none_or(|names| {
            let name = self.feed_names.get(&v.feed());
            name.is_some_and(|n| names.iter().any(|x| x == n))
        });
        let kind_ok = rule.kinds.as_ref().is_none_or(|kinds| {
            v.kind()
                .is_some_and(|k| kinds.iter().any(|x| x.eq_ignore_ascii_case(k)))
        });
        feed_ok && kind_ok
    }

    fn overspeed(&mut self, k: usize, v: &Vehicle, now: &[u32], out: &mut Vec<Alert>) {
        if !self.rules.overspeed.enabled {
            return;
        }
        let fence_limit = now
            .iter()
            .filter_map(|g| self.fences.get(*g).and_then(|f| f.speed_limit_kmh))
            .min_by(f64::total_cmp);
        let Some(limit) = fence_limit.or_else(|| self.rules.limit_kmh(v.kind())) else {
            return;
        };
        let kmh = f64::from(v.fix.speed.unwrap_or(0.0)) * 3.6;
        let grace_ms = (self.rules.overspeed.grace_s * 1000.0) as i64;
        let Some(state) = self.states[k].as_mut() else {
            return;
        };
        if kmh <= limit {
            state.over_since = None;
            state.over_alerted = false;
            return;
        }
        let since = *state.over_since.get_or_insert(v.fix.ts);
        if state.over_alerted || v.fix.ts - since < grace_ms {
            return;
        }
        state.over_alerted = true;
        let fence = fence_limit.and_then(|l| {
            now.iter()
                .filter_map(|g| self.fences.get(*g))
                .find(|f| f.speed_limit_kmh == Some(l))
                .map(|f| f.name.clone())
        });
        let detail = format!(
            "{kmh:.0} km/h for {} s (limit {limit:.0})",
            (v.fix.ts - since) / 1000
        );
        self.raise(out, v, Rule::Overspeed, v.fix.ts, fence, detail);
    }

    fn track_still(&mut self, k: usize, v: &Vehicle) {
        let Some(state) = self.states[k].as_mut() else {
            return;
        };
        if v.fix.speed.is_some_and(|s| s < STILL_MS) {
            state.still_since.get_or_insert(v.fix.ts);
        } else if v.fix.speed.is_some() {
            state.still_since = None;
            state.still_alerted = false;
        }
    }

    /// Stopped too long, outside every depot, as of `now_ms`.
    fn check_still(&mut self, key: VehicleKey, v: &Vehicle, now_ms: i64, out: &mut Vec<Alert>) {
        if !self.rules.stopped.enabled {
            return;
        }
        let limit_ms = (self.rules.stopped.minutes * 60_000.0) as i64;
        let Some(state) = self.states[key.0 as usize].as_mut() else {
            return;
        };
        let Some(since) = state.still_since.filter(|s| now_ms - s >= limit_ms) else {
            return;
        };
        let in_depot = state
            .inside
            .iter()
            .any(|g| self.fences.get(*g).is_some_and(|f| f.depot));
        if state.still_alerted || in_depot {
            return;
        }
        state.still_alerted = true;
        let detail = format!("stopped for {} outside a depot", minutes(now_ms - since));
        self.raise(out, v, Rule::Stopped, now_ms, None, detail);
    }

    /// A routine alert (its severity is its rule's).
    fn raise(
        &mut self,
        out: &mut Vec<Alert>,
        v: &Vehicle,
        rule: Rule,
        at_ms: i64,
        geofence: Option<String>,
        detail: String,
    ) {
        let severity = Severity::of_rule(rule, "");
        self.push(out, v, (rule, severity), at_ms, geofence, detail);
    }

    fn push(
        &mut self,
        out: &mut Vec<Alert>,
        v: &Vehicle,
        (rule, severity): (Rule, Severity),
        at_ms: i64,
        geofence: Option<String>,
        detail: String,
    ) {
        self.seq += 1;
        out.push(Alert {
            seq: self.seq,
            at_ms,
            rule,
            severity,
            feed: v.feed(),
            vehicle: v.id().to_owned(),
            label: v.display_name().to_owned(),
            geofence,
            detail,
            lat: v.fix.lat,
            lon: v.fix.lon,
        });
    }
}

/// Per geofence: whether the rule's `only` includes it.
fn watched(rules: &Rules, fences: &Geofences) -> Vec<bool> {
    let only = rules.geofence.only.as_ref();
    fences
        .iter()
        .map(|f| only.is_none_or(|names| names.contains(&f.name)))
        .collect()
}

/// A span in whole minutes, as alerts say it.
fn minutes(ms: i64) -> String {
    format!("{} min", ms.max(0) / 60_000)
}

mod alarms;
#[cfg(test)]
mod tests;
