//! A real tokio-tungstenite server on 127.0.0.1 that tests script frame by frame, and a viewer
//! (the real feed thread plus the real model) that tests wait on. It uses only the core and
//! feeds crates, so the server crate's tests include it too (`crates/server/tests/common`).
#![allow(dead_code)]
// accept_hdr_async's callback must return tungstenite's large ErrorResponse.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use fleetview_core::clock::now_ms;
use fleetview_core::fleet::{Fleet, FleetConfig, Vehicle};
use fleetview_core::protocol::{Position, ServerMessage, encode};
use fleetview_feeds::{BackoffConfig, FeedConfig, FeedEvent, FeedId, FeedSet};

use fleetview_core::session::{FeedStatus, Session};

/// Accepts connections on `listener` until `stop` turns, serving each on a task of its own with
/// `serve(stream, stop)` (the fake servers' accept loop).
pub fn accept_until<F, Fut>(
    listener: TcpListener,
    mut stop: tokio::sync::watch::Receiver<bool>,
    serve: F,
) where
    F: Fn(TcpStream, tokio::sync::watch::Receiver<bool>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                _ = stop.changed() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(_) => return,
                },
            };
            tokio::spawn(serve(stream, stop.clone()));
        }
    });
}

/// How long any single wait in a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

pub async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let url = format!("ws://{}/feed", listener.local_addr().expect("addr"));
    (listener, url)
}

/// One accepted viewer, with what it sent to get here.
pub struct Conn {
    pub ws: WebSocketStream<TcpStream>,
    pub authorization: Option<String>,
    /// The first text frame: the subscribe message.
    pub subscribe: serde_json::Value,
}

impl Conn {
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.ws
            .send(Message::text(text.into()))
            .await
            .expect("server send");
    }

    pub async fn send(&mut self, message: &ServerMessage) {
        self.send_text(encode(message).expect("encode")).await;
    }

    pub async fn snapshot(&mut self, positions: Vec<Position>) {
        self.send(&ServerMessage::Snapshot {
            positions,
            more: false,
        })
        .await;
    }

    pub async fn positions(&mut self, positions: Vec<Position>) {
        self.send(&ServerMessage::Positions { positions }).await;
    }

    /// The next text frame from the viewer, as JSON.
    pub async fn next_json(&mut self) -> serde_json::Value {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("viewer frame in time")
                .expect("connection open")
                .expect("frame");
            if let Message::Text(t) = msg {
                return serde_json::from_str(t.as_str()).expect("viewer sends JSON");
            }
        }
    }
}

/// Accepts one viewer and reads its subscribe message.
pub async fn accept(listener: &TcpListener) -> Conn {
    let (stream, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("a viewer connects in time")
        .expect("accept");
    let mut authorization = None;
    let ws = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, resp: Response| {
        authorization = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(resp)
    })
    .await
    .expect("upgrade");
    let mut conn = Conn {
        ws,
        authorization,
        subscribe: serde_json::Value::Null,
    };
    conn.subscribe = conn.next_json().await;
    conn
}

pub fn pos(id: &str, lat: f64, lon: f64, ts: i64) -> Position {
    Position::new(id, lat, lon, ts)
}

/// A fix time a little in the past of the real clock (the model refuses the far future).
pub fn ts(offset_ms: i64) -> i64 {
    now_ms() - 60_000 + offset_ms
}

/// Quick settings for tests: short backoff and heartbeat.
pub fn config(url: &str) -> FeedConfig {
    spec_config(fleetview_feeds::FeedSpec::fleetview(url))
}

/// Quick settings for a feed of any kind.
pub fn spec_config(spec: fleetview_feeds::FeedSpec) -> FeedConfig {
    let mut c = FeedConfig::from_spec(spec);
    c.backoff = BackoffConfig {
        initial: Duration::from_millis(100),
        max: Duration::from_secs(2),
        jitter: 0.2,
        stable_after: Duration::from_secs(5),
    };
    c.jitter_seed = Some(42);
    c
}

/// The id a [`Viewer`]'s one feed runs as.
pub const FEED: FeedId = FeedId(7);

/// The real feeds thread feeding the real session, as the UI uses them, with one feed.
pub struct Viewer {
    pub handle: FeedSet,
    pub session: Session,
    /// Every event seen, with when it was seen.
    pub log: Vec<(Instant, FeedEvent)>,
    pub wakes: Arc<AtomicUsize>,
}

impl Viewer {
    pub fn start(config: FeedConfig) -> Self {
        Self::with_fleet(config, FleetConfig::default())
    }

    pub fn with_fleet(config: FeedConfig, fleet: FleetConfig) -> Self {
        Self::with_capacity(config, fleet, fleetview_feeds::DEFAULT_CAPACITY)
    }

    /// ... with a channel of `capacity` events.
    pub fn with_capacity(config: FeedConfig, fleet: FleetConfig, capacity: usize) -> Self {
        let wakes = Arc::new(AtomicUsize::new(0));
        let w = wakes.clone();
        let handle = FeedSet::with_capacity(
            capacity,
            Arc::new(move || {
                w.fetch_add(1, Ordering::Relaxed);
            }),
        )
        .expect("feeds start");
        handle.add(FEED, config).expect("feed starts");
        let mut session = Session::new(fleet);
        session.add_feed(FEED, "test feed");
        Self {
            handle,
            session,
            log: Vec::new(),
            wakes,
        }
    }

    pub fn fleet(&self) -> &Fleet {
        self.session.fleet()
    }

    /// A vehicle of the feed.
    pub fn get(&self, id: &str) -> Option<&Vehicle> {
        self.session.fleet().get(FEED, id)
    }

    /// The feed's status: link, refusals, reconnects, server error.
    pub fn status(&self) -> &FeedStatus {
        self.session.feed(FEED).expect("the feed is registered")
    }

    /// The last error the server sent, as (code, message).
    pub fn server_error(&self) -> Option<(&str, &str)> {
        self.status()
            .server_error
            .as_ref()
            .map(|(c, m)| (c.as_str(), m.as_str()))
    }

    fn take(&mut self, got: Option<(FeedId, FeedEvent)>) {
        if let Some((feed, e)) = got {
            assert_eq!(feed, FEED, "every event carries its feed's id");
            let _ = self.session.apply(feed, &e, now_ms());
            self.log.push((Instant::now(), e));
        }
    }

    /// Applies events until `done` holds; panics after `WAIT`.
    pub fn until(&mut self, what: &str, done: impl Fn(&Viewer) -> bool) {
        let deadline = Instant::now() + WAIT;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out waiting until {what}; events: {:#?}",
                self.summary()
            );
            let event = tokio::task::block_in_place(|| {
                self.handle
                    .recv_timeout(left.min(Duration::from_millis(50)))
            });
            self.take(event);
        }
    }

    /// Applies whatever arrives within `window`.
    pub fn drain_for(&mut self, window: Duration) {
        let deadline = Instant::now() + window;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let event = tokio::task::block_in_place(|| self.handle.recv_timeout(left));
            self.take(event);
        }
    }

    pub fn count(&self, pred: impl Fn(&FeedEvent) -> bool) -> usize {
        self.log.iter().filter(|(_, e)| pred(e)).count()
    }

    /// The reason and retry delay of the first disconnection seen.
    pub fn first_disconnect(&self) -> Option<(String, Option<Duration>)> {
        self.log.iter().find_map(|(_, e)| match e {
            FeedEvent::Disconnected { reason, retry_in } => Some((reason.clone(), *retry_in)),
            _ => None,
        })
    }

    pub fn lat(&self, id: &str) -> Option<f64> {
        self.get(id).map(|v| v.fix.lat)
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .fleet()
            .iter()
            .map(|(_, v)| v.id().to_owned())
            .collect();
        ids.sort();
        ids
    }

    fn summary(&self) -> Vec<String> {
        self.log
            .iter()
            .map(|(_, e)| match e {
                FeedEvent::Snapshot(b) => format!("Snapshot({})", b.len()),
                FeedEvent::Positions(b) => format!("Positions({})", b.len()),
                other => format!("{other:?}"),
            })
            .collect()
    }
}

pub fn is_connected(e: &FeedEvent) -> bool {
    matches!(e, FeedEvent::Connected { .. })
}

pub fn is_disconnected(e: &FeedEvent) -> bool {
    matches!(e, FeedEvent::Disconnected { .. })
}

/// A publisher connected to `/ingest` (with a bearer token if given).
pub async fn publisher(
    url: &str,
    token: Option<&str>,
) -> Result<
    WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>,
    tokio_tungstenite::tungstenite::Error,
> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request()?;
    if let Some(t) = token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {t}").parse().expect("header value"),
        );
    }
    tokio_tungstenite::connect_async(request)
        .await
        .map(|(ws, _)| ws)
}

/// Sends one `report`.
pub async fn report<S>(ws: &mut WebSocketStream<S>, positions: Vec<Position>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let text =
        encode(&fleetview_core::protocol::DeviceMessage::Report { positions }).expect("encode");
    ws.send(Message::text(text)).await.expect("publish");
}
