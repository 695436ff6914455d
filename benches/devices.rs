//! Tracker apps at load: OsmAnd-protocol `GET` reports (as Traccar Client sends them) over
//! keep-alive HTTP/1.1 on loopback, from 4 client threads, for 5 s, to the device port of a
//! fleetview server. Beside it, the limit of the same client against a bare hyper server that
//! answers 200 without reading anything (HTTP on this machine, nothing else).
//!
//!     cargo bench --bench devices

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fleetview::clock::now_ms;
use fleetview::server::{EmbeddedServer, ServerConfig};

const CLIENTS: usize = 4;
const RUN: Duration = Duration::from_secs(5);

/// Sends reports from `CLIENTS` threads for `RUN`; returns requests answered 200 per second.
fn load(addr: SocketAddr) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (stop, ok) = (stop.clone(), ok.clone());
            std::thread::spawn(move || {
                let stream = TcpStream::connect(addr).expect("connect");
                stream.set_nodelay(true).expect("nodelay");
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut writer = stream;
                let mut line = String::new();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let id = format!("dev-{c}-{}", i % 1000);
                    let lat = -16.9 + (i % 100) as f64 * 1e-4;
                    let request = format!(
                        "GET /?id={id}&lat={lat:.6}&lon=145.77&timestamp={}&speed=12.5&bearing=90&batt=80 HTTP/1.1\r\nHost: bench\r\n\r\n",
                        now_ms() / 1000
                    );
                    writer.write_all(request.as_bytes()).expect("send");
                    // Status line, headers to the blank line; the bodies here are empty.
                    line.clear();
                    reader.read_line(&mut line).expect("status");
                    let good = line.starts_with("HTTP/1.1 200");
                    loop {
                        line.clear();
                        reader.read_line(&mut line).expect("header");
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                    }
                    if good {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(RUN);
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    ok.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// A hyper server answering 200 with an empty body to anything: the HTTP floor.
fn bare_server() -> SocketAddr {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(
                            http_body_util::Full::new(hyper::body::Bytes::new()),
                        ))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr
}

fn main() {
    let server = EmbeddedServer::start(
        ServerConfig {
            device_listen: Some("127.0.0.1:0".into()),
            ..ServerConfig::default()
        },
        None,
    )
    .expect("server");
    let device = server
        .device_url()
        .and_then(|u| {
            u.trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()
                .ok()
        })
        .expect("device port");
    let fleetview = load(device);
    let stats = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(server.stats().get())
        .expect("stats");
    let bare = load(bare_server());
    println!(
        "OsmAnd GET reports, {CLIENTS} keep-alive clients on loopback, {} s each:",
        RUN.as_secs()
    );
    println!(
        "  fleetview device port: {fleetview:.0} requests/s accepted (hub counted {} reports, {} vehicles)",
        stats.reports, stats.vehicles
    );
    println!(
        "  bare hyper 200 (the HTTP floor, same client): {bare:.0} requests/s, so fleetview runs at {:.0}% of it",
        100.0 * fleetview / bare
    );
}
