//! A fake Traccar 6 server on 127.0.0.1, for tests: real HTTP (keep-alive), a real cookie login
//! at `POST /api/session`, `GET /api/devices`, and `/api/socket` upgraded by hand (Traccar
//! serves REST and the socket on one port), sending frames in Traccar's JSON forms.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

pub const EMAIL: &str = "dispatch@example.com";
pub const PASSWORD: &str = "s3cret pass";
pub const TOKEN: &str = "RjBEAiB-api-token";
/// The `JSESSIONID` of sessions of generation `n` (expiring sessions bumps it).
fn session(n: usize) -> String {
    format!("node01hx9a3kq8y5w1v3d6sz2c0m4p{n}.node0")
}

/// Two devices, as `GET /api/devices` returns them.
pub const DEVICES: &str = r#"[{"id":7,"attributes":{},"groupId":0,"calendarId":0,"name":"Van 7","uniqueId":"358240051111110","status":"online","lastUpdate":"2025-03-01T09:15:02.114+00:00","positionId":1001,"phone":null,"model":null,"contact":null,"category":"van","disabled":false,"expirationTime":null},{"id":8,"attributes":{},"groupId":0,"calendarId":0,"name":"Truck 12","uniqueId":"truck-12","status":"online","lastUpdate":"2025-03-01T09:14:59.000+00:00","positionId":1002,"phone":null,"model":"FMB920","contact":null,"category":"truck","disabled":false,"expirationTime":null}]"#;

/// A Traccar position of `device_id` at `fix_time` (ISO 8601), `speed` in knots.
pub fn position(id: i64, device_id: i64, lat: f64, lon: f64, fix_time: &str, speed: f64) -> String {
    format!(
        r#"{{"id":{id},"attributes":{{"batteryLevel":87.0,"motion":true,"ignition":true}},"deviceId":{device_id},"protocol":"osmand","serverTime":"{fix_time}","deviceTime":"{fix_time}","fixTime":"{fix_time}","outdated":false,"valid":true,"latitude":{lat},"longitude":{lon},"altitude":12.0,"speed":{speed},"course":92.0,"address":null,"accuracy":5.0,"network":null,"geofenceIds":null}}"#
    )
}

/// An ISO 8601 time `offset_ms` from now, as Traccar writes it.
pub fn iso(offset_ms: i64) -> String {
    let t = fleetview::export::IsoTime::new(fleetview::clock::now_ms() + offset_ms);
    t.as_str().replace('Z', "+00:00")
}

#[derive(Default)]
pub struct Seen {
    pub logins: AtomicUsize,
    pub failed_logins: AtomicUsize,
    pub device_fetches: AtomicUsize,
    pub upgrades: AtomicUsize,
    /// Bumped to expire every session (as a Traccar restart or timeout does).
    pub session_generation: AtomicUsize,
    /// An Origin header on any upgrade (Traccar ties cookie sessions to it: none is sent).
    pub origins: AtomicUsize,
    /// What the device list returns (tests may change it between connections).
    pub devices: Mutex<String>,
    /// The `positions` frame sent on each new socket.
    pub on_connect: Mutex<String>,
    /// What `/api/reports/{route,trips,stops,summary}` return (by the path's last part), as
    /// Traccar 6 writes them; the query each was asked with is kept.
    pub reports: Mutex<Vec<(String, String)>>,
    pub report_queries: Mutex<Vec<String>>,
}

pub struct FakeTraccar {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub seen: Arc<Seen>,
    push: broadcast::Sender<Option<String>>,
    stop: watch::Sender<bool>,
}

impl FakeTraccar {
    pub async fn start(on_connect: String) -> Self {
        Self::start_with(on_connect, None).await
    }

    /// The same over HTTPS (and `wss://` for the socket), with this TLS acceptor.
    pub async fn start_tls(on_connect: String, tls: tokio_rustls::TlsAcceptor) -> Self {
        Self::start_with(on_connect, Some(tls)).await
    }

    async fn start_with(on_connect: String, tls: Option<tokio_rustls::TlsAcceptor>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Seen::default());
        *seen.devices.lock().expect("lock") = DEVICES.to_owned();
        *seen.on_connect.lock().expect("lock") = on_connect;
        let (push, _) = broadcast::channel(64);
        let (stop, stopped) = watch::channel(false);
        let (s, p) = (seen.clone(), push.clone());
        super::accept_until(listener, stopped, move |stream, stop| {
            let (s, push, tls) = (s.clone(), p.subscribe(), tls.clone());
            async move {
                match tls {
                    None => serve(stream, s, push, stop).await,
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(stream).await {
                            serve(stream, s, push, stop).await;
                        }
                    }
                }
            }
        });
        Self {
            url,
            seen,
            push,
            stop,
        }
    }

    /// Sends a text frame on every open socket.
    pub fn push(&self, text: impl Into<String>) {
        let _ = self.push.send(Some(text.into()));
    }

    /// Ends every login session: old cookies are refused from now on.
    pub fn expire_sessions(&self) {
        self.seen.session_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Closes every open socket (the server stays up: clients reconnect).
    pub fn drop_sockets(&self) {
        let _ = self.push.send(None);
    }

    /// Stops the whole server: no more connections, every socket closed.
    pub fn kill(&self) {
        let _ = self.stop.send(true);
    }

    pub fn count(&self, which: fn(&Seen) -> &AtomicUsize) -> usize {
        which(&self.seen).load(Ordering::SeqCst)
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn authorised(&self, seen: &Seen) -> bool {
        let current = session(seen.session_generation.load(Ordering::SeqCst));
        let cookie = self
            .header("cookie")
            .is_some_and(|c| c.contains(&format!("JSESSIONID={current}")));
        let bearer = self.header("authorization") == Some(&format!("Bearer {TOKEN}"));
        let query_token = self.path.contains(&format!("token={TOKEN}"));
        cookie || bearer || query_token
    }
}

/// A connection of the fake: plain TCP or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}

async fn read_request<S: Stream>(reader: &mut BufReader<S>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).await.ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await.ok()?;
    Some(Request {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

async fn reply<S: Stream>(
    stream: &mut BufReader<S>,
    status: &str,
    extra: &[(&str, &str)],
    body: &str,
) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let s = stream.get_mut();
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(body.as_bytes()).await;
}

fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn serve<S: Stream>(
    stream: S,
    seen: Arc<Seen>,
    mut push: broadcast::Receiver<Option<String>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let request = tokio::select! {
            _ = stop.changed() => return,
            r = read_request(&mut reader) => match r {
                Some(r) => r,
                None => return,
            },
        };
        let route = request.path.split('?').next().unwrap_or("").to_owned();
        match (request.method.as_str(), route.as_str()) {
            ("POST", "/api/session") => {
                let fields = form(&request.body);
                let get = |k: &str| fields.iter().find(|(f, _)| f == k).map(|(_, v)| v.as_str());
                if get("email") == Some(EMAIL) && get("password") == Some(PASSWORD) {
                    seen.logins.fetch_add(1, Ordering::SeqCst);
                    let current = session(seen.session_generation.load(Ordering::SeqCst));
                    let cookie = format!("JSESSIONID={current}; Path=/; HttpOnly");
                    let user = r#"{"id":1,"name":"Dispatch","email":"dispatch@example.com","administrator":false}"#;
                    reply(&mut reader, "200 OK", &[("Set-Cookie", &cookie)], user).await;
                } else {
                    seen.failed_logins.fetch_add(1, Ordering::SeqCst);
                    reply(&mut reader, "401 Unauthorized", &[], "").await;
                }
            }
            ("GET", "/api/devices") => {
                if request.authorised(&seen) {
                    seen.device_fetches.fetch_add(1, Ordering::SeqCst);
                    let devices = seen.devices.lock().expect("lock").clone();
                    reply(&mut reader, "200 OK", &[], &devices).await;
                } else {
                    reply(&mut reader, "401 Unauthorized", &[], "").await;
                }
            }
            ("GET", r) if r.starts_with("/api/reports/") => {
                let kind = r.trim_start_matches("/api/reports/").to_owned();
                let body = seen
                    .reports
                    .lock()
                    .expect("lock")
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map(|(_, b)| b.clone());
                seen.report_queries
                    .lock()
                    .expect("lock")
                    .push(request.path.clone());
                match body {
                    Some(body) if request.authorised(&seen) => {
                        reply(&mut reader, "200 OK", &[], &body).await
                    }
                    Some(_) => reply(&mut reader, "401 Unauthorized", &[], "").await,
                    None => reply(&mut reader, "404 Not Found", &[], "").await,
                }
            }
            ("GET", "/api/socket") => {
                if !request.authorised(&seen) {
                    reply(&mut reader, "401 Unauthorized", &[], "").await;
                    return;
                }
                if request.header("origin").is_some() {
                    seen.origins.fetch_add(1, Ordering::SeqCst);
                }
                let key = request.header("sec-websocket-key").unwrap_or("").to_owned();
                let head = format!(
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                    derive_accept_key(key.as_bytes())
                );
                let mut stream = reader.into_inner();
                let _ = stream.write_all(head.as_bytes()).await;
                seen.upgrades.fetch_add(1, Ordering::SeqCst);
                let ws = WebSocketStream::from_raw_socket(stream, Role::Server, None).await;
                socket(ws, &seen, &mut push, &mut stop).await;
                return;
            }
            _ => reply(&mut reader, "404 Not Found", &[], "").await,
        }
    }
}

async fn socket<S: Stream>(
    ws: WebSocketStream<S>,
    seen: &Seen,
    push: &mut broadcast::Receiver<Option<String>>,
    stop: &mut watch::Receiver<bool>,
) {
    let (mut sink, mut stream) = ws.split();
    let first = seen.on_connect.lock().expect("lock").clone();
    if sink.send(Message::text(first)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            pushed = push.recv() => match pushed {
                Ok(Some(text)) => {
                    if sink.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
                Ok(None) | Err(_) => {
                    let _ = sink.send(Message::Close(None)).await;
                    return;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Ping(p))) => {
                    let _ = sink.send(Message::Pong(p)).await;
                }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}
