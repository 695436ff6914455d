//! A fake OwnTracks Recorder on 127.0.0.1, for tests: `/ws/last` as the recorder serves it
//! (http.c): every text a viewer sends is echoed back; `LAST` is answered with one location
//! object per device; pushed frames go to every open socket. It records the Authorization header
//! of each upgrade (the reverse proxy's Basic credentials).

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

/// A device's last location as `send_last` writes it (card name, lat, lon, tst, tid, topic, ghash).
pub fn last_object(user: &str, device: &str, name: &str, lat: f64, lon: f64, tst: i64) -> String {
    format!(
        r#"{{"name":"{name}","_type":"location","lat":{lat},"lon":{lon},"tst":{tst},"tid":"{}","topic":"owntracks/{user}/{device}","ghash":"rhzxu7m"}}"#,
        &user[..2]
    )
}

/// A live location as the recorder pushes it (the app's JSON plus topic, username, device).
pub fn live(user: &str, device: &str, lat: f64, lon: f64, tst: i64, vel_kmh: i64) -> String {
    format!(
        r#"{{"_type":"location","acc":12,"alt":21,"batt":78,"bs":1,"conn":"m","created_at":{tst},"lat":{lat},"lon":{lon},"m":1,"tid":"{}","tst":{tst},"vac":3,"vel":{vel_kmh},"cog":270,"topic":"owntracks/{user}/{device}","username":"{user}","device":"{device}"}}"#,
        &user[..2]
    )
}

/// What every connection of the fake shares.
#[derive(Clone)]
struct Shared {
    authorizations: Arc<Mutex<Vec<Option<String>>>>,
    received: Arc<Mutex<Vec<String>>>,
    last: Arc<Mutex<Vec<String>>>,
}

/// One viewer: the upgrade (noting its Authorization), then the echo, LAST and pushes.
async fn serve(
    stream: TcpStream,
    shared: Shared,
    mut pushed: broadcast::Receiver<String>,
    mut stop: watch::Receiver<bool>,
) {
    let mut auth = None;
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, |req: &Request, resp: Response| {
        auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(resp)
    })
    .await
    else {
        return;
    };
    shared.authorizations.lock().expect("lock").push(auth);
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            text = pushed.recv() => match text {
                Ok(text) => { let _ = sink.send(Message::text(text)).await; }
                Err(_) => return,
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    shared.received.lock().expect("lock").push(t.to_string());
                    // The recorder echoes every frame, then answers LAST.
                    let _ = sink.send(Message::text(t.to_string())).await;
                    if t.as_str() == "LAST" {
                        let objects = shared.last.lock().expect("lock").clone();
                        for o in objects {
                            let _ = sink.send(Message::text(o)).await;
                        }
                    }
                }
                Some(Ok(Message::Ping(p))) => { let _ = sink.send(Message::Pong(p)).await; }
                Some(Ok(_)) => {}
                _ => return,
            },
        }
    }
}

pub struct FakeRecorder {
    /// `ws://127.0.0.1:PORT/ws/last`
    pub url: String,
    /// The Authorization header of each upgrade, in order.
    pub authorizations: Arc<Mutex<Vec<Option<String>>>>,
    /// Texts viewers sent.
    pub received: Arc<Mutex<Vec<String>>>,
    /// What `LAST` is answered with.
    pub last: Arc<Mutex<Vec<String>>>,
    push: broadcast::Sender<String>,
    stop: watch::Sender<bool>,
}

impl FakeRecorder {
    pub async fn start(last: Vec<String>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/ws/last", listener.local_addr().expect("addr"));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let received = Arc::new(Mutex::new(Vec::new()));
        let last = Arc::new(Mutex::new(last));
        let (push, _) = broadcast::channel(64);
        let (stop, stopped) = watch::channel(false);
        let shared = Shared {
            authorizations: authorizations.clone(),
            received: received.clone(),
            last: last.clone(),
        };
        let p = push.clone();
        super::accept_until(listener, stopped, move |stream, stop| {
            serve(stream, shared.clone(), p.subscribe(), stop)
        });
        Self {
            url,
            authorizations,
            received,
            last,
            push,
            stop,
        }
    }

    /// Sends a text frame to every open socket.
    pub fn push(&self, text: impl Into<String>) {
        let _ = self.push.send(text.into());
    }

    /// Stops the recorder: no more connections, every socket closed.
    pub fn kill(&self) {
        let _ = self.stop.send(true);
    }
}
