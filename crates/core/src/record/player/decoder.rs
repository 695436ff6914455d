//! The player's decoder thread: reads and decompresses chunks from where the last seek asked,
//! ahead of play through a bounded channel, and follows a file still being written.

use crossbeam_channel::{Receiver, Sender, select};

use super::FOLLOW_EVERY;
use crate::record::Recording;
use crate::record::format::{Chunk, Positions};

pub(super) enum Request {
    /// Send chunks from the keyframe before `t` on, tagged `generation`.
    Seek { generation: u64, t: i64 },
}

pub(super) enum Decoded {
    Chunk {
        generation: u64,
        chunk: Box<Chunk>,
    },
    /// The readable end was reached; `Some` says what stops it short of the file's end.
    End {
        generation: u64,
        damage: Option<String>,
    },
    /// The recording now spans this (a file still being written grows).
    Span(i64, i64),
}

/// The decoder thread: sends chunks from where the last seek asked, and follows a file that
/// is still being written.
pub(super) fn decode(
    mut recording: Recording,
    requests: &Receiver<Request>,
    out: &Sender<Decoded>,
) {
    let mut next: Option<(u64, usize)> = None;
    let mut ended = false;
    let mut positions = Positions::default();
    loop {
        let Some((generation, i)) = next else {
            match requests.recv() {
                Ok(Request::Seek { generation, t }) => {
                    next = Some((generation, recording.keyframe_at(t)));
                    ended = false;
                }
                Err(_) => return,
            }
            continue;
        };
        if i >= recording.chunks().len() {
            match at_end(&mut recording, (generation, &mut ended), requests, out) {
                Some(Some(seek)) => next = Some(seek),
                Some(None) => {}
                None => return,
            }
            continue;
        }
        let message = match recording.chunk(i, &mut positions) {
            Ok(chunk) => Decoded::Chunk {
                generation,
                chunk: Box::new(chunk),
            },
            Err(e) => {
                // Play stops at the damage: nothing after it is sent.
                next = None;
                Decoded::End {
                    generation,
                    damage: Some(e.to_string()),
                }
            }
        };
        select! {
            send(out, message) -> sent => {
                if sent.is_err() {
                    return;
                }
                next = next.map(|(g, i)| (g, i + 1));
            }
            recv(requests) -> request => match request {
                Ok(Request::Seek { generation, t }) => {
                    next = Some((generation, recording.keyframe_at(t)));
                    ended = false;
                }
                Err(_) => return,
            },
        }
    }
}

/// At the readable end: says so once (with any damage), then waits for a seek or for the file
/// to grow. `None`: the player is gone; `Some(Some(..))`: where a seek asks to start.
fn at_end(
    recording: &mut Recording,
    (generation, ended): (u64, &mut bool),
    requests: &Receiver<Request>,
    out: &Sender<Decoded>,
) -> Option<Option<(u64, usize)>> {
    if !*ended {
        *ended = true;
        let damage = recording
            .damage()
            .map(|d| format!("the recording stops at byte {}: {}", d.offset, d.reason));
        out.send(Decoded::End { generation, damage }).ok()?;
    }
    match requests.recv_timeout(FOLLOW_EVERY) {
        Ok(Request::Seek { generation, t }) => {
            *ended = false;
            Some(Some((generation, recording.keyframe_at(t))))
        }
        Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
            if recording.refresh().unwrap_or(0) > 0 {
                *ended = false;
                if let Some((a, b)) = recording.span() {
                    out.send(Decoded::Span(a, b)).ok()?;
                }
            }
            Some(None)
        }
        Err(_) => None,
    }
}
