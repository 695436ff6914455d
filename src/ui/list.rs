//! The side list: search box, counts, and one row per vehicle, virtualised so that only the
//! rows on screen are built (100k vehicles cost what 30 do).

use std::collections::{BTreeMap, BTreeSet};

use egui::{Color32, RichText, ScrollArea, TextEdit, Ui};

use super::action::Action;
use super::markers::{self, Palette};
use super::view::ViewState;
use crate::fleet::{Counts, FeedId, Fleet, VehicleId, VehicleKey, text_matches};

/// Feed names by feed, for rows and search.
pub type FeedNames = BTreeMap<FeedId, String>;

const ROW_HEIGHT: f32 = 22.0;
/// egui id of the search box, so `/` can focus it.
pub const SEARCH_ID: &str = "fleetview-search";

/// What the rows were built for: membership, search, hidden feeds, feed names.
type BuiltFor = (u64, String, BTreeSet<FeedId>, FeedNames);

/// The filtered, sorted rows, rebuilt only when the fleet's membership, the search, the hidden
/// feeds or the feeds' names change.
#[derive(Default)]
pub struct ListState {
    rows: Vec<VehicleKey>,
    built_for: Option<BuiltFor>,
}

impl ListState {
    pub fn refresh(&mut self, fleet: &Fleet, view: &ViewState, feeds: &FeedNames) {
        if let Some((membership, search, hidden, names)) = &self.built_for
            && *membership == fleet.membership()
            && *search == view.search
            && *hidden == view.hidden
            && names == feeds
        {
            return;
        }
        let named: Vec<FeedId> = feeds
            .iter()
            .filter(|(_, name)| text_matches(name, &view.search))
            .map(|(id, _)| *id)
            .collect();
        self.rows = fleet
            .search(&view.search, &named)
            .filter(|(_, v)| view.shows(v.feed()))
            .map(|(k, _)| k)
            .collect();
        let key = (
            fleet.membership(),
            view.search.clone(),
            view.hidden.clone(),
            feeds.clone(),
        );
        let name = |k: &VehicleKey| fleet.vehicle(*k).map_or("", |v| v.display_name());
        self.rows
            .sort_by(|a, b| natural_cmp(name(a), name(b)).then_with(|| a.cmp(b)));
        self.built_for = Some(key);
    }

    pub fn rows(&self) -> &[VehicleKey] {
        &self.rows
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
        let at = selected
            .and_then(|id| fleet.key_of(id.feed, &id.id))
            .and_then(|k| self.rows.iter().position(|r| *r == k));
        let next = match at {
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

/// What the list needs besides the fleet and the view.
pub struct ListContext<'a> {
    pub feeds: &'a FeedNames,
    /// The whole fleet's counts this frame.
    pub counts: Counts,
    pub palette: &'a Palette,
    pub now_ms: i64,
}

pub fn show(
    ui: &mut Ui,
    fleet: &Fleet,
    view: &mut ViewState,
    list: &mut ListState,
    cx: &ListContext<'_>,
) -> Vec<Action> {
    let now_ms = cx.now_ms;
    let several_feeds = cx.feeds.len() > 1;
    let mut actions = Vec::new();
    let search = ui.add(
        TextEdit::singleline(&mut view.search)
            .id_salt(SEARCH_ID)
            .hint_text("Search id, label, kind, route, feed   ( / )")
            .desired_width(f32::INFINITY),
    );
    if std::mem::take(&mut view.focus_search) {
        search.request_focus();
    }
    view.search_focused = search.has_focus();
    list.refresh(fleet, view, cx.feeds);
    let counts = cx.counts;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("{} vehicles", counts.total)).strong());
        ui.label(
            RichText::new(format!("{} live", counts.live))
                .color(Color32::from_rgb(0x2e, 0x8b, 0x57)),
        );
        ui.label(
            RichText::new(format!("{} stale", counts.stale))
                .color(Color32::from_rgb(0xc0, 0x8a, 0x00)),
        );
        ui.label(RichText::new(format!("{} lost", counts.lost)).color(Color32::GRAY));
        if !view.search.trim().is_empty() {
            ui.label(format!("· {} shown", list.rows().len()));
        }
    });
    ui.separator();

    let selected_row = view
        .selected
        .as_ref()
        .and_then(|id| fleet.key_of(id.feed, &id.id))
        .and_then(|k| list.rows().iter().position(|r| *r == k));
    let mut area = ScrollArea::vertical().auto_shrink([false, false]);
    if std::mem::take(&mut view.scroll_to_selected)
        && let Some(row) = selected_row
    {
        let spacing = ui.spacing().item_spacing.y;
        let height = ui.available_height();
        area = area
            .vertical_scroll_offset(((ROW_HEIGHT + spacing) * row as f32 - height / 2.0).max(0.0));
    }
    area.show_rows(ui, ROW_HEIGHT, list.rows().len(), |ui, range| {
        for &key in &list.rows()[range] {
            let Some(v) = fleet.vehicle(key) else {
                continue;
            };
            let staleness = fleet.staleness(v, now_ms);
            let colour = markers::colour(cx.palette.base(v), staleness);
            let selected = view.is_selected(v);
            ui.horizontal(|ui| {
                super::status::dot(ui, colour);
                let feed = several_feeds
                    .then(|| cx.feeds.get(&v.feed()).map(String::as_str))
                    .flatten();
                let detail = [v.kind(), v.route(), feed]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · ");
                let text = if detail.is_empty() {
                    v.display_name().to_owned()
                } else {
                    format!("{}   {detail}", v.display_name())
                };
                let row = ui.selectable_label(selected, text);
                if row.double_clicked() {
                    actions.push(Action::Follow(v.vehicle_id()));
                } else if row.clicked() {
                    actions.push(Action::Show(v.vehicle_id()));
                }
            });
        }
    });
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_with_their_numbers_as_numbers() {
        let mut names = vec!["Bus 10", "bus 9", "Bus 100", "Truck 2", "Bus 09a", "Bus 9"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            vec!["bus 9", "Bus 9", "Bus 09a", "Bus 10", "Bus 100", "Truck 2"]
        );
    }
}
