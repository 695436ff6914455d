//! `fleetview stats`: subscribe to one or more feeds with the real feeds thread for a while and
//! report what arrived, per feed and in total.
//!
//! The same [`Collector`] is what benchmarks and fault tests read, so what they measure is what
//! a person checking a feed sees. It consumes events through the [`Pipeline`], like the window,
//! on the clock it is handed.
//! The report and its text form are in `report`.

mod report;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::clock::SharedClock;
use crate::feed::{FeedConfig, FeedError, FeedEvent, FeedId, FeedSet};
use crate::fleet::{Counts, FleetConfig};
use crate::pipeline::Pipeline;
use crate::session::{FeedStatus, Session};

pub use report::{FeedReport, Figures, LatencyReport, StatsReport};
use report::{by_reason, examples, latency_report};

/// Latency samples above this (10 min) are clamped; they mean a clock problem, not a feed.
const MAX_LATENCY_MS: u64 = 600_000;

/// What is measured of one feed beyond what its status keeps.
struct Measure {
    updates: u64,
    latency: Option<Histogram<u64>>,
    clock_ahead: u64,
    first_data: Option<Instant>,
}

impl Default for Measure {
    fn default() -> Self {
        Self {
            updates: 0,
            latency: Histogram::new_with_bounds(1, MAX_LATENCY_MS, 3).ok(),
            clock_ahead: 0,
            first_data: None,
        }
    }
}

/// Watches events and keeps what a report needs.
pub struct Collector {
    pipeline: Pipeline,
    measures: BTreeMap<FeedId, Measure>,
    started: Instant,
}

impl Collector {
    pub fn new(fleet: FleetConfig, clock: SharedClock) -> Self {
        Self {
            pipeline: Pipeline::new(fleet, clock),
            measures: BTreeMap::new(),
            started: Instant::now(),
        }
    }

    /// Names a feed for the report.
    pub fn add_feed(&mut self, feed: FeedId, name: &str) {
        self.pipeline.add_feed(feed, name);
        self.measures.entry(feed).or_default();
    }

    /// Applies an event to the pipeline, measuring on the way.
    pub fn observe(&mut self, feed: FeedId, event: &FeedEvent) {
        let m = self.measures.entry(feed).or_default();
        match event {
            FeedEvent::Positions(batch) => {
                m.first_data.get_or_insert_with(Instant::now);
                m.updates += batch.len() as u64;
                for fix in batch.iter() {
                    let latency = batch.received_ms - fix.ts;
                    if latency < 0 {
                        m.clock_ahead += 1;
                    } else if let Some(h) = m.latency.as_mut() {
                        h.saturating_record((latency as u64).clamp(1, MAX_LATENCY_MS));
                    }
                }
            }
            FeedEvent::Snapshot(_) => {
                m.first_data.get_or_insert_with(Instant::now);
            }
            _ => {}
        }
        let _ = self.pipeline.apply(feed, event);
    }

    pub fn session(&self) -> &Session {
        self.pipeline.session()
    }

    /// The report over the last `elapsed` of observing, as of now on the collector's clock;
    /// `urls` names each feed's URL.
    pub fn report(&self, urls: &BTreeMap<FeedId, String>, elapsed: Duration) -> StatsReport {
        let now_ms = self.pipeline.now_ms();
        let feeds: Vec<FeedReport> = self
            .session()
            .feeds()
            .map(|(id, status)| {
                let url = urls.get(&id).cloned().unwrap_or_default();
                self.feed_report(id, status, url, elapsed, now_ms)
            })
            .collect();
        let latency = self.all_latency();
        let counters = self.pipeline.fleet().counters();
        let rejected = self.session().rejected();
        let counts = self.pipeline.fleet().counts(now_ms);
        let all = |f: fn(&Figures) -> u64| feeds.iter().map(|r| f(&r.figures)).sum::<u64>();
        let updates = all(|f| f.updates);
        let link = match &feeds[..] {
            [one] => one.figures.link.clone(),
            many => format!(
                "{} of {} feeds connected",
                many.iter().filter(|f| f.figures.connected).count(),
                many.len()
            ),
        };
        let total = Figures {
            url: feeds
                .iter()
                .map(|f| f.figures.url.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            connected: !feeds.is_empty() && feeds.iter().all(|f| f.figures.connected),
            link,
            vehicles: counts.total,
            live: counts.live,
            stale: counts.stale,
            lost: counts.lost,
            updates,
            updates_per_s: updates as f64 / elapsed.as_secs_f64().max(1e-9),
            applied: counters.applied,
            snapshots: counters.snapshots,
            reconnects: all(|f| f.reconnects),
            disconnects: all(|f| f.disconnects),
            rejected_total: rejected.total(),
            rejected: by_reason(&rejected),
            rejected_examples: examples(&rejected),
            first_data_ms: feeds.iter().filter_map(|f| f.figures.first_data_ms).min(),
            latency_ms: latency_report(latency.as_ref()),
            clock_ahead_samples: all(|f| f.clock_ahead_samples),
            last_failure: feeds
                .iter()
                .rev()
                .find_map(|f| f.figures.last_failure.clone()),
            server_error: feeds.iter().find_map(|f| f.figures.server_error.clone()),
        };
        StatsReport {
            duration_s: elapsed.as_secs_f64(),
            total,
            removed: counters.removed,
            evicted: counters.evicted,
            feeds,
        }
    }

    /// Every feed's latency samples in one histogram.
    fn all_latency(&self) -> Option<Histogram<u64>> {
        let mut latency = None::<Histogram<u64>>;
        for h in self.measures.values().filter_map(|m| m.latency.as_ref()) {
            match &mut latency {
                Some(all) => {
                    let _ = all.add(h);
                }
                None => latency = Some(h.clone()),
            }
        }
        latency
    }

    fn feed_report(
        &self,
        id: FeedId,
        status: &FeedStatus,
        url: String,
        elapsed: Duration,
        now_ms: i64,
    ) -> FeedReport {
        let empty = Measure::default();
        let m = self.measures.get(&id).unwrap_or(&empty);
        let Counts {
            total,
            live,
            stale,
            lost,
            ..
        } = self.pipeline.fleet().counts_of(id, now_ms);
        let figures = Figures {
            url,
            connected: status.link.is_connected(),
            link: status.link.describe(now_ms),
            vehicles: total,
            live,
            stale,
            lost,
            updates: m.updates,
            updates_per_s: m.updates as f64 / elapsed.as_secs_f64().max(1e-9),
            applied: status.applied,
            snapshots: status.snapshots,
            reconnects: status.reconnects,
            disconnects: status.disconnects,
            rejected_total: status.rejected.total(),
            rejected: by_reason(&status.rejected),
            rejected_examples: examples(&status.rejected),
            first_data_ms: m
                .first_data
                .map(|t| t.duration_since(self.started).as_millis() as u64),
            latency_ms: latency_report(m.latency.as_ref()),
            clock_ahead_samples: m.clock_ahead,
            last_failure: status.last_failure.clone(),
            server_error: status
                .server_error
                .as_ref()
                .map(|(c, m)| format!("{c}: {m}")),
        };
        FeedReport {
            name: status.name.clone(),
            figures,
            notices: status.notices.len(),
        }
    }
}

/// Subscribes to `feeds` for `duration` and reports, on `clock`.
pub fn run(
    feeds: Vec<FeedConfig>,
    fleet: FleetConfig,
    duration: Duration,
    clock: SharedClock,
) -> Result<StatsReport, FeedError> {
    let mut collector = Collector::new(fleet, clock);
    let mut urls = BTreeMap::new();
    let started = Instant::now();
    let set = FeedSet::spawn(std::sync::Arc::new(|| {}))?;
    for (i, feed) in feeds.into_iter().enumerate() {
        let id = FeedId(i as u32);
        collector.add_feed(id, &feed.spec.name);
        urls.insert(id, crate::feed::redact(&feed.spec.url));
        set.add(id, feed)?;
    }
    let deadline = started + duration;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if let Some((feed, event)) = set.recv_timeout(deadline - now) {
            collector.observe(feed, &event);
        }
    }
    // Apply what is already queued so the counts are complete, then stop the feeds.
    while let Some((feed, event)) = set.try_recv() {
        collector.observe(feed, &event);
    }
    drop(set);
    Ok(collector.report(&urls, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::protocol::{FixBatch, Position, RejectReason, RejectTally};

    fn collector(t0: i64) -> Collector {
        Collector::new(
            FleetConfig::default(),
            std::sync::Arc::new(ManualClock::at(t0)),
        )
    }

    #[test]
    fn latency_is_measured_from_ts_to_arrival_and_clock_skew_is_set_apart() {
        let t0 = 1_700_000_000_000;
        let mut c = collector(t0);
        let feed = FeedId(0);
        c.add_feed(feed, "x");
        let mut batch = FixBatch::from_positions(&[
            Position::new("a", 0.0, 0.0, t0 - 40),
            Position::new("b", 0.0, 0.0, t0 - 10),
            Position::new("c", 0.0, 0.0, t0 + 500),
        ]);
        batch.received_ms = t0;
        c.observe(
            feed,
            &FeedEvent::Connected {
                url: "ws://x".into(),
            },
        );
        c.observe(feed, &FeedEvent::Positions(batch));
        let mut tally = RejectTally::default();
        tally.record(RejectReason::BinaryFrame, "bin");
        c.observe(feed, &FeedEvent::Rejected(Box::new(tally)));
        let urls = BTreeMap::from([(feed, "ws://x".to_owned())]);
        let r = c.report(&urls, Duration::from_secs(2));
        let t = &r.total;
        assert_eq!(t.vehicles, 3);
        assert_eq!(t.updates, 3);
        assert!((t.updates_per_s - 1.5).abs() < 1e-9);
        assert_eq!(t.clock_ahead_samples, 1);
        let l = t.latency_ms.expect("latency");
        assert_eq!(l.samples, 2);
        assert_eq!(l.max_ms, 40);
        assert_eq!(t.rejected.get("binary_frame"), Some(&1));
        assert!(t.connected);
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["rejected"]["binary_frame"], 1);
        assert_eq!(json["latency_ms"]["max_ms"], 40);
        assert_eq!(json["feeds"][0]["name"], "x");
        assert_eq!(json["feeds"][0]["vehicles"], 3);
        let text = r.to_string();
        assert!(
            text.contains("vehicles    3 (live 3, stale 0, lost 0)"),
            "{text}"
        );
    }

    #[test]
    fn each_feed_is_reported_on_its_own_and_the_top_level_sums_them() {
        let t0 = 1_700_000_000_000;
        let mut c = collector(t0);
        let (a, b) = (FeedId(0), FeedId(1));
        c.add_feed(a, "depot");
        c.add_feed(b, "phones");
        c.observe(
            a,
            &FeedEvent::Connected {
                url: "ws://a".into(),
            },
        );
        let batch = |ids: &[&str]| {
            let ps: Vec<Position> = ids
                .iter()
                .map(|id| Position::new(*id, 0.0, 0.0, t0))
                .collect();
            FixBatch::from_positions(&ps)
        };
        c.observe(a, &FeedEvent::Positions(batch(&["12", "13"])));
        c.observe(b, &FeedEvent::Positions(batch(&["12"])));
        let r = c.report(&BTreeMap::new(), Duration::from_secs(1));
        assert_eq!(r.total.vehicles, 3, "vehicle 12 of each feed counts twice");
        assert_eq!(
            (r.feeds[0].figures.vehicles, r.feeds[1].figures.vehicles),
            (2, 1)
        );
        assert_eq!(
            (r.feeds[0].name.as_str(), r.feeds[1].name.as_str()),
            ("depot", "phones")
        );
        assert!(!r.total.connected, "phones never connected");
        assert_eq!(r.total.link, "1 of 2 feeds connected");
        assert!(r.to_string().contains("[phones]"), "{r}");
    }
}
