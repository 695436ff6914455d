//! Questions the UI and `stats` ask of the model: staleness, counts, search, area.

use std::collections::BTreeMap;

use super::{FeedId, Fleet, Vehicle, VehicleKey};
use crate::protocol::BBox;

/// How fresh a vehicle's newest fix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Staleness {
    Live,
    Stale,
    Lost,
}

/// What a dispatcher reads first about a vehicle: live and moving, live and standing, or not
/// heard from for a while (stale), or for long (lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Condition {
    Moving,
    Stopped,
    Stale,
    Lost,
}

impl Condition {
    pub const ALL: [Condition; 4] = [Self::Moving, Self::Stopped, Self::Stale, Self::Lost];

    /// The word shown for it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Moving => "moving",
            Self::Stopped => "stopped",
            Self::Stale => "stale",
            Self::Lost => "lost",
        }
    }

    /// Its place in [`Condition::ALL`] (for tallies kept in arrays).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Vehicles by staleness at one instant (`moving` counts the live ones that move).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub live: usize,
    pub moving: usize,
    pub stale: usize,
    pub lost: usize,
}

impl Counts {
    fn add(&mut self, staleness: Staleness, moving: bool) {
        self.total += 1;
        match staleness {
            Staleness::Live => {
                self.live += 1;
                self.moving += usize::from(moving);
            }
            Staleness::Stale => self.stale += 1,
            Staleness::Lost => self.lost += 1,
        }
    }

    /// How many are in `condition`.
    pub fn of(&self, condition: Condition) -> usize {
        match condition {
            Condition::Moving => self.moving,
            Condition::Stopped => self.live - self.moving,
            Condition::Stale => self.stale,
            Condition::Lost => self.lost,
        }
    }
}

/// Counts of the whole fleet and of each feed, from one pass, and when the next vehicle changes
/// class (what a window needs to stay true without redrawing for nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetCounts {
    pub total: Counts,
    pub by_feed: BTreeMap<FeedId, Counts>,
    /// How long until the first vehicle turns stale or lost, ms; `None` when none can (all
    /// lost, or none held).
    pub next_change_ms: Option<i64>,
}

impl FleetCounts {
    pub fn of(&self, feed: FeedId) -> Counts {
        self.by_feed.get(&feed).copied().unwrap_or_default()
    }
}

impl Fleet {
    /// Age of the newest fix by the device's clock. A fix stamped a little in the future (clock
    /// drift) counts as age 0 rather than as negative.
    pub fn age_ms(&self, vehicle: &Vehicle, now_ms: i64) -> i64 {
        (now_ms - vehicle.fix.ts).max(0)
    }

    pub fn staleness(&self, vehicle: &Vehicle, now_ms: i64) -> Staleness {
        let age = self.age_ms(vehicle, now_ms);
        if age >= self.config.lost_after.as_millis() as i64 {
            Staleness::Lost
        } else if age >= self.config.stale_after.as_millis() as i64 {
            Staleness::Stale
        } else {
            Staleness::Live
        }
    }

    /// Moving, stopped, stale or lost at `now_ms`.
    pub fn condition(&self, vehicle: &Vehicle, now_ms: i64) -> Condition {
        match self.staleness(vehicle, now_ms) {
            Staleness::Live if vehicle.is_moving() => Condition::Moving,
            Staleness::Live => Condition::Stopped,
            Staleness::Stale => Condition::Stale,
            Staleness::Lost => Condition::Lost,
        }
    }

    pub fn counts(&self, now_ms: i64) -> Counts {
        self.counts_where(now_ms, |_| true)
    }

    /// Counts of the vehicles of one feed.
    pub fn counts_of(&self, feed: FeedId, now_ms: i64) -> Counts {
        self.counts_where(now_ms, |v| v.feed() == feed)
    }

    /// Counts of the whole fleet and of each feed, in one pass (what a frame shows).
    pub fn counts_by_feed(&self, now_ms: i64) -> FleetCounts {
        let mut counts = FleetCounts::default();
        let mut current: Option<(FeedId, Counts)> = None;
        let (stale_ms, lost_ms) = (
            self.config.stale_after.as_millis() as i64,
            self.config.lost_after.as_millis() as i64,
        );
        for (_, v) in self.iter() {
            let staleness = self.staleness(v, now_ms);
            let moving = v.is_moving();
            counts.total.add(staleness, moving);
            let age = self.age_ms(v, now_ms);
            let until = match staleness {
                Staleness::Live => Some(stale_ms - age),
                Staleness::Stale => Some(lost_ms - age),
                Staleness::Lost => None,
            };
            if let Some(until) = until {
                let next = counts.next_change_ms.get_or_insert(until);
                *next = (*next).min(until);
            }
            // Vehicles of one feed mostly sit together: keep a running count until it changes.
            match &mut current {
                Some((feed, c)) if *feed == v.feed() => c.add(staleness, moving),
                _ => {
                    if let Some((feed, c)) = current.take() {
                        let held = counts.by_feed.entry(feed).or_default();
                        *held = merged(*held, c);
                    }
                    let mut c = Counts::default();
                    c.add(staleness, moving);
                    current = Some((v.feed(), c));
                }
            }
        }
        if let Some((feed, c)) = current {
            let held = counts.by_feed.entry(feed).or_default();
            *held = merged(*held, c);
        }
        counts
    }

    fn counts_where(&self, now_ms: i64, keep: impl Fn(&Vehicle) -> bool) -> Counts {
        let mut counts = Counts::default();
        for (_, v) in self.iter().filter(|(_, v)| keep(v)) {
            counts.add(self.staleness(v, now_ms), v.is_moving());
        }
        counts
    }

    /// Vehicles whose id, label, kind or route contains `query`, ignoring case, or whose feed
    /// is one of `feeds_named` (the feeds whose name matched). An empty or blank query matches
    /// every vehicle.
    pub fn search<'a>(
        &'a self,
        query: &str,
        feeds_named: &'a [FeedId],
    ) -> impl Iterator<Item = (VehicleKey, &'a Vehicle)> + 'a {
        let query = Query::new(query, feeds_named.to_vec());
        self.iter().filter(move |(_, v)| query.matches(v))
    }

    /// Vehicles whose newest fix lies inside `bbox` (which may cross the antimeridian).
    pub fn in_bbox(&self, bbox: BBox) -> impl Iterator<Item = (VehicleKey, &Vehicle)> + '_ {
        self.iter()
            .filter(move |(_, v)| bbox.contains(v.fix.lat, v.fix.lon))
    }
}

/// The sum of two counts.
pub(super) fn merged(a: Counts, b: Counts) -> Counts {
    Counts {
        total: a.total + b.total,
        live: a.live + b.live,
        moving: a.moving + b.moving,
        stale: a.stale + b.stale,
        lost: a.lost + b.lost,
    }
}

/// Whether `haystack` contains `query`, ignoring case (a blank query matches nothing here).
pub fn text_matches(haystack: &str, query: &str) -> bool {
    let needle = Needle::new(query);
    !needle.is_empty() && needle.found_in(haystack)
}

/// A search, as the table and the map both apply it: a vehicle matches when its id, label,
/// kind or route contains the text, ignoring case, or its feed is one whose name matched. A
/// blank text matches every vehicle.
#[derive(Debug, Clone)]
pub struct Query {
    needle: Needle,
    feeds_named: Vec<FeedId>,
}

impl Query {
    pub fn new(text: &str, feeds_named: Vec<FeedId>) -> Self {
        Self {
            needle: Needle::new(text),
            feeds_named,
        }
    }

    pub fn matches(&self, v: &Vehicle) -> bool {
        let needle = &self.needle;
        needle.is_empty()
            || self.feeds_named.contains(&v.feed())
            || needle.found_in(v.id())
            || v.label().is_some_and(|s| needle.found_in(s))
            || v.kind().is_some_and(|s| needle.found_in(s))
            || v.route().is_some_and(|s| needle.found_in(s))
    }
}

/// A lower-cased search string, matched without allocating when it is ASCII.
#[derive(Debug, Clone)]
struct Needle {
    lower: String,
}

impl Needle {
    fn new(query: &str) -> Self {
        Self {
            lower: query.trim().to_lowercase(),
        }
    }

    fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }

    fn found_in(&self, haystack: &str) -> bool {
        let needle = self.lower.as_bytes();
        if self.lower.is_ascii() {
            haystack
                .as_bytes()
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        } else {
            haystack.to_lowercase().contains(&self.lower)
        }
    }
}
