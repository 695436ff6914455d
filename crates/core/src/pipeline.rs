//! The pipeline: what every consumer does with a feed's events, wired in one place. The window,
//! `fleetview stats`, `fleetview alerts` and `fleetview record` each drain the feeds thread into
//! a [`Pipeline`]; nothing else puts the session, the alert engine and the recorder together.
//!
//! For each event, at the pipeline's clock: the recorder (when recording) gets it first, as it
//! arrived; the session applies it to the fleet and the feed's status; the alert engine (when
//! there is one) looks at what changed and at the feed's notices. [`Pipeline::tick`] runs the
//! engine's clock-driven rules about once a second. What the engine raised waits in the
//! pipeline until its owner takes it ([`Pipeline::take_alerts`]): the window logs it, the
//! headless command prints it.

use std::path::{Path, PathBuf};

use crate::alerts::{Alert, Engine};
use crate::clock::SharedClock;
use crate::events::FeedEvent;
use crate::fleet::{Changes, FeedId, Fleet, FleetConfig};
use crate::protocol::FixBatch;
use crate::record::RecordingError;
use crate::record::player::{self, Step};
use crate::record::recorder::{Backpressure, Recorder, RecorderStatus};
use crate::session::{Link, Session};

/// How often the engine's clock-driven rules (lost, stopped) run.
pub const TICK_MS: i64 = 1000;

/// Session, alert engine and recorder as one, on one clock.
pub struct Pipeline {
    session: Session,
    /// The model's settings (a replay's seek starts the session afresh with them).
    fleet_config: FleetConfig,
    alerts: Option<Engine>,
    recorder: Option<Recorder>,
    clock: SharedClock,
    ticked_ms: i64,
    raised: Vec<Alert>,
}

impl Pipeline {
    /// A pipeline with no alert engine and no recording.
    pub fn new(fleet: FleetConfig, clock: SharedClock) -> Self {
        Self {
            session: Session::new(fleet.clone()),
            fleet_config: fleet,
            alerts: None,
            recorder: None,
            clock,
            ticked_ms: i64::MIN,
            raised: Vec::new(),
        }
    }

    /// ... evaluating `engine` on every change.
    #[must_use]
    pub fn with_alerts(mut self, engine: Engine) -> Self {
        self.alerts = Some(engine);
        self
    }

    /// Applies one step of a recording being replayed (the engine does not run on a replay).
    pub fn play(&mut self, step: &Step) -> Changes {
        player::apply(&mut self.session, step, &self.fleet_config)
    }

    /// Now, on the pipeline's clock.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn fleet(&self) -> &Fleet {
        self.session.fleet()
    }

    /// Brings the fleet's spatial counts up to `now_ms` (once a frame, at the frame's time).
    pub fn settle(&mut self, now_ms: i64) {
        self.session.settle(now_ms);
    }

    pub fn alerts(&self) -> Option<&Engine> {
        self.alerts.as_ref()
    }

    /// The engine, started with the default rules if there was none (geofences drawn while
    /// replaying).
    pub fn alerts_or_default(&mut self) -> &mut Engine {
        self.alerts.get_or_insert_with(Engine::default)
    }

    /// Names a feed (or renames it) for the session, the rules and the recording.
    pub fn add_feed(&mut self, feed: FeedId, name: &str) {
        self.session.add_feed(feed, name);
        if let Some(engine) = &mut self.alerts {
            engine.name_feed(feed, name);
        }
        if let Some(recorder) = &self.recorder {
            recorder.name(self.clock.now_ms(), feed, name);
        }
    }

    /// Forgets a feed and its vehicles.
    pub fn remove_feed(&mut self, feed: FeedId) -> Changes {
        if let Some(recorder) = &self.recorder {
            recorder.gone(self.clock.now_ms(), feed);
        }
        self.session.remove_feed(feed)
    }

    /// Feed `old` goes on as `new` (edited): its vehicles go, the new feed starts empty.
    pub fn replace_feed(&mut self, old: FeedId, new: FeedId, name: &str) -> Changes {
        let changes = self.session.replace_feed(old, new, name);
        if let Some(engine) = &mut self.alerts {
            engine.name_feed(new, name);
        }
        if let Some(recorder) = &self.recorder {
            let now = self.clock.now_ms();
            recorder.gone(now, old);
            recorder.name(now, new, name);
        }
        changes
    }

    /// One event of `feed`, now: recorded, applied, looked at by the engine.
    pub fn apply(&mut self, feed: FeedId, event: &FeedEvent) -> Changes {
        let now = self.clock.now_ms();
        if let Some(recorder) = &self.recorder {
            recorder.offer(now, feed, event);
        }
        let changes = self.session.apply(feed, event, now);
        if let Some(engine) = &mut self.alerts {
            let fleet = self.session.fleet();
            engine.observe(fleet, &changes, &mut self.raised);
            if let FeedEvent::Notices(notices) = event {
                for n in notices {
                    engine.notice(fleet, feed, n, &mut self.raised);
                }
            }
        }
        changes
    }

    /// Runs the engine's clock-driven rules when [`TICK_MS`] has passed since they last ran;
    /// whether they ran.
    pub fn tick(&mut self) -> bool {
        let now = self.clock.now_ms();
        let Some(engine) = &mut self.alerts else {
            return false;
        };
        if now.saturating_sub(self.ticked_ms) < TICK_MS {
            return false;
        }
        self.ticked_ms = now;
        engine.tick(self.session.fleet(), now, &mut self.raised);
        true
    }

    /// What the engine raised and nobody has taken yet, oldest first.
    pub fn raised(&self) -> &[Alert] {
        &self.raised
    }

    /// Takes what the engine raised, oldest first.
    pub fn take_alerts(&mut self) -> std::vec::Drain<'_, Alert> {
        self.raised.drain(..)
    }

    /// Starts recording into `path` (replacing it) from what the pipeline holds now: every
    /// feed's name, its link when connected, and its vehicles as a snapshot.
    pub fn start_recording(
        &mut self,
        path: &Path,
        backpressure: Backpressure,
    ) -> Result<(), RecordingError> {
        if self.recorder.is_some() {
            return Ok(());
        }
        let recorder = Recorder::start(path, self.clock.clone(), backpressure)?;
        let now = self.clock.now_ms();
        for (id, status) in self.session.feeds() {
            recorder.name(now, id, &status.name);
            if let Link::Connected { url, .. } = &status.link {
                recorder.offer(now, id, &FeedEvent::Connected { url: url.clone() });
            }
            let mut batch = FixBatch::default();
            for (_, v) in self.session.fleet().iter().filter(|(_, v)| v.feed() == id) {
                batch.push(&v.as_fix());
            }
            batch.received_ms = now;
            recorder.offer(now, id, &FeedEvent::Snapshot(batch));
        }
        self.recorder = Some(recorder);
        Ok(())
    }

    /// Stops recording: what is queued is written and the file closed. Where it went and how.
    pub fn stop_recording(&mut self) -> Option<(PathBuf, RecorderStatus)> {
        let recorder = self.recorder.take()?;
        let path = recorder.path().to_path_buf();
        Some((path, recorder.stop()))
    }

    /// The recording under way, if any: where, and how it is going.
    pub fn recording(&self) -> Option<(&Path, RecorderStatus)> {
        self.recorder.as_ref().map(|r| (r.path(), r.status()))
    }
}

#[cfg(test)]
mod tests;
