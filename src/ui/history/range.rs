//! The ranges a dispatcher asks history for: today, yesterday, the last 24 hours, or two times
//! typed in. Days are UTC days, as every time in the window is UTC.

use crate::formats::traccar::parse_time;

const DAY_MS: i64 = 86_400_000;

/// A range, as chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Range {
    #[default]
    Today,
    Yesterday,
    Last24h,
    /// Two times typed in (UTC ms).
    Between(i64, i64),
}

impl Range {
    /// The presets, in the order the picker shows them.
    pub const PRESETS: [Range; 3] = [Range::Today, Range::Yesterday, Range::Last24h];

    /// `from..=to` in UTC ms at `now_ms`; today ends now.
    pub fn span(self, now_ms: i64) -> (i64, i64) {
        let midnight = now_ms - now_ms.rem_euclid(DAY_MS);
        match self {
            Range::Today => (midnight, now_ms),
            Range::Yesterday => (midnight - DAY_MS, midnight - 1),
            Range::Last24h => (now_ms - DAY_MS, now_ms),
            Range::Between(from, to) => (from, to),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Range::Today => "Today",
            Range::Yesterday => "Yesterday",
            Range::Last24h => "Last 24 h",
            Range::Between(..) => "Between",
        }
    }
}

/// Two typed times as a range: ISO 8601 (`2026-12-04T13:00:00Z`), or a date and a time
/// (`2026-12-04 13:00`, taken as UTC). An error names the field and says what is accepted.
pub fn between(from: &str, to: &str) -> Result<Range, String> {
    let read = |name: &str, s: &str| {
        time_of(s).ok_or_else(|| {
            format!("{name}: {s:?} is not a time (like 2026-12-04 13:00, UTC, or ISO 8601)")
        })
    };
    let (a, b) = (read("from", from)?, read("to", to)?);
    if a >= b {
        return Err("the range ends before it starts".into());
    }
    Ok(Range::Between(a, b))
}

pub fn time_of(s: &str) -> Option<i64> {
    let s = s.trim();
    parse_time(s).or_else(|| {
        let iso = match s.len() {
            16 => format!("{}:00Z", s.replacen(' ', "T", 1)),
            19 => format!("{}Z", s.replacen(' ', "T", 1)),
            10 => format!("{s}T00:00:00Z"),
            _ => return None,
        };
        parse_time(&iso)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-05 10:30:00 UTC.
    const NOW: i64 = 1_796_466_600_000;

    #[test]
    fn today_runs_from_utc_midnight_to_now_and_yesterday_is_the_whole_day_before() {
        let midnight = parse_time("2026-12-05T00:00:00Z").unwrap();
        assert_eq!(Range::Today.span(NOW), (midnight, NOW));
        assert_eq!(
            Range::Yesterday.span(NOW),
            (midnight - DAY_MS, midnight - 1)
        );
        assert_eq!(Range::Last24h.span(NOW), (NOW - DAY_MS, NOW));
    }

    #[test]
    fn typed_times_read_as_iso_or_as_a_date_and_a_time_in_utc() {
        let r = between("2026-12-04 13:00", "2026-12-04T15:00:00Z").unwrap();
        assert_eq!(
            r.span(NOW),
            (
                parse_time("2026-12-04T13:00:00Z").unwrap(),
                parse_time("2026-12-04T15:00:00Z").unwrap()
            )
        );
        assert!(
            between("yesterday", "2026-12-04 15:00")
                .unwrap_err()
                .contains("from")
        );
        assert!(between("2026-12-04 15:00", "2026-12-04 13:00").is_err());
    }
}
