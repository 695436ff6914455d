//! Why a message, or a part of one, was refused, and a bounded tally of such refusals.
//!
//! A hostile peer can send millions of bad inputs; the tally keeps one counter and one example
//! per reason, so what it costs is fixed however much is refused.

use std::fmt;

/// Why something received was refused. The snake_case names are part of the documented
/// `fleetview stats --json` output, so they must stay stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectReason {
    /// The frame is not JSON at all (or is truncated).
    MalformedJson,
    /// JSON, but its `type` is absent or not one this side understands.
    UnknownType,
    /// A binary WebSocket frame; protocol v1 is text only.
    BinaryFrame,
    /// A frame larger than the configured limit.
    Oversized,
    /// A position without an `id`, or with an empty one.
    MissingId,
    /// Latitude or longitude absent, not finite, or outside WGS84 ranges.
    BadCoordinates,
    /// `ts` absent, negative or not a number.
    BadTimestamp,
    /// A field of the wrong type or beyond its size limit.
    InvalidField,
    /// A fix older than (or as old as) the one already held for that vehicle.
    OutOfOrder,
    /// A fix stamped too far in the future to be believed.
    FutureTimestamp,
    /// A new vehicle beyond the vehicle cap (the stalest one was evicted, or this one dropped).
    OverCapacity,
    /// More messages than the connection may send in the time (server side).
    RateLimited,
    /// A position for a device the feed has not described (Traccar: a `deviceId` missing
    /// from the device list).
    UnknownDevice,
    /// Bytes that are not the protocol buffer the feed promises (GTFS-Realtime): truncated,
    /// corrupt, or another format altogether (an HTML error page).
    MalformedProtobuf,
    /// An NMEA sentence that cannot be read: a bad checksum or tag block, a broken fragment,
    /// an invalid payload.
    MalformedNmea,
    /// A compact frame naming an index the connection has not defined, one past the
    /// dictionary's bound, or a `def` pointing a live index at another vehicle.
    BadIndex,
    /// A publisher reported a vehicle its token may not report (scoped publisher tokens).
    OutOfScope,
}

impl RejectReason {
    /// Every reason, in a fixed order (the order of the tally's slots).
    pub const ALL: [RejectReason; 17] = [
        RejectReason::MalformedJson,
        RejectReason::UnknownType,
        RejectReason::BinaryFrame,
        RejectReason::Oversized,
        RejectReason::MissingId,
        RejectReason::BadCoordinates,
        RejectReason::BadTimestamp,
        RejectReason::InvalidField,
        RejectReason::OutOfOrder,
        RejectReason::FutureTimestamp,
        RejectReason::OverCapacity,
        RejectReason::RateLimited,
        RejectReason::UnknownDevice,
        RejectReason::MalformedProtobuf,
        RejectReason::MalformedNmea,
        RejectReason::BadIndex,
        RejectReason::OutOfScope,
    ];

    /// The stable name used in logs and in `stats --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::MalformedJson => "malformed_json",
            RejectReason::UnknownType => "unknown_type",
            RejectReason::BinaryFrame => "binary_frame",
            RejectReason::Oversized => "oversized",
            RejectReason::MissingId => "missing_id",
            RejectReason::BadCoordinates => "bad_coordinates",
            RejectReason::BadTimestamp => "bad_timestamp",
            RejectReason::InvalidField => "invalid_field",
            RejectReason::OutOfOrder => "out_of_order",
            RejectReason::FutureTimestamp => "future_timestamp",
            RejectReason::OverCapacity => "over_capacity",
            RejectReason::RateLimited => "rate_limited",
            RejectReason::UnknownDevice => "unknown_device",
            RejectReason::MalformedProtobuf => "malformed_protobuf",
            RejectReason::MalformedNmea => "malformed_nmea",
            RejectReason::BadIndex => "bad_index",
            RejectReason::OutOfScope => "out_of_scope",
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One refusal with a human-readable detail ("lat 123.4 is outside -90..90").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: RejectReason,
    pub detail: String,
}

impl Rejection {
    pub fn new(reason: RejectReason, detail: impl Into<String>) -> Self {
        Self {
            reason,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason, self.detail)
    }
}

impl std::error::Error for Rejection {}

/// Longest example detail kept per reason; details quote peer input, which may be huge.
const MAX_EXAMPLE_LEN: usize = 200;

/// Counts per reason plus the first example of each: fixed size whatever the input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RejectTally {
    counts: [u64; RejectReason::ALL.len()],
    examples: [Option<String>; RejectReason::ALL.len()],
}

impl RejectTally {
    pub fn record(&mut self, reason: RejectReason, detail: &str) {
        self.record_n(reason, 1, detail);
    }

    pub fn record_n(&mut self, reason: RejectReason, n: u64, detail: &str) {
        if n == 0 {
            return;
        }
        let slot = reason.slot();
        self.counts[slot] = self.counts[slot].saturating_add(n);
        if self.examples[slot].is_none() {
            self.examples[slot] = Some(truncate(detail, MAX_EXAMPLE_LEN));
        }
    }

    pub fn add(&mut self, rejection: &Rejection) {
        self.record(rejection.reason, &rejection.detail);
    }

    /// Adds every count of `other` (keeping this tally's examples where it has them).
    pub fn merge(&mut self, other: &RejectTally) {
        for reason in RejectReason::ALL {
            let slot = reason.slot();
            let detail = other.examples[slot].as_deref().unwrap_or("");
            self.record_n(reason, other.counts[slot], detail);
        }
    }

    pub fn count(&self, reason: RejectReason) -> u64 {
        self.counts[reason.slot()]
    }

    pub fn example(&self, reason: RejectReason) -> Option<&str> {
        self.examples[reason.slot()].as_deref()
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// The reasons with a non-zero count, with that count and the first example.
    pub fn iter(&self) -> impl Iterator<Item = (RejectReason, u64, &str)> + '_ {
        RejectReason::ALL.into_iter().filter_map(|reason| {
            let n = self.count(reason);
            (n > 0).then(|| (reason, n, self.example(reason).unwrap_or("")))
        })
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_per_reason_and_keeps_the_first_example() {
        let mut tally = RejectTally::default();
        tally.record(RejectReason::MissingId, "first");
        tally.record(RejectReason::MissingId, "second");
        tally.record(RejectReason::Oversized, "big");
        assert_eq!(tally.count(RejectReason::MissingId), 2);
        assert_eq!(tally.example(RejectReason::MissingId), Some("first"));
        assert_eq!(tally.total(), 3);
        let listed: Vec<_> = tally.iter().map(|(r, n, _)| (r, n)).collect();
        assert_eq!(
            listed,
            vec![(RejectReason::Oversized, 1), (RejectReason::MissingId, 2)]
        );
    }

    #[test]
    fn merging_tallies_adds_their_counts() {
        let mut a = RejectTally::default();
        a.record(RejectReason::OutOfOrder, "a");
        let mut b = RejectTally::default();
        b.record_n(RejectReason::OutOfOrder, 4, "b");
        b.record(RejectReason::BinaryFrame, "bin");
        a.merge(&b);
        assert_eq!(a.count(RejectReason::OutOfOrder), 5);
        assert_eq!(a.example(RejectReason::OutOfOrder), Some("a"));
        assert_eq!(a.count(RejectReason::BinaryFrame), 1);
    }

    #[test]
    fn a_huge_example_is_cut_on_a_character_boundary() {
        let long = "é".repeat(1000);
        let cut = truncate(&long, MAX_EXAMPLE_LEN);
        assert!(cut.len() <= MAX_EXAMPLE_LEN + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn reason_names_are_unique() {
        let mut names: Vec<_> = RejectReason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RejectReason::ALL.len());
        for (i, r) in RejectReason::ALL.iter().enumerate() {
            assert_eq!(r.slot(), i);
        }
    }
}
