//! Three scoped viewer tokens over real sockets: a `fleetview-server` process with a registry and
//! a tokens file, a publisher reporting a small fleet, and a viewer per token (both encodings).
//! Each sees only its own on the live feed, the history API, the GTFS-Realtime export; nothing
//! about a device leaves through `/metrics` or an error; a scoped publisher may report only its
//! own ids; and a SIGHUP after the file is edited narrows one token (a `remove`) and revokes
//! another (told so, disconnected).

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
use common::curl as _;
use common::load::{Viewer, ViewerError, http_get};
use common::server::{ServerProcess, free_port, temp_dir};
use common::{pos, publisher, report, ts};
use fleetview_core::protocol::{Encoding, Subscribe};
use futures_util::StreamExt;
use prost::Message as _;
use sha2::{Digest, Sha256};

const REGISTRY: &str = r#"
[[device]]
id = "van-1"
group = "contractor-a"
[[device]]
id = "van-2"
group = "contractor-a"
[[device]]
id = "truck-12"
group = "contractor-b"
[[device]]
id = "bus-9"
"#;

fn sha(token: &str) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(token.as_bytes())))
}

fn tokens(contractor_devices: &str, with_customer: bool) -> String {
    let customer = format!(
        "[[viewer]]\nname = \"customer\"\nhash = \"{}\"\ndevices = [\"bus-9\"]\nbbox = [145.70, -17.00, 145.80, -16.90]\n",
        sha("customer-secret")
    );
    format!(
        r#"
[[viewer]]
name = "depot"
hash = "{}"
all = true

[[viewer]]
name = "contractor-a"
hash = "{}"
{contractor_devices}

{}

[[publisher]]
name = "gateway"
hash = "{}"
all = true

[[publisher]]
name = "acme"
hash = "{}"
devices = ["van-*"]
"#,
        sha("depot-secret"),
        sha("contractor-secret"),
        if with_customer {
            customer
        } else {
            String::new()
        },
        sha("gateway-secret"),
        sha("acme-secret"),
    )
}

/// A server with the registry and the tokens file, and where they are.
fn start() -> (ServerProcess, PathBuf) {
    let dir = temp_dir("scopes");
    std::fs::write(dir.join("registry.toml"), REGISTRY).expect("registry");
    std::fs::write(
        dir.join("tokens.toml"),
        tokens("groups = [\"contractor-a\"]", true),
    )
    .expect("tokens");
    let args: Vec<std::ffi::OsString> = vec![
        "--data-dir".into(),
        dir.join("history").into(),
        "--registry".into(),
        dir.join("registry.toml").into(),
        "--viewer-tokens".into(),
        dir.join("tokens.toml").into(),
        "--tick".into(),
        "100ms".into(),
    ];
    (ServerProcess::start(free_port(), args), dir)
}

const HERE: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn viewer(port: u16, token: &str, encoding: Encoding) -> Viewer {
    let subscribe = Subscribe {
        token: Some(token.into()),
        ..Subscribe::default()
    };
    let mut v = Viewer::connect(HERE, port, subscribe, encoding, true)
        .await
        .expect("viewer connects");
    v.until_snapshot(Duration::from_secs(10))
        .await
        .expect("a snapshot");
    v
}

/// Reads `v`'s frames until it holds exactly `want` (10 s at most).
async fn until_holds(v: &mut Viewer, want: &[&str], who: &str) {
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let held: BTreeSet<String> = v.held.as_ref().expect("tracked").keys().cloned().collect();
        if held == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{who} holds {held:?}, wants {want:?}"
        );
        match v.read(Duration::from_millis(500)).await {
            Ok(_) | Err(ViewerError::TimedOut) => {}
            Err(e) => panic!("{who}: {e:?}"),
        }
    }
}

fn ever(v: &Viewer) -> BTreeSet<String> {
    v.ever.clone().expect("tracked").into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_tokens_each_see_only_their_own_and_a_reload_narrows_one_and_revokes_another() {
    let (server, dir) = start();
    let port = server.port;
    let ingest = format!("ws://127.0.0.1:{port}/ingest");
    let mut gateway = publisher(&ingest, Some("gateway-secret"))
        .await
        .expect("publisher");
    report(
        &mut gateway,
        vec![
            pos("van-1", -16.95, 145.75, ts(0)),
            pos("van-2", -16.96, 145.76, ts(0)),
            pos("truck-12", -16.97, 145.77, ts(0)),
            pos("bus-9", -16.95, 145.75, ts(0)),
        ],
    )
    .await;
    let mut depot = viewer(port, "depot-secret", Encoding::Compact).await;
    until_holds(
        &mut depot,
        &["bus-9", "truck-12", "van-1", "van-2"],
        "depot",
    )
    .await;
    let mut contractor = viewer(port, "contractor-secret", Encoding::V1).await;
    let mut customer = viewer(port, "customer-secret", Encoding::Compact).await;
    until_holds(&mut contractor, &["van-1", "van-2"], "contractor").await;
    until_holds(&mut customer, &["bus-9"], "customer").await;

    // The bus leaves the customer's box: it is removed there, and its new place never sent.
    report(
        &mut gateway,
        vec![
            pos("bus-9", -16.80, 145.75, ts(1_000)),
            pos("truck-12", -16.98, 145.78, ts(1_000)),
        ],
    )
    .await;
    until_holds(&mut customer, &[], "customer").await;
    until_holds(
        &mut depot,
        &["bus-9", "truck-12", "van-1", "van-2"],
        "depot",
    )
    .await;
    assert_eq!(
        ever(&contractor),
        ["van-1", "van-2"].map(String::from).into()
    );
    assert_eq!(ever(&customer), ["bus-9"].map(String::from).into());

    check_wrong_token(port).await;
    check_http(port).await;
    check_scoped_publisher(port).await;

    // The file is edited: the contractor keeps van-1 only, the customer is gone. SIGHUP.
    std::fs::write(
        dir.join("tokens.toml"),
        tokens("devices = [\"van-1\"]", false),
    )
    .expect("edit");
    server.signal("HUP");
    until_holds(&mut contractor, &["van-1"], "contractor after the reload").await;
    told_revoked_and_closed(&mut customer).await;
    // The depot, untouched, still sees everything.
    until_holds(
        &mut depot,
        &["bus-9", "truck-12", "van-1", "van-2"],
        "depot",
    )
    .await;
    drop(server);
}

/// A wrong token is refused.
async fn check_wrong_token(port: u16) {
    let wrong = Subscribe {
        token: Some("guess".into()),
        ..Subscribe::default()
    };
    let mut guess = Viewer::connect(HERE, port, wrong, Encoding::V1, true)
        .await
        .expect("connects");
    assert!(matches!(
        guess.until_snapshot(Duration::from_secs(5)).await,
        Err(ViewerError::Server { code, .. }) if code == "unauthorized"
    ));
}

/// A revoked token's viewer is told so, then its connection is closed.
async fn told_revoked_and_closed(v: &mut Viewer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let revoked = loop {
        assert!(Instant::now() < deadline, "the viewer was never told");
        match v.read(Duration::from_millis(500)).await {
            Err(ViewerError::Server { code, message }) => break (code, message),
            Err(ViewerError::Closed) => panic!("closed without being told"),
            _ => {}
        }
    };
    assert_eq!(revoked.0, "unauthorized", "{revoked:?}");
    assert!(revoked.1.contains("revoked"), "{revoked:?}");
    assert!(matches!(
        v.read(Duration::from_secs(5)).await,
        Err(ViewerError::Closed)
    ));
}

/// The history API, the GTFS-Realtime export and `/metrics` through the scopes.
async fn check_http(port: u16) {
    let get = |path: &'static str, token: Option<&'static str>| async move {
        let (status, body) = http_get(port, path, token).await.expect("HTTP");
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let now = fleetview_core::clock::now_ms();
    let range = format!("from={}&to={}", now - 3_600_000, now + 60_000);
    let track = |id: &str| format!("/api/track?id={id}&{range}");
    let bad_range = |id: &str| format!("/api/track?id={id}&from=0&to={now}");
    let ask = |path: String, token: &'static str| async move {
        let (status, body) = http_get(port, &path, Some(token)).await.expect("HTTP");
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    // A vehicle outside the scope is exactly as unknown as one that never existed.
    let (hidden, hidden_body) = ask(track("truck-12"), "contractor-secret").await;
    let (unknown, unknown_body) = ask(track("nobody"), "contractor-secret").await;
    assert_eq!((hidden, unknown), (404, 404));
    assert_eq!(
        hidden_body.replace("truck-12", "X"),
        unknown_body.replace("nobody", "X")
    );
    // And so it is when the rest of the request is wrong: the same 400 for both.
    let (hidden, hidden_body) = ask(bad_range("truck-12"), "contractor-secret").await;
    let (unknown, unknown_body) = ask(bad_range("nobody"), "contractor-secret").await;
    assert_eq!((hidden, unknown), (400, 400));
    assert_eq!(hidden_body, unknown_body);
    assert_eq!(ask(track("truck-12"), "depot-secret").await.0, 200);
    let (ok, van) = ask(track("van-1"), "contractor-secret").await;
    assert_eq!(ok, 200, "{van}");
    // The bus's track holds only its fix inside the customer's box.
    let (ok, bus) = ask(track("bus-9"), "customer-secret").await;
    assert_eq!(ok, 200);
    assert!(bus.contains("-16.95") && !bus.contains("-16.8"), "{bus}");
    let (ok, fleet) = ask("/api/fleet".into(), "contractor-secret").await;
    assert_eq!(ok, 200);
    assert!(
        fleet.contains("van-1") && !fleet.contains("truck") && !fleet.contains("bus"),
        "{fleet}"
    );
    let (ok, fixes) = ask(format!("/api/fixes?{range}"), "contractor-secret").await;
    assert_eq!(ok, 200);
    assert!(
        fixes.contains("van-2") && !fixes.contains("truck") && !fixes.contains("bus"),
        "{fixes}"
    );
    let (trips, _) = ask(format!("/api/trips?id=truck-12&{range}"), "customer-secret").await;
    assert_eq!(trips, 404);
    assert_eq!(get("/api/fleet", None).await.0, 401);

    // GTFS-Realtime: a token is needed, and the message holds only what it may see.
    assert_eq!(get("/gtfs-rt/vehicle_positions.pb", None).await.0, 401);
    let (ok, pb) = http_get(
        port,
        "/gtfs-rt/vehicle_positions.pb",
        Some("contractor-secret"),
    )
    .await
    .expect("HTTP");
    assert_eq!(ok, 200, "{}", String::from_utf8_lossy(&pb));
    let message =
        fleetview_core::formats::gtfs_rt::proto::FeedMessage::decode(pb.as_slice()).expect("pb");
    let ids: BTreeSet<String> = message.entity.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids, ["van-1", "van-2"].map(String::from).into());

    // Metrics count, they never name a device.
    let (ok, metrics) = get("/metrics", None).await;
    assert_eq!(ok, 200);
    for id in ["van-1", "van-2", "truck-12", "bus-9"] {
        assert!(!metrics.contains(id), "{id} in /metrics");
    }
}

/// A scoped publisher: its own ids are taken, another's refused as `out_of_scope`.
async fn check_scoped_publisher(port: u16) {
    let ingest = format!("ws://127.0.0.1:{port}/ingest");
    let mut acme = publisher(&ingest, Some("acme-secret"))
        .await
        .expect("publisher");
    report(
        &mut acme,
        vec![
            pos("van-1", -16.95, 145.75, ts(2_000)),
            pos("bus-9", -16.95, 145.75, ts(2_000)),
        ],
    )
    .await;
    let answer = tokio::time::timeout(Duration::from_secs(5), acme.next())
        .await
        .expect("an answer")
        .expect("a frame")
        .expect("a frame");
    let text = answer.into_text().expect("text");
    assert!(text.contains("out_of_scope x1"), "{text}");
    assert!(!text.contains("van-1"), "{text}");
    assert!(
        publisher(&ingest, Some("guess")).await.is_err(),
        "a wrong publisher token"
    );
}
