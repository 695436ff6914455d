//! UTC milliseconds as ISO 8601 with milliseconds (`2026-12-05T10:00:00.123Z`), formatted on
//! the stack. The calendar arithmetic is done here (days to civil date, H. Hinnant's
//! algorithm) rather than with the `time` crate, so every i64 has a form: the protocol allows
//! times up to 2^53 ms (year 287396), beyond `time`'s year 9999; such years are written with
//! more digits, as XML Schema's dateTime allows.

use std::fmt;
use std::io::Write;

const DAY_MS: i64 = 86_400_000;

/// A time's ISO 8601 form.
#[derive(Clone, Copy)]
pub struct IsoTime {
    buf: [u8; 40],
    len: usize,
}

impl IsoTime {
    /// `ts_ms` (UTC ms since the epoch) as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    pub fn new(ts_ms: i64) -> Self {
        let (y, m, d) = civil_from_days(ts_ms.div_euclid(DAY_MS));
        let ms = ts_ms.rem_euclid(DAY_MS);
        let (hour, min, sec, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        let sign = if y < 0 { "-" } else { "" };
        let mut buf = [0u8; 40];
        let left = {
            let mut cursor = &mut buf[..];
            // 40 bytes hold the longest (a 9-digit year, sign and 20 more): this cannot fail.
            let _ = write!(
                cursor,
                "{sign}{:04}-{m:02}-{d:02}T{hour:02}:{min:02}:{sec:02}.{milli:03}Z",
                y.unsigned_abs()
            );
            cursor.len()
        };
        Self {
            buf,
            len: buf.len() - left,
        }
    }

    pub fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl fmt::Display for IsoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for IsoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // 0..=11, from March
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_with_milliseconds_in_utc() {
        assert_eq!(IsoTime::new(0).as_str(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            IsoTime::new(1_796_464_800_123).as_str(),
            "2026-12-05T10:00:00.123Z"
        );
        assert_eq!(IsoTime::new(-1).as_str(), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            IsoTime::new(253_402_300_800_000).as_str(),
            "10000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            IsoTime::new(crate::protocol::MAX_TS_MS).as_str(),
            "287396-10-12T08:59:00.992Z"
        );
    }

    #[test]
    fn every_day_agrees_with_the_time_crate() {
        // Every day from 1900 to 2400 (leap years, centuries, 2000), at an odd time of day.
        let day_ms = 86_400_000_i64;
        for day in -25_567..157_000_i64 {
            let ts = day * day_ms + 45_296_789;
            let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts) * 1_000_000)
                .expect("in range");
            let expected = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond()
            );
            assert_eq!(IsoTime::new(ts).as_str(), expected);
        }
    }
}
