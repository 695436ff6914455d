//! Values as a dispatcher reads them: raw feed values in words ("at_stop" is "at stop"), speeds
//! in km/h, ages as "x ago", mixes as "12 moving · 3 stale".

use crate::fleet::{Condition, Fleet, Vehicle};

/// A raw status or kind value in words: underscores and dashes become spaces, and a value in
/// capitals or camel case is lowered ("IN_TRANSIT_TO" is "in transit to", "atStop" "at stop").
pub fn status(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 4);
    let mut prev_lower = false;
    for ch in raw.trim().chars() {
        if ch == '_' || ch == '-' {
            out.push(' ');
            prev_lower = false;
        } else if ch.is_uppercase() && prev_lower {
            out.push(' ');
            out.extend(ch.to_lowercase());
            prev_lower = false;
        } else {
            out.extend(ch.to_lowercase());
            prev_lower = ch.is_lowercase();
        }
    }
    out
}

/// A speed in metres per second, in km/h.
pub fn speed(metres_per_second: f32) -> String {
    format!("{:.0} km/h", metres_per_second * 3.6)
}

/// "3 s ago", "4 min ago", "2 h ago".
pub fn ago(ms: i64) -> String {
    format!("{} ago", crate::session::ago_words(ms))
}

/// Counts by condition as "12 moving · 3 stopped · 1 stale" (conditions with none left out).
pub fn condition_mix(by_condition: &[u32; 4]) -> String {
    Condition::ALL
        .iter()
        .filter(|c| by_condition[c.index()] > 0)
        .map(|c| format!("{} {}", by_condition[c.index()], c.word()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The most common kinds among `vehicles`, as "8 bus · 5 van · 2 other".
pub fn kind_mix<'a>(vehicles: impl Iterator<Item = &'a Vehicle>) -> String {
    // Counted by the raw value (no allocation per vehicle, at 100k in a hovered cluster); put
    // in words only for the few shown.
    let mut kinds: Vec<(Option<&str>, u32)> = Vec::new();
    for v in vehicles {
        match kinds.iter_mut().find(|(k, _)| *k == v.kind()) {
            Some((_, n)) => *n += 1,
            None => kinds.push((v.kind(), 1)),
        }
    }
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut parts: Vec<String> = kinds
        .iter()
        .take(3)
        .map(|(k, n)| format!("{n} {}", k.map_or_else(|| "other".to_owned(), status)))
        .collect();
    let rest: u32 = kinds.iter().skip(3).map(|(_, n)| n).sum();
    if rest > 0 {
        parts.push(format!("{rest} more"));
    }
    parts.join(" · ")
}

/// How a vehicle is doing in a few words: "moving · 42 km/h"; a vehicle not heard from says
/// what it last did: "stale · last 42 km/h".
pub fn condition_line(fleet: &Fleet, v: &Vehicle, now_ms: i64) -> String {
    let condition = fleet.condition(v, now_ms);
    let speed = v.fix.speed.map(speed);
    match (condition, speed) {
        (Condition::Moving | Condition::Stopped, Some(s)) => format!("{} · {s}", condition.word()),
        (_, Some(s)) => format!("{} · last {s}", condition.word()),
        (_, None) => condition.word().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_read_as_words() {
        assert_eq!(status("at_stop"), "at stop");
        assert_eq!(status("in_service"), "in service");
        assert_eq!(status("IN_TRANSIT_TO"), "in transit to");
        assert_eq!(status("atStop"), "at stop");
        assert_eq!(status("out-of-service"), "out of service");
        assert_eq!(status("moving"), "moving");
    }

    #[test]
    fn speeds_ages_and_mixes_read_as_a_person_would_say_them() {
        assert_eq!(speed(13.9), "50 km/h");
        assert_eq!(ago(3_400), "3 s ago");
        assert_eq!(ago(240_000), "4 min ago");
        assert_eq!(
            condition_mix(&[12, 0, 3, 1]),
            "12 moving · 3 stale · 1 lost"
        );
        assert_eq!(condition_mix(&[0, 0, 0, 0]), "");
    }
}
