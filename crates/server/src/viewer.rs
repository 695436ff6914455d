//! A viewer's connection: wait for `subscribe`, join the hub, then write what the hub queues
//! while reading further subscriptions and answering the heartbeat.
//!
//! The hub's frames are the same bytes for every viewer of a group, and a server's frames are
//! not masked, so a frame goes out as its few header bytes and the shared text, written
//! straight to the connection (vectored where the socket can): no copy per viewer, and no
//! write buffer per connection growing to the largest frame. Pings, errors and the close still
//! go through tungstenite, whose buffer is flushed before each bundle so nothing interleaves.

use bytes::Buf;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message;

use super::conn::{Socket, Stream, close};
use super::filter::Filter;
use super::hub::is_revocation;
use super::limits::TokenBucket;
use super::scopes::viewer_access;
use super::{HubMsg, Outgoing, ServerConfig, ViewerId};
use fleetview_core::protocol::{ClientMessage, ServerMessage, encode};

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

/// What a text frame from a viewer asks. Its token (shown on the upgrade, or in this or an
/// earlier `subscribe`) is looked up each time, so the filter holds its scope as loaded now.
fn parse(text: &str, config: &ServerConfig, token: &mut Option<String>) -> Parsed {
    let subscribe = match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Subscribe(s)) => s,
        Err(e) => {
            return Parsed::Bad(error(
                "bad_request",
                format!("expected a subscribe message: {e}"),
            ));
        }
    };
    let given = token.clone().or(subscribe.token.clone());
    let access = match viewer_access(
        config.viewer_token.as_deref(),
        config.tokens.as_deref(),
        given.as_deref(),
    ) {
        Ok(access) => access,
        Err(_) => return Parsed::Refuse(error("unauthorized", "viewer token missing or wrong")),
    };
    *token = given;
    match Filter::from_subscribe(&subscribe) {
        Ok(filter) => Parsed::Subscribe(filter.within(access.scope().cloned())),
        Err(why) => Parsed::Bad(error("bad_subscribe", why)),
    }
}

pub(super) async fn session<S: Stream>(
    ws: Socket<S>,
    id: ViewerId,
    mut token: Option<String>,
    hub: mpsc::Sender<HubMsg>,
    config: &ServerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut ws = ws;
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
                close(&mut ws, "server shutting down").await;
                break;
            }
            bundle = rx.recv(), if joined => {
                let Some(bundle) = bundle else { break };
                // A viewer that does not read for this long is gone, not slow.
                match timeout(config.idle_timeout, write_bundle(&mut ws, &bundle)).await {
                    Ok(Ok(())) => {}
                    _ => break,
                }
                if is_revocation(&bundle) {
                    close(&mut ws, "token revoked").await;
                    break;
                }
            }
            message = ws.next() => {
                last_heard = Instant::now();
                match message {
                    Some(Ok(Message::Text(_))) if !subscribes.take(std::time::Instant::now()) => {
                        let e = error("rate_limited", "too many subscriptions; this one is ignored");
                        let text = encode(&e).unwrap_or_default();
                        let _ = timeout(config.idle_timeout, ws.send(Message::text(text))).await;
                    }
                    Some(Ok(Message::Text(text))) => {
                        let answer = match parse(text.as_str(), config, &mut token) {
                            Parsed::Subscribe(filter) => {
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
                            let _ = timeout(config.idle_timeout, ws.send(Message::text(text))).await;
                            if hang_up {
                                close(&mut ws, "unauthorized").await;
                                break;
                            }
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let text = encode(&error("bad_request", "binary frames are not part of protocol v1")).unwrap_or_default();
                        let _ = timeout(config.idle_timeout, ws.send(Message::text(text))).await;
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                    Some(Ok(_)) => {}
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() >= config.idle_timeout {
                    close(&mut ws, "no pong").await;
                    break;
                }
                if timeout(config.idle_timeout, ws.send(Message::Ping(Default::default()))).await.is_err() {
                    break;
                }
            }
        }
    }
    let _ = hub.send(HubMsg::Leave(id)).await;
}

/// Writes a bundle's frames as text frames: each a header and the shared text.
async fn write_bundle<S: Stream>(ws: &mut Socket<S>, bundle: &Outgoing) -> std::io::Result<()> {
    ws.flush().await.map_err(std::io::Error::other)?;
    let raw = ws.get_mut();
    for frame in bundle.iter() {
        let text = frame.as_bytes();
        let header = text_header(text.len());
        let mut bytes = (&header.bytes[..header.len]).chain(text);
        raw.write_all_buf(&mut bytes).await?;
    }
    raw.flush().await
}

/// A final, unmasked text frame's header for a payload of `len` bytes (RFC 6455, 5.2).
struct Header {
    bytes: [u8; 10],
    len: usize,
}

fn text_header(len: usize) -> Header {
    let mut bytes = [0u8; 10];
    bytes[0] = 0x81;
    let used = if len < 126 {
        bytes[1] = len as u8;
        2
    } else if len <= usize::from(u16::MAX) {
        bytes[1] = 126;
        bytes[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        4
    } else {
        bytes[1] = 127;
        bytes[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        10
    };
    Header { bytes, len: used }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;

    #[test]
    fn a_text_frame_header_is_the_one_tungstenite_writes_for_every_length_class() {
        for len in [0usize, 1, 125, 126, 127, 65_535, 65_536, 200_000] {
            let payload = vec![b'x'; len];
            let frame = Frame::message(
                payload,
                tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(
                    tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text,
                ),
                true,
            );
            let mut theirs = Vec::new();
            frame.format(&mut theirs).expect("format");
            let ours = text_header(len);
            assert_eq!(
                &ours.bytes[..ours.len],
                &theirs[..theirs.len() - len],
                "length {len}"
            );
        }
    }
}
