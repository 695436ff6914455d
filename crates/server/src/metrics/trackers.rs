//! What the tracker ports count, per protocol: connections open, frames by what they said, and
//! what was refused and why (`fleetview_tracker_*`). Positions accepted and refused after
//! decoding are counted with every endpoint's (`fleetview_reports_*{endpoint="teltonika"}`).

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

pub struct TrackerMetrics {
    connections: IntGaugeVec,
    frames: IntCounterVec,
    errors: IntCounterVec,
}

impl TrackerMetrics {
    pub fn new(registry: &Registry) -> Self {
        let connections = IntGaugeVec::new(
            Opts::new(
                "fleetview_tracker_connections",
                "Tracker connections open, by protocol",
            ),
            &["protocol"],
        )
        .expect("valid metric");
        let frames = IntCounterVec::new(
            Opts::new(
                "fleetview_tracker_frames_total",
                "Tracker frames decoded, by protocol and what they said (login, reports, heartbeat, command_response, unknown_type)",
            ),
            &["protocol", "frame"],
        )
        .expect("valid metric");
        let errors = IntCounterVec::new(
            Opts::new(
                "fleetview_tracker_errors_total",
                "Tracker frames or connections refused, by protocol and reason (garbage, too_large, bad_crc, malformed, not_logged_in, unknown_device, login_timeout)",
            ),
            &["protocol", "reason"],
        )
        .expect("valid metric");
        for m in [&connections as &dyn RegisterOnce, &frames, &errors] {
            m.register_in(registry);
        }
        Self {
            connections,
            frames,
            errors,
        }
    }

    pub fn opened(&self, protocol: &str) {
        self.connections.with_label_values(&[protocol]).inc();
    }

    pub fn closed(&self, protocol: &str) {
        self.connections.with_label_values(&[protocol]).dec();
    }

    pub fn frame(&self, protocol: &str, frame: &str) {
        self.frames.with_label_values(&[protocol, frame]).inc();
    }

    pub fn error(&self, protocol: &str, reason: &str) {
        self.errors.with_label_values(&[protocol, reason]).inc();
    }
}

/// A collector registered once in a server's own registry.
trait RegisterOnce {
    fn register_in(&self, registry: &Registry);
}

impl<T: prometheus::core::Collector + Clone + 'static> RegisterOnce for T {
    fn register_in(&self, registry: &Registry) {
        registry
            .register(Box::new(self.clone()))
            .expect("registered once");
    }
}
