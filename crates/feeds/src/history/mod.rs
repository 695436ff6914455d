//! History from a feed's server, asked for by the window and answered on the feeds' runtime:
//! one vehicle's track, trips, stops and summary over a range ([`HistoryQuery`]), and the
//! whole fleet from a moment on, written as a recording the replay timeline plays
//! ([`ReplayQuery`]).
//!
//! A request is a [`Job`] sent to the feeds thread with the feed's id; the caller keeps its
//! [`Handle`], reads [`Update`]s from it (progress, then one answer) and cancels by dropping
//! it. Each server kind has its own file: `fleetview.rs` reads fleetview-server's `/api/track`,
//! `/api/trips`, `/api/stops`, `/api/summary` and `/api/fixes`; `traccar.rs` reads Traccar's
//! `/api/reports/route`, `/trips`, `/stops` and `/summary` with the feed's session or token.
//! Other kinds answer [`HistoryError::Unsupported`] at once.

mod fleetview;
mod http;
mod replay;
mod traccar;

use std::path::PathBuf;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use tokio::sync::oneshot;

use super::FeedConfig;
use super::login::Login;
use super::outbox::Waker;
use fleetview_core::fleet::FeedId;
use fleetview_core::formats::FeedKind;
use fleetview_core::protocol::FixBatch;
use fleetview_core::reports::Report;

pub use replay::Replayed;

/// One vehicle over a range of time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The vehicle's id in its feed.
    pub vehicle: String,
    /// UTC ms, both included.
    pub from_ms: i64,
    pub to_ms: i64,
}

/// The whole fleet from `at_ms` to `until_ms`, written to a recording at `path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayQuery {
    pub at_ms: i64,
    pub until_ms: i64,
    pub path: PathBuf,
    /// The name the recording gives the feed.
    pub feed_name: String,
}

/// What the server answered for a [`HistoryQuery`].
#[derive(Debug, Clone, Default)]
pub struct HistoryDay {
    /// The vehicle's fixes in time order, with every field the server keeps.
    pub fixes: FixBatch,
    /// Trips, stops and summary as the server computed them.
    pub report: Report,
    /// Which kind of server answered ("fleetview-server", "Traccar").
    pub server: &'static str,
}

/// Why a history request has no answer, in words for the History window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    /// The feed's kind, or this server, keeps no history.
    #[error("{0}")]
    Unsupported(String),
    /// The server does not know the vehicle.
    #[error("{0}")]
    NotFound(String),
    /// The server refused the credentials.
    #[error("{0}")]
    Refused(String),
    /// The request failed or the answer could not be read.
    #[error("{0}")]
    Failed(String),
    /// No such feed is running.
    #[error("the feed is not running")]
    NoFeed,
}

/// What a running request tells its handle.
#[derive(Debug, Clone)]
pub enum Update<T> {
    /// Still working: `step` says on what, `fixes` how many have arrived so far.
    Progress {
        step: &'static str,
        fixes: usize,
    },
    Done(Result<T, HistoryError>),
}

/// The caller's end of a request: updates arrive here; dropping it cancels the request.
pub struct Handle<T> {
    pub feed: FeedId,
    updates: Receiver<Update<T>>,
    _cancel: oneshot::Sender<()>,
}

impl<T> Handle<T> {
    /// The next update, if one is waiting.
    pub fn try_recv(&self) -> Option<Update<T>> {
        self.updates.try_recv().ok()
    }

    /// The next update, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Update<T>> {
        self.updates.recv_timeout(timeout).ok()
    }
}

/// The feeds thread's end of a request.
pub struct Job<Q, T> {
    query: Q,
    updates: Sender<Update<T>>,
    cancel: oneshot::Receiver<()>,
}

impl<Q: std::fmt::Debug, T> std::fmt::Debug for Job<Q, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("query", &self.query).finish()
    }
}

/// A request for `feed` and the handle that follows it.
pub fn request<Q, T>(feed: FeedId, query: Q) -> (Handle<T>, Job<Q, T>) {
    let (tx, updates) = bounded(16);
    let (cancel_tx, cancel) = oneshot::channel();
    let handle = Handle {
        feed,
        updates,
        _cancel: cancel_tx,
    };
    let job = Job {
        query,
        updates: tx,
        cancel,
    };
    (handle, job)
}

/// Where a job reports: progress when there is room (a newer one follows), the answer surely.
pub(crate) struct Reporter<T> {
    updates: Sender<Update<T>>,
    waker: Waker,
}

impl<T> Clone for Reporter<T> {
    fn clone(&self) -> Self {
        Self {
            updates: self.updates.clone(),
            waker: self.waker.clone(),
        }
    }
}

impl<T> Reporter<T> {
    pub(crate) fn progress(&self, step: &'static str, fixes: usize) {
        if self
            .updates
            .try_send(Update::Progress { step, fixes })
            .is_ok()
        {
            (self.waker)();
        }
    }

    async fn done(&self, answer: Result<T, HistoryError>) {
        let mut update = Update::Done(answer);
        loop {
            match self.updates.try_send(update) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return,
                Err(TrySendError::Full(back)) => {
                    update = back;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
        (self.waker)();
    }
}

/// What the feeds thread knows of a feed when a request for it arrives.
pub(crate) struct FeedAccess {
    pub config: FeedConfig,
    pub login: Login,
}

/// Runs a history request for a feed to its end or its cancellation.
pub(crate) async fn run_history(
    job: Job<HistoryQuery, HistoryDay>,
    feed: Option<FeedAccess>,
    waker: Waker,
) {
    let query = job.query.clone();
    run(job, waker, |report| async move {
        let feed = feed.ok_or(HistoryError::NoFeed)?;
        if query.from_ms > query.to_ms {
            return Err(HistoryError::Failed(
                "the range ends before it starts".into(),
            ));
        }
        let http = http::Http::new(&feed)?;
        match feed.config.spec.kind {
            FeedKind::Fleetview => fleetview::day(&http, &query, &report).await,
            FeedKind::Traccar => traccar::day(&http, &query, &report).await,
            kind => Err(unsupported(kind)),
        }
    })
    .await;
}

/// Runs a fleet replay request to its end or its cancellation.
pub(crate) async fn run_replay(
    job: Job<ReplayQuery, Replayed>,
    id: FeedId,
    feed: Option<FeedAccess>,
    waker: Waker,
) {
    let query = job.query.clone();
    run(job, waker, |report| async move {
        let feed = feed.ok_or(HistoryError::NoFeed)?;
        let http = http::Http::new(&feed)?;
        match feed.config.spec.kind {
            FeedKind::Fleetview => replay::fetch(&http, &query, id, &report).await,
            FeedKind::Traccar => Err(HistoryError::Unsupported(
                "replay from a server needs a fleetview server: Traccar has no fleet-at-a-moment \
                 report (its History shows one vehicle at a time)"
                    .into(),
            )),
            kind => Err(unsupported(kind)),
        }
    })
    .await;
}

/// Runs `work` with a reporter on the job's channel: its answer goes to the handle, unless the
/// handle is dropped first (then the work is dropped where it stands).
async fn run<Q, T, F>(job: Job<Q, T>, waker: Waker, work: impl FnOnce(Reporter<T>) -> F)
where
    F: std::future::Future<Output = Result<T, HistoryError>>,
{
    let report = Reporter {
        updates: job.updates,
        waker,
    };
    let mut cancel = job.cancel;
    tokio::select! {
        answer = work(report.clone()) => report.done(answer).await,
        _ = &mut cancel => {}
    }
}

/// CPU-heavy work (decoding a large answer, compressing and syncing a recording) off the feeds'
/// runtime, which is one thread every feed's socket shares.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HistoryError> + Send + 'static,
) -> Result<T, HistoryError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| HistoryError::Failed("the work was stopped".into()))?
}

fn unsupported(kind: FeedKind) -> HistoryError {
    HistoryError::Unsupported(format!(
        "this feed ({kind}) keeps no history fleetview can read: history comes from a \
         fleetview server or a Traccar server"
    ))
}
