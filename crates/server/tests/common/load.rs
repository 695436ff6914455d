//! Load clients for the restart-storm test, the scope tests and the soak bench: viewers that read
//! what they are sent with fleetview's own decoder (either encoding, snapshots in parts), and
//! OsmAnd devices on HTTP/1.1 keep-alive connections. Each client connects from a loopback
//! source address of its choosing, so no address passes the server's per-address cap (real
//! clients behind many NATs do the same).
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use fleetview_core::clock::now_ms;
use fleetview_core::events::FeedEvent;
use fleetview_core::formats::fleetview::Fleetview;
use fleetview_core::formats::{Decoded, Format};
use fleetview_core::protocol::{DecodeLimits, Encoding, Subscribe};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// The source address of client `i` when at most `per_address` share one: 127.`net`.x.y.
pub fn source_address(net: u8, i: usize, per_address: usize) -> IpAddr {
    let n = i / per_address.max(1);
    IpAddr::V4(Ipv4Addr::new(
        127,
        net,
        (n / 250) as u8,
        (n % 250 + 1) as u8,
    ))
}

/// A TCP connection to 127.0.0.1:`port` from `source`.
pub async fn connect_from(source: IpAddr, port: u16) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    let stream = socket
        .connect(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port))
        .await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// A viewer on `/feed`, decoding with the window's own format.
pub struct Viewer {
    ws: WebSocketStream<TcpStream>,
    format: Fleetview,
    /// What it holds now, each vehicle's newest `ts` (when asked to keep track).
    pub held: Option<HashMap<String, i64>>,
    /// Ids it was ever sent (when asked to keep track): a scope test's evidence.
    pub ever: Option<std::collections::HashSet<String>>,
    pub snapshots: u64,
    pub frames: u64,
    pub positions: u64,
    /// The newest fix time it was sent, ms.
    pub newest_ts: i64,
}

/// How a viewer ends.
#[derive(Debug)]
pub enum ViewerError {
    Connect(String),
    /// The server sent an `error` frame.
    Server {
        code: String,
        message: String,
    },
    Closed,
    TimedOut,
    /// The decoder refused something the server sent.
    Refused(String),
}

impl Viewer {
    /// Connects from `source` and subscribes (`encoding`, `bbox`, `token`).
    pub async fn connect(
        source: IpAddr,
        port: u16,
        subscribe: Subscribe,
        encoding: Encoding,
        track: bool,
    ) -> Result<Self, ViewerError> {
        let stream = connect_from(source, port)
            .await
            .map_err(|e| ViewerError::Connect(e.to_string()))?;
        let (mut ws, _) =
            tokio_tungstenite::client_async(format!("ws://127.0.0.1:{port}/feed"), stream)
                .await
                .map_err(|e| ViewerError::Connect(e.to_string()))?;
        let mut format = Fleetview::new(DecodeLimits::default(), 2_000_000).asking(encoding);
        format.opened();
        for hello in format.greeting(&subscribe, None) {
            ws.send(Message::text(hello))
                .await
                .map_err(|e| ViewerError::Connect(e.to_string()))?;
        }
        Ok(Self {
            ws,
            format,
            held: track.then(HashMap::new),
            ever: track.then(Default::default),
            snapshots: 0,
            frames: 0,
            positions: 0,
            newest_ts: 0,
        })
    }

    fn apply(&mut self, event: FeedEvent) -> Result<(), ViewerError> {
        match event {
            FeedEvent::Snapshot(batch) | FeedEvent::Positions(batch) => {
                self.positions += batch.len() as u64;
                for fix in batch.iter() {
                    self.newest_ts = self.newest_ts.max(fix.ts);
                    if let Some(held) = &mut self.held {
                        held.insert(fix.id.to_owned(), fix.ts);
                    }
                    if let Some(ever) = &mut self.ever {
                        ever.insert(fix.id.to_owned());
                    }
                }
            }
            FeedEvent::Removed(ids) => {
                if let Some(held) = &mut self.held {
                    for id in ids.iter() {
                        held.remove(id.as_ref() as &str);
                    }
                }
            }
            FeedEvent::ServerError { code, message } => {
                return Err(ViewerError::Server { code, message });
            }
            _ => {}
        }
        Ok(())
    }

    /// Reads frames until a whole snapshot has arrived (within `wait`); the vehicles in it.
    pub async fn until_snapshot(&mut self, wait: Duration) -> Result<usize, ViewerError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if let Some(n) = self.read(left).await? {
                return Ok(n);
            }
        }
    }

    /// Reads and applies one frame (within `wait`); the vehicles of a snapshot it completed.
    pub async fn read(&mut self, wait: Duration) -> Result<Option<usize>, ViewerError> {
        let message = tokio::time::timeout(wait, self.ws.next())
            .await
            .map_err(|_| ViewerError::TimedOut)?;
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Err(ViewerError::Closed),
            Some(Ok(_)) => return Ok(None),
        };
        self.frames += 1;
        let mut out = Decoded::default();
        self.format.decode(text.as_str(), now_ms(), &mut out);
        if out.rejected.total() > 0 {
            return Err(ViewerError::Refused(format!("{:?}", out.rejected)));
        }
        let mut snapshot = None;
        for event in out.events {
            if let FeedEvent::Snapshot(batch) = &event {
                snapshot = Some(batch.len());
                self.snapshots += 1;
                if let Some(held) = &mut self.held {
                    held.clear();
                }
            }
            self.apply(event)?;
        }
        Ok(snapshot)
    }

    /// Reads frames until a whole snapshot has arrived (within `wait`) without decoding them,
    /// counting its vehicles from the text (one `"id":` a vehicle in protocol v1, one `,"` a
    /// `def` in the compact encoding: the test fleets' ids hold neither): what a load test's
    /// viewers do so that the test measures the server, not thousands of decoders on its cores.
    pub async fn until_snapshot_unread(&mut self, wait: Duration) -> Result<usize, ViewerError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut vehicles = 0;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let message = tokio::time::timeout(left, self.ws.next())
                .await
                .map_err(|_| ViewerError::TimedOut)?;
            let text = match message {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    return Err(ViewerError::Closed);
                }
                Some(Ok(_)) => continue,
            };
            self.frames += 1;
            let text = text.as_str();
            if text.starts_with(r#"{"type":"snapshot""#) {
                vehicles += text.matches(r#""id":"#).count();
            } else if text.starts_with(r#"{"type":"s""#) {
                let defs = text.split(r#""rows":"#).next().unwrap_or("");
                let defs = defs.split(r#""def":"#).nth(1).unwrap_or("");
                vehicles += defs.matches(r#",""#).count();
            } else if text.starts_with(r#"{"type":"error""#) {
                return Err(ViewerError::Refused(text.to_owned()));
            } else {
                continue;
            }
            if !text.contains(r#""more":true"#) {
                self.snapshots += 1;
                return Ok(vehicles);
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// An OsmAnd device (Traccar Client's protocol) on one keep-alive HTTP/1.1 connection.
pub struct Device {
    pub id: String,
    stream: BufReader<TcpStream>,
}

impl Device {
    pub async fn connect(source: IpAddr, port: u16, id: String) -> std::io::Result<Self> {
        Ok(Self {
            id,
            stream: BufReader::new(connect_from(source, port).await?),
        })
    }

    /// Reports a position stamped `ts_ms`; the HTTP status.
    pub async fn report(&mut self, lat: f64, lon: f64, ts_ms: i64) -> std::io::Result<u16> {
        let request = format!(
            "GET /?id={}&lat={lat:.6}&lon={lon:.6}&timestamp={ts_ms}&speed=8.0 HTTP/1.1\r\nHost: fleetview\r\n\r\n",
            self.id
        );
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP status line: {line:?}")))?;
        let mut length = 0usize;
        loop {
            line.clear();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(status)
    }
}

/// A plain `GET` on 127.0.0.1:`port` (with a bearer token if given): the status and the body.
pub async fn http_get(
    port: u16,
    path: &str,
    token: Option<&str>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: fleetview\r\n{auth}Connection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))?;
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = unchunk(&body);
    }
    Ok((status, body))
}

/// A chunked body's bytes.
fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || raw.len() < eol + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[(eol + 4 + size).min(raw.len())..];
    }
    out
}

/// The sum of every sample of `name` in a `/metrics` text whose labels include all of `labels`.
pub fn metric(text: &str, name: &str, labels: &[&str]) -> u64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (key, value) = l.rsplit_once(' ')?;
            let (metric, rest) = key.split_once('{').unwrap_or((key, ""));
            (metric == name && labels.iter().all(|want| rest.contains(want)))
                .then(|| value.parse::<f64>().ok().map(|v| v as u64))?
        })
        .sum()
}
