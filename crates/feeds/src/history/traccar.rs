//! A vehicle's day from a Traccar server (6.x): the device's number from `/api/devices`
//! (`uniqueId` is the vehicle's id in the feed), then `/api/reports/route`, `/trips`, `/stops`
//! and `/summary` in Traccar's own JSON forms (`ReportTrips`, `ReportStops`, `ReportSummary`:
//! speeds in knots, distances in metres, durations in ms, times ISO 8601).
//!
//! The route's positions go through fleetview's Traccar format, as socket frames do. The
//! requests use the feed's session cookie, or its token; when there is no session yet, or it
//! has expired, they log in once with the feed's email and password.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::http::Http;
use super::{HistoryDay, HistoryError, HistoryQuery, Reporter, off_runtime};
use fleetview_core::events::FeedEvent;
use fleetview_core::export::IsoTime;
use fleetview_core::formats::traccar::{DEVICES_PATH, KNOT_MS, Traccar, parse_time};
use fleetview_core::formats::{Decoded, Format};
use fleetview_core::protocol::{DecodeLimits, FixBatch};
use fleetview_core::reports::{Place, Report, Stop, Summary, Trip};

pub(super) async fn day(
    http: &Http,
    q: &HistoryQuery,
    report: &Reporter<HistoryDay>,
) -> Result<HistoryDay, HistoryError> {
    let devices = match http.get(DEVICES_PATH, &device_query(q)).await {
        Err(HistoryError::Refused(_)) if http.credentials.token.is_none() => {
            log_in(http).await?;
            http.get(DEVICES_PATH, &device_query(q)).await?
        }
        other => other?,
    };
    let number = device_number(&devices.text, &q.vehicle)?;
    report.progress("route", 0);
    let range = [
        ("deviceId", number.to_string()),
        ("from", IsoTime::new(q.from_ms).as_str().to_owned()),
        ("to", IsoTime::new(q.to_ms).as_str().to_owned()),
    ];
    let (route, trips, stops, summary) = tokio::try_join!(
        http.get("/api/reports/route", &range),
        http.get("/api/reports/trips", &range),
        http.get("/api/reports/stops", &range),
        http.get("/api/reports/summary", &range),
    )?;
    let (devices_text, route_text) = (devices.text.clone(), route.text);
    let fixes = off_runtime(move || route_fixes(&devices_text, &route_text)).await?;
    report.progress("route", fixes.len());
    let trips: Vec<TraccarTrip> = read("/api/reports/trips", &trips.text)?;
    let stops: Vec<TraccarStop> = read("/api/reports/stops", &stops.text)?;
    let summary: Vec<TraccarSummary> = read("/api/reports/summary", &summary.text)?;
    Ok(HistoryDay {
        report: assemble(&trips, &stops, summary.first(), fixes.len()),
        fixes,
        server: "Traccar",
    })
}

fn device_query(q: &HistoryQuery) -> [(&'static str, String); 1] {
    [("uniqueId", q.vehicle.clone())]
}

/// A new session with the feed's email and password, shared with the feed.
async fn log_in(http: &Http) -> Result<(), HistoryError> {
    let c = &http.credentials;
    let (Some(email), Some(password)) = (&c.user, &c.password) else {
        return Err(HistoryError::Refused(
            "Traccar wants a login: the feed has no token, email or password".into(),
        ));
    };
    let cookie = crate::handshake::traccar_session(
        &http.base,
        email,
        password,
        c.code.as_deref(),
        &http.client,
    )
    .await
    .map_err(|e| match e {
        crate::connection::Ended::Failed { reason, .. } => HistoryError::Refused(reason),
        _ => HistoryError::Failed("the login stopped".into()),
    })?;
    http.login.set(Some(cookie));
    Ok(())
}

fn read<T: serde::de::DeserializeOwned>(path: &str, text: &str) -> Result<T, HistoryError> {
    serde_json::from_str(text)
        .map_err(|e| HistoryError::Failed(format!("{path}: not Traccar's report form: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Device {
    id: i64,
    unique_id: String,
}

/// The number Traccar gives the device whose `uniqueId` is `vehicle`.
fn device_number(devices: &str, vehicle: &str) -> Result<i64, HistoryError> {
    let list: Vec<Device> = read(DEVICES_PATH, devices)?;
    list.iter()
        .find(|d| d.unique_id == vehicle)
        .map(|d| d.id)
        .ok_or_else(|| {
            HistoryError::NotFound(format!("Traccar has no device {vehicle:?} on this account"))
        })
}

/// The route's positions as fixes, through the Traccar format (units, attrs, validation).
fn route_fixes(devices: &str, route: &str) -> Result<FixBatch, HistoryError> {
    let positions: &RawValue = serde_json::from_str(route).map_err(|e| {
        HistoryError::Failed(format!("/api/reports/route: not a list of positions: {e}"))
    })?;
    let mut format = Traccar::new(DecodeLimits {
        max_frame_bytes: route.len() + 64,
        ..DecodeLimits::default()
    });
    let mut out = Decoded::default();
    format.http_answer(DEVICES_PATH, devices, 0, &mut out);
    format.decode(
        &format!(r#"{{"positions":{}}}"#, positions.get()),
        0,
        &mut out,
    );
    let mut fixes = FixBatch::default();
    for event in out.events {
        if let FeedEvent::Positions(batch) | FeedEvent::Snapshot(batch) = event {
            fixes.append(&batch);
        }
    }
    Ok(fixes)
}

fn knots(v: Option<f64>) -> f32 {
    (v.unwrap_or(0.0) * KNOT_MS) as f32
}

fn ms(time: Option<&str>) -> i64 {
    time.and_then(parse_time).unwrap_or(0)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraccarTrip {
    start_time: Option<String>,
    end_time: Option<String>,
    start_lat: Option<f64>,
    start_lon: Option<f64>,
    end_lat: Option<f64>,
    end_lon: Option<f64>,
    distance: Option<f64>,
    duration: Option<i64>,
    average_speed: Option<f64>,
    max_speed: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraccarStop {
    start_time: Option<String>,
    end_time: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    duration: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TraccarSummary {
    start_time: Option<String>,
    end_time: Option<String>,
    distance: Option<f64>,
    average_speed: Option<f64>,
    max_speed: Option<f64>,
}

impl TraccarTrip {
    fn trip(&self) -> Trip {
        let place = |t: &Option<String>, lat: Option<f64>, lon: Option<f64>| Place {
            ts: ms(t.as_deref()),
            lat: lat.unwrap_or(f64::NAN),
            lon: lon.unwrap_or(f64::NAN),
        };
        let start = place(&self.start_time, self.start_lat, self.start_lon);
        let end = place(&self.end_time, self.end_lat, self.end_lon);
        Trip {
            start,
            end,
            distance_m: self.distance.unwrap_or(0.0),
            duration_ms: self.duration.unwrap_or(end.ts - start.ts),
            avg_speed_mps: knots(self.average_speed),
            max_speed_mps: knots(self.max_speed),
            fixes: 0,
        }
    }
}

impl TraccarStop {
    fn stop(&self) -> Stop {
        let (arrival_ms, departure_ms) =
            (ms(self.start_time.as_deref()), ms(self.end_time.as_deref()));
        Stop {
            lat: self.latitude.unwrap_or(f64::NAN),
            lon: self.longitude.unwrap_or(f64::NAN),
            arrival_ms,
            departure_ms,
            duration_ms: self.duration.unwrap_or(departure_ms - arrival_ms),
        }
    }
}

/// Traccar's three reports as one: its summary has no moving or stopped time, so those are
/// the trips' and the stops' durations added up, as fleetview's own summary counts them.
fn assemble(
    trips: &[TraccarTrip],
    stops: &[TraccarStop],
    summary: Option<&TraccarSummary>,
    fixes: usize,
) -> Report {
    let trips: Vec<Trip> = trips.iter().map(TraccarTrip::trip).collect();
    let stops: Vec<Stop> = stops.iter().map(TraccarStop::stop).collect();
    let moving_ms = trips.iter().map(|t| t.duration_ms).sum();
    let summary = Summary {
        start_ms: ms(summary.and_then(|s| s.start_time.as_deref())),
        end_ms: ms(summary.and_then(|s| s.end_time.as_deref())),
        distance_m: summary.and_then(|s| s.distance).unwrap_or(0.0),
        moving_ms,
        stopped_ms: stops.iter().map(|s| s.duration_ms).sum(),
        max_speed_mps: knots(summary.and_then(|s| s.max_speed)),
        avg_speed_mps: knots(summary.and_then(|s| s.average_speed)),
        fixes,
    };
    Report {
        trips,
        stops,
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Shapes as Traccar 6.x writes them (ReportTrips, ReportStops, ReportSummary in
    // traccar/traccar's OpenAPI and its reports/model classes).
    const DEVICES: &str = r#"[{"id":12,"name":"Van 7","uniqueId":"356307042441013","status":"online","category":"van"}]"#;
    const ROUTE: &str = r#"[
{"id":501,"attributes":{"ignition":true,"motion":true},"deviceId":12,"protocol":"osmand","serverTime":"2026-12-04T13:00:01.000+00:00","deviceTime":"2026-12-04T13:00:00.000+00:00","fixTime":"2026-12-04T13:00:00.000+00:00","outdated":false,"valid":true,"latitude":-16.92,"longitude":145.77,"altitude":12.0,"speed":20.0,"course":90.0,"address":null,"accuracy":5.0,"network":null,"geofenceIds":null},
{"id":502,"attributes":{},"deviceId":12,"protocol":"osmand","serverTime":"2026-12-04T13:00:11.000+00:00","deviceTime":"2026-12-04T13:00:10.000+00:00","fixTime":"2026-12-04T13:00:10.000+00:00","outdated":false,"valid":true,"latitude":-16.92,"longitude":145.771,"altitude":12.0,"speed":0.0,"course":90.0,"address":null,"accuracy":5.0,"network":null,"geofenceIds":null}]"#;
    const TRIPS: &str = r#"[{"deviceId":12,"deviceName":"Van 7","maxSpeed":38.88,"averageSpeed":19.44,"distance":12000.5,"spentFuel":0.0,"duration":1200000,"startTime":"2026-12-04T13:00:00.000+00:00","startAddress":null,"startLat":-16.92,"startLon":145.77,"endTime":"2026-12-04T13:20:00.000+00:00","endAddress":null,"endLat":-16.95,"endLon":145.8,"driverUniqueId":null,"driverName":null,"startOdometer":0.0,"endOdometer":12000.5,"startPositionId":501,"endPositionId":620}]"#;
    const STOPS: &str = r#"[{"deviceId":12,"deviceName":"Van 7","distance":0.0,"averageSpeed":0.0,"maxSpeed":0.0,"spentFuel":0.0,"startOdometer":12000.5,"endOdometer":12000.5,"startTime":"2026-12-04T13:20:00.000+00:00","endTime":"2026-12-04T13:40:00.000+00:00","positionId":620,"latitude":-16.95,"longitude":145.8,"address":null,"duration":1200000,"engineHours":0}]"#;
    const SUMMARY: &str = r#"[{"deviceId":12,"deviceName":"Van 7","distance":12000.5,"averageSpeed":19.44,"maxSpeed":38.88,"spentFuel":0.0,"startOdometer":0.0,"endOdometer":12000.5,"startTime":"2026-12-04T13:00:00.000+00:00","endTime":"2026-12-04T13:40:00.000+00:00","startHours":0,"endHours":0,"engineHours":0}]"#;

    #[test]
    fn the_device_number_is_found_by_its_unique_id() {
        assert_eq!(device_number(DEVICES, "356307042441013").unwrap(), 12);
        assert!(matches!(
            device_number(DEVICES, "nope"),
            Err(HistoryError::NotFound(_))
        ));
    }

    #[test]
    fn a_route_report_reads_as_fixes_in_our_units() {
        let fixes = route_fixes(DEVICES, ROUTE).unwrap();
        assert_eq!(fixes.len(), 2);
        let first = fixes.get(0).unwrap();
        assert_eq!(first.id, "356307042441013");
        assert_eq!(first.ts, parse_time("2026-12-04T13:00:00Z").unwrap());
        assert!((first.speed.unwrap() - 20.0 * 0.514444).abs() < 1e-3);
        assert_eq!(first.meta.label, Some("Van 7"));
        assert!(first.meta.attrs.unwrap().contains("ignition"));
    }

    #[test]
    fn trips_stops_and_summary_read_in_our_units_with_moving_and_stopped_time_added_up() {
        let trips: Vec<TraccarTrip> = read("t", TRIPS).unwrap();
        let stops: Vec<TraccarStop> = read("s", STOPS).unwrap();
        let summary: Vec<TraccarSummary> = read("u", SUMMARY).unwrap();
        let r = assemble(&trips, &stops, summary.first(), 2);
        assert_eq!(r.trips.len(), 1);
        assert_eq!(r.trips[0].distance_m, 12000.5);
        assert!((r.trips[0].max_speed_mps - 20.0).abs() < 0.01);
        assert_eq!((r.trips[0].start.lat, r.trips[0].end.lon), (-16.92, 145.8));
        assert_eq!(r.stops[0].duration_ms, 1_200_000);
        assert_eq!(r.summary.moving_ms, 1_200_000);
        assert_eq!(r.summary.stopped_ms, 1_200_000);
        assert_eq!(r.summary.end_ms - r.summary.start_ms, 2_400_000);
        assert_eq!(r.summary.fixes, 2);
    }

    #[test]
    fn a_report_that_is_not_traccars_form_is_a_clear_error() {
        let e = read::<Vec<TraccarTrip>>("/api/reports/trips", r#"{"error":1}"#).unwrap_err();
        assert!(e.to_string().contains("/api/reports/trips"), "{e}");
    }
}
