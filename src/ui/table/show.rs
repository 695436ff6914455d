//! Drawing the vehicle table: the search box, a chip per status (count, click to filter),
//! sortable column headers, and the rows (status in colour and word, name, kind and route,
//! speed, updated x ago, and the feed when there are several).

use egui::{Align, Layout, RichText, Sense, TextEdit, Ui};
use egui_extras::{Column as Width, TableBuilder};

use super::{FeedNames, Held, TableState};
use crate::fleet::{Condition, Counts, Fleet, Vehicle};
use crate::ui::action::Action;
use crate::ui::markers;
use crate::ui::tokens;
use crate::ui::view::{Column, ViewState};
use crate::ui::words;

/// egui id of the search box, so `/` can focus it.
const SEARCH_ID: &str = "fleetview-search";

/// What the table needs besides the fleet and the view.
pub struct TableContext<'a> {
    pub feeds: &'a FeedNames,
    /// The whole fleet's counts this frame (of the feeds shown).
    pub counts: Counts,
    pub now_ms: i64,
}

pub fn show(
    ui: &mut Ui,
    fleet: &Fleet,
    view: &mut ViewState,
    state: &mut TableState,
    cx: &TableContext<'_>,
) -> Vec<Action> {
    let mut actions = Vec::new();
    let search = ui.add(
        TextEdit::singleline(&mut view.search)
            .id_salt(SEARCH_ID)
            .hint_text("Search id, name, kind, route, feed   ( / )")
            .desired_width(f32::INFINITY),
    );
    if std::mem::take(&mut view.focus_search) {
        search.request_focus();
    }
    view.search_focused = search.has_focus();
    state.refresh(fleet, view, cx.feeds, cx.now_ms);
    shown_line(ui, view, state.rows().len(), fleet.len(), &mut actions);
    chips(ui, view, cx.counts, &mut actions);

    // A new search shows its first match; clearing it brings the selection back into view.
    let mut scroll_to = None;
    if state.last_search != view.search {
        if view.search.trim().is_empty() {
            view.scroll_to_selected = true;
        } else {
            scroll_to = Some(0);
        }
        state.last_search.clone_from(&view.search);
    }
    if std::mem::take(&mut view.scroll_to_selected) {
        scroll_to = state.row_of(fleet, view.selected.as_ref()).or(scroll_to);
    }
    // A new order starts at its first row.
    if state.sort_changed(view.table) {
        scroll_to = Some(0);
    }
    if state.rows().is_empty() {
        ui.add_space(8.0);
        ui.label(RichText::new(empty_words(fleet, view)).weak());
        return actions;
    }
    rows(ui, fleet, view, state, cx, scroll_to, &mut actions);
    actions
}

/// What an empty table says.
fn empty_words(fleet: &Fleet, view: &ViewState) -> String {
    if fleet.is_empty() {
        "No vehicles yet.".into()
    } else if !view.search.trim().is_empty() {
        format!("No vehicle matches \u{201c}{}\u{201d}.", view.search.trim())
    } else {
        "No vehicle in the statuses and feeds shown.".into()
    }
}

/// "250 vehicles", or with any filter on "24 of 250 shown" and the one button that clears them
/// all (search, statuses, hidden feeds): the map, its clusters and this table show the same.
fn shown_line(
    ui: &mut Ui,
    view: &ViewState,
    shown: usize,
    total: usize,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        if !view.is_filtered() {
            ui.label(RichText::new(format!("{total} vehicles")).strong());
            return;
        }
        ui.label(RichText::new(format!("{shown} of {total} shown")).strong())
            .on_hover_text(
                "The search, the status chips and hidden feeds filter the map and this table alike",
            );
        if ui
            .small_button("Clear filters")
            .on_hover_text("Show every vehicle: no search, every status, every feed")
            .clicked()
        {
            actions.push(Action::ClearFilters);
        }
    });
}

/// A chip per condition: its count in its colour; a click shows or hides those vehicles on the
/// map and in the table.
fn chips(ui: &mut Ui, view: &ViewState, counts: Counts, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        for condition in Condition::ALL {
            let shown = view.table.shows(condition);
            ui.spacing_mut().item_spacing.x = 2.0;
            crate::ui::status::dot(ui, markers::condition_colour(condition));
            let text = format!("{} {}", counts.of(condition), condition.word());
            if ui
                .selectable_label(shown, text)
                .on_hover_text(if shown {
                    "Shown on the map and in the table; click to hide"
                } else {
                    "Hidden from the map and the table; click to show"
                })
                .clicked()
            {
                actions.push(Action::ShowCondition(condition, !shown));
            }
            ui.add_space(6.0);
        }
    });
}

/// The columns that fit `room`: narrow panels drop the feed, then kind and route, then the age
/// or the speed (whichever the table is not sorted by).
fn columns(room: f32, several_feeds: bool, sort: Column) -> Vec<(Column, &'static str, Width)> {
    let mut columns = vec![
        (Column::Status, "Status", Width::exact(64.0)),
        (
            Column::Name,
            "Name",
            Width::initial(96.0).at_least(50.0).clip(true),
        ),
    ];
    if room >= 350.0 {
        columns.push((
            Column::What,
            "Kind / route",
            Width::initial(76.0).at_least(40.0).clip(true),
        ));
    }
    // The narrowest table keeps one of speed and age: the one it is sorted by, else speed.
    let narrow = room < 310.0;
    if !narrow || sort != Column::Updated {
        columns.push((Column::Speed, "Speed", Width::exact(60.0)));
    }
    if !narrow || sort == Column::Updated {
        columns.push((
            Column::Updated,
            "Updated",
            Width::initial(70.0).at_least(48.0),
        ));
    }
    if several_feeds && room >= 440.0 {
        columns.push((
            Column::Feed,
            "Feed",
            Width::remainder().at_least(40.0).clip(true),
        ));
    } else if let Some(last) = columns.last_mut() {
        last.2 = Width::remainder().at_least(48.0);
    }
    columns
}

fn rows(
    ui: &mut Ui,
    fleet: &Fleet,
    view: &ViewState,
    state: &TableState,
    cx: &TableContext<'_>,
    scroll_to: Option<usize>,
    actions: &mut Vec<Action>,
) {
    let columns = columns(ui.available_width(), cx.feeds.len() > 1, view.table.sort);
    let mut table = TableBuilder::new(ui)
        .id_salt("vehicles")
        .striped(true)
        .resizable(true)
        .sense(Sense::click())
        .cell_layout(Layout::left_to_right(Align::Center));
    for (_, _, width) in &columns {
        table = table.column(*width);
    }
    if let Some(row) = scroll_to {
        let align = if row == 0 { Align::TOP } else { Align::Center };
        table = table.scroll_to_row(row, Some(align));
    }
    let shown: Vec<Column> = columns.iter().map(|c| c.0).collect();
    let table = table.header(tokens::ROW_HEIGHT, |mut header| {
        for (column, name, _) in &columns {
            header.col(|ui| {
                if sort_header(ui, view, *column, name) {
                    actions.push(Action::SortBy(*column));
                }
            });
        }
    });
    table.body(|body| {
        body.rows(tokens::ROW_HEIGHT, state.rows().len(), |mut row| {
            let held = state.held(row.index());
            if let Some(v) = fleet.vehicle(state.rows()[row.index()]) {
                let one = Row { v, held };
                actions.extend(vehicle_row(&mut row, fleet, &one, view, cx, &shown));
            }
        });
    });
}

/// A row's vehicle, and its sorted-by value as it was sorted (see [`Held`]).
struct Row<'a> {
    v: &'a Vehicle,
    held: Option<Held>,
}

/// One vehicle's row, in the columns shown; a click shows it, a double click follows it. The
/// sorted column shows the value the rows were sorted by, so the rows read in order.
fn vehicle_row(
    row: &mut egui_extras::TableRow<'_, '_>,
    fleet: &Fleet,
    one: &Row<'_>,
    view: &ViewState,
    cx: &TableContext<'_>,
    shown: &[Column],
) -> Option<Action> {
    let v = one.v;
    let selected = view.is_selected(v);
    row.set_selected(selected);
    let mut name = None;
    for column in shown {
        row.col(|ui| match column {
            Column::Status => {
                ui.spacing_mut().item_spacing.x = 4.0;
                let condition = match one.held {
                    Some(Held::Condition(c)) => c,
                    _ => fleet.condition(v, cx.now_ms),
                };
                crate::ui::status::dot(ui, markers::condition_colour(condition));
                ui.label(condition.word());
            }
            // The name is a widget of its own (clickable, and found by assistive tools).
            Column::Name => {
                let text = RichText::new(v.display_name()).strong();
                name = Some(ui.add(egui::Button::selectable(selected, text).frame(false)));
            }
            Column::What => {
                let what = [v.kind().map(words::status), v.route().map(str::to_owned)];
                ui.label(what.into_iter().flatten().collect::<Vec<_>>().join(" "));
            }
            Column::Speed => {
                let speed = match one.held {
                    Some(Held::Speed(s)) => s,
                    _ => v.fix.speed,
                };
                ui.label(speed.map_or_else(|| "—".into(), words::speed));
            }
            Column::Updated => {
                let age = match one.held {
                    Some(Held::Ts(ts)) => (cx.now_ms - ts).max(0),
                    _ => fleet.age_ms(v, cx.now_ms),
                };
                ui.label(crate::session::ago_words(age));
            }
            Column::Feed => {
                ui.label(cx.feeds.get(&v.feed()).map_or("", String::as_str));
            }
        });
    }
    let row_response = row.response();
    if let Some(menu) = row_menu(&row_response, v) {
        return Some(menu);
    }
    let hit = |f: fn(&egui::Response) -> bool| f(&row_response) || name.as_ref().is_some_and(f);
    if hit(egui::Response::double_clicked) {
        Some(Action::Follow(v.vehicle_id()))
    } else if hit(egui::Response::clicked) {
        Some(Action::Show(v.vehicle_id()))
    } else {
        None
    }
}

/// A row's right-click menu: follow the vehicle, or open its History.
fn row_menu(row: &egui::Response, v: &Vehicle) -> Option<Action> {
    let mut chosen = None;
    row.context_menu(|ui| {
        if ui.button("Follow").clicked() {
            chosen = Some(Action::Follow(v.vehicle_id()));
            ui.close();
        }
        if ui.button("History…").clicked() {
            chosen = Some(Action::History(crate::ui::action::HistoryAction::Open(
                v.vehicle_id(),
            )));
            ui.close();
        }
    });
    chosen
}

/// A column's header: its name, and when the table is sorted by it a triangle for the
/// direction (painted: egui's fonts have no arrow glyph), kept inside the cell whatever its
/// width; assistive tools read "Speed, sorted largest first". Returns whether it was clicked.
fn sort_header(ui: &mut Ui, view: &ViewState, column: Column, name: &str) -> bool {
    let sorted = view.table.sort == column;
    let cell = ui.max_rect();
    let (described, hover) = match (sorted, view.table.descending) {
        (false, _) => (name.to_owned(), "Sort by this column"),
        (true, false) => (
            format!("{name}, sorted smallest first"),
            "Sorted smallest first; click to reverse",
        ),
        (true, true) => (
            format!("{name}, sorted largest first"),
            "Sorted largest first; click to reverse",
        ),
    };
    let response = ui
        .selectable_label(sorted, RichText::new(name).strong())
        .on_hover_text(hover);
    response
        .widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, sorted, &described));
    if sorted {
        let x = (response.rect.right() + 8.0).min(cell.right() - 5.0);
        let c = egui::pos2(x, response.rect.center().y);
        let (tip, base) = if view.table.descending {
            (3.5, -3.5)
        } else {
            (-3.5, 3.5)
        };
        ui.painter().add(egui::Shape::convex_polygon(
            vec![
                c + egui::vec2(0.0, tip),
                c + egui::vec2(4.0, base),
                c + egui::vec2(-4.0, base),
            ],
            ui.visuals().strong_text_color(),
            egui::Stroke::NONE,
        ));
    }
    response.clicked()
}
