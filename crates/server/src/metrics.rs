//! What `GET /metrics` says, in the Prometheus text format (the `prometheus` crate writes it):
//! vehicles, viewers and publishers now; reports accepted and refused, by endpoint and reason;
//! batches sent, viewers resynced, frames a slow viewer missed; connections refused and why.
//!
//! The transports count what only they see (endpoints, refusals before the hub, connections);
//! the hub's own counters are read at each scrape. Each server has its own registry, so several
//! servers in one process (tests) never mix their counts.

use std::sync::Mutex;

use prometheus::{Encoder, IntCounter, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

mod trackers;

use super::hub::HubStats;
use fleetview_core::protocol::RejectTally;

/// Where a report came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// A publisher's WebSocket (`/ingest`).
    WebSocket,
    /// The OsmAnd protocol on the device port.
    OsmAnd,
    /// OwnTracks' HTTP mode on the device port.
    OwnTracks,
    /// A binary tracker on its TCP port (Teltonika, GT06, ...), by protocol name.
    Tracker(&'static str),
}

impl Endpoint {
    fn label(self) -> &'static str {
        match self {
            Self::WebSocket => "ingest",
            Self::OsmAnd => "osmand",
            Self::OwnTracks => "owntracks",
            Self::Tracker(name) => name,
        }
    }
}

/// Why a connection was turned away before it was served.
#[derive(Debug, Clone, Copy)]
pub enum Turned {
    /// The server holds its maximum of connections.
    Full,
    /// Its address holds its share.
    Address,
    /// No upgrade (or request) in time.
    Slow,
}

pub struct Metrics {
    registry: Registry,
    reports: IntCounterVec,
    refused: IntCounterVec,
    connections_refused: IntCounterVec,
    publishers: IntGauge,
    vehicles: IntGauge,
    viewers: IntGauge,
    behind: IntGauge,
    batches: IntCounter,
    resyncs: IntCounter,
    skipped: IntCounter,
    history_dropped: IntCounter,
    /// The hub's counters at the last scrape, to add only what is new.
    last: Mutex<HubStats>,
    /// What the cluster task counts (all zero without `--nats`).
    pub cluster: std::sync::Arc<crate::cluster::ClusterStats>,
    /// What the tracker ports count.
    pub trackers: trackers::TrackerMetrics,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("registered once");
            c
        };
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("registered once");
            g
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("registered once");
            c
        };
        Self {
            reports: counter_vec(
                "fleetview_reports_accepted_total",
                "Positions accepted, by endpoint",
                &["endpoint"],
            ),
            refused: counter_vec(
                "fleetview_reports_refused_total",
                "Positions or requests refused, by endpoint and reason",
                &["endpoint", "reason"],
            ),
            connections_refused: counter_vec(
                "fleetview_connections_refused_total",
                "Connections turned away: full, address (over its share), slow (no upgrade in time)",
                &["why"],
            ),
            publishers: gauge("fleetview_publishers", "WebSocket publishers connected"),
            vehicles: gauge("fleetview_vehicles", "Vehicles held"),
            viewers: gauge("fleetview_viewers", "Viewers connected"),
            behind: gauge(
                "fleetview_viewers_behind",
                "Viewers behind now: their queue filled, and a snapshot waits for room",
            ),
            batches: counter(
                "fleetview_frames_serialised_total",
                "Frames serialised for viewers",
            ),
            resyncs: counter(
                "fleetview_viewer_resyncs_total",
                "Snapshots sent to bring a slow viewer back",
            ),
            skipped: counter(
                "fleetview_viewer_frames_skipped_total",
                "Frames a slow viewer missed because its queue was full",
            ),
            history_dropped: counter(
                "fleetview_history_dropped_total",
                "Fixes dropped from history (never from the map) while the disk was far behind",
            ),
            last: Mutex::default(),
            cluster: Default::default(),
            trackers: trackers::TrackerMetrics::new(&registry),
            registry,
        }
    }

    pub fn accepted(&self, endpoint: Endpoint, positions: usize) {
        self.reports
            .with_label_values(&[endpoint.label()])
            .inc_by(positions as u64);
    }

    /// Refusals by reason, as tallied.
    pub fn refused(&self, endpoint: Endpoint, tally: &RejectTally) {
        for (reason, n, _) in tally.iter() {
            self.refused
                .with_label_values(&[endpoint.label(), &reason.to_string()])
                .inc_by(n);
        }
    }

    /// One refusal that is not a position's (a bad request, a wrong password).
    pub fn refused_request(&self, endpoint: Endpoint, reason: &str) {
        self.refused
            .with_label_values(&[endpoint.label(), reason])
            .inc();
    }

    pub fn turned_away(&self, why: Turned) {
        let label = match why {
            Turned::Full => "full",
            Turned::Address => "address",
            Turned::Slow => "slow",
        };
        self.connections_refused.with_label_values(&[label]).inc();
    }

    pub fn publisher_joined(&self) {
        self.publishers.inc();
    }

    pub fn publisher_left(&self) {
        self.publishers.dec();
    }

    /// The text of a scrape, the hub's counters brought up to `hub` first.
    pub fn scrape(&self, hub: HubStats) -> String {
        self.vehicles.set(hub.vehicles as i64);
        self.viewers.set(hub.viewers as i64);
        self.behind.set(hub.viewers_behind as i64);
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        self.batches
            .inc_by(hub.frames_serialised.saturating_sub(last.frames_serialised));
        self.resyncs
            .inc_by(hub.resyncs.saturating_sub(last.resyncs));
        self.skipped
            .inc_by(hub.frames_skipped.saturating_sub(last.frames_skipped));
        self.history_dropped
            .inc_by(hub.history_dropped.saturating_sub(last.history_dropped));
        *last = hub;
        drop(last);
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        let mut text = String::from_utf8(out).unwrap_or_default();
        self.cluster_lines(&mut text);
        text
    }

    /// The cluster's counters, in the same text format.
    fn cluster_lines(&self, text: &mut String) {
        use std::fmt::Write as _;
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.cluster;
        let lines = [
            (
                "fleetview_cluster_peers",
                "gauge",
                "Peer nodes heard from",
                &c.peers,
            ),
            (
                "fleetview_cluster_fixes_out_total",
                "counter",
                "Own fixes published to the peers",
                &c.fixes_out,
            ),
            (
                "fleetview_cluster_messages_out_total",
                "counter",
                "Messages published to the peers",
                &c.messages_out,
            ),
            (
                "fleetview_cluster_fixes_in_total",
                "counter",
                "Fixes received from the peers",
                &c.fixes_in,
            ),
            (
                "fleetview_cluster_messages_in_total",
                "counter",
                "Messages received from the peers",
                &c.messages_in,
            ),
            (
                "fleetview_cluster_refused_in_total",
                "counter",
                "Peer messages that were not reports",
                &c.refused_in,
            ),
            (
                "fleetview_cluster_bucket_writes_total",
                "counter",
                "Last-known positions written, acknowledged",
                &c.bucket_writes,
            ),
            (
                "fleetview_cluster_bucket_errors_total",
                "counter",
                "Bucket writes and reads that failed",
                &c.bucket_errors,
            ),
            (
                "fleetview_cluster_bucket_loaded_total",
                "counter",
                "Vehicles read from the bucket",
                &c.bucket_loaded,
            ),
            (
                "fleetview_cluster_lag_ms",
                "gauge",
                "Age of the newest fix of the last peer message on arrival",
                &c.lag_ms,
            ),
            (
                "fleetview_cluster_publish_errors_total",
                "counter",
                "Publishes NATS refused",
                &c.publish_errors,
            ),
            (
                "fleetview_cluster_unsent",
                "gauge",
                "Own vehicles whose newest fix waits for NATS to come back",
                &c.unsent,
            ),
            (
                "fleetview_cluster_unsent_refused_total",
                "counter",
                "Own fixes not kept while NATS was down (too many vehicles waiting)",
                &c.unsent_refused,
            ),
        ];
        for (name, kind, help, value) in lines {
            let _ = write!(
                text,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}\n",
                value.load(Relaxed)
            );
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::protocol::RejectReason;

    #[test]
    fn a_scrape_counts_by_endpoint_and_reason_and_adds_only_what_the_hub_did_since() {
        let m = Metrics::new();
        m.accepted(Endpoint::OsmAnd, 3);
        let mut tally = RejectTally::default();
        tally.record(RejectReason::BadCoordinates, "lat 91");
        m.refused(Endpoint::OwnTracks, &tally);
        m.turned_away(Turned::Address);
        let hub = HubStats {
            vehicles: 3,
            viewers_behind: 1,
            resyncs: 2,
            ..HubStats::default()
        };
        let text = m.scrape(hub);
        assert!(
            text.contains("fleetview_reports_accepted_total{endpoint=\"osmand\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("fleetview_reports_refused_total{endpoint=\"owntracks\",reason=\"bad_coordinates\"} 1"),
            "{text}"
        );
        assert!(text.contains("fleetview_connections_refused_total{why=\"address\"} 1"));
        assert!(text.contains("fleetview_vehicles 3"));
        assert!(text.contains("fleetview_viewers_behind 1"), "{text}");
        assert!(text.contains("fleetview_viewer_resyncs_total 2"));
        let again = m.scrape(HubStats { resyncs: 5, ..hub });
        assert!(
            again.contains("fleetview_viewer_resyncs_total 5"),
            "{again}"
        );
    }
}
