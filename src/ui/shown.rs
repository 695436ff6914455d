//! The one set of vehicles the board shows: of the feeds not hidden, in the statuses whose chips
//! are on, matching the search. The map's markers and clusters, the table, its "24 of 250
//! shown" and "Whole fleet" all ask this one question, so every part of the board counts the
//! same vehicles. Plain data over the model, tested alone.

use super::table::FeedNames;
use super::view::ViewState;
use crate::fleet::{Condition, FeedId, Fleet, Query, Vehicle, VehicleKey, text_matches};

/// The filters of one frame, set up once (the search lower-cased, the feeds it names found).
pub struct Shown<'a> {
    fleet: &'a Fleet,
    view: &'a ViewState,
    query: Query,
    now_ms: i64,
}

impl<'a> Shown<'a> {
    pub fn new(fleet: &'a Fleet, view: &'a ViewState, names: &FeedNames, now_ms: i64) -> Self {
        // Coordinates typed in the search ask for the nearest vehicles, not for a name.
        let search = match crate::geo::parse_lat_lon(&view.search) {
            Some(_) => "",
            None => view.search.as_str(),
        };
        let named: Vec<FeedId> = names
            .iter()
            .filter(|(_, name)| text_matches(name, search))
            .map(|(id, _)| *id)
            .collect();
        Self {
            fleet,
            view,
            query: Query::new(search, named),
            now_ms,
        }
    }

    /// Whether `v` is shown: its feed is shown, its status is, and it matches the search.
    pub fn shows(&self, v: &Vehicle) -> bool {
        self.view.shows(v.feed())
            && (self.view.table.unfiltered()
                || self.view.table.shows(self.fleet.condition(v, self.now_ms)))
            && self.query.matches(v)
    }

    /// Every vehicle shown.
    pub fn vehicles(&self) -> impl Iterator<Item = (VehicleKey, &'a Vehicle)> + '_ {
        self.fleet.iter().filter(|(_, v)| self.shows(v))
    }

    /// The keys of every vehicle shown, in the fleet's order (a pass on every core for a big
    /// fleet).
    pub fn keys(&self) -> Vec<VehicleKey> {
        self.fleet.filter_keys(|v| self.shows(v))
    }

    /// ... as a bitset over the fleet's slots (see [`Fleet::filter_bits`]).
    pub fn bits(&self) -> Vec<u64> {
        self.fleet.filter_bits(|v| self.shows(v))
    }

    /// Why `v` is not shown, in words ("stopped vehicles are hidden"); `None` when it is.
    pub fn why_hidden(&self, v: &Vehicle) -> Option<String> {
        if !self.view.shows(v.feed()) {
            return Some("its feed is hidden".into());
        }
        let condition = self.fleet.condition(v, self.now_ms);
        if !self.view.table.shows(condition) {
            return Some(format!("{} vehicles are hidden", condition.word()));
        }
        if !self.query.matches(v) {
            return Some(format!(
                "it does not match the search \u{201c}{}\u{201d}",
                self.view.search.trim()
            ));
        }
        None
    }
}

impl ViewState {
    /// Whether any filter is on: a search, a status hidden or a feed hidden.
    pub fn is_filtered(&self) -> bool {
        let searching =
            !self.search.trim().is_empty() && crate::geo::parse_lat_lon(&self.search).is_none();
        searching || !self.table.unfiltered() || !self.hidden.is_empty()
    }

    /// Shows every vehicle again: no search, every status, every feed.
    pub fn clear_filters(&mut self) {
        self.search.clear();
        self.table.shown = [true; Condition::ALL.len()];
        self.hidden.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{FixBatch, Position};

    const T0: i64 = 1_700_000_000_000;

    /// Two feeds: a moving bus 110 and a stopped bus 7 on feed 0, a moving van on feed 1.
    fn fleet() -> (Fleet, FeedNames) {
        let mut fleet = Fleet::default();
        let bus = |id: &str, route: &str, speed: f32| {
            let mut p = Position::new(id, -16.9, 145.7, T0);
            p.route = Some(route.into());
            p.speed = Some(speed);
            p.heading = Some(90.0);
            p
        };
        let depot = [bus("bus-1", "110", 10.0), bus("bus-2", "7", 0.0)];
        let _ = fleet.apply_batch(FeedId(0), &FixBatch::from_positions(&depot), T0);
        let van = [bus("van-3", "", 12.0)];
        let _ = fleet.apply_batch(FeedId(1), &FixBatch::from_positions(&van), T0);
        let names = [(FeedId(0), "buses".into()), (FeedId(1), "vans".into())];
        (fleet, names.into_iter().collect())
    }

    fn shown_ids(fleet: &Fleet, view: &ViewState, names: &FeedNames) -> Vec<String> {
        let shown = Shown::new(fleet, view, names, T0);
        let mut ids: Vec<String> = shown.vehicles().map(|(_, v)| v.id().into()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn with_no_filter_every_vehicle_is_shown() {
        let (fleet, names) = fleet();
        let view = ViewState::default();
        assert_eq!(shown_ids(&fleet, &view, &names).len(), 3);
        assert!(!view.is_filtered());
    }

    #[test]
    fn a_hidden_status_a_search_and_a_hidden_feed_each_narrow_the_set() {
        let (fleet, names) = fleet();
        let mut view = ViewState::default();
        view.table.shown[Condition::Stopped.index()] = false;
        assert_eq!(shown_ids(&fleet, &view, &names), ["bus-1", "van-3"]);
        view.search = "110".into();
        assert_eq!(shown_ids(&fleet, &view, &names), ["bus-1"]);
        view.search = "VANS".into();
        assert_eq!(shown_ids(&fleet, &view, &names), ["van-3"], "a feed's name");
        view.hidden.insert(FeedId(1));
        assert!(shown_ids(&fleet, &view, &names).is_empty());
        assert!(view.is_filtered());
    }

    #[test]
    fn a_hidden_vehicle_says_which_filter_hides_it() {
        let (fleet, names) = fleet();
        let mut view = ViewState::default();
        view.table.shown[Condition::Stopped.index()] = false;
        view.search = "bus".into();
        let shown = Shown::new(&fleet, &view, &names, T0);
        let stopped = fleet.find(&VehicleIdOf::of("bus-2")).expect("bus-2");
        let van = fleet.find(&VehicleIdOf::van()).expect("van-3");
        assert_eq!(
            shown.why_hidden(stopped).as_deref(),
            Some("stopped vehicles are hidden")
        );
        assert_eq!(
            shown.why_hidden(van).as_deref(),
            Some("it does not match the search \u{201c}bus\u{201d}")
        );
        let moving = fleet.find(&VehicleIdOf::of("bus-1")).expect("bus-1");
        assert_eq!(shown.why_hidden(moving), None);
    }

    #[test]
    fn clearing_the_filters_shows_every_vehicle_again() {
        let (fleet, names) = fleet();
        let mut view = ViewState::default();
        view.table.shown = [false; 4];
        view.search = "nothing like it".into();
        view.hidden.insert(FeedId(0));
        assert!(shown_ids(&fleet, &view, &names).is_empty());
        view.clear_filters();
        assert_eq!(shown_ids(&fleet, &view, &names).len(), 3);
    }

    /// Ids of the test fleet's vehicles.
    struct VehicleIdOf;

    impl VehicleIdOf {
        fn of(id: &str) -> crate::fleet::VehicleId {
            crate::fleet::VehicleId::new(FeedId(0), id)
        }

        fn van() -> crate::fleet::VehicleId {
            crate::fleet::VehicleId::new(FeedId(1), "van-3")
        }
    }
}
