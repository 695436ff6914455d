//! `fleetview stats`: subscribe with the real feed client for a while and report what arrived.
//!
//! The same [`Collector`] is what benchmarks and fault tests read, so what they measure is what
//! a person checking a feed sees.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::clock::now_ms;
use crate::feed::{FeedConfig, FeedError, FeedEvent, FeedHandle, RefusalLog};
use crate::fleet::{Fleet, FleetConfig};

/// Latency samples above this (10 min) are clamped; they mean a clock problem, not a feed.
const MAX_LATENCY_MS: u64 = 600_000;

/// Watches events and keeps what a report needs.
pub struct Collector {
    fleet: Fleet,
    updates: u64,
    disconnects: u64,
    last_failure: Option<String>,
    latency: Option<Histogram<u64>>,
    clock_ahead: u64,
    first_data: Option<Instant>,
    started: Instant,
    refusal_log: RefusalLog,
}

impl Collector {
    pub fn new(fleet: FleetConfig) -> Self {
        Self {
            fleet: Fleet::new(fleet),
            updates: 0,
            disconnects: 0,
            last_failure: None,
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_MS, 3).ok(),
            clock_ahead: 0,
            first_data: None,
            started: Instant::now(),
            refusal_log: RefusalLog::default(),
        }
    }

    /// Applies an event to the model, measuring on the way.
    pub fn observe(&mut self, event: &FeedEvent, now_ms: i64) {
        match event {
            FeedEvent::Positions(batch) => {
                self.first_data.get_or_insert_with(Instant::now);
                self.updates += batch.len() as u64;
                for fix in batch.iter() {
                    let latency = batch.received_ms - fix.ts;
                    if latency < 0 {
                        self.clock_ahead += 1;
                    } else if let Some(h) = self.latency.as_mut() {
                        h.saturating_record((latency as u64).clamp(1, MAX_LATENCY_MS));
                    }
                }
            }
            FeedEvent::Snapshot(_) => {
                self.first_data.get_or_insert_with(Instant::now);
            }
            FeedEvent::Disconnected { reason, .. } => {
                self.disconnects += 1;
                self.last_failure = Some(reason.clone());
            }
            _ => {}
        }
        self.fleet.apply(event, now_ms);
        self.refusal_log
            .update(self.fleet.rejected(), Instant::now());
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// The report over the last `elapsed` of observing.
    pub fn report(&self, url: &str, elapsed: Duration, now_ms: i64) -> StatsReport {
        let counts = self.fleet.counts(now_ms);
        let counters = self.fleet.counters();
        let secs = elapsed.as_secs_f64().max(1e-9);
        let latency = self
            .latency
            .as_ref()
            .filter(|h| !h.is_empty())
            .map(|h| LatencyReport {
                samples: h.len(),
                p50_ms: h.value_at_quantile(0.50),
                p90_ms: h.value_at_quantile(0.90),
                p99_ms: h.value_at_quantile(0.99),
                max_ms: h.max(),
            });
        StatsReport {
            url: url.to_owned(),
            duration_s: elapsed.as_secs_f64(),
            connected: self.fleet.link().is_connected(),
            link: self.fleet.link().describe(now_ms),
            vehicles: counts.total,
            live: counts.live,
            stale: counts.stale,
            lost: counts.lost,
            updates: self.updates,
            updates_per_s: self.updates as f64 / secs,
            applied: counters.applied,
            snapshots: counters.snapshots,
            removed: counters.removed,
            evicted: counters.evicted,
            reconnects: counters.reconnects,
            disconnects: self.disconnects,
            rejected_total: self.fleet.rejected().total(),
            rejected: self
                .fleet
                .rejected()
                .iter()
                .map(|(r, n, _)| (r.as_str(), n))
                .collect(),
            rejected_examples: self
                .fleet
                .rejected()
                .iter()
                .map(|(r, _, e)| (r.as_str(), e.to_owned()))
                .collect(),
            first_data_ms: self
                .first_data
                .map(|t| t.duration_since(self.started).as_millis() as u64),
            latency_ms: latency,
            clock_ahead_samples: self.clock_ahead,
            last_failure: self.last_failure.clone(),
            server_error: self
                .fleet
                .last_server_error()
                .map(|(c, m)| format!("{c}: {m}")),
        }
    }
}

/// What `fleetview stats` prints; the field names are the documented `--json` keys.
#[derive(Debug, Clone, Serialize)]
pub struct StatsReport {
    pub url: String,
    pub duration_s: f64,
    /// Whether the feed was connected when the run ended.
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
    pub removed: u64,
    pub evicted: u64,
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
    /// Why the connection last ended, if it did.
    pub last_failure: Option<String>,
    /// The last `error` message from the server.
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

impl fmt::Display for StatsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "feed        {} ({})", self.url, self.link)?;
        writeln!(f, "duration    {:.1} s", self.duration_s)?;
        writeln!(
            f,
            "vehicles    {} (live {}, stale {}, lost {})",
            self.vehicles, self.live, self.stale, self.lost
        )?;
        writeln!(
            f,
            "updates     {} ({:.1}/s), snapshots {}, removed {}, evicted {}",
            self.updates, self.updates_per_s, self.snapshots, self.removed, self.evicted
        )?;
        writeln!(
            f,
            "connection  reconnects {}, disconnects {}{}",
            self.reconnects,
            self.disconnects,
            self.last_failure
                .as_deref()
                .map(|r| format!(", last: {r}"))
                .unwrap_or_default()
        )?;
        match &self.latency_ms {
            Some(l) => writeln!(
                f,
                "latency     p50 {} ms, p90 {} ms, p99 {} ms, max {} ms ({} fixes, from ts){}",
                l.p50_ms,
                l.p90_ms,
                l.p99_ms,
                l.max_ms,
                l.samples,
                if self.clock_ahead_samples > 0 {
                    format!(
                        "; {} fixes stamped ahead of this clock",
                        self.clock_ahead_samples
                    )
                } else {
                    String::new()
                }
            )?,
            None => writeln!(f, "latency     no updates to measure")?,
        }
        if self.rejected.is_empty() {
            writeln!(f, "rejected    none")?;
        } else {
            writeln!(f, "rejected    {}", self.rejected_total)?;
            for (reason, n) in &self.rejected {
                let example = self
                    .rejected_examples
                    .get(reason)
                    .map(String::as_str)
                    .unwrap_or("");
                writeln!(f, "  {reason:<18} {n:>8}  e.g. {example}")?;
            }
        }
        if let Some(e) = &self.server_error {
            writeln!(f, "server said {e}")?;
        }
        Ok(())
    }
}

/// Subscribes to `feed` for `duration` and reports.
pub fn run(
    feed: FeedConfig,
    fleet: FleetConfig,
    duration: Duration,
) -> Result<StatsReport, FeedError> {
    let url = feed.url.clone();
    let mut collector = Collector::new(fleet);
    let started = Instant::now();
    let handle = FeedHandle::spawn(feed, std::sync::Arc::new(|| {}))?;
    let deadline = started + duration;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if let Some(event) = handle.recv_timeout(deadline - now) {
            collector.observe(&event, now_ms());
        }
    }
    // Apply what is already queued so the counts are complete, then stop the feed.
    while let Some(event) = handle.try_recv() {
        collector.observe(&event, now_ms());
    }
    drop(handle);
    Ok(collector.report(&url, started.elapsed(), now_ms()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{FixBatch, Position, RejectReason, RejectTally};

    #[test]
    fn latency_is_measured_from_ts_to_arrival_and_clock_skew_is_set_apart() {
        let mut c = Collector::new(FleetConfig::default());
        let t0 = 1_700_000_000_000;
        let mut batch = FixBatch::from_positions(&[
            Position::new("a", 0.0, 0.0, t0 - 40),
            Position::new("b", 0.0, 0.0, t0 - 10),
            Position::new("c", 0.0, 0.0, t0 + 500),
        ]);
        batch.received_ms = t0;
        c.observe(
            &FeedEvent::Connected {
                url: "ws://x".into(),
            },
            t0,
        );
        c.observe(&FeedEvent::Positions(batch), t0);
        let mut tally = RejectTally::default();
        tally.record(RejectReason::BinaryFrame, "bin");
        c.observe(&FeedEvent::Rejected(Box::new(tally)), t0);
        let r = c.report("ws://x", Duration::from_secs(2), t0);
        assert_eq!(r.vehicles, 3);
        assert_eq!(r.updates, 3);
        assert!((r.updates_per_s - 1.5).abs() < 1e-9);
        assert_eq!(r.clock_ahead_samples, 1);
        let l = r.latency_ms.expect("latency");
        assert_eq!(l.samples, 2);
        assert_eq!(l.max_ms, 40);
        assert_eq!(r.rejected.get("binary_frame"), Some(&1));
        assert!(r.connected);
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["rejected"]["binary_frame"], 1);
        assert_eq!(json["latency_ms"]["max_ms"], 40);
        let text = r.to_string();
        assert!(
            text.contains("vehicles    3 (live 3, stale 0, lost 0)"),
            "{text}"
        );
    }
}
