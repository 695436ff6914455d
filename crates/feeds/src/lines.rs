//! The lines transport (raw AIS): text, one message per line, from a TCP server (an AIS
//! receiver, an aggregator such as AISHub) or from a file.
//!
//! Whole lines go to the format in chunks as they arrive; a line longer than [`MAX_LINE`] is
//! refused (counted) and skipped to its end, so no peer can make us hold an unbounded line.
//! TCP: a server quiet for the feed's `dead_after` is presumed gone and reconnected with
//! backoff, as is a closed connection. A file is read once, to its end; the feed then stays
//! connected until it is paused or removed.

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use super::connection::{Ended, Feed};
use fleetview_core::clock::now_ms;
use fleetview_core::formats::Decoded;
use fleetview_core::protocol::{RejectReason, RejectTally};

/// The longest line kept, in bytes (an NMEA sentence is at most 82, with a tag block a few
/// hundred).
pub const MAX_LINE: usize = 4096;
/// Bytes read at a time.
const READ_SIZE: usize = 16 * 1024;

/// Where the lines come from.
enum Source {
    Tcp,
    File,
}

fn lost(reason: String) -> Ended {
    Ended::Failed {
        reason,
        fatal: false,
    }
}

impl Feed {
    /// Reads lines until the feed is stopped, paused or the source fails.
    pub(super) async fn lines_session(&mut self) -> (Ended, Option<Instant>) {
        let url = match url::Url::parse(&self.config.spec.url) {
            Ok(url) => url,
            Err(e) => {
                let reason = format!("invalid feed URL: {e}");
                return (
                    Ended::Failed {
                        reason,
                        fatal: true,
                    },
                    None,
                );
            }
        };
        match url.scheme() {
            "file" => {
                let Ok(path) = url.to_file_path() else {
                    let reason = format!("{url} is not a file's path");
                    return (
                        Ended::Failed {
                            reason,
                            fatal: true,
                        },
                        None,
                    );
                };
                let file = match tokio::fs::File::open(&path).await {
                    Ok(file) => file,
                    Err(e) => {
                        let reason = format!("cannot open {}: {e}", path.display());
                        return (lost(reason), None);
                    }
                };
                let since = self.connected();
                (self.read_lines(file, Source::File).await, Some(since))
            }
            _ => {
                let host = url.host_str().unwrap_or_default().to_owned();
                let port = url.port().unwrap_or_default();
                let connect = timeout(
                    self.config.connect_timeout,
                    TcpStream::connect((host.clone(), port)),
                );
                let stream = match self.guard(connect).await {
                    Err(ended) => return (ended, None),
                    Ok(Err(_)) => return (lost(format!("no answer from {host}:{port}")), None),
                    Ok(Ok(Err(e))) => return (lost(format!("cannot connect: {e}")), None),
                    Ok(Ok(Ok(stream))) => stream,
                };
                let since = self.connected();
                (self.read_lines(stream, Source::Tcp).await, Some(since))
            }
        }
    }

    async fn read_lines<R: AsyncRead + Unpin>(&mut self, mut reader: R, source: Source) -> Ended {
        self.format.opened();
        let quiet = self.config.dead_after;
        let mut pending: Vec<u8> = Vec::with_capacity(READ_SIZE);
        let mut chunk = vec![0u8; READ_SIZE];
        let mut skipping = false;
        loop {
            let read = self.guard(timeout(quiet, reader.read(&mut chunk))).await;
            let n = match read {
                Err(ended) => return ended,
                Ok(Err(_)) => {
                    return lost(format!(
                        "no data for {} s: the server is presumed gone",
                        quiet.as_secs()
                    ));
                }
                Ok(Ok(Err(e))) => return lost(format!("connection lost: {e}")),
                Ok(Ok(Ok(n))) => n,
            };
            if n == 0 {
                if !pending.is_empty() && !skipping {
                    pending.push(b'\n');
                    self.take_lines(&mut pending, &mut skipping);
                }
                return match source {
                    Source::Tcp => lost("the server closed the connection".into()),
                    // Read to its end: stay until paused or removed.
                    Source::File => match self.guard(std::future::pending::<()>()).await {
                        Err(ended) => ended,
                        Ok(()) => Ended::Shutdown,
                    },
                };
            }
            pending.extend_from_slice(&chunk[..n]);
            self.take_lines(&mut pending, &mut skipping);
        }
    }

    /// Hands the whole lines in `pending` to the format and keeps the unfinished one. An
    /// unfinished line past [`MAX_LINE`] is refused and skipped up to its end.
    fn take_lines(&mut self, pending: &mut Vec<u8>, skipping: &mut bool) {
        if let Some(end) = pending.iter().rposition(|b| *b == b'\n') {
            let mut start = 0;
            if *skipping {
                // The rest of an overlong line.
                start = pending
                    .iter()
                    .position(|b| *b == b'\n')
                    .map_or(end, |i| i + 1);
                *skipping = false;
            }
            if start <= end {
                let text = String::from_utf8_lossy(&pending[start..=end]);
                let mut out = Decoded::default();
                self.format.decode(&text, now_ms(), &mut out);
                self.deliver(out);
            }
            pending.drain(..=end);
        }
        if pending.len() > MAX_LINE {
            if !*skipping {
                let mut tally = RejectTally::default();
                tally.record(
                    RejectReason::Oversized,
                    &format!("a line of more than {MAX_LINE} bytes; skipped to its end"),
                );
                self.report(tally);
            }
            *skipping = true;
            pending.clear();
        }
    }
}
