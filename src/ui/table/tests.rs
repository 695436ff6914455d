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

fn fleet_of_buses(n: usize) -> Fleet {
    let t = 1_764_000_000_000;
    let mut fleet = Fleet::default();
    let fixes: Vec<crate::protocol::Position> = (0..n)
        .map(|i| {
            let mut p = crate::protocol::Position::new(format!("bus-{i}"), -16.9, 145.7, t);
            p.label = Some(format!("Bus {i}"));
            p
        })
        .collect();
    let batch = crate::protocol::FixBatch::from_positions(&fixes);
    let _ = fleet.apply_batch(FeedId(0), &batch, t);
    fleet
}

fn names(fleet: &Fleet, table: &TableState) -> Vec<String> {
    let rows = table.rows().iter().filter_map(|k| fleet.vehicle(*k));
    rows.map(|v| v.display_name().to_owned()).collect()
}

#[test]
fn typing_on_narrows_the_rows_in_order_and_deleting_widens_them_again() {
    let fleet = fleet_of_buses(300);
    let (feeds, now) = (FeedNames::new(), 1_764_000_000_000);
    let mut view = ViewState::default();
    let mut table = TableState::default();
    // What the rows should be: the matching names in natural order.
    let fresh = |view: &ViewState| {
        let q = view.search.trim().to_lowercase();
        let mut all: Vec<String> = fleet
            .iter()
            .map(|(_, v)| v.display_name().to_owned())
            .filter(|n| n.to_lowercase().contains(&q))
            .collect();
        all.sort_by(|a, b| natural_cmp(a, b));
        all
    };
    for typed in ["b", "bu", "bus 2", "bus 29", "bus 2", "", "Bus 1", "bus 1"] {
        view.search = typed.into();
        table.refresh(&fleet, &view, &feeds, now);
        assert_eq!(
            names(&fleet, &table),
            fresh(&view),
            "after typing {typed:?}"
        );
    }
    assert_eq!(names(&fleet, &table)[..3], ["Bus 1", "Bus 10", "Bus 11"]);
    view.table.descending = true;
    table.refresh(&fleet, &view, &feeds, now);
    let mut reversed = fresh(&view);
    reversed.reverse();
    assert_eq!(names(&fleet, &table), reversed, "by name, descending");
    // Coordinates are not a text: "-16" narrowed to "-16.9,145.7" shows every vehicle.
    view.search = "-16".into();
    table.refresh(&fleet, &view, &feeds, now);
    view.search = "-16.9,145.7".into();
    table.refresh(&fleet, &view, &feeds, now);
    assert_eq!(table.rows().len(), 300);
}
