//! Loopback fakes speaking the real transit and ship formats: a GTFS-Realtime agency (HTTP,
//! scripted answer by answer), a raw AIS server (TCP lines) and an AISStream server (WebSocket,
//! binary frames), plus the real sample files.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;

/// gtfs-rt-kit's VehiclePositions (see tests/fixtures/README.md).
pub const KIT_PB: &[u8] = include_bytes!("../fixtures/gtfs-rt/gtfs-rt-kit_vehicle_positions.pb");
/// gtfs-realtime-bindings' one-vehicle feed.
pub const BINDINGS_PB: &[u8] =
    include_bytes!("../fixtures/gtfs-rt/gtfs-realtime-bindings_vehicle_position.pb");
/// 61 AISHub sentences.
pub const AISHUB: &str = include_str!("../fixtures/ais/AisHubSample.nmea");

pub fn fixture_path(relative: &str) -> String {
    format!("{}/tests/fixtures/{relative}", env!("CARGO_MANIFEST_DIR"))
}

/// How the fake agency answers a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with this body and ETag; 304 when the request sends the ETag back.
    Feed { body: Vec<u8>, etag: String },
    /// An error status, with a `Retry-After` when given.
    Status { code: u16, retry_after: Option<u64> },
    /// 200 with an HTML page (a proxy's error page).
    Html,
    /// 200 without a length, then bytes until the client hangs up (at most `bytes`).
    Endless { bytes: usize },
    /// 200 with a `Content-Length` this large, and no body to speak of.
    Declared { length: u64 },
}

/// One request as the agency saw it.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    pub target: String,
    pub if_none_match: Option<String>,
    pub api_key: Option<String>,
}

/// A GTFS-Realtime agency on 127.0.0.1: answers with `reply`, which tests change at will.
pub struct FakeAgency {
    pub url: String,
    pub reply: Arc<Mutex<Reply>>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// The most requests it ever had in flight at once.
    pub most_at_once: Arc<AtomicUsize>,
    /// Each answer waits this long first.
    pub delay: Arc<Mutex<Duration>>,
}

impl FakeAgency {
    pub async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!(
            "http://{}/gtfs-rt/vehicle-positions",
            listener.local_addr().expect("addr")
        );
        let agency = Self {
            url,
            reply: Arc::new(Mutex::new(reply)),
            seen: Arc::default(),
            most_at_once: Arc::default(),
            delay: Arc::new(Mutex::new(Duration::ZERO)),
        };
        let (reply, seen, most, delay) = (
            agency.reply.clone(),
            agency.seen.clone(),
            agency.most_at_once.clone(),
            agency.delay.clone(),
        );
        let in_flight = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (reply, seen, most, delay, in_flight) = (
                    reply.clone(),
                    seen.clone(),
                    most.clone(),
                    delay.clone(),
                    in_flight.clone(),
                );
                tokio::spawn(async move {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    answer(stream, &reply, &seen, &delay).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        agency
    }

    pub fn set(&self, reply: Reply) {
        *self.reply.lock().expect("lock") = reply;
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Reads one request's head and answers it; the connection then closes.
async fn answer(
    mut stream: TcpStream,
    reply: &Mutex<Reply>,
    seen: &Mutex<Vec<Seen>>,
    delay: &Mutex<Duration>,
) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&byte[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let target = head
        .lines()
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_owned();
    let request = Seen {
        target,
        if_none_match: header("if-none-match"),
        api_key: header("x-api-key"),
    };
    seen.lock().expect("lock").push(request.clone());
    let wait = *delay.lock().expect("lock");
    tokio::time::sleep(wait).await;
    let reply = reply.lock().expect("lock").clone();
    let _ = respond(&mut stream, reply, &request).await;
}

async fn respond(stream: &mut TcpStream, reply: Reply, request: &Seen) -> std::io::Result<()> {
    let head = |status: &str, extra: &str| {
        format!("HTTP/1.1 {status}\r\nConnection: close\r\n{extra}\r\n").into_bytes()
    };
    match reply {
        Reply::Feed { body, etag } => {
            if request.if_none_match.as_deref() == Some(etag.as_str()) {
                stream
                    .write_all(&head("304 Not Modified", &format!("ETag: {etag}\r\n")))
                    .await
            } else {
                let extra = format!(
                    "ETag: {etag}\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n",
                    body.len()
                );
                stream.write_all(&head("200 OK", &extra)).await?;
                stream.write_all(&body).await
            }
        }
        Reply::Status { code, retry_after } => {
            let extra = retry_after.map_or(String::new(), |s| format!("Retry-After: {s}\r\n"));
            let extra = format!("{extra}Content-Length: 0\r\n");
            stream
                .write_all(&head(&format!("{code} Refused"), &extra))
                .await
        }
        Reply::Html => {
            let body = "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>";
            let extra = format!(
                "Content-Type: text/html\r\nContent-Length: {}\r\n",
                body.len()
            );
            stream.write_all(&head("200 OK", &extra)).await?;
            stream.write_all(body.as_bytes()).await
        }
        Reply::Endless { bytes } => {
            stream.write_all(&head("200 OK", "")).await?;
            let chunk = vec![0x0a_u8; 64 * 1024];
            let mut sent = 0;
            while sent < bytes {
                stream.write_all(&chunk).await?;
                sent += chunk.len();
            }
            Ok(())
        }
        Reply::Declared { length } => {
            let extra = format!("Content-Length: {length}\r\n");
            stream.write_all(&head("200 OK", &extra)).await?;
            stream.write_all(b"\x0a\x00").await
        }
    }
}

/// A raw AIS server on 127.0.0.1: each connection gets `text`, then stays open (quiet).
pub async fn ais_server(text: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("tcp://{}", listener.local_addr().expect("addr"));
    let text = Arc::new(text);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let text = text.clone();
            tokio::spawn(async move {
                // In pieces that split lines, as TCP may.
                for piece in text.chunks(100) {
                    if stream.write_all(piece).await.is_err() {
                        return;
                    }
                }
                tokio::time::sleep(Duration::from_secs(60)).await;
            });
        }
    });
    url
}

/// An AISStream server on 127.0.0.1: checks that the subscription comes within 3 s, records
/// it, then sends each of `frames` as a binary frame.
pub async fn aisstream_server(
    frames: Vec<Vec<u8>>,
) -> (String, Arc<Mutex<Vec<serde_json::Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/v0/stream", listener.local_addr().expect("addr"));
    let subscriptions = Arc::new(Mutex::new(Vec::new()));
    let seen = subscriptions.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (frames, seen) = (frames.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let first = tokio::time::timeout(Duration::from_secs(3), ws.next()).await;
                let Ok(Some(Ok(Message::Text(text)))) = first else {
                    // AISStream closes a connection that does not subscribe in time.
                    let _ = ws.close(None).await;
                    return;
                };
                let sub = serde_json::from_str(text.as_str()).unwrap_or_default();
                seen.lock().expect("lock").push(sub);
                for frame in frames {
                    if ws.send(Message::binary(frame)).await.is_err() {
                        return;
                    }
                }
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    (url, subscriptions)
}

/// An AISStream PositionReport, as its server sends it.
pub fn ais_position(
    mmsi: u64,
    name: &str,
    lat: f64,
    lon: f64,
    sog: f64,
    time_utc: &str,
) -> Vec<u8> {
    serde_json::json!({
        "Message": {"PositionReport": {
            "Cog": 308, "CommunicationState": 81982, "Latitude": lat, "Longitude": lon,
            "MessageID": 1, "NavigationalStatus": 0, "PositionAccuracy": true, "Raim": false,
            "RateOfTurn": 4, "RepeatIndicator": 0, "Sog": sog, "Spare": 0,
            "SpecialManoeuvreIndicator": 0, "Timestamp": 31, "TrueHeading": 235,
            "UserID": mmsi, "Valid": true}},
        "MessageType": "PositionReport",
        "MetaData": {"MMSI": mmsi, "MMSI_String": mmsi, "ShipName": format!("{name:<20}"),
            "latitude": lat, "longitude": lon, "time_utc": time_utc}
    })
    .to_string()
    .into_bytes()
}

/// Now in Go's `time.Time.String()` form, as AISStream stamps its messages.
pub fn go_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let secs = now.as_secs() as i64 - 5;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06} +0000 UTC",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_micros()
    )
}

/// Days since 1970-01-01 as (year, month, day) (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
