//! The server on a thread of its own, for the window's default fleet, tests and benchmarks.

use std::net::SocketAddr;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use super::{Listeners, ServerConfig, ServerError, StatsHandle, TrackerKind, serve, tls_acceptor};
use fleetview_core::clock::now_ms;
use fleetview_core::sim::{Network, Sim, SimConfig};

/// The server (and optionally the simulated fleet) on its own thread, on 127.0.0.1 and an
/// ephemeral port, until dropped.
pub struct EmbeddedServer {
    addr: SocketAddr,
    /// The device port (HTTP for tracker apps), when asked for.
    device_addr: Option<SocketAddr>,
    tracker_addrs: Vec<(TrackerKind, SocketAddr)>,
    /// `wss` or `ws`.
    scheme: &'static str,
    shutdown: watch::Sender<bool>,
    stats: StatsHandle,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedServer {
    pub fn start(config: ServerConfig, sim: Option<SimConfig>) -> Result<Self, ServerError> {
        Self::start_at("127.0.0.1:0", config, sim)
    }

    /// The same on a given address (e.g. to come back on the same port after a restart).
    pub fn start_at(
        addr: &str,
        config: ServerConfig,
        sim: Option<SimConfig>,
    ) -> Result<Self, ServerError> {
        if let Some(files) = &config.tls {
            tls_acceptor(files)?;
        }
        let scheme = if config.tls.is_some() { "wss" } else { "ws" };
        let sim = match sim {
            Some(c) => Some(Sim::new(Network::cairns()?, c, now_ms())),
            None => None,
        };
        let bind_error = |source| ServerError::Bind {
            addr: addr.to_owned(),
            source,
        };
        let backlog = config.listen_backlog;
        let std_listener = super::listen::bind(addr, backlog).map_err(bind_error)?;
        let addr = std_listener.local_addr().map_err(bind_error)?;
        std_listener
            .set_nonblocking(true)
            .map_err(|source| ServerError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let bind = |at: &str| bind(at, backlog);
        let devices = config.device_listen.as_deref().map(bind).transpose()?;
        let device_addr = devices.as_ref().and_then(|l| l.local_addr().ok());
        let mut trackers = Vec::new();
        for (kind, at) in &config.tracker_listen {
            trackers.push((*kind, bind(at.as_str())?));
        }
        let tracker_addrs = trackers
            .iter()
            .filter_map(|(k, l)| Some((*k, l.local_addr().ok()?)))
            .collect();
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (stats_tx, stats_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("fleetview-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => return tracing::error!(error = %e, "cannot start a tokio runtime"),
                };
                runtime.block_on(async move {
                    let devices = devices.and_then(|l| TcpListener::from_std(l).ok());
                    let trackers = trackers
                        .into_iter()
                        .filter_map(|(k, l)| Some((k, TcpListener::from_std(l).ok()?)))
                        .collect();
                    match TcpListener::from_std(std_listener) {
                        Ok(main) => {
                            let stats = Some(stats_tx);
                            let listeners = Listeners {
                                main,
                                devices,
                                trackers,
                            };
                            let served = serve(listeners, config, sim, None, shutdown_rx, stats);
                            if let Err(e) = served.await {
                                tracing::error!(error = %e, "the embedded server stopped");
                            }
                        }
                        Err(e) => tracing::error!(error = %e, "cannot listen"),
                    }
                })
            })
            .map_err(ServerError::Spawn)?;
        let stats = stats_rx.blocking_recv().map_err(|_| ServerError::Stopped)?;
        Ok(Self {
            addr,
            device_addr,
            tracker_addrs,
            scheme,
            shutdown,
            stats,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where viewers connect.
    pub fn url(&self) -> String {
        format!("{}://{}/feed", self.scheme, self.addr)
    }

    /// Where `kind`'s trackers connect, when it was asked for.
    pub fn tracker_addr(&self, kind: TrackerKind) -> Option<SocketAddr> {
        self.tracker_addrs
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, a)| *a)
    }

    /// Where tracker apps send the OsmAnd protocol (the device port), when it was asked for.
    pub fn device_url(&self) -> Option<String> {
        self.device_addr.map(|a| format!("http://{a}/"))
    }

    /// A plain HTTP path on the WebSocket port (`/healthz`, the GTFS-Realtime export).
    pub fn http_url(&self, path: &str) -> String {
        let scheme = if self.scheme == "wss" {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// Where publishers connect.
    pub fn ingest_url(&self) -> String {
        format!("{}://{}/ingest", self.scheme, self.addr)
    }

    pub fn stats(&self) -> StatsHandle {
        self.stats.clone()
    }
}

impl Drop for EmbeddedServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the embedded server thread panicked");
        }
    }
}

/// A non-blocking listener on `at` with `backlog` pending connections.
fn bind(at: &str, backlog: u32) -> Result<std::net::TcpListener, ServerError> {
    super::listen::bind(at, backlog).map_err(|source| ServerError::Bind {
        addr: at.to_owned(),
        source,
    })
}
