//! One tracker's connection, the same machine for every protocol: read bytes; cut whole frames
//! with the protocol; before the login, only a login within the deadline (`--upgrade-timeout`)
//! counts; a login is admitted by the registry when one is in force (the IMEI is the device's
//! id); reports go through the server's screening to the hub, and only then is the device's
//! acknowledgement written. A frame the protocol refuses is counted by reason; a fatal one (the
//! stream cannot be followed, a frame too large, data before the login) closes the connection,
//! which costs no other connection anything.

use std::net::SocketAddr;

use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::{Instant, timeout_at};

use super::TrackerKind;
use crate::http::{Cx, forward};
use crate::metrics::Endpoint;
use crate::registry::Admission;
use fleetview_core::clock::now_ms;
use fleetview_core::formats::tracker::{Said, TrackerError, TrackerProtocol, TrackerReport};
use fleetview_core::protocol::{Fix, FixBatch, FixRef, Meta};

/// A connection's first read buffer: a login or a record fits; it grows for larger frames and
/// shrinks back when idle, so ten thousand quiet trackers hold little.
const BUFFER: usize = 512;

/// Why the loop stops (counted where it was decided).
enum Stop {
    /// Close the connection.
    Close,
    /// Say this, then close (a refused login's answer).
    Say(Vec<u8>),
}

pub(super) struct Connection {
    name: &'static str,
    peer: SocketAddr,
    protocol: Box<dyn TrackerProtocol>,
    cx: Cx,
    /// The IMEI, once the login was admitted.
    imei: Option<String>,
    /// The last place reported: a status report without a position is shown there (as Traccar
    /// shows an invalid position at the last known one).
    last_place: Option<Fix>,
}

impl Connection {
    pub(super) fn new(kind: TrackerKind, peer: SocketAddr, cx: Cx) -> Self {
        Self {
            name: kind.name(),
            peer,
            protocol: kind.protocol(),
            cx,
            imei: None,
            last_place: None,
        }
    }

    pub(super) async fn run(mut self, mut stream: TcpStream, mut shutdown: watch::Receiver<bool>) {
        let metrics = self.cx.metrics.clone();
        metrics.trackers.opened(self.name);
        let login_by = Instant::now() + self.cx.config.upgrade_timeout;
        let mut buf: Vec<u8> = Vec::with_capacity(BUFFER);
        loop {
            let deadline = match self.imei {
                None => login_by,
                Some(_) => Instant::now() + self.cx.config.idle_timeout,
            };
            let read = tokio::select! {
                _ = shutdown.changed() => break,
                r = timeout_at(deadline, stream.read_buf(&mut buf)) => r,
            };
            match read {
                Err(_) => {
                    let reason = if self.imei.is_none() {
                        "login_timeout"
                    } else {
                        "idle"
                    };
                    metrics.trackers.error(self.name, reason);
                    break;
                }
                Ok(Ok(0) | Err(_)) => break,
                Ok(Ok(_)) => {}
            };
            if self.frames(&mut buf, &mut stream).await.is_err() {
                break;
            }
            if buf.is_empty() && buf.capacity() > 8 * BUFFER {
                buf.shrink_to(BUFFER);
            }
        }
        let _ = stream.shutdown().await;
        metrics.trackers.closed(self.name);
    }

    /// Takes every whole frame at the start of `buf`.
    async fn frames(&mut self, buf: &mut Vec<u8>, stream: &mut TcpStream) -> Result<(), Stop> {
        loop {
            let logged_in = self.imei.is_some();
            let len = match self.protocol.frame_len(buf, logged_in) {
                Ok(Some(len)) => len,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.refused(&e)),
            };
            let said = self.protocol.decode(&buf[..len], logged_in);
            buf.drain(..len);
            match said {
                Ok(said) => {
                    let reply = match self.said(said).await {
                        Ok(reply) => reply,
                        Err(Stop::Say(last)) => {
                            let _ = stream.write_all(&last).await;
                            return Err(Stop::Close);
                        }
                        Err(stop) => return Err(stop),
                    };
                    if !reply.is_empty() && stream.write_all(&reply).await.is_err() {
                        return Err(Stop::Close);
                    }
                }
                Err(e) if e.is_fatal() => return Err(self.refused(&e)),
                Err(e) => {
                    self.refused(&e);
                }
            }
        }
    }

    /// Counts a refused frame; the stop it means when it is fatal.
    fn refused(&self, e: &TrackerError) -> Stop {
        self.cx.metrics.trackers.error(self.name, e.reason());
        tracing::debug!(peer = %self.peer, imei = ?self.imei, error = %e, "tracker frame refused");
        Stop::Close
    }

    /// Acts on what a frame said; the bytes to answer with.
    async fn said(&mut self, said: Said) -> Result<Vec<u8>, Stop> {
        let metrics = &self.cx.metrics.trackers;
        match said {
            Said::Login { imei } => {
                metrics.frame(self.name, "login");
                self.login(imei)
            }
            Said::Reports { reports, reply } => {
                metrics.frame(self.name, "reports");
                let Some(imei) = self.imei.clone() else {
                    return Err(self.refused(&TrackerError::NotLoggedIn {
                        protocol: self.name,
                    }));
                };
                self.report(&imei, &reports).await?;
                Ok(reply)
            }
            Said::Other { what, reply } => {
                metrics.frame(self.name, what);
                Ok(reply)
            }
        }
    }

    /// A login: admitted (answered, and the connection's device is the IMEI) or refused
    /// (answered if the protocol says so, then closed).
    fn login(&mut self, imei: String) -> Result<Vec<u8>, Stop> {
        let admitted = match &self.cx.config.registry {
            Some(registry) => registry.admit(&imei, None) == Admission::Known,
            None => true,
        };
        let reply = self.protocol.login_reply(admitted);
        if admitted {
            tracing::debug!(peer = %self.peer, %imei, protocol = self.name, "tracker logged in");
            self.imei = Some(imei);
            return Ok(reply.unwrap_or_default());
        }
        self.cx.metrics.trackers.error(self.name, "unknown_device");
        tracing::info!(peer = %self.peer, %imei, protocol = self.name, "tracker refused: not in the registry");
        // The refusal is said before the connection closes.
        Err(reply.map_or(Stop::Close, Stop::Say))
    }

    /// The reports as fixes of `imei`, through the server's screening to the hub.
    async fn report(&mut self, imei: &str, reports: &[TrackerReport]) -> Result<(), Stop> {
        let now = now_ms();
        let mut batch = FixBatch::with_capacity(reports.len(), reports.len() * 96);
        let mut texts = Vec::with_capacity(reports.len());
        for r in reports {
            let ts = r.ts.unwrap_or(now);
            let (fix, attrs) = match r.fix {
                Some(fix) => {
                    self.last_place = Some(fix);
                    (fix, r.attrs.clone())
                }
                None => match self.last_place {
                    // No position: shown at the last one, said to be no fix.
                    Some(last) => (Fix::at(last.lat, last.lon, ts), invalid(r.attrs.as_deref())),
                    None => continue,
                },
            };
            texts.push((Fix { ts, ..fix }, attrs));
        }
        for (fix, attrs) in &texts {
            let meta = Meta {
                attrs: attrs.as_deref(),
                ..Meta::default()
            };
            let named: FixRef<'_> = fix.named(imei, meta);
            batch.push(&named);
        }
        if batch.is_empty() {
            return Ok(());
        }
        match forward(batch, &self.cx, Endpoint::Tracker(self.name), now).await {
            Ok(()) => Ok(()),
            // Refused fixes are counted by `forward`; the rest of the frame still counts as
            // read, so the device is acknowledged and does not send them again.
            Err(why) => {
                tracing::debug!(imei, why, "tracker report refused");
                Ok(())
            }
        }
    }
}

/// A status report's attributes, with `valid: false` (its position is the last known one).
fn invalid(attrs: Option<&str>) -> Option<String> {
    let mut map: Map<String, Value> = attrs
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or_default();
    map.insert("valid".into(), Value::Bool(false));
    Some(Value::Object(map).to_string())
}
