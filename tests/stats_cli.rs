//! `fleetview stats` as a person runs it: the real binary against a loopback feed.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

fn stats(args: &[&str]) -> (std::process::ExitStatus, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .arg("stats")
        .args(args)
        .output()
        .expect("run fleetview");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_json_reports_vehicles_updates_refusals_and_latency() {
    let (listener, url) = listen().await;
    let server = tokio::spawn(async move {
        let mut conn = accept(&listener).await;
        let subscribe = conn.subscribe.clone();
        conn.snapshot(vec![
            pos("a", 1.0, 1.0, ts(0)),
            pos("b", 2.0, 2.0, ts(0)),
            pos("c", 3.0, 3.0, ts(0)),
        ])
        .await;
        for i in 1..=10 {
            let now = fleetview::clock::now_ms();
            conn.positions(vec![
                pos("a", 1.0 + i as f64 * 1e-4, 1.0, now),
                pos("b", 2.0, 2.0, now),
            ])
            .await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        conn.send_text("this is not json").await;
        conn.send_text(r#"{"type":"positions","positions":[{"id":"d","lat":123,"lon":0,"ts":1}]}"#)
            .await;
        // Stay connected until the client leaves.
        let _ = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut conn.ws)).await;
        subscribe
    });
    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || {
        stats(&[
            &url,
            "--duration",
            "2s",
            "--json",
            "--bbox",
            "-10,-10,10,10",
        ])
    })
    .await
    .expect("stats ran");
    assert!(status.success(), "exit {status:?}; stderr: {stderr}");
    let report: serde_json::Value =
        serde_json::from_str(&stdout).expect("stdout is one JSON object");
    assert_eq!(report["connected"], true);
    assert_eq!(report["vehicles"], 3);
    // "c" last reported a minute ago: stale (30 s), not yet lost (5 min).
    assert_eq!(report["live"], 2);
    assert_eq!(report["stale"], 1);
    assert_eq!(report["updates"], 20);
    assert_eq!(report["snapshots"], 1);
    assert_eq!(report["reconnects"], 0);
    assert_eq!(report["rejected_total"], 2);
    assert_eq!(report["rejected"]["malformed_json"], 1);
    assert_eq!(report["rejected"]["bad_coordinates"], 1);
    assert!(report["updates_per_s"].as_f64().expect("rate") > 5.0);
    let latency = &report["latency_ms"];
    assert_eq!(latency["samples"], 20);
    assert!(latency["p99_ms"].as_u64().expect("p99") < 1000, "{latency}");
    let subscribe = server.await.expect("server");
    assert_eq!(
        subscribe["bbox"],
        serde_json::json!([-10.0, -10.0, 10.0, 10.0])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_says_why_it_could_not_connect_and_exits_1() {
    let (listener, url) = listen().await;
    drop(listener);
    let (status, stdout, _) =
        tokio::task::spawn_blocking(move || stats(&[&url, "--duration", "1s"]))
            .await
            .expect("stats ran");
    assert_eq!(status.code(), Some(1));
    assert!(stdout.contains("vehicles    0"), "{stdout}");
    assert!(stdout.contains("Connection refused"), "{stdout}");
}

#[test]
fn help_lists_the_windows_keys_from_the_same_table_the_window_shows() {
    let out = Command::new(env!("CARGO_BIN_EXE_fleetview"))
        .arg("--help")
        .output()
        .expect("run fleetview");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for (key, what) in fleetview::ui::KEYS {
        assert!(text.contains(key) && text.contains(what), "{key}: {text}");
    }
}

#[test]
fn stats_refuses_a_malformed_bbox_with_a_clear_message() {
    let (status, _, stderr) = stats(&["ws://127.0.0.1:9/", "--bbox", "1,2,3"]);
    assert_eq!(status.code(), Some(2));
    assert!(stderr.contains("needs four numbers"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_reports_each_feed_on_its_own_and_their_sum() {
    let (a_listener, a_url) = listen().await;
    let (b_listener, b_url) = listen().await;
    let serve = |listener: tokio::net::TcpListener, ids: &'static [&'static str]| {
        tokio::spawn(async move {
            let mut conn = accept(&listener).await;
            conn.snapshot(ids.iter().map(|id| pos(id, 1.0, 1.0, ts(0))).collect())
                .await;
            let _ = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut conn.ws)).await;
        })
    };
    let a = serve(a_listener, &["12", "13"]);
    let b = serve(b_listener, &["12"]);
    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || {
        stats(&[
            "--feed",
            &format!("depot={a_url}"),
            "--feed",
            &format!("yard=fleetview:{b_url}"),
            "--duration",
            "1s",
            "--json",
        ])
    })
    .await
    .expect("stats ran");
    assert!(status.success(), "exit {status:?}; stderr: {stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        report["vehicles"], 3,
        "vehicle 12 of each feed is its own vehicle"
    );
    assert_eq!(report["connected"], true);
    let feeds = report["feeds"].as_array().expect("feeds");
    assert_eq!(feeds.len(), 2);
    assert_eq!(
        (&feeds[0]["name"], &feeds[0]["vehicles"]),
        (&"depot".into(), &2.into())
    );
    assert_eq!(
        (&feeds[1]["name"], &feeds[1]["vehicles"]),
        (&"yard".into(), &1.into())
    );
    let _ = (a.await, b.await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_reads_a_traccar_feed_from_the_config_file_with_its_password_from_the_environment() {
    let server = common::traccar::FakeTraccar::start(format!(
        r#"{{"positions":[{}]}}"#,
        common::traccar::position(1, 7, -16.92, 145.77, &common::traccar::iso(-2000), 5.0)
    ))
    .await;
    let dir = std::env::temp_dir().join(format!("fleetview-stats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[feed]]\nname = \"Depot\"\nkind = \"traccar\"\nurl = \"{}\"\nuser = \"{}\"\npassword_env = \"FV_TEST_TRACCAR_PW\"\n",
            server.url,
            common::traccar::EMAIL
        ),
    )
    .expect("write config");
    let path = config.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_fleetview"))
            .args(["stats", "--config", &path, "--duration", "1s", "--json"])
            .env("FV_TEST_TRACCAR_PW", common::traccar::PASSWORD)
            .output()
            .expect("run fleetview")
    })
    .await
    .expect("stats ran");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout} {stderr}");
    assert!(
        !stdout.contains(common::traccar::PASSWORD) && !stderr.contains(common::traccar::PASSWORD)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(report["feeds"][0]["name"], "Depot");
    assert_eq!(report["feeds"][0]["vehicles"], 1);
    assert_eq!(server.count(|s| &s.logins), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
