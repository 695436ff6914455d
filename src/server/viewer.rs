//! A viewer's connection: wait for `subscribe`, join the hub, then write what the hub queues
//! while reading further subscriptions and answering the heartbeat.

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

use super::auth::token_matches;
use super::conn::{Socket, Stream, close};
use super::filter::Filter;
use super::limits::TokenBucket;
use super::{HubMsg, Outgoing, ServerConfig, ViewerId};
use crate::protocol::{ClientMessage, ServerMessage, encode};

enum Parsed {
    Subscribe(Filter),
    /// Answer with this error and carry on.
    Bad(ServerMessage),
    /// Answer with this error and hang up.
    Refuse(ServerMessage),
}

fn error(code: &str, message: impl Into<String>) -> ServerMessage {
    ServerMessage::Error {
        code: code.into(),
        message: message.into(),
    }
}

/// What a text frame from a viewer asks.
fn parse(text: &str, config: &ServerConfig, authorized: bool) -> Parsed {
    let subscribe = match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Subscribe(s)) => s,
        Err(e) => {
            return Parsed::Bad(error(
                "bad_request",
                format!("expected a subscribe message: {e}"),
            ));
        }
    };
    if !authorized && let Some(expected) = &config.viewer_token {
        let ok = subscribe
            .token
            .as_deref()
            .is_some_and(|t| token_matches(expected, t));
        if !ok {
            return Parsed::Refuse(error("unauthorized", "viewer token missing or wrong"));
        }
    }
    match Filter::from_subscribe(&subscribe) {
        Ok(filter) => Parsed::Subscribe(filter),
        Err(why) => Parsed::Bad(error("bad_subscribe", why)),
    }
}

pub(super) async fn session<S: Stream>(
    ws: Socket<S>,
    id: ViewerId,
    mut authorized: bool,
    hub: mpsc::Sender<HubMsg>,
    config: &ServerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Outgoing>(config.viewer_queue.max(1));
    let mut joined = false;
    let mut subscribes = TokenBucket::new(
        config.max_subscribes_per_min / 60.0,
        (config.max_subscribes_per_min / 6.0).max(1.0),
        std::time::Instant::now(),
    );
    let mut last_heard = Instant::now();
    let mut heartbeat = tokio::time::interval(config.ping_interval);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => {
                close(&mut sink, "server shutting down").await;
                break;
            }
            bundle = rx.recv(), if joined => {
                let Some(bundle) = bundle else { break };
                // A viewer that does not read for this long is gone, not slow.
                let write = async {
                    for frame in bundle.iter() {
                        sink.feed(Message::Text(frame.clone())).await?;
                    }
                    sink.flush().await
                };
                match timeout(config.idle_timeout, write).await {
                    Ok(Ok(())) => {}
                    _ => break,
                }
            }
            message = stream.next() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(_))) if !subscribes.take(std::time::Instant::now()) => {
                        let e = error("rate_limited", "too many subscriptions; this one is ignored");
                        let text = encode(&e).unwrap_or_default();
                        let _ = timeout(config.idle_timeout, sink.send(Message::text(text))).await;
                    }
                    Some(Ok(Message::Text(text))) => {
                        let answer = match parse(text.as_str(), config, authorized) {
                            Parsed::Subscribe(filter) => {
                                authorized = true;
                                joined = true;
                                if hub.send(HubMsg::Join { viewer: id, filter, tx: tx.clone() }).await.is_err() {
                                    break;
                                }
                                None
                            }
                            Parsed::Bad(e) => Some((e, false)),
                            Parsed::Refuse(e) => Some((e, true)),
                        };
                        if let Some((e, hang_up)) = answer {
                            let text = encode(&e).unwrap_or_default();
                            let _ = timeout(config.idle_timeout, sink.send(Message::text(text))).await;
                            if hang_up {
                                close(&mut sink, "unauthorized").await;
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let text = encode(&error("bad_request", "binary frames are not part of protocol v1")).unwrap_or_default();
                        let _ = timeout(config.idle_timeout, sink.send(Message::text(text))).await;
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() >= config.idle_timeout {
                    close(&mut sink, "no pong").await;
                    break;
                }
                if timeout(config.idle_timeout, sink.send(Message::Ping(Default::default()))).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = hub.send(HubMsg::Leave(id)).await;
}
