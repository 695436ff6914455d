//! A known day of one van for the History tests: its fixes (two drives and two stops, the
//! distance computed by hand), a fleetview server whose history store holds it, the same day in
//! Traccar 6's report forms for the fake Traccar, and gpxpy reading an export of it back.

use std::time::Duration;

use super::traccar::position;
use fleetview::clock::{SharedClock, system};
use fleetview::export::IsoTime;
use fleetview::protocol::{FixBatch, Position};
use fleetview::server::history::{History, HistoryConfig};
use fleetview::server::{EmbeddedServer, ServerConfig};

pub const LAT: f64 = -16.92;
pub const LON: f64 = 145.70;
/// One fix every 10 s; 150 m a step while driving (15 m/s).
pub const STEP_MS: i64 = 10_000;
pub const STEP_M: f64 = 150.0;
pub const SPEED: f32 = 15.0;
/// The hand-computed distance: two drives of 20 minutes, 120 steps each.
pub const DISTANCE_M: f64 = 2.0 * 120.0 * STEP_M;

/// The known day, starting at `t0`: drive 20 min east, stop 10 min, drive 20 min, stop 10 min.
/// (ts, lat, lon, m/s)
pub fn known_day(t0: i64) -> Vec<(i64, f64, f64, f32)> {
    let dlon = STEP_M / (111_320.0 * LAT.to_radians().cos());
    let mut out = Vec::new();
    let (mut t, mut lon) = (t0, LON);
    for (steps, moving) in [(120, true), (60, false), (120, true), (60, false)] {
        for _ in 0..steps {
            out.push((t, LAT, lon, if moving { SPEED } else { 0.0 }));
            t += STEP_MS;
            if moving {
                lon += dlon;
            }
        }
    }
    out.push((t, LAT, lon, 0.0));
    out
}

pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "fleetview-history-window-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A fleetview server whose history holds van-7's known day, ending five minutes ago.
pub fn server_with_day(dir: &std::path::Path, day: &[(i64, f64, f64, f32)]) -> EmbeddedServer {
    let clock: SharedClock = system();
    let (history, _) = History::start(HistoryConfig::new(dir), clock).expect("history");
    let positions: Vec<Position> = day
        .iter()
        .map(|&(ts, lat, lon, speed)| {
            let mut p = Position::new("van-7", lat, lon, ts);
            p.speed = Some(speed);
            p.label = Some("Van 7".into());
            p
        })
        .collect();
    for chunk in positions.chunks(100) {
        history
            .sender()
            .offer(FixBatch::from_positions(chunk))
            .expect("offered");
    }
    drop(history);
    let config = ServerConfig {
        history: Some(HistoryConfig::new(dir)),
        drop_after: Duration::from_secs(3600),
        ..ServerConfig::default()
    };
    EmbeddedServer::start(config, None).expect("server")
}

/// gpxpy (PyPI) reads `path` with every point of `day`, in order, at its place and time.
pub fn gpxpy_reads(path: &std::path::Path, day: &[(i64, f64, f64, f32)]) {
    let script = r#"
import sys, gpxpy
g = gpxpy.parse(open(sys.argv[1]))
for p in g.tracks[0].segments[0].points:
    print(f"{int(p.time.timestamp() * 1000)} {p.latitude:.7f} {p.longitude:.7f}")
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) if std::env::var_os("FLEETVIEW_REQUIRE_INTEROP").is_none() => {
            eprintln!(
                "gpxpy not available, skipped: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        other => panic!("gpxpy failed: {other:?}"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let read: Vec<&str> = text.lines().collect();
    assert_eq!(read.len(), day.len(), "gpxpy read every point");
    for (line, &(ts, lat, lon, _)) in read.iter().zip(day) {
        assert_eq!(*line, format!("{ts} {lat:.7} {lon:.7}"));
    }
}

/// The same day in Traccar 6's report forms, for device 7 ("358240051111110").
pub fn traccar_reports(t0: i64, day: &[(i64, f64, f64, f32)]) -> Vec<(String, String)> {
    let iso = |ms: i64| IsoTime::new(ms).as_str().replace('Z', "+00:00");
    let knots = |mps: f32| f64::from(mps) / 0.514444;
    let route: Vec<String> = day
        .iter()
        .enumerate()
        .map(|(i, &(ts, lat, lon, v))| position(1000 + i as i64, 7, lat, lon, &iso(ts), knots(v)))
        .collect();
    let end = |steps: i64| t0 + steps * STEP_MS;
    let lon_at = |i: usize| day[i].2;
    let trip = |from: usize, to: usize| {
        format!(
            r#"{{"deviceId":7,"deviceName":"Van 7","maxSpeed":{k:.3},"averageSpeed":{k:.3},"distance":{d},"spentFuel":0.0,"duration":{ms},"startTime":"{s}","startAddress":null,"startLat":{LAT},"startLon":{a},"endTime":"{e}","endAddress":null,"endLat":{LAT},"endLon":{b},"driverUniqueId":null,"driverName":null,"startOdometer":0.0,"endOdometer":0.0,"startPositionId":{p},"endPositionId":{q}}}"#,
            k = knots(SPEED),
            d = 120.0 * STEP_M,
            ms = (to - from) as i64 * STEP_MS,
            s = iso(day[from].0),
            e = iso(day[to].0),
            a = lon_at(from),
            b = lon_at(to),
            p = 1000 + from,
            q = 1000 + to,
        )
    };
    let stop = |from: usize, to: usize| {
        format!(
            r#"{{"deviceId":7,"deviceName":"Van 7","distance":0.0,"averageSpeed":0.0,"maxSpeed":0.0,"spentFuel":0.0,"startOdometer":0.0,"endOdometer":0.0,"startTime":"{s}","endTime":"{e}","positionId":{p},"latitude":{LAT},"longitude":{lon},"address":null,"duration":{ms},"engineHours":0}}"#,
            s = iso(day[from].0),
            e = iso(day[to].0),
            p = 1000 + from,
            lon = lon_at(from),
            ms = (to - from) as i64 * STEP_MS,
        )
    };
    let summary = format!(
        r#"[{{"deviceId":7,"deviceName":"Van 7","distance":{DISTANCE_M},"averageSpeed":{k:.3},"maxSpeed":{k:.3},"spentFuel":0.0,"startOdometer":0.0,"endOdometer":{DISTANCE_M},"startTime":"{s}","endTime":"{e}","startHours":0,"endHours":0,"engineHours":0}}]"#,
        k = knots(SPEED),
        s = iso(t0),
        e = iso(end(360)),
    );
    vec![
        ("route".into(), format!("[{}]", route.join(","))),
        (
            "trips".into(),
            format!("[{},{}]", trip(0, 120), trip(180, 300)),
        ),
        (
            "stops".into(),
            format!("[{},{}]", stop(120, 180), stop(300, 360)),
        ),
        ("summary".into(), summary),
    ]
}
