//! `fleetview alerts`: the alert engine without a window, for operators. Feeds go through the
//! same feeds thread and [`Pipeline`] as the window's; each alert is printed as one JSON line
//! and, when a webhook is given, POSTed to it by the [`Webhook`]'s worker, so a slow webhook
//! never slows evaluation.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::webhook::Webhook;
use crate::alerts::{Alert, Engine};
use crate::clock::SharedClock;
use crate::feed::{FeedConfig, FeedError, FeedId, FeedSet};
use crate::fleet::FleetConfig;
use crate::pipeline::Pipeline;

/// An alert as a JSON line: the alert and its feed's name.
#[derive(Serialize)]
pub struct Line<'a> {
    pub feed: &'a str,
    #[serde(flatten)]
    pub alert: &'a Alert,
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    pub alerts: u64,
    pub webhook_sent: u64,
    pub webhook_failed: u64,
    pub webhook_dropped: u64,
}

/// Runs `engine` over `feeds` for `duration` (until the process is stopped, when `None`) on
/// `clock`, writing each alert to `out` and to the webhook.
pub fn run(
    feeds: Vec<FeedConfig>,
    fleet: FleetConfig,
    engine: Engine,
    webhook: Option<String>,
    duration: Option<Duration>,
    clock: SharedClock,
    out: &mut dyn Write,
) -> Result<Summary, FeedError> {
    let mut pipeline = Pipeline::new(fleet, clock).with_alerts(engine);
    let started = pipeline.now_ms();
    let end = duration.map(|d| started + d.as_millis() as i64);
    let set = FeedSet::spawn(Arc::new(|| {}))?;
    let mut names = Vec::new();
    for (i, feed) in feeds.into_iter().enumerate() {
        let id = FeedId(i as u32);
        pipeline.add_feed(id, &feed.spec.name);
        names.push(feed.spec.name.clone());
        set.add(id, feed)?;
    }
    let hook = webhook.map(Webhook::start);
    let mut summary = Summary::default();
    while end.is_none_or(|end| pipeline.now_ms() < end) {
        if let Some((feed, event)) = set.recv_timeout(Duration::from_millis(200)) {
            pipeline.apply(feed, &event);
        }
        pipeline.tick();
        for alert in pipeline.take_alerts() {
            let feed = names.get(alert.feed.0 as usize).map_or("", String::as_str);
            let line = serde_json::to_string(&Line {
                feed,
                alert: &alert,
            })
            .unwrap_or_default();
            // A closed stdout (a pipe's reader gone) ends the run.
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Ok(summary);
            }
            summary.alerts += 1;
            if let Some(hook) = &hook {
                hook.send(line);
            }
        }
    }
    drop(set);
    if let Some(hook) = hook {
        let counts = hook.finish();
        summary.webhook_sent = counts.0;
        summary.webhook_failed = counts.1;
        summary.webhook_dropped = counts.2;
    }
    Ok(summary)
}
