//! Plays a recording on replay time: play, pause, a speed, seek. A decoder thread of its own
//! reads and decompresses chunks ahead of play (a bounded queue), so the window only applies
//! what is due. A seek starts from the keyframe before the moment and applies what happened
//! since: the session gets a [`Step::Reset`] with the keyframe's state, then the records up
//! to the moment. No egui: the window and the tests drive it the same way.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, bounded};

mod decoder;

use decoder::{Decoded, Request, decode};

use super::format::{Chunk, FeedState, Positions, Record, Recorded};
use super::{Recording, RecordingError};
use crate::events::FeedEvent;
use crate::fleet::{Changes, FleetConfig};
use crate::session::Session;

/// Decoded chunks waiting for the window (about this many seconds of recording).
const AHEAD: usize = 4;
/// How often the decoder looks for chunks appended to a file still being written.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How late (wall time) the shown state may run at speed before the player jumps ahead.
const KEEP_UP_WALL_MS: f64 = 300.0;
const KEEP_UP_MIN_MS: i64 = 2_000;
/// The speeds offered, slowest first.
pub const SPEEDS: [f64; 7] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0];

/// What the session is to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Start again from this state (a seek landed on a keyframe at `t`).
    Reset {
        t: i64,
        feeds: Vec<FeedState>,
    },
    Record(Record),
}

pub struct Player {
    requests: Sender<Request>,
    decoded: Receiver<Decoded>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
    span: (i64, i64),
    position: i64,
    playing: bool,
    speed: f64,
    last_wall: Option<i64>,
    generation: u64,
    ready: VecDeque<Record>,
    /// The time of the last step handed out.
    handed_t: i64,
    /// After a seek: the first chunk's keyframe is to be applied.
    reset_due: bool,
    /// The reset a seek's first chunk made, not yet handed out.
    pending_reset: Option<Step>,
    /// The decoder reached the readable end for this generation.
    at_end: bool,
    damage: Option<String>,
}

impl Player {
    /// Opens `path` (checking it is a recording) and stands at its start, paused.
    pub fn open(path: &Path) -> Result<Self, RecordingError> {
        let recording = Recording::open(path)?;
        let started = recording.header().started_ms;
        let span = recording.span().unwrap_or((started, started));
        let first_data = recording
            .chunks()
            .first()
            .map_or(span.0, |c| c.header.last_t);
        let (requests, requests_rx) = bounded(8);
        let (decoded_tx, decoded) = bounded(AHEAD);
        let thread = std::thread::Builder::new()
            .name("fleetview-replay".into())
            .spawn(move || decode(recording, &requests_rx, &decoded_tx))
            .map_err(|source| RecordingError::Io {
                path: path.display().to_string(),
                source,
            })?;
        let mut player = Self {
            requests,
            decoded,
            thread: Some(thread),
            path: path.to_path_buf(),
            span,
            position: span.0,
            playing: false,
            speed: 1.0,
            last_wall: None,
            generation: 0,
            ready: VecDeque::new(),
            handed_t: span.0,
            reset_due: true,
            pending_reset: None,
            at_end: false,
            damage: None,
        };
        // It opens at the end of the first second, where the feeds' first snapshots are.
        player.seek(first_data);
        Ok(player)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replay time, UTC ms.
    pub fn position(&self) -> i64 {
        self.position
    }

    /// The first and last moments recorded.
    pub fn span(&self) -> (i64, i64) {
        self.span
    }

    pub fn is_playing(&self) -> bool {
        self.playing
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// What stops the recording short of its file's end (a cut or damaged file), once play
    /// has reached it.
    pub fn damage(&self) -> Option<&str> {
        self.damage.as_deref()
    }

    /// Whether a seek is still waiting for its keyframe.
    pub fn is_loading(&self) -> bool {
        self.reset_due || self.pending_reset.is_some()
    }

    /// How far the state handed out trails replay time (0 when caught up): a window that
    /// cannot keep up with the speed shows the past a little late.
    pub fn lag_ms(&self) -> i64 {
        if self.is_caught_up() {
            0
        } else {
            (self.position - self.handed_t).max(0)
        }
    }

    /// When the state trails replay time by more than `KEEP_UP_WALL_MS` of wall time at this
    /// speed (and at least `KEEP_UP_MIN_MS`), jumps to replay time from its keyframe rather
    /// than applying every fix in between: at 100x, 10,000 vehicles are a million fixes a
    /// second. Returns whether it jumped.
    pub fn keep_up(&mut self) -> bool {
        let limit = ((KEEP_UP_WALL_MS * self.speed) as i64).max(KEEP_UP_MIN_MS);
        let behind = self.playing && !self.is_loading() && self.lag_ms() > limit;
        if behind {
            self.seek(self.position);
        }
        behind
    }

    /// Whether everything due at replay time has been handed out (nothing is on its way).
    pub fn is_caught_up(&self) -> bool {
        !self.is_loading()
            && (self.at_end || self.ready.front().is_some_and(|r| r.t > self.position))
    }

    /// Plays (from `wall_ms` on the clock that drives [`Player::advance`]) or pauses.
    pub fn set_playing(&mut self, playing: bool, wall_ms: i64) {
        self.playing = playing && self.position < self.span.1;
        self.last_wall = Some(wall_ms);
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
    }

    /// The next slower or faster speed of [`SPEEDS`].
    pub fn step_speed(&mut self, faster: i32) {
        let at = SPEEDS
            .iter()
            .position(|s| *s >= self.speed)
            .unwrap_or(SPEEDS.len() - 1) as i32;
        let to = (at + faster).clamp(0, SPEEDS.len() as i32 - 1);
        self.speed = SPEEDS[to as usize];
    }

    /// Moves replay time on by the wall time since the last call, times the speed; stops at
    /// the end. Returns the new replay time.
    pub fn advance(&mut self, wall_ms: i64) -> i64 {
        if self.playing {
            let last = self.last_wall.unwrap_or(wall_ms);
            let step = ((wall_ms - last).max(0) as f64 * self.speed) as i64;
            self.position = (self.position + step).min(self.span.1);
            self.playing = self.position < self.span.1;
        }
        self.last_wall = Some(wall_ms);
        self.position
    }

    /// Jumps to `t` (clamped to the recording); the session is reset at the next step.
    pub fn seek(&mut self, t: i64) {
        self.generation += 1;
        self.position = t.clamp(self.span.0, self.span.1);
        self.ready.clear();
        self.reset_due = true;
        self.pending_reset = None;
        self.at_end = false;
        // A full queue of requests means the decoder is busy with older ones it will skip.
        let _ = self.requests.try_send(Request::Seek {
            generation: self.generation,
            t: self.position,
        });
    }

    /// The next thing due at replay time, if it has been decoded.
    pub fn next_step(&mut self) -> Option<Step> {
        loop {
            if let Some(reset) = self.pending_reset.take() {
                if let Step::Reset { t, .. } = &reset {
                    self.handed_t = *t;
                }
                return Some(reset);
            }
            if let Some(front) = self.ready.front() {
                if front.t > self.position {
                    return None;
                }
                self.handed_t = front.t;
                return self.ready.pop_front().map(Step::Record);
            }
            if !self.pull() {
                return None;
            }
        }
    }

    /// Applies to `session` everything due at replay time, waiting for the decoder up to
    /// `timeout` (what a benchmark or a test does; the window applies steps within a frame's
    /// budget instead). False if it timed out.
    pub fn catch_up(
        &mut self,
        session: &mut Session,
        config: &FleetConfig,
        timeout: Duration,
    ) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            while let Some(step) = self.next_step() {
                apply(session, &step, config);
            }
            if self.is_caught_up() {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    /// Takes one message from the decoder; false when there is none.
    fn pull(&mut self) -> bool {
        let Ok(message) = self.decoded.try_recv() else {
            return false;
        };
        match message {
            Decoded::Span(first, last) => self.span = (first, last),
            Decoded::End { generation, damage } if generation == self.generation => {
                self.at_end = true;
                self.damage = damage;
                if self.reset_due {
                    self.reset_due = false;
                    self.pending_reset = Some(Step::Reset {
                        t: self.span.0,
                        feeds: Vec::new(),
                    });
                }
            }
            Decoded::Chunk { generation, chunk } if generation == self.generation => {
                let Chunk { key, records } = *chunk;
                if self.reset_due {
                    self.reset_due = false;
                    let (t, feeds) = key.unwrap_or((self.span.0, Vec::new()));
                    self.pending_reset = Some(Step::Reset { t, feeds });
                }
                self.ready.extend(records);
            }
            _ => {}
        }
        true
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        // Closing both channels ends the decoder wherever it waits.
        let (dead, _) = bounded(1);
        self.requests = dead;
        self.decoded = crossbeam_channel::never();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The session a recording gives at `t` when every record up to `t` is applied from its start
/// (no keyframe used): what a seek must agree with.
pub fn play_straight(path: &Path, t: i64, config: &FleetConfig) -> Result<Session, RecordingError> {
    let mut recording = Recording::open(path)?;
    let mut session = Session::new(config.clone());
    let mut positions = Positions::default();
    for i in 0..recording.chunks().len() {
        if recording.chunks()[i].header.first_t > t {
            break;
        }
        for r in recording
            .chunk(i, &mut positions)?
            .records
            .into_iter()
            .filter(|r| r.t <= t)
        {
            apply(&mut session, &Step::Record(r), config);
        }
    }
    Ok(session)
}

/// Applies one step to `session`: a reset starts a new session (with `config`) holding the
/// keyframe's state; a record is applied at the time it arrived.
pub fn apply(session: &mut Session, step: &Step, config: &FleetConfig) -> Changes {
    match step {
        Step::Reset { t, feeds } => {
            *session = Session::new(config.clone());
            let mut changes = Changes::default();
            for state in feeds {
                session.add_feed(state.feed, &state.name);
                if state.up {
                    let up = FeedEvent::Connected { url: String::new() };
                    session.apply(state.feed, &up, *t);
                }
                let snapshot = FeedEvent::Snapshot(state.vehicles.clone());
                changes.extend(session.apply(state.feed, &snapshot, *t));
            }
            changes
        }
        Step::Record(record) => match &record.what {
            Recorded::Name(name) => {
                session.add_feed(record.feed, name);
                Changes::default()
            }
            Recorded::Gone => session.remove_feed(record.feed),
            Recorded::Event(event) => session.apply(record.feed, event, record.t),
        },
    }
}
