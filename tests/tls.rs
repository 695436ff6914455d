//! `wss://` end to end on loopback: a CA made in the test, the real server serving TLS with a
//! certificate it signed, the real client trusting that CA through `ca_file`.

mod common;

use std::path::PathBuf;

use common::pki::make_pki;
use common::*;
use fleetview::feed::FeedEvent;
use fleetview::server::{EmbeddedServer, ServerConfig, TlsFiles};

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fleetview-tls-{name}-{}", std::process::id()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wss_feed_with_a_custom_ca_delivers_and_an_unknown_ca_is_refused_with_the_reason() {
    let dir = temp_dir("ok");
    let (ca, cert, key) = make_pki(&dir);
    let server = tokio::task::block_in_place(|| {
        EmbeddedServer::start(
            ServerConfig {
                tls: Some(TlsFiles { cert, key }),
                ..ServerConfig::default()
            },
            None,
        )
    })
    .expect("TLS server starts");
    assert!(
        server.url().starts_with("wss://127.0.0.1:"),
        "{}",
        server.url()
    );

    // A publisher over wss too, trusting the same CA.
    let mut publisher_config = config(&server.url());
    publisher_config.spec.ca_file = Some(ca.clone());
    let mut viewer = Viewer::start(publisher_config);
    viewer.until("connected over TLS", |v| v.status().link.is_connected());
    {
        use fleetview::feed::install_crypto_provider;
        install_crypto_provider();
        let connector = {
            let mut roots = rustls::RootCertStore::empty();
            use rustls_pki_types::pem::PemObject;
            for c in rustls_pki_types::CertificateDer::pem_file_iter(&ca).expect("ca") {
                roots.add(c.expect("cert")).expect("add");
            }
            let cfg = rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            tokio_tungstenite::Connector::Rustls(std::sync::Arc::new(cfg))
        };
        let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(
            server.ingest_url(),
            None,
            false,
            Some(connector),
        )
        .await
        .expect("publisher connects over TLS");
        report(&mut ws, vec![pos("secure-1", -16.9, 145.7, ts(0))]).await;
    }
    viewer.until("the report over TLS", |v| v.get("secure-1").is_some());

    // Without the CA, the same URL is refused, and the reason says why.
    let mut stranger = Viewer::start(config(&server.url()));
    stranger.until("the refusal", |v| v.count(is_disconnected) >= 1);
    let reason = stranger
        .first_disconnect()
        .map(|(reason, _)| reason)
        .expect("reason");
    assert!(
        reason.contains("TLS") && reason.to_lowercase().contains("certificate"),
        "{reason}"
    );
    drop((viewer, stranger));
    tokio::task::block_in_place(|| drop(server));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_certificate_or_key_file_is_refused_at_start_with_the_file_named() {
    let dir = temp_dir("bad");
    let (_, cert, key) = make_pki(&dir);
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate").expect("write");
    let err = EmbeddedServer::start(
        ServerConfig {
            tls: Some(TlsFiles {
                cert: junk.clone(),
                key: key.clone(),
            }),
            ..ServerConfig::default()
        },
        None,
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("junk.pem"), "{err}");
    let err = EmbeddedServer::start(
        ServerConfig {
            tls: Some(TlsFiles { cert, key: junk }),
            ..ServerConfig::default()
        },
        None,
    )
    .err()
    .expect("refused");
    assert!(err.to_string().contains("private key"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_ca_file_stops_the_feed_with_the_reason() {
    let mut c = config("wss://127.0.0.1:9/feed");
    c.spec.ca_file = Some(PathBuf::from("/no/such/ca.pem"));
    let feed = fleetview::feed::FeedId(3);
    let handle =
        fleetview::feed::FeedSet::single(feed, c, std::sync::Arc::new(|| {})).expect("feed");
    let mut reason = None;
    for _ in 0..50 {
        if let Some((
            from,
            FeedEvent::Disconnected {
                reason: r,
                retry_in,
            },
        )) = handle.recv_timeout(std::time::Duration::from_millis(100))
        {
            assert_eq!(
                retry_in, None,
                "a missing CA file cannot be fixed by retrying"
            );
            assert_eq!(from, feed);
            reason = Some(r);
            break;
        }
    }
    let reason = reason.expect("a reason");
    assert!(reason.contains("/no/such/ca.pem"), "{reason}");
}
