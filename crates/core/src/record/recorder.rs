//! The recorder: one named thread owning the file, fed through a bounded queue so recording
//! never slows the window or the feeds. For the window, what does not fit is dropped and
//! counted (the status bar shows it); `fleetview record` waits instead ([`Backpressure`]). The
//! thread closes a chunk every second even when nothing comes.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError, bounded};

use super::{RecordingError, Writer, Written};
use crate::clock::SharedClock;
use crate::events::FeedEvent;
use crate::fleet::FeedId;

/// Events waiting for the disk before new ones are dropped.
pub const QUEUE: usize = 1024;
/// How often the thread wakes when nothing comes, to close the chunk of the last second.
const WAKE: Duration = Duration::from_millis(250);

enum Message {
    Name(i64, FeedId, String),
    Event(i64, FeedId, FeedEvent),
    Gone(i64, FeedId),
}

/// What [`Recorder::offer`] does when the disk is behind and the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Drop the event and count it: the window, which must never wait on a disk.
    Drop,
    /// Wait for room: `fleetview record`, whose feeds thread coalesces meanwhile, so a slow
    /// disk loses nothing.
    Wait,
}

/// How a recording is going, for the status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecorderStatus {
    pub bytes: u64,
    pub fixes: u64,
    pub chunks: u64,
    pub keyframes: u64,
    /// Events dropped because the disk was behind (or the recording failed).
    pub dropped: u64,
    /// Why the recording stopped, if it failed (a full disk).
    pub failed: Option<String>,
}

#[derive(Default)]
struct Shared {
    bytes: AtomicU64,
    fixes: AtomicU64,
    chunks: AtomicU64,
    keyframes: AtomicU64,
    dropped: AtomicU64,
    failed: std::sync::Mutex<Option<String>>,
}

pub struct Recorder {
    queue: Option<Sender<Message>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
    path: PathBuf,
    backpressure: Backpressure,
}

impl Recorder {
    /// Starts recording into `path` (replacing what is there).
    pub fn start(
        path: &Path,
        clock: SharedClock,
        backpressure: Backpressure,
    ) -> Result<Self, RecordingError> {
        let io = |source| RecordingError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = File::create(path).map_err(io)?;
        let writer = Writer::new(file, clock.now_ms()).map_err(io)?;
        let (queue, rx) = bounded::<Message>(QUEUE);
        let shared = Arc::new(Shared::default());
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("fleetview-record".into())
            .spawn(move || {
                let mut writer = writer;
                let result = (|| {
                    loop {
                        match rx.recv_timeout(WAKE) {
                            Ok(Message::Name(t, feed, name)) => writer.name(t, feed, &name)?,
                            Ok(Message::Event(t, feed, event)) => writer.event(t, feed, &event)?,
                            Ok(Message::Gone(t, feed)) => writer.gone(t, feed)?,
                            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                        }
                        writer.tick(clock.now_ms())?;
                        publish(&thread_shared, writer.written());
                    }
                    writer.tick(i64::MAX)?;
                    publish(&thread_shared, writer.written());
                    writer.finish().map(|_| ())
                })();
                if let Err(e) = result {
                    tracing::error!(error = %e, "recording failed");
                    if let Ok(mut failed) = thread_shared.failed.lock() {
                        *failed = Some(e.to_string());
                    }
                }
            })
            .map_err(io)?;
        Ok(Self {
            queue: Some(queue),
            shared,
            thread: Some(thread),
            path: path.to_path_buf(),
            backpressure,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Names a feed (the first thing to record about it).
    pub fn name(&self, t: i64, feed: FeedId, name: &str) {
        self.offer_message(Message::Name(t, feed, name.to_owned()));
    }

    /// Records an event of `feed` that arrived at `t`, unless the queue is full.
    pub fn offer(&self, t: i64, feed: FeedId, event: &FeedEvent) {
        if !matches!(event, FeedEvent::Rejected(_)) {
            self.offer_message(Message::Event(t, feed, event.clone()));
        }
    }

    /// Records that a feed was removed.
    pub fn gone(&self, t: i64, feed: FeedId) {
        self.offer_message(Message::Gone(t, feed));
    }

    fn offer_message(&self, message: Message) {
        let Some(queue) = &self.queue else {
            return;
        };
        let lost = match self.backpressure {
            Backpressure::Drop => matches!(
                queue.try_send(message),
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_))
            ),
            Backpressure::Wait => queue.send(message).is_err(),
        };
        if lost {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn status(&self) -> RecorderStatus {
        RecorderStatus {
            bytes: self.shared.bytes.load(Ordering::Relaxed),
            fixes: self.shared.fixes.load(Ordering::Relaxed),
            chunks: self.shared.chunks.load(Ordering::Relaxed),
            keyframes: self.shared.keyframes.load(Ordering::Relaxed),
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            failed: self.shared.failed.lock().ok().and_then(|f| f.clone()),
        }
    }

    /// Writes what is queued, closes the file and says how it went.
    pub fn stop(mut self) -> RecorderStatus {
        self.join();
        self.status()
    }

    fn join(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.join();
    }
}

fn publish(shared: &Shared, written: Written) {
    shared.bytes.store(written.bytes, Ordering::Relaxed);
    shared.fixes.store(written.fixes, Ordering::Relaxed);
    shared.chunks.store(written.chunks, Ordering::Relaxed);
    shared.keyframes.store(written.keyframes, Ordering::Relaxed);
}
