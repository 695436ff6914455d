//! The OsmAnd protocol, as the Traccar Client app, OsmAnd and many trackers send it over HTTP,
//! read the way Traccar's own decoder reads it (pure: a query string or a body in, a report or
//! the reason it is refused out).
//!
//! - **Form** (`GET` or `POST`): parameters from the query string, or from a form body when the
//!   query is empty. `id` or `deviceid` (required); `lat` + `lon`, or `location=lat,lon`;
//!   `timestamp`: a number below 2^31 is seconds, otherwise milliseconds; a value with a `T` is
//!   ISO 8601; else `yyyy-MM-dd HH:mm:ss`, taken as **UTC**; no timestamp means now. `speed` in
//!   **knots**; `bearing` or `heading` in degrees; everything else (`altitude`, `accuracy`, `hdop`,
//!   `batt`, `charge`, `cell`, `wifi`, ...) is kept in attrs, numbers as numbers.
//! - **JSON** (`Content-Type: application/json`, the Traccar Client's newer form):
//!   `{"location":{"timestamp","coords":{"latitude","longitude","speed","heading",...},
//!   "battery":{"level","is_charging"},...},"device_id"}`; here speed is **m/s**, -1 means
//!   unknown (as does a heading of -1), and the battery level is 0..1 (kept as percent).
//!
//! A report of cells or Wi-Fi only (no coordinates) is accepted with no position, as Traccar
//! accepts it.

use serde_json::{Map, Value};

use crate::protocol::Fix;

/// Knots to metres per second.
const KNOT: f64 = 1852.0 / 3600.0;

/// Why a report was refused (the body of the 400 answer).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OsmAndError {
    #[error("no device id: send id= or deviceid=")]
    NoId,
    #[error("bad {key}: {value:?}")]
    Bad { key: &'static str, value: String },
    #[error("not the JSON form: {0}")]
    Json(String),
}

impl OsmAndError {
    /// The reason, as metrics label it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::NoId => "missing_id",
            Self::Bad { .. } => "invalid_field",
            Self::Json(_) => "malformed_json",
        }
    }
}

/// One report: a device, and where and when it was (none for a cells-or-Wi-Fi report), with
/// everything else it said as attrs. Speed is already m/s, time UTC ms.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub id: String,
    pub fix: Option<Fix>,
    pub attrs: Map<String, Value>,
}

impl Report {
    /// The attrs as JSON text, as a fix carries them; `None` when there are none.
    pub fn attrs_json(&self) -> Option<String> {
        (!self.attrs.is_empty()).then(|| Value::Object(self.attrs.clone()).to_string())
    }
}

/// What the form's fields said of motion, before knowing whether there are coordinates.
#[derive(Default)]
struct Motion {
    ts: Option<i64>,
    speed: Option<f32>,
    heading: Option<f32>,
}

impl Motion {
    /// The fix at `at`, if the report placed the device; `now_ms` when it said no time.
    fn at(&self, at: Option<(f64, f64)>, now_ms: i64) -> Option<Fix> {
        at.map(|(lat, lon)| Fix {
            lat,
            lon,
            ts: self.ts.unwrap_or(now_ms),
            speed: self.speed,
            heading: self.heading,
        })
    }
}

/// The form: the query string (without `?`), or the form body when the query is empty.
pub fn decode_form(query: &str, body: &str, now_ms: i64) -> Result<Report, OsmAndError> {
    let source = if query.trim().is_empty() { body } else { query };
    let mut report = Report {
        id: String::new(),
        fix: None,
        attrs: Map::new(),
    };
    let mut motion = Motion::default();
    let (mut lat, mut lon) = (None, None);
    for (key, value) in url::form_urlencoded::parse(source.trim().as_bytes()) {
        let value = value.trim();
        match key.as_ref() {
            "id" | "deviceid" => report.id = value.to_owned(),
            "timestamp" => motion.ts = Some(timestamp(value)?),
            "lat" => lat = Some(number("lat", value)?),
            "lon" => lon = Some(number("lon", value)?),
            "location" => {
                let (a, b) = value
                    .split_once(',')
                    .ok_or_else(|| bad("location", value))?;
                lat = Some(number("location", a)?);
                lon = Some(number("location", b)?);
            }
            // Knots to m/s, once.
            "speed" => motion.speed = Some((number("speed", value)? * KNOT) as f32),
            "bearing" | "heading" => motion.heading = Some(number("heading", value)? as f32),
            "cell" | "wifi" => {
                let list = report
                    .attrs
                    .entry(key.as_ref())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = list {
                    items.push(Value::String(value.to_owned()));
                }
            }
            other => {
                report.attrs.insert(other.to_owned(), loose(value));
            }
        }
    }
    if report.id.is_empty() {
        return Err(OsmAndError::NoId);
    }
    report.fix = motion.at(coordinates(lat, lon)?, now_ms);
    Ok(report)
}

/// The JSON form.
pub fn decode_json(body: &[u8], now_ms: i64) -> Result<Report, OsmAndError> {
    let root: Value = serde_json::from_slice(body).map_err(|e| OsmAndError::Json(e.to_string()))?;
    let id = match root.get("device_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(OsmAndError::NoId),
    };
    let location = root
        .get("location")
        .ok_or_else(|| OsmAndError::Json("no location".into()))?;
    let coords = location.get("coords").unwrap_or(&Value::Null);
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_f64);
    // -1 is how the app says it does not know.
    let known = |x: Option<f64>| x.filter(|v| *v >= 0.0);
    let ts = match location.get("timestamp") {
        Some(Value::String(s)) => timestamp(s)?,
        Some(Value::Number(n)) => timestamp(&n.to_string())?,
        _ => now_ms,
    };
    let mut attrs = Map::new();
    for key in ["accuracy", "altitude"] {
        if let Some(v) = field(coords, key) {
            attrs.insert(key.to_owned(), v.into());
        }
    }
    for key in ["is_moving", "odometer", "event"] {
        if let Some(v) = location.get(key) {
            attrs.insert(key.to_owned(), v.clone());
        }
    }
    if let Some(battery) = location.get("battery") {
        if let Some(level) = known(field(battery, "level")) {
            attrs.insert("batt".into(), (level * 100.0).round().into());
        }
        if let Some(charging) = battery.get("is_charging") {
            attrs.insert("charge".into(), charging.clone());
        }
    }
    let motion = Motion {
        ts: Some(ts),
        speed: known(field(coords, "speed")).map(|s| s as f32),
        heading: known(field(coords, "heading")).map(|h| h as f32),
    };
    let at = coordinates(field(coords, "latitude"), field(coords, "longitude"))?;
    Ok(Report {
        id,
        fix: motion.at(at, now_ms),
        attrs,
    })
}

fn bad(key: &'static str, value: &str) -> OsmAndError {
    OsmAndError::Bad {
        key,
        value: value.chars().take(64).collect(),
    }
}

fn number(key: &'static str, value: &str) -> Result<f64, OsmAndError> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| bad(key, value))
}

/// A value kept in attrs: a number when it reads as one, a boolean for true/false, else text.
fn loose(value: &str) -> Value {
    if let Ok(n) = value.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(n)
    {
        return Value::Number(n);
    }
    match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::String(value.to_owned()),
    }
}

/// Both coordinates or neither; in range.
fn coordinates(lat: Option<f64>, lon: Option<f64>) -> Result<Option<(f64, f64)>, OsmAndError> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(bad("lat", &lat.to_string()));
            }
            if !(-180.0..=180.0).contains(&lon) {
                return Err(bad("lon", &lon.to_string()));
            }
            Ok(Some((lat, lon)))
        }
        (Some(_), None) => Err(bad("lon", "missing")),
        (None, Some(_)) => Err(bad("lat", "missing")),
    }
}

/// Seconds (below 2^31) or milliseconds; ISO 8601 when it has a `T`; else
/// `yyyy-MM-dd HH:mm:ss` in UTC.
fn timestamp(value: &str) -> Result<i64, OsmAndError> {
    let value = value.trim();
    if let Ok(n) = value.parse::<i64>() {
        return Ok(if n < i64::from(i32::MAX) { n * 1000 } else { n });
    }
    if value.contains('T') {
        return crate::formats::traccar::parse_time(value).ok_or_else(|| bad("timestamp", value));
    }
    let format = time::format_description::parse_borrowed::<2>(
        "[year]-[month]-[day] [hour]:[minute]:[second]",
    )
    .map_err(|_| bad("timestamp", value))?;
    time::PrimitiveDateTime::parse(value, &format)
        .ok()
        .and_then(|t| i64::try_from(t.assume_utc().unix_timestamp_nanos() / 1_000_000).ok())
        .ok_or_else(|| bad("timestamp", value))
}

#[cfg(test)]
mod tests;
