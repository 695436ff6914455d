//! What `fleetview stats` reports, per feed and in total, as JSON keys and as text.

use std::collections::BTreeMap;
use std::fmt;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::protocol::RejectTally;

pub(super) fn by_reason(t: &RejectTally) -> BTreeMap<&'static str, u64> {
    t.iter().map(|(r, n, _)| (r.as_str(), n)).collect()
}

pub(super) fn examples(t: &RejectTally) -> BTreeMap<&'static str, String> {
    t.iter()
        .map(|(r, _, e)| (r.as_str(), e.to_owned()))
        .collect()
}

pub(super) fn latency_report(h: Option<&Histogram<u64>>) -> Option<LatencyReport> {
    h.filter(|h| !h.is_empty()).map(|h| LatencyReport {
        samples: h.len(),
        p50_ms: h.value_at_quantile(0.50),
        p90_ms: h.value_at_quantile(0.90),
        p99_ms: h.value_at_quantile(0.99),
        max_ms: h.max(),
    })
}

/// What `fleetview stats` prints; the field names are the documented `--json` keys. The top
/// level sums every feed (`total`, flattened); `feeds` has each one.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    pub duration_s: f64,
    #[serde(flatten)]
    pub total: Figures,
    /// Vehicles removed by their feeds, and evicted at the cap.
    pub removed: u64,
    pub evicted: u64,
    /// Each feed on its own.
    pub feeds: Vec<FeedReport>,
}

/// One feed's part of a [`StatsReport`].
#[derive(Debug, Clone, Serialize)]
pub struct FeedReport {
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
    /// Vehicle notices the feed sent (Traccar events).
    pub notices: usize,
}

/// What is reported of one feed, or of all of them together.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub url: String,
    /// Whether the feed (every feed) was connected when the run ended.
    pub connected: bool,
    /// The connection state in words.
    pub link: String,
    pub vehicles: usize,
    pub live: usize,
    pub stale: usize,
    pub lost: usize,
    /// Fixes received in `positions` batches (snapshots not counted).
    pub updates: u64,
    pub updates_per_s: f64,
    /// Fixes that moved or added a vehicle (snapshots included).
    pub applied: u64,
    pub snapshots: u64,
    pub reconnects: u64,
    pub disconnects: u64,
    pub rejected_total: u64,
    /// Refusals by reason name.
    pub rejected: BTreeMap<&'static str, u64>,
    /// The first refusal of each reason, in words.
    pub rejected_examples: BTreeMap<&'static str, String>,
    /// From start to the first snapshot or batch.
    pub first_data_ms: Option<u64>,
    /// From each fix's `ts` to its arrival here; `None` without samples.
    pub latency_ms: Option<LatencyReport>,
    /// Fixes stamped later than they arrived (the device clock is ahead of ours), left out of
    /// the latency figures.
    pub clock_ahead_samples: u64,
    /// Why a connection last ended, if one did.
    pub last_failure: Option<String>,
    /// The last `error` message from a server.
    pub server_error: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LatencyReport {
    pub samples: u64,
    pub p50_ms: u64,
    pub p90_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

impl fmt::Display for LatencyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {} ms, p90 {} ms, p99 {} ms, max {} ms ({} fixes, from ts)",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms, self.samples
        )
    }
}

fn write_rejected(f: &mut fmt::Formatter<'_>, indent: &str, figures: &Figures) -> fmt::Result {
    if figures.rejected.is_empty() {
        return writeln!(f, "{indent}rejected    none");
    }
    writeln!(f, "{indent}rejected    {}", figures.rejected_total)?;
    for (reason, n) in &figures.rejected {
        let example = figures
            .rejected_examples
            .get(reason)
            .map(String::as_str)
            .unwrap_or("");
        writeln!(f, "{indent}  {reason:<18} {n:>8}  e.g. {example}")?;
    }
    Ok(())
}

impl fmt::Display for StatsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.total;
        writeln!(f, "feed        {} ({})", t.url, t.link)?;
        writeln!(f, "duration    {:.1} s", self.duration_s)?;
        writeln!(
            f,
            "vehicles    {} (live {}, stale {}, lost {})",
            t.vehicles, t.live, t.stale, t.lost
        )?;
        writeln!(
            f,
            "updates     {} ({:.1}/s), snapshots {}, removed {}, evicted {}",
            t.updates, t.updates_per_s, t.snapshots, self.removed, self.evicted
        )?;
        writeln!(
            f,
            "connection  reconnects {}, disconnects {}{}",
            t.reconnects,
            t.disconnects,
            t.last_failure
                .as_deref()
                .map(|r| format!(", last: {r}"))
                .unwrap_or_default()
        )?;
        match &t.latency_ms {
            Some(l) => writeln!(
                f,
                "latency     {l}{}",
                if t.clock_ahead_samples > 0 {
                    format!(
                        "; {} fixes stamped ahead of this clock",
                        t.clock_ahead_samples
                    )
                } else {
                    String::new()
                }
            )?,
            None => writeln!(f, "latency     no updates to measure")?,
        }
        write_rejected(f, "", t)?;
        if let Some(e) = &t.server_error {
            writeln!(f, "server said {e}")?;
        }
        if self.feeds.len() > 1 {
            for feed in &self.feeds {
                let g = &feed.figures;
                writeln!(f)?;
                writeln!(f, "[{}] {} ({})", feed.name, g.url, g.link)?;
                writeln!(
                    f,
                    "  vehicles    {} (live {}, stale {}, lost {}), updates {} ({:.1}/s)",
                    g.vehicles, g.live, g.stale, g.lost, g.updates, g.updates_per_s
                )?;
                if let Some(l) = &g.latency_ms {
                    writeln!(f, "  latency     {l}")?;
                }
                write_rejected(f, "  ", g)?;
            }
        }
        Ok(())
    }
}
