use super::*;

/// A depot polygon around Cairns' city bus station and a 150 m circle at a stop.
pub(crate) const CAIRNS: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"City depot","depot":true,"speed_limit_kmh":20},
  "geometry":{"type":"Polygon","coordinates":[[[145.770,-16.925],[145.780,-16.925],
  [145.780,-16.915],[145.770,-16.915],[145.770,-16.925]]]}},
 {"type":"Feature","properties":{"name":"Stop 750070","radius":150},
  "geometry":{"type":"Point","coordinates":[145.7520,-16.8890]}}]}"#;

#[test]
fn polygons_and_circles_contain_what_is_inside_and_nothing_else() {
    let g = Geofences::parse(CAIRNS, "g.json").expect("parses");
    assert_eq!(g.len(), 2);
    let depot = g.get(0).expect("depot");
    assert!(depot.depot);
    assert_eq!(depot.speed_limit_kmh, Some(20.0));
    let mut inside = Vec::new();
    g.containing(-16.920, 145.775, &mut inside);
    assert_eq!(inside, [0]);
    // 100 m north of the stop: in its 150 m circle; 200 m: not.
    g.containing(-16.8881, 145.7520, &mut inside);
    assert_eq!(inside, [1]);
    g.containing(-16.8872, 145.7520, &mut inside);
    assert!(inside.is_empty());
}

#[test]
fn geofences_written_as_geojson_read_back_the_same() {
    let g = Geofences::parse(CAIRNS, "g.json").expect("parses");
    let again = Geofences::parse(&g.to_geojson(), "again.json").expect("reads back");
    assert_eq!(g.to_vec(), again.to_vec());
}

#[test]
fn a_broken_file_is_an_error_naming_the_feature() {
    let e = Geofences::parse("{", "g.json").expect_err("not json");
    assert!(e.to_string().starts_with("g.json is not GeoJSON"), "{e}");
    let line = r#"{"type":"Feature","properties":{"name":"Road"},
        "geometry":{"type":"LineString","coordinates":[[145.7,-16.9],[145.8,-16.9]]}}"#;
    let e = Geofences::parse(line, "g.json").expect_err("a line");
    assert_eq!(
        e.to_string(),
        "g.json: feature 1 (Road): a LineString is not an area (Polygon, MultiPolygon, or Point with a radius)"
    );
    let point = r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[145.7,-16.9]}}"#;
    let e = Geofences::parse(point, "g.json").expect_err("no radius");
    assert!(
        e.to_string()
            .contains("feature 1 (geofence 1): a Point needs a radius"),
        "{e}"
    );
    let swapped = CAIRNS.replace("145.770,-16.925],[145.780", "-16.925,145.770],[145.780");
    let e = Geofences::parse(&swapped, "g.json").expect_err("lat, lon swapped");
    assert!(
        e.to_string()
            .contains("(City depot): a corner is off the globe"),
        "{e}"
    );
}

#[test]
fn the_index_finds_the_same_geofences_as_checking_every_one() {
    let mut rng = fastrand::Rng::with_seed(7);
    let fences: Vec<Geofence> = (0..500)
        .map(|i| Geofence {
            name: format!("g{i}"),
            area: Area::Circle {
                centre: Point::new(145.6 + rng.f64() * 0.4, -17.1 + rng.f64() * 0.4),
                radius_m: 50.0 + rng.f64() * 2000.0,
            },
            depot: false,
            speed_limit_kmh: None,
        })
        .collect();
    let g = Geofences::new(fences.clone());
    let mut found = Vec::new();
    for _ in 0..2000 {
        let (lat, lon) = (-17.1 + rng.f64() * 0.4, 145.6 + rng.f64() * 0.4);
        g.containing(lat, lon, &mut found);
        let every: Vec<u32> = (0..fences.len() as u32)
            .filter(|i| fences[*i as usize].contains(lat, lon))
            .collect();
        assert_eq!(found, every);
    }
}
