//! [`FeedSet`]: the one thread owning the tokio runtime, and the task on it that starts, stops,
//! pauses and reconfigures feeds (one task per feed) as commands arrive.

use std::collections::HashMap;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::{mpsc, oneshot};

use super::connection::{self, Control};
use super::history::{self, FeedAccess, Handle, HistoryDay, HistoryQuery, ReplayQuery, Replayed};
use super::login::Login;
use super::outbox::{Outbox, Waker};
use super::{FeedCommand, FeedConfig, FeedEvent, FeedId, install_crypto_provider};

/// Events the channel holds before feeds start coalescing.
pub const DEFAULT_CAPACITY: usize = 64;

/// How long a removed feed may take to say goodbye before its task is dropped.
const STOP_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("could not start the feeds thread: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("the feeds thread has stopped")]
    Stopped,
    #[error("the feeds thread is busy; command not sent")]
    Busy,
}

/// Owns the feeds thread and the receiving end of its events.
pub struct FeedSet {
    events: Receiver<(FeedId, FeedEvent)>,
    commands: mpsc::Sender<FeedCommand>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FeedSet {
    /// Starts the feeds thread with no feeds. `waker` is called after events are sent.
    pub fn spawn(waker: Waker) -> Result<Self, FeedError> {
        Self::with_capacity(DEFAULT_CAPACITY, waker)
    }

    /// ... with a channel of `capacity` events.
    pub fn with_capacity(capacity: usize, waker: Waker) -> Result<Self, FeedError> {
        install_crypto_provider();
        let (event_tx, events) = crossbeam_channel::bounded(capacity.max(1));
        let (commands, command_rx) = mpsc::channel(256);
        let (shutdown, shutdown_rx) = oneshot::channel();
        let thread = crate::runtime_thread::spawn("fleetview-feeds", move || {
            manage(event_tx, waker, command_rx, shutdown_rx)
        })
        .map_err(FeedError::Spawn)?;
        Ok(Self {
            events,
            commands,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// A set running one feed, as `id` (for `stats`, tests and benchmarks).
    pub fn single(id: FeedId, config: FeedConfig, waker: Waker) -> Result<Self, FeedError> {
        let set = Self::spawn(waker)?;
        set.add(id, config)?;
        Ok(set)
    }

    /// Starts a feed, or restarts the one with this id with new settings.
    pub fn add(&self, id: FeedId, config: FeedConfig) -> Result<(), FeedError> {
        self.send(FeedCommand::Add(id, Box::new(config)))
    }

    /// Asks `feed`'s server for a vehicle's history; the answer comes through the handle, and
    /// dropping the handle cancels the request.
    pub fn history(
        &self,
        feed: FeedId,
        query: HistoryQuery,
    ) -> Result<Handle<HistoryDay>, FeedError> {
        let (handle, job) = history::request(feed, query);
        self.send(FeedCommand::History(feed, Box::new(job)))?;
        Ok(handle)
    }

    /// Asks `feed`'s server for the fleet from a moment on, written as a recording.
    pub fn replay(&self, feed: FeedId, query: ReplayQuery) -> Result<Handle<Replayed>, FeedError> {
        let (handle, job) = history::request(feed, query);
        self.send(FeedCommand::Replay(feed, Box::new(job)))?;
        Ok(handle)
    }

    /// Asks the feeds thread to do something; never blocks.
    pub fn send(&self, command: FeedCommand) -> Result<(), FeedError> {
        self.commands.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => FeedError::Busy,
            mpsc::error::TrySendError::Closed(_) => FeedError::Stopped,
        })
    }

    /// The events, for a consumer that wants to select or block on them.
    pub fn events(&self) -> &Receiver<(FeedId, FeedEvent)> {
        &self.events
    }

    /// The next event if one is waiting.
    pub fn try_recv(&self) -> Option<(FeedId, FeedEvent)> {
        self.events.try_recv().ok()
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<(FeedId, FeedEvent)> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Whether the feeds thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for FeedSet {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the feeds thread panicked");
        }
    }
}

/// One running feed: how to reach its task.
struct Running {
    config: FeedConfig,
    login: Login,
    control: mpsc::Sender<Control>,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

/// Runs until shutdown: obeys commands, starting and stopping feed tasks.
async fn manage(
    events: Sender<(FeedId, FeedEvent)>,
    waker: Waker,
    mut commands: mpsc::Receiver<FeedCommand>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut feeds: HashMap<FeedId, Running> = HashMap::new();
    loop {
        let command = tokio::select! {
            _ = &mut shutdown => break,
            c = commands.recv() => match c {
                Some(c) => c,
                None => break,
            },
        };
        match command {
            FeedCommand::Add(id, config) => {
                if let Some(old) = feeds.remove(&id) {
                    stop(old).await;
                }
                let (control, control_rx) = mpsc::channel(16);
                let (stop_tx, stop_rx) = oneshot::channel();
                let outbox = Outbox::new(
                    id,
                    events.clone(),
                    waker.clone(),
                    config.max_pending_vehicles.max(1),
                );
                let login = Login::default();
                let task = tokio::spawn(connection::run(
                    (*config).clone(),
                    login.clone(),
                    outbox,
                    control_rx,
                    stop_rx,
                ));
                feeds.insert(
                    id,
                    Running {
                        config: *config,
                        login,
                        control,
                        stop: stop_tx,
                        task,
                    },
                );
            }
            FeedCommand::Remove(id) => {
                if let Some(old) = feeds.remove(&id) {
                    stop(old).await;
                }
            }
            FeedCommand::Pause(id) => tell(&feeds, id, Control::Pause),
            FeedCommand::Resume(id) => tell(&feeds, id, Control::Resume),
            FeedCommand::Subscribe(id, s) => tell(&feeds, id, Control::Subscribe(s)),
            FeedCommand::History(id, job) => {
                tokio::spawn(history::run_history(
                    *job,
                    access(&feeds, id),
                    waker.clone(),
                ));
            }
            FeedCommand::Replay(id, job) => {
                let feed = access(&feeds, id);
                tokio::spawn(history::run_replay(*job, id, feed, waker.clone()));
            }
        }
    }
    futures_util::future::join_all(feeds.into_values().map(stop)).await;
}

fn access(feeds: &HashMap<FeedId, Running>, id: FeedId) -> Option<FeedAccess> {
    feeds.get(&id).map(|r| FeedAccess {
        config: r.config.clone(),
        login: r.login.clone(),
    })
}

fn tell(feeds: &HashMap<FeedId, Running>, id: FeedId, control: Control) {
    match feeds.get(&id) {
        Some(running) => {
            if running.control.try_send(control).is_err() {
                tracing::warn!(feed = %id, "the feed is busy; command dropped");
            }
        }
        None => tracing::warn!(feed = %id, "no such feed"),
    }
}

/// Asks a feed's task to close its connection and waits a moment for it.
async fn stop(running: Running) {
    let _ = running.stop.send(());
    let mut task = running.task;
    if tokio::time::timeout(STOP_TIMEOUT, &mut task).await.is_err() {
        task.abort();
    }
}
