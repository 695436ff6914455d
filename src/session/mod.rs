//! The session: the one consumer of `(FeedId, FeedEvent)` pairs, shared by every front end (the
//! window, `stats`, tests). It applies each event to the fleet model and to that feed's
//! [`FeedStatus`] at the time it is handed, logs refusals once a minute per reason per feed, and
//! returns what changed. No egui, no tokio.

mod link;
mod refusals;
mod status;

use std::collections::BTreeMap;

use crate::events::{FeedEvent, PAUSED};
use crate::fleet::{Changes, FeedId, Fleet, FleetConfig};
use crate::protocol::RejectTally;

pub use link::Link;
pub use refusals::{LogThrottle, RefusalLog};
pub use status::{FeedStatus, MAX_NOTICES, RateWindow};

#[derive(Debug, Clone, Default)]
pub struct Session {
    fleet: Fleet,
    feeds: BTreeMap<FeedId, FeedStatus>,
}

impl Session {
    pub fn new(config: FleetConfig) -> Self {
        Self {
            fleet: Fleet::new(config),
            feeds: BTreeMap::new(),
        }
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Registers a feed under `name` (or renames it); its vehicles stay.
    pub fn add_feed(&mut self, feed: FeedId, name: impl Into<String>) {
        let name = name.into();
        self.feeds
            .entry(feed)
            .and_modify(|s| s.name.clone_from(&name))
            .or_insert_with(|| FeedStatus::new(name));
    }

    /// Forgets a feed and drops its vehicles.
    pub fn remove_feed(&mut self, feed: FeedId) -> Changes {
        self.feeds.remove(&feed);
        self.fleet.remove_feed(feed)
    }

    /// Drops a feed's vehicles and counts, keeping it (its settings changed).
    pub fn reset_feed(&mut self, feed: FeedId) -> Changes {
        if let Some(status) = self.feeds.get_mut(&feed) {
            *status = FeedStatus::new(std::mem::take(&mut status.name));
        }
        self.fleet.remove_feed(feed)
    }

    pub fn feed(&self, feed: FeedId) -> Option<&FeedStatus> {
        self.feeds.get(&feed)
    }

    /// The feed's name, or its number when it is not registered.
    pub fn feed_name(&self, feed: FeedId) -> String {
        self.feeds
            .get(&feed)
            .map_or_else(|| feed.to_string(), |s| s.name.clone())
    }

    pub fn feeds(&self) -> impl Iterator<Item = (FeedId, &FeedStatus)> + '_ {
        self.feeds.iter().map(|(id, s)| (*id, s))
    }

    /// Every feed's refusals together.
    pub fn rejected(&self) -> RejectTally {
        let mut all = RejectTally::default();
        for status in self.feeds.values() {
            all.merge(&status.rejected);
        }
        all
    }

    /// Applies one event from `feed` at our clock `now_ms`.
    pub fn apply(&mut self, feed: FeedId, event: &FeedEvent, now_ms: i64) -> Changes {
        let status = self
            .feeds
            .entry(feed)
            .or_insert_with(|| FeedStatus::new(feed.to_string()));
        let changes = match event {
            FeedEvent::Connecting { url, attempt } => {
                status.link = Link::Connecting {
                    url: url.clone(),
                    attempt: *attempt,
                };
                Changes::default()
            }
            FeedEvent::Connected { url } => {
                status.connected();
                status.link = Link::Connected {
                    url: url.clone(),
                    since_ms: now_ms,
                };
                Changes::default()
            }
            FeedEvent::Disconnected { reason, retry_in } => {
                status.link = if reason == PAUSED && retry_in.is_none() {
                    Link::Paused
                } else {
                    status.disconnects += 1;
                    status.last_failure = Some(reason.clone());
                    Link::Disconnected {
                        reason: reason.clone(),
                        retry_at_ms: retry_in.map(|d| now_ms + d.as_millis() as i64),
                    }
                };
                Changes::default()
            }
            FeedEvent::Snapshot(batch) => {
                status.snapshots += 1;
                status.first_data_ms.get_or_insert(now_ms);
                self.fleet.apply_snapshot(feed, batch, now_ms)
            }
            FeedEvent::Positions(batch) => {
                status.first_data_ms.get_or_insert(now_ms);
                self.fleet.apply_batch(feed, batch, now_ms)
            }
            FeedEvent::Removed(ids) => self.fleet.remove_ids(feed, ids),
            FeedEvent::Notices(notices) => {
                for n in notices {
                    status.notice(n.clone());
                }
                Changes::default()
            }
            FeedEvent::Rejected(tally) => {
                status.rejected.merge(tally);
                Changes::default()
            }
            FeedEvent::ServerError { code, message } => {
                status.server_error = Some((code.clone(), message.clone()));
                Changes::default()
            }
        };
        if let Some(status) = self.feeds.get_mut(&feed) {
            status.applied += changes.applied();
            status.rate.record(now_ms, changes.applied());
            status.rejected.merge(&changes.rejected);
            let FeedStatus {
                name,
                rejected,
                refusal_log,
                ..
            } = status;
            refusal_log.update(name, rejected, now_ms);
        }
        changes
    }
}

#[cfg(test)]
mod tests;
