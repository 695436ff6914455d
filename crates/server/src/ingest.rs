//! Devices and gateways publishing `report`s on `/ingest`.
//!
//! Each report is decoded with the same decoder viewers use, then screened for what only the
//! server can judge (timestamps far ahead of its clock, impossible speeds). Whatever is refused
//! is answered with an `error` naming the reasons; the valid rest goes to the hub, and the
//! connection stays open.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

use super::conn::{Socket, Stream, close};
use super::limits::TokenBucket;
use super::metrics::{Endpoint, Metrics};
use super::scopes::{Access, publisher_access};
use super::{HubMsg, ServerConfig};
use fleetview_core::clock::now_ms;
use fleetview_core::protocol::{
    FixBatch, RejectReason, RejectTally, ServerMessage, decode_report, encode,
};

/// Keeps the fixes a server can believe: not stamped beyond `max_future_ms` ahead of `now_ms`,
/// not faster than `max_speed` m/s.
pub fn screen(
    batch: &FixBatch,
    now_ms: i64,
    max_future_ms: i64,
    max_speed: f32,
    refused: &mut RejectTally,
) -> FixBatch {
    let mut kept = FixBatch::with_capacity(batch.len(), 0);
    for fix in batch.iter() {
        if fix.ts > now_ms + max_future_ms {
            refused.record(
                RejectReason::FutureTimestamp,
                &format!(
                    "fix of {:?} is stamped {} s ahead of the server's clock",
                    fix.id,
                    (fix.ts - now_ms) / 1000
                ),
            );
        } else if fix.speed.is_some_and(|s| s > max_speed) {
            refused.record(
                RejectReason::InvalidField,
                &format!(
                    "speed {} m/s of {:?} is beyond the limit of {max_speed} m/s",
                    fix.speed.unwrap_or_default(),
                    fix.id
                ),
            );
        } else {
            kept.push(&fix);
        }
    }
    kept
}

/// The `error` answering a report with refusals: code `rejected`, and per reason its count and
/// an example.
pub fn refusal_message(refused: &RejectTally) -> ServerMessage {
    let parts: Vec<String> = refused
        .iter()
        .map(|(reason, n, example)| format!("{reason} x{n} (e.g. {example})"))
        .collect();
    ServerMessage::Error {
        code: "rejected".into(),
        message: format!("{} refused: {}", refused.total(), parts.join("; ")),
    }
}

/// A publisher's connection: the token it showed, and the hub.
pub(super) struct Publisher {
    pub token: Option<String>,
    pub hub: mpsc::Sender<HubMsg>,
}

impl Publisher {
    /// What its token may report now (the tokens file may have been read again); `None` once
    /// the token has been revoked.
    fn access(&self, config: &ServerConfig) -> Option<Access> {
        publisher_access(
            config.publisher_token.as_deref(),
            config.tokens.as_deref(),
            self.token.as_deref(),
        )
        .ok()
    }
}

pub(super) async fn session<S: Stream>(
    ws: Socket<S>,
    publisher: Publisher,
    config: &ServerConfig,
    metrics: &Metrics,
    mut shutdown: watch::Receiver<bool>,
) {
    metrics.publisher_joined();
    run(ws, publisher, config, metrics, &mut shutdown).await;
    metrics.publisher_left();
}

async fn run<S: Stream>(
    ws: Socket<S>,
    publisher: Publisher,
    config: &ServerConfig,
    metrics: &Metrics,
    shutdown: &mut watch::Receiver<bool>,
) {
    let hub = &publisher.hub;
    let (mut sink, mut stream) = ws.split();
    let max_future_ms = config.max_future.as_millis() as i64;
    let mut rate = TokenBucket::new(
        config.max_reports_per_s,
        config.max_reports_per_s * 2.0,
        std::time::Instant::now(),
    );
    // Over its rate, a publisher is told so at most once a second (its own flood is not answered
    // with one of ours).
    let mut told_rate_at: Option<std::time::Instant> = None;
    loop {
        let message = tokio::select! {
            _ = shutdown.changed() => {
                close(&mut sink, "server shutting down").await;
                return;
            }
            m = timeout(config.idle_timeout, stream.next()) => m,
        };
        let mut refused = RejectTally::default();
        match message {
            Err(_) => {
                close(&mut sink, "idle").await;
                return;
            }
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return,
            Ok(Some(Ok(Message::Text(_) | Message::Binary(_))))
                if !rate.take(std::time::Instant::now()) =>
            {
                let _ = hub
                    .send(HubMsg::Refused(Box::new({
                        let mut t = RejectTally::default();
                        t.record(RejectReason::RateLimited, "over the rate");
                        t
                    })))
                    .await;
                let now = std::time::Instant::now();
                if told_rate_at.is_some_and(|t| now.duration_since(t).as_secs() < 1) {
                    continue;
                }
                told_rate_at = Some(now);
                refused.record(
                    RejectReason::RateLimited,
                    &format!(
                        "more than {} messages a second; messages over the rate are dropped",
                        config.max_reports_per_s
                    ),
                );
            }
            Ok(Some(Ok(Message::Text(text)))) => {
                let Some(access) = publisher.access(config) else {
                    close(&mut sink, "token revoked").await;
                    return;
                };
                match decode_report(text.as_str(), &config.limits, &mut refused) {
                    Ok(batch) => {
                        let batch = access.reportable(batch, &mut refused);
                        let mut kept = screen(
                            &batch,
                            now_ms(),
                            max_future_ms,
                            config.max_speed,
                            &mut refused,
                        );
                        if let Some(registry) = &config.registry {
                            kept = registry.listed(&kept, &mut refused);
                        }
                        metrics.accepted(Endpoint::WebSocket, kept.len());
                        if !kept.is_empty() && hub.send(HubMsg::Report(kept)).await.is_err() {
                            return;
                        }
                    }
                    Err(rejection) => refused.add(&rejection),
                }
            }
            Ok(Some(Ok(Message::Binary(b)))) => refused.record(
                RejectReason::BinaryFrame,
                &format!(
                    "binary frame of {} bytes (protocol v1 is JSON text)",
                    b.len()
                ),
            ),
            Ok(Some(Ok(_))) => {}
        }
        if !refused.is_empty() {
            tracing::debug!(refused = refused.total(), "report refused in part");
            metrics.refused(Endpoint::WebSocket, &refused);
            if refused.count(RejectReason::RateLimited) == 0 {
                let _ = hub.send(HubMsg::Refused(Box::new(refused.clone()))).await;
            }
            let text = encode(&refusal_message(&refused)).unwrap_or_default();
            let sent = timeout(Duration::from_secs(5), sink.send(Message::text(text))).await;
            if !matches!(sent, Ok(Ok(()))) {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::protocol::Position;

    #[test]
    fn fixes_from_the_far_future_or_impossibly_fast_are_refused_and_the_rest_kept() {
        let now = 1_764_000_000_000;
        let mut fast = Position::new("fast", 0.0, 0.0, now);
        fast.speed = Some(400.0);
        let mut ok = Position::new("ok", 0.0, 0.0, now + 1000);
        ok.speed = Some(20.0);
        let batch = FixBatch::from_positions(&[
            Position::new("future", 0.0, 0.0, now + 3_600_000),
            fast,
            ok,
        ]);
        let mut refused = RejectTally::default();
        let kept = screen(&batch, now, 300_000, 150.0, &mut refused);
        assert_eq!(kept.iter().map(|f| f.id).collect::<Vec<_>>(), vec!["ok"]);
        assert_eq!(refused.count(RejectReason::FutureTimestamp), 1);
        assert_eq!(refused.count(RejectReason::InvalidField), 1);
        let ServerMessage::Error { code, message } = refusal_message(&refused) else {
            panic!("an error message");
        };
        assert_eq!(code, "rejected");
        assert!(message.starts_with("2 refused: "), "{message}");
        assert!(message.contains("future_timestamp x1"), "{message}");
    }
}
