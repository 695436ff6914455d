//! The session: the one consumer of `(FeedId, FeedEvent)` pairs, shared by every front end (the
//! window, `stats`, tests). It applies each event to the fleet model and to that feed's
//! [`FeedStatus`] at the time it is handed, logs refusals once a minute per reason per feed, and
//! returns what changed. No egui, no tokio.
//!
//! Feeds are kept in the order they were added (the Feeds panel's order). Events of a feed that
//! was removed (or replaced) and still sat in the channel are ignored, so its vehicles never come
//! back.

mod link;
mod refusals;
mod status;

use std::collections::BTreeSet;

use crate::events::FeedEvent;
use crate::fleet::{Changes, FeedId, Fleet, FleetConfig};
use crate::protocol::RejectTally;

pub use link::Link;
pub use refusals::{LogThrottle, RefusalLog};
pub use status::{FeedStatus, MAX_NOTICES, RateWindow};

#[derive(Debug, Clone, Default)]
pub struct Session {
    fleet: Fleet,
    /// In the order they were added (a handful: found by a linear search).
    feeds: Vec<(FeedId, FeedStatus)>,
    /// Feeds removed or replaced: their late events are ignored.
    gone: BTreeSet<FeedId>,
}

impl Session {
    pub fn new(config: FleetConfig) -> Self {
        Self {
            fleet: Fleet::new(config),
            feeds: Vec::new(),
            gone: BTreeSet::new(),
        }
    }

    fn status_mut(&mut self, feed: FeedId) -> Option<&mut FeedStatus> {
        self.feeds
            .iter_mut()
            .find(|(id, _)| *id == feed)
            .map(|(_, s)| s)
    }

    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Brings the fleet's spatial counts up to `now_ms` (vehicles gone stale or lost).
    pub fn settle(&mut self, now_ms: i64) {
        self.fleet.settle(now_ms);
    }

    /// Registers a feed under `name` (or renames it); its vehicles stay.
    pub fn add_feed(&mut self, feed: FeedId, name: impl Into<String>) {
        let name = name.into();
        self.gone.remove(&feed);
        match self.status_mut(feed) {
            Some(status) => status.name = name,
            None => self.feeds.push((feed, FeedStatus::new(name))),
        }
    }

    /// Forgets a feed and drops its vehicles; its late events are ignored.
    pub fn remove_feed(&mut self, feed: FeedId) -> Changes {
        self.feeds.retain(|(id, _)| *id != feed);
        self.gone.insert(feed);
        self.fleet.remove_feed(feed)
    }

    /// Puts feed `new` (`name`) in the place of `old` (new settings run as a new feed): `old`'s
    /// vehicles go, and its late events are ignored.
    pub fn replace_feed(&mut self, old: FeedId, new: FeedId, name: impl Into<String>) -> Changes {
        let status = (new, FeedStatus::new(name));
        match self.feeds.iter().position(|(id, _)| *id == old) {
            Some(at) => self.feeds[at] = status,
            None => self.feeds.push(status),
        }
        self.gone.insert(old);
        self.gone.remove(&new);
        self.fleet.remove_feed(old)
    }

    pub fn feed(&self, feed: FeedId) -> Option<&FeedStatus> {
        self.feeds
            .iter()
            .find(|(id, _)| *id == feed)
            .map(|(_, s)| s)
    }

    /// The feed's name, or its number when it is not registered.
    pub fn feed_name(&self, feed: FeedId) -> String {
        self.feed(feed)
            .map_or_else(|| feed.to_string(), |s| s.name.clone())
    }

    /// Every feed, in the order they were added.
    pub fn feeds(&self) -> impl Iterator<Item = (FeedId, &FeedStatus)> + '_ {
        self.feeds.iter().map(|(id, s)| (*id, s))
    }

    /// Every feed's refusals together.
    pub fn rejected(&self) -> RejectTally {
        let mut all = RejectTally::default();
        for (_, status) in &self.feeds {
            all.merge(&status.rejected);
        }
        all
    }

    /// Applies one event from `feed` at our clock `now_ms`.
    pub fn apply(&mut self, feed: FeedId, event: &FeedEvent, now_ms: i64) -> Changes {
        if self.gone.contains(&feed) {
            return Changes::default();
        }
        let at = match self.feeds.iter().position(|(id, _)| *id == feed) {
            Some(at) => at,
            None => {
                self.feeds.push((feed, FeedStatus::new(feed.to_string())));
                self.feeds.len() - 1
            }
        };
        let status = &mut self.feeds[at].1;
        let changes = match event {
            FeedEvent::Connecting { .. }
            | FeedEvent::Connected { .. }
            | FeedEvent::Disconnected { .. } => {
                status.link_event(event, now_ms);
                Changes::default()
            }
            FeedEvent::Snapshot(batch) => {
                status.snapshots += 1;
                status.first_data_ms.get_or_insert(now_ms);
                status.last_data_ms = Some(now_ms);
                self.fleet.apply_snapshot(feed, batch, now_ms)
            }
            FeedEvent::Positions(batch) => {
                status.first_data_ms.get_or_insert(now_ms);
                status.last_data_ms = Some(now_ms);
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
        changes
    }
}

/// A span of time as a dispatcher reads it: "35 s", "4 min", "2 h".
pub fn ago_words(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=89 => format!("{s} s"),
        90..=5399 => format!("{} min", (s + 30) / 60),
        _ => format!("{} h", (s + 1800) / 3600),
    }
}

#[cfg(test)]
mod tests;
