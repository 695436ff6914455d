//! A vehicle's attributes (the JSON object its feed sent besides the position) as words for
//! the details: a label and a value with its unit where the name is known, from the names the
//! formats produce (Traccar and OsmAnd: `batteryLevel`, `power`, `totalDistance`...; OwnTracks:
//! `batt`, `acc`, `alt`...; AIS: `mmsi`, `call_sign`...). Unknown names show as they came.

use serde_json::{Map, Value};

/// How a known attribute reads: its label, and how its number is shown.
struct Known {
    label: &'static str,
    unit: Unit,
}

/// How a number is shown.
#[derive(Clone, Copy)]
enum Unit {
    /// As it came (a count, a code, words).
    Plain,
    Percent,
    Metres,
    Volts,
    /// Metres shown as kilometres.
    MetresAsKm,
    /// Milliseconds shown as hours.
    MsAsHours,
    Celsius,
    /// A yes or no.
    YesNo,
}

fn known(name: &str) -> Option<Known> {
    let (label, unit) = match name {
        "batteryLevel" | "batt" => ("battery", Unit::Percent),
        "battery" => ("battery voltage", Unit::Volts),
        "power" => ("supply voltage", Unit::Volts),
        "altitude" | "alt" => ("altitude", Unit::Metres),
        "accuracy" | "acc" => ("accuracy", Unit::Metres),
        "vac" => ("vertical accuracy", Unit::Metres),
        "totalDistance" | "odometer" => ("odometer", Unit::MetresAsKm),
        "distance" => ("distance", Unit::Metres),
        "hours" => ("engine hours", Unit::MsAsHours),
        "temp1" | "deviceTemp" => ("temperature", Unit::Celsius),
        "ignition" => ("ignition", Unit::YesNo),
        "motion" => ("moving", Unit::YesNo),
        "charge" => ("charging", Unit::YesNo),
        "sat" => ("satellites", Unit::Plain),
        "hdop" => ("HDOP", Unit::Plain),
        "rssi" => ("signal", Unit::Plain),
        "conn" => ("connection", Unit::Plain),
        "bs" => ("battery status", Unit::Plain),
        "t" => ("trigger", Unit::Plain),
        "addr" => ("address", Unit::Plain),
        "ghash" => ("geohash", Unit::Plain),
        "mmsi" => ("MMSI", Unit::Plain),
        "ais_class" => ("AIS class", Unit::Plain),
        "ship_type" => ("ship type", Unit::Plain),
        "call_sign" => ("call sign", Unit::Plain),
        _ => return None,
    };
    Some(Known { label, unit })
}

/// One attribute as (label, value in words with its unit).
pub fn attribute(name: &str, value: &Value) -> (String, String) {
    let Some(k) = known(name) else {
        return (name.to_owned(), plain(value));
    };
    let text = match (k.unit, value) {
        (Unit::YesNo, Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        (unit, Value::Number(n)) => n
            .as_f64()
            .map_or_else(|| n.to_string(), |x| with_unit(unit, x)),
        _ => plain(value),
    };
    let text = match name {
        "conn" => connection(&text).unwrap_or(text),
        "bs" => battery_status(&text).unwrap_or(text),
        _ => text,
    };
    (k.label.to_owned(), text)
}

/// Every attribute of `json`, by name; anything but an object as one row.
pub fn attributes(json: &str) -> Vec<(String, String)> {
    match serde_json::from_str::<Map<String, Value>>(json) {
        Ok(map) => {
            let mut named: Vec<(&String, &Value)> = map.iter().collect();
            named.sort_by(|a, b| a.0.cmp(b.0));
            named.into_iter().map(|(k, v)| attribute(k, v)).collect()
        }
        Err(_) => vec![("attrs".to_owned(), json.to_owned())],
    }
}

fn with_unit(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Plain | Unit::YesNo => number(x),
        Unit::Percent => format!("{}%", number(x)),
        Unit::Metres => format!("{} m", number(x)),
        Unit::Volts => format!("{} V", number(x)),
        Unit::MetresAsKm => format!("{} km", number(x / 1_000.0)),
        Unit::MsAsHours => format!("{} h", number(x / 3_600_000.0)),
        Unit::Celsius => format!("{} °C", number(x)),
    }
}

/// A number with at most one decimal, none when whole.
fn number(x: f64) -> String {
    let tenths = (x * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{tenths:.0}")
    } else {
        format!("{tenths:.1}")
    }
}

/// A value as text: strings without their quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// OwnTracks' `conn`: w, m or o.
fn connection(code: &str) -> Option<String> {
    let word = match code {
        "w" => "Wi-Fi",
        "m" => "mobile",
        "o" => "offline",
        _ => return None,
    };
    Some(word.to_owned())
}

/// OwnTracks' `bs`: 0 to 3.
fn battery_status(code: &str) -> Option<String> {
    let word = match code {
        "0" => "unknown",
        "1" => "unplugged",
        "2" => "charging",
        "3" => "full",
        _ => return None,
    };
    Some(word.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(name: &str, value: Value) -> (String, String) {
        attribute(name, &value)
    }

    #[test]
    fn known_attributes_read_with_their_units() {
        assert_eq!(
            read("batteryLevel", json!(87.0)),
            ("battery".into(), "87%".into())
        );
        assert_eq!(read("batt", json!(64)), ("battery".into(), "64%".into()));
        assert_eq!(
            read("alt", json!(12.34)),
            ("altitude".into(), "12.3 m".into())
        );
        assert_eq!(
            read("accuracy", json!(5)),
            ("accuracy".into(), "5 m".into())
        );
        assert_eq!(
            read("power", json!(12.61)),
            ("supply voltage".into(), "12.6 V".into())
        );
        assert_eq!(
            read("totalDistance", json!(152_340.5)),
            ("odometer".into(), "152.3 km".into())
        );
        assert_eq!(
            read("ignition", json!(true)),
            ("ignition".into(), "yes".into())
        );
        assert_eq!(
            read("conn", json!("w")),
            ("connection".into(), "Wi-Fi".into())
        );
        assert_eq!(
            read("bs", json!(2)),
            ("battery status".into(), "charging".into())
        );
        assert_eq!(
            read("call_sign", json!("VJN4")),
            ("call sign".into(), "VJN4".into())
        );
    }

    #[test]
    fn unknown_attributes_show_as_they_came_without_quotes() {
        assert_eq!(
            read("fuelType", json!("diesel")),
            ("fuelType".into(), "diesel".into())
        );
        assert_eq!(read("io42", json!([1, 2])), ("io42".into(), "[1,2]".into()));
        // A known name with an unexpected value is shown as it came.
        assert_eq!(read("batt", json!("low")), ("battery".into(), "low".into()));
    }

    #[test]
    fn an_attributes_object_becomes_rows_by_name_and_anything_else_one_row() {
        let rows = attributes(r#"{"tag":"x","batt":50,"acc":8}"#);
        let labels: Vec<&str> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(labels, ["accuracy", "battery", "tag"]);
        assert_eq!(attributes("[1]"), vec![("attrs".into(), "[1]".into())]);
    }
}
