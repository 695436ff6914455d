//! The vehicle table: the filtered, sorted rows (here, plain data with tests) and their drawing
//! (`show`), virtualised so that only the rows on screen are built (100k vehicles cost what 30
//! do).
//!
//! Rows are rebuilt when the fleet's membership, the search, the hidden feeds, the feeds' names
//! or the sort and filter change, and at most once a second while the order or the filter
//! depends on time (status, speed, updated). Sorting compares small integers: every vehicle's
//! rank by name is computed when membership changes, and breaks ties.

mod show;

use std::collections::{BTreeMap, BTreeSet};

use super::shown::Shown;
use super::view::{Column, TableView, ViewState};
use crate::fleet::{Condition, FeedId, Fleet, VehicleId, VehicleKey};

pub use show::{TableContext, show};

/// Feed names by feed, for rows and search.
pub type FeedNames = BTreeMap<FeedId, String>;

/// A search typed on filters the rows it showed in place while they are at most this many;
/// past it, a pass over the whole fleet on every core is quicker than the rows' random order.
const NARROW_IN_PLACE: usize = 50_000;

/// How often rows ordered or filtered by something that changes with time are rebuilt.
const RESORT_MS: i64 = 1_000;

/// What the rows were built for.
#[derive(PartialEq)]
struct BuiltFor {
    membership: u64,
    search: String,
    hidden: BTreeSet<FeedId>,
    names: FeedNames,
    table: TableView,
}

#[derive(Default)]
pub struct TableState {
    rows: Vec<VehicleKey>,
    built_for: Option<BuiltFor>,
    built_at_ms: i64,
    /// Each vehicle's place in name order, by key, for the membership it was made for.
    name_rank: Vec<u32>,
    /// Every vehicle in name order (the ranking's inverse).
    by_name: Vec<VehicleKey>,
    ranked_for: Option<u64>,
    /// The search the table last showed (a change scrolls to the first match).
    last_search: String,
    /// The order the table last showed (a change scrolls to the top).
    last_sort: Option<(Column, bool)>,
    /// Each row's value in the sorted column as it was sorted, when that value changes with
    /// time (status, speed, updated): the table shows these until the next re-sort, so its
    /// rows are never out of order.
    held: Vec<Held>,
}

/// A row's sorted-by value, as it was when the rows were sorted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Held {
    Condition(Condition),
    Speed(Option<f32>),
    /// The newest fix's time, UTC ms (the row shows its age).
    Ts(i64),
}

impl TableState {
    /// Brings the rows up to date with the fleet and the view at `now_ms`.
    pub fn refresh(&mut self, fleet: &Fleet, view: &ViewState, feeds: &FeedNames, now_ms: i64) {
        let table = view.table;
        let timely = matches!(table.sort, Column::Status | Column::Speed | Column::Updated)
            || !table.unfiltered();
        if let Some(built) = &self.built_for
            && built.membership == fleet.membership()
            && built.search == view.search
            && built.hidden == view.hidden
            && built.table == table
            && built.names == *feeds
            && (!timely || now_ms - self.built_at_ms < RESORT_MS)
        {
            return;
        }
        let narrowed = !timely && self.narrows_to(fleet, view, feeds);
        self.rank_names(fleet);
        let shown = Shown::new(fleet, view, feeds, now_ms);
        if narrowed && self.rows.len() <= NARROW_IN_PLACE {
            // The search only grew: its matches are among the rows, already in order.
            self.rows
                .retain(|k| fleet.vehicle(*k).is_some_and(|v| shown.shows(v)));
        } else {
            self.filter(&shown, fleet, (table, feeds, now_ms), narrowed);
        }
        self.built_for = Some(BuiltFor {
            membership: fleet.membership(),
            search: view.search.clone(),
            hidden: view.hidden.clone(),
            names: feeds.clone(),
            table,
        });
        self.built_at_ms = now_ms;
    }

    /// The rows shown, from a pass over the whole fleet on every core: in name order straight
    /// from the ranking when sorted by name, kept in their order when the search `narrowed`,
    /// else sorted.
    fn filter(
        &mut self,
        shown: &Shown<'_>,
        fleet: &Fleet,
        (table, feeds, now_ms): (TableView, &FeedNames, i64),
        narrowed: bool,
    ) {
        let in_order = table.sort == Column::Name || narrowed;
        if !in_order {
            self.rows = shown.keys();
            return self.sort(fleet, table, feeds, now_ms);
        }
        // One bit a slot: a million fit in the cache the rows are filtered through.
        let keep = shown.bits();
        let kept = |k: &VehicleKey| {
            keep.get(k.0 as usize / 64)
                .is_some_and(|word| word & (1 << (k.0 % 64)) != 0)
        };
        if narrowed {
            self.rows.retain(kept);
        } else {
            self.rows.clear();
            self.rows.extend(self.by_name.iter().copied().filter(kept));
            if table.descending {
                self.rows.reverse();
            }
            self.held.clear();
        }
    }

    /// Whether the rows were built for the same everything but a search that the new one
    /// contains (typing on): every match of the new is then a match of the old.
    fn narrows_to(&self, fleet: &Fleet, view: &ViewState, feeds: &FeedNames) -> bool {
        let Some(built) = &self.built_for else {
            return false;
        };
        let text = |s: &str| {
            let s = s.trim();
            (crate::geo::parse_lat_lon(s).is_none()).then(|| s.to_lowercase())
        };
        let (Some(old), Some(new)) = (text(&built.search), text(&view.search)) else {
            return false;
        };
        built.membership == fleet.membership()
            && built.hidden == view.hidden
            && built.table == view.table
            && built.names == *feeds
            && new.contains(&old)
    }

    fn rank_names(&mut self, fleet: &Fleet) {
        if self.ranked_for == Some(fleet.membership()) {
            return;
        }
        let name = |k: &VehicleKey| fleet.vehicle(*k).map_or("", |v| v.display_name());
        let mut all: Vec<VehicleKey> = fleet.iter().map(|(k, _)| k).collect();
        all.sort_by(|a, b| natural_cmp(name(a), name(b)).then_with(|| a.cmp(b)));
        let len = all.iter().map(|k| k.0 as usize + 1).max().unwrap_or(0);
        self.name_rank.clear();
        self.name_rank.resize(len, u32::MAX);
        for (rank, k) in all.iter().enumerate() {
            self.name_rank[k.0 as usize] = rank as u32;
        }
        self.by_name = all;
        self.ranked_for = Some(fleet.membership());
    }

    fn sort(&mut self, fleet: &Fleet, table: TableView, feeds: &FeedNames, now_ms: i64) {
        let rank = &self.name_rank;
        let by_name = |k: &VehicleKey| rank.get(k.0 as usize).copied().unwrap_or(u32::MAX);
        match table.sort {
            Column::Name => self.rows.sort_by_key(by_name),
            Column::Status => {
                self.rows.sort_by_cached_key(|k| {
                    let c = fleet.vehicle(*k).map(|v| fleet.condition(v, now_ms));
                    (c, by_name(k))
                });
            }
            Column::Speed => self.rows.sort_by_cached_key(|k| {
                // Unknown speeds last; fastest first when descending.
                let s = fleet.vehicle(*k).and_then(|v| v.fix.speed);
                (s.is_none(), s.map(|s| (s * 100.0) as i64), by_name(k))
            }),
            Column::Updated => self.rows.sort_by_cached_key(|k| {
                let ts = fleet.vehicle(*k).map_or(i64::MIN, |v| v.fix.ts);
                (std::cmp::Reverse(ts), by_name(k))
            }),
            Column::What => self.rows.sort_by(|a, b| {
                let what = |k: &VehicleKey| {
                    fleet.vehicle(*k).map_or(("", ""), |v| {
                        (v.kind().unwrap_or(""), v.route().unwrap_or(""))
                    })
                };
                let (ka, ra) = what(a);
                let (kb, rb) = what(b);
                natural_cmp(ka, kb)
                    .then_with(|| natural_cmp(ra, rb))
                    .then_with(|| by_name(a).cmp(&by_name(b)))
            }),
            Column::Feed => self.rows.sort_by(|a, b| {
                let feed = |k: &VehicleKey| {
                    fleet
                        .vehicle(*k)
                        .and_then(|v| feeds.get(&v.feed()))
                        .map_or("", String::as_str)
                };
                natural_cmp(feed(a), feed(b)).then_with(|| by_name(a).cmp(&by_name(b)))
            }),
        }
        if table.descending {
            self.rows.reverse();
            if table.sort == Column::Speed {
                // Fastest first, and unknown speeds still last.
                let known =
                    |k: &VehicleKey| fleet.vehicle(*k).is_some_and(|v| v.fix.speed.is_some());
                let (mut rows, unknown): (Vec<_>, Vec<_>) =
                    self.rows.iter().partition(|k| known(k));
                rows.extend(unknown);
                self.rows = rows;
            }
        }
        self.hold(fleet, table.sort, now_ms);
    }

    /// Keeps the sorted column's values of the rows, for the columns that change with time.
    fn hold(&mut self, fleet: &Fleet, sort: Column, now_ms: i64) {
        self.held.clear();
        let value = |v: &crate::fleet::Vehicle| match sort {
            Column::Status => Some(Held::Condition(fleet.condition(v, now_ms))),
            Column::Speed => Some(Held::Speed(v.fix.speed)),
            Column::Updated => Some(Held::Ts(v.fix.ts)),
            Column::Name | Column::What | Column::Feed => None,
        };
        for k in &self.rows {
            match fleet.vehicle(*k).and_then(value) {
                Some(held) => self.held.push(held),
                None => {
                    self.held.clear();
                    return;
                }
            }
        }
    }

    /// Row `row`'s value in the sorted column as sorted, when it changes with time.
    pub fn held(&self, row: usize) -> Option<Held> {
        self.held.get(row).copied()
    }

    /// Whether the order changed since the table last showed it (then it shows its top).
    pub fn sort_changed(&mut self, table: TableView) -> bool {
        let now = Some((table.sort, table.descending));
        let changed = self.last_sort.is_some() && self.last_sort != now;
        self.last_sort = now;
        changed
    }

    /// The rows, when they were built for this fleet's membership and this view's search,
    /// hidden feeds and filters (the status chips' at most a second ago): the vehicles shown.
    pub fn shown_rows(
        &self,
        fleet: &Fleet,
        view: &ViewState,
        feeds: &FeedNames,
    ) -> Option<&[VehicleKey]> {
        let built = self.built_for.as_ref()?;
        (built.membership == fleet.membership()
            && built.search == view.search
            && built.hidden == view.hidden
            && built.table.shown == view.table.shown
            && built.names == *feeds)
            .then_some(&self.rows[..])
    }

    pub fn rows(&self) -> &[VehicleKey] {
        &self.rows
    }

    /// The row of the selected vehicle, if it is in the table.
    pub fn row_of(&self, fleet: &Fleet, selected: Option<&VehicleId>) -> Option<usize> {
        let key = selected.and_then(|id| fleet.key_of(id.feed, &id.id))?;
        self.rows.iter().position(|r| *r == key)
    }

    /// The vehicle `delta` rows from the selected one (the first row when nothing is selected).
    pub fn step(
        &self,
        fleet: &Fleet,
        selected: Option<&VehicleId>,
        delta: i32,
    ) -> Option<VehicleId> {
        if self.rows.is_empty() {
            return None;
        }
        let next = match self.row_of(fleet, selected) {
            Some(i) => (i as i64 + i64::from(delta)).clamp(0, self.rows.len() as i64 - 1) as usize,
            None if delta < 0 => self.rows.len() - 1,
            None => 0,
        };
        fleet.vehicle(self.rows[next]).map(|v| v.vehicle_id())
    }
}

/// Compares names with their numbers as numbers: "Bus 9" before "Bus 10".
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, _) => return std::cmp::Ordering::Less,
            (_, None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (&a[..da], &b[..db]);
                let strip = |n: &[u8]| -> usize { n.iter().take_while(|&&c| c == b'0').count() };
                let (na, nb) = (&na[strip(na)..], &nb[strip(nb)..]);
                let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                let ord = x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase());
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

#[cfg(test)]
mod tests;
