//! Every format on a three-fix track with awkward texts, read back with a real parser
//! (serde_json, roxmltree, csv), and on an empty track.

use super::*;
use crate::protocol::{Meta, MetaRef};

const LABEL: &str = r#"Van <7> & "Co""#;
const ATTRS: &str = r#"{"driver":"Ana","odo":1234.5}"#;
const T0: i64 = 1_796_464_800_123; // 2026-12-05T10:00:00.123Z

/// Three fixes of van-7: every field; only the position; a zero speed and other attrs.
fn track() -> Vec<FixRef<'static>> {
    let full: MetaRef<'static> = Meta {
        label: Some(LABEL),
        kind: Some("van"),
        status: Some("in_service"),
        route: Some("131"),
        attrs: Some(ATTRS),
    };
    let mut first = FixRef::bare("van-7", -16.92, 145.77, T0);
    first.speed = Some(12.5);
    first.heading = Some(90.0);
    first.meta = full;
    let second = FixRef::bare("van-7", -16.9195, 145.7712, T0 + 10_000);
    let mut third = FixRef::bare("van-7", -16.918_75, 145.772_401, T0 + 20_000);
    third.speed = Some(0.0);
    third.heading = Some(359.9);
    third.meta = Meta {
        label: Some(LABEL),
        attrs: Some(r#"{"note":"a<b & c"}"#),
        ..Meta::default()
    };
    vec![first, second, third]
}

fn export(format: TrackFormat, fixes: &[FixRef<'_>]) -> String {
    let mut w = TrackWriter::begin(Vec::new(), format, "van-7").expect("begin");
    for fix in fixes {
        w.point(fix).expect("point");
    }
    assert_eq!(w.points(), fixes.len());
    String::from_utf8(w.end().expect("end")).expect("utf-8")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

fn xml(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

/// serde_json reads floats to within an ulp (without its `float_roundtrip` feature).
fn same(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1e-12 * b.abs().max(1.0))
}

#[test]
fn formats_are_named_and_an_unknown_name_says_which_are_accepted() {
    for f in TrackFormat::ALL {
        assert_eq!(f.name().parse::<TrackFormat>(), Ok(f));
        assert_eq!(f.extension(), f.name());
    }
    assert_eq!("GPX".parse::<TrackFormat>(), Ok(TrackFormat::Gpx));
    assert_eq!(TrackFormat::GeoJson.content_type(), "application/geo+json");
    assert_eq!(TrackFormat::Csv.content_type(), "text/csv; charset=utf-8");
    let err = "xlsx".parse::<TrackFormat>().expect_err("unknown");
    assert_eq!(
        err.to_string(),
        r#"unknown format "xlsx": accepted are json, geojson, gpx, kml, csv"#
    );
}

#[test]
fn the_json_export_reads_back_with_every_field_and_the_same_numbers() {
    let fixes = track();
    let doc = json(&export(TrackFormat::Json, &fixes));
    assert_eq!(doc["id"], "van-7");
    let out = doc["fixes"].as_array().expect("fixes");
    assert_eq!(out.len(), 3);
    for (o, f) in out.iter().zip(&fixes) {
        assert_eq!(o["id"], "van-7");
        assert!(same(o["lat"].as_f64(), f.lat) && same(o["lon"].as_f64(), f.lon));
        assert_eq!(o["ts"].as_i64(), Some(f.ts));
        assert_eq!(o["speed"].as_f64().map(|v| v as f32), f.speed);
        assert_eq!(o["heading"].as_f64().map(|v| v as f32), f.heading);
        assert_eq!(o["label"].as_str(), f.meta.label);
        assert_eq!(o["route"].as_str(), f.meta.route);
        assert_eq!(o.get("attrs"), f.meta.attrs.map(json).as_ref());
    }
    assert_eq!(out[0]["time"], "2026-12-05T10:00:00.123Z");
    assert_eq!(out[0]["attrs"]["odo"], 1234.5);
    assert!(out[1].get("speed").is_none() && out[1].get("label").is_none());
}

#[test]
fn the_geojson_export_is_points_then_the_track_line_with_the_same_numbers() {
    let fixes = track();
    let doc = json(&export(TrackFormat::GeoJson, &fixes));
    assert_eq!(doc["type"], "FeatureCollection");
    let features = doc["features"].as_array().expect("features");
    assert_eq!(features.len(), 4);
    for (feature, f) in features.iter().zip(&fixes) {
        assert_eq!(feature["geometry"]["type"], "Point");
        let c = &feature["geometry"]["coordinates"];
        assert!(
            same(c[0].as_f64(), f.lon) && same(c[1].as_f64(), f.lat),
            "{c}"
        );
        let p = &feature["properties"];
        assert_eq!(p["ts"].as_i64(), Some(f.ts));
        assert_eq!(p["speed"].as_f64().map(|v| v as f32), f.speed);
        assert_eq!(p["label"].as_str(), f.meta.label);
        assert_eq!(p.get("attrs"), f.meta.attrs.map(json).as_ref());
        assert!(p.get("lat").is_none());
    }
    let line = &features[3];
    assert_eq!(line["geometry"]["type"], "LineString");
    let coords = line["geometry"]["coordinates"].as_array().expect("coords");
    assert_eq!(coords.len(), 3);
    assert!(same(coords[2][0].as_f64(), fixes[2].lon));
    let p = &line["properties"];
    assert_eq!(
        (p["id"].as_str(), p["points"].as_u64()),
        (Some("van-7"), Some(3))
    );
    assert_eq!(p["from"], "2026-12-05T10:00:00.123Z");
    assert_eq!(p["to"], "2026-12-05T10:00:20.123Z");
}

#[test]
fn the_gpx_export_is_well_formed_gpx_1_1_with_three_points_and_every_field() {
    let fixes = track();
    let text = export(TrackFormat::Gpx, &fixes);
    let doc = xml(&text);
    let gpx = doc.root_element();
    let ns = "http://www.topografix.com/GPX/1/1";
    assert_eq!(gpx.tag_name().namespace(), Some(ns));
    assert_eq!(
        (gpx.attribute("version"), gpx.attribute("creator")),
        (Some("1.1"), Some("fleetview"))
    );
    let name = gpx.descendants().find(|n| n.has_tag_name((ns, "name")));
    assert_eq!(name.and_then(|n| n.text()), Some("van-7"));
    let points: Vec<_> = gpx
        .descendants()
        .filter(|n| n.has_tag_name((ns, "trkpt")))
        .collect();
    assert_eq!(points.len(), 3);
    let ext = |p: roxmltree::Node<'_, '_>, name: &str| {
        p.descendants()
            .find(|n| n.has_tag_name((GPX_NAMESPACE, name)))
            .and_then(|n| n.text().map(str::to_owned))
    };
    for (p, f) in points.iter().zip(&fixes) {
        let number = |a: &str| p.attribute(a).and_then(|v| v.parse::<f64>().ok());
        assert_eq!((number("lat"), number("lon")), (Some(f.lat), Some(f.lon)));
        let speed = ext(*p, "speed").and_then(|v| v.parse::<f32>().ok());
        assert_eq!(speed, f.speed);
        assert_eq!(ext(*p, "label").as_deref(), f.meta.label);
        assert_eq!(ext(*p, "attrs").as_deref(), f.meta.attrs);
    }
    let time = points[0].first_element_child().and_then(|n| n.text());
    assert_eq!(time, Some("2026-12-05T10:00:00.123Z"));
    assert_eq!(ext(points[2], "course").as_deref(), Some("359.9"));
}

#[test]
fn the_gpx_of_the_three_fix_track_is_exactly_this() {
    // Also the sample for the gpxpy cross-check.
    let expected = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="fleetview" xmlns="http://www.topografix.com/GPX/1/1" xmlns:fleetview="https://fleetview.invalid/xmlns/gpx/1">
<trk><name>van-7</name><trkseg>
<trkpt lat="-16.92" lon="145.77"><time>2026-12-05T10:00:00.123Z</time><extensions><fleetview:speed>12.5</fleetview:speed><fleetview:course>90</fleetview:course><fleetview:label>Van &lt;7&gt; &amp; &quot;Co&quot;</fleetview:label><fleetview:kind>van</fleetview:kind><fleetview:status>in_service</fleetview:status><fleetview:route>131</fleetview:route><fleetview:attrs>{&quot;driver&quot;:&quot;Ana&quot;,&quot;odo&quot;:1234.5}</fleetview:attrs></extensions></trkpt>
<trkpt lat="-16.9195" lon="145.7712"><time>2026-12-05T10:00:10.123Z</time></trkpt>
<trkpt lat="-16.91875" lon="145.772401"><time>2026-12-05T10:00:20.123Z</time><extensions><fleetview:speed>0</fleetview:speed><fleetview:course>359.9</fleetview:course><fleetview:label>Van &lt;7&gt; &amp; &quot;Co&quot;</fleetview:label><fleetview:attrs>{&quot;note&quot;:&quot;a&lt;b &amp; c&quot;}</fleetview:attrs></extensions></trkpt>
</trkseg></trk>
</gpx>
"#;
    assert_eq!(export(TrackFormat::Gpx, &track()), expected);
}

#[test]
fn the_kml_export_is_a_gx_track_with_times_coordinates_and_extended_data() {
    let fixes = track();
    let text = export(TrackFormat::Kml, &fixes);
    let doc = xml(&text);
    let (kml, gx) = (
        "http://www.opengis.net/kml/2.2",
        "http://www.google.com/kml/ext/2.2",
    );
    let texts = |ns: &str, name: &str| -> Vec<String> {
        doc.descendants()
            .filter(|n| n.has_tag_name((ns, name)))
            .map(|n| n.text().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(texts(kml, "name"), ["van-7", "van-7"]);
    assert_eq!(texts(kml, "when")[1], "2026-12-05T10:00:10.123Z");
    let coords = texts(gx, "coord");
    assert_eq!(coords.len(), 3);
    let lon_lat: Vec<f64> = coords[2]
        .split(' ')
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(lon_lat, [fixes[2].lon, fixes[2].lat, 0.0]);
    let array = |name: &str| -> Vec<String> {
        let data = doc
            .descendants()
            .find(|n| n.has_tag_name((gx, "SimpleArrayData")) && n.attribute("name") == Some(name));
        let values = data.map(|d| d.children().filter(|n| n.has_tag_name((gx, "value"))));
        values
            .into_iter()
            .flatten()
            .map(|n| n.text().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(array("speed"), ["12.5", "", "0"]);
    assert_eq!(array("label"), [LABEL, "", LABEL]);
    assert_eq!(array("attrs")[0], ATTRS);
    assert_eq!(array("kind"), ["van", "", ""]);
}

#[test]
fn a_long_kml_track_goes_out_in_bounded_chunks() {
    let fixes: Vec<_> = (0..2500)
        .map(|i| {
            FixRef::bare(
                "van-7",
                -16.92 + f64::from(i) * 1e-5,
                145.77,
                T0 + i64::from(i) * 1000,
            )
        })
        .collect();
    let text = export(TrackFormat::Kml, &fixes);
    let doc = xml(&text);
    let gx = "http://www.google.com/kml/ext/2.2";
    let tracks: Vec<usize> = doc
        .descendants()
        .filter(|n| n.has_tag_name((gx, "Track")))
        .map(|t| {
            t.children()
                .filter(|n| n.has_tag_name((gx, "coord")))
                .count()
        })
        .collect();
    assert_eq!(tracks, [kml::MAX_POINTS, kml::MAX_POINTS, 500]);
}

#[test]
fn the_csv_export_quotes_as_rfc_4180_and_reads_back() {
    let fixes = track();
    let text = export(TrackFormat::Csv, &fixes);
    assert!(
        text.starts_with(
            "id,time,ts,lat,lon,speed_mps,heading_deg,label,kind,status,route,attrs\r\n"
        )
    );
    assert!(text.contains(r#","Van <7> & ""Co""",van,"#), "{text}");
    let mut reader = ::csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), csv::HEADER);
    let rows: Vec<::csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 3);
    for (row, f) in rows.iter().zip(&fixes) {
        let number = |i: usize| row.get(i).and_then(|v| v.parse::<f64>().ok());
        assert_eq!((number(3), number(4)), (Some(f.lat), Some(f.lon)));
        assert_eq!(row.get(2).and_then(|v| v.parse().ok()), Some(f.ts));
        assert_eq!(row.get(5).and_then(|v| v.parse::<f32>().ok()), f.speed);
        assert_eq!(row.get(7), Some(f.meta.label.unwrap_or_default()));
        assert_eq!(row.get(11), Some(f.meta.attrs.unwrap_or_default()));
    }
    assert_eq!(rows[0].get(1), Some("2026-12-05T10:00:00.123Z"));
    assert_eq!(rows[1].get(5), Some(""));
}

#[test]
fn an_empty_track_is_valid_in_every_format() {
    let doc = json(&export(TrackFormat::Json, &[]));
    assert_eq!(doc["fixes"].as_array().map(Vec::len), Some(0));
    let doc = json(&export(TrackFormat::GeoJson, &[]));
    let features = doc["features"].as_array().expect("features");
    assert_eq!(features.len(), 1);
    assert!(features[0]["geometry"].is_null());
    assert_eq!(features[0]["properties"]["points"], 0);
    for (format, root, holder) in [
        (TrackFormat::Gpx, "gpx", "trkseg"),
        (TrackFormat::Kml, "kml", "MultiTrack"),
    ] {
        let text = export(format, &[]);
        let doc = xml(&text);
        assert!(doc.root_element().has_tag_name(root));
        assert!(doc.descendants().any(|n| n.has_tag_name(holder)), "{text}");
        assert!(
            doc.descendants()
                .all(|n| !n.has_tag_name("trkpt") && !n.has_tag_name("when"))
        );
    }
    let text = export(TrackFormat::Csv, &[]);
    assert_eq!(text.lines().count(), 1);
}

#[test]
fn a_single_fix_makes_no_linestring_but_still_a_point() {
    let fixes = track();
    let doc = json(&export(TrackFormat::GeoJson, &fixes[..1]));
    let features = doc["features"].as_array().expect("features");
    assert_eq!(features.len(), 2);
    assert_eq!(features[0]["geometry"]["type"], "Point");
    assert!(features[1]["geometry"].is_null());
    assert_eq!(
        features[1]["properties"]["from"],
        features[1]["properties"]["to"]
    );
}
