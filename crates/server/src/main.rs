//! `fleetview-server`: the feed server, optionally with a simulated fleet, until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use tokio::sync::watch;

use fleetview_core::clock::now_ms;
use fleetview_core::sim::{Network, Sim, SimConfig};
use fleetview_server::cluster::{Cluster, ClusterConfig};
use fleetview_server::history::HistoryConfig;
use fleetview_server::{Listeners, ServerConfig, TlsFiles, TrackerKind, serve, tls_acceptor};

#[path = "main/args.rs"]
mod args;

use args::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleetview-server: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let device_listen = args.device_listen.clone();
    let registry = match &args.registry {
        Some(path) => Some(std::sync::Arc::new(
            fleetview_server::registry::Registry::load(path)?,
        )),
        None => None,
    };
    let users = match &args.users {
        Some(path) => Some(std::sync::Arc::new(fleetview_server::users::Users::load(
            path,
        )?)),
        None => None,
    };
    let tokens = match &args.viewer_tokens {
        Some(path) => {
            let file =
                fleetview_server::scopes::TokensFile::open(path.clone(), registry.as_deref())?;
            let loaded = file.current();
            tracing::info!(file = %path.display(), viewers = loaded.viewers(),
                publishers = loaded.publishers(), "scoped tokens");
            Some(std::sync::Arc::new(file))
        }
        None => None,
    };
    let history = history_config(&args)?;
    let mut config = ServerConfig {
        tokens,
        tick: args.tick,
        drop_after: args.drop_after,
        viewer_token: args.viewer_token,
        publisher_token: args.publisher_token,
        max_connections: args.max_connections.max(1),
        max_message_bytes: args.max_message_bytes,
        viewer_queue: args.viewer_queue.max(1),
        ping_interval: args.ping_interval,
        idle_timeout: args.idle_timeout,
        upgrade_timeout: args.upgrade_timeout,
        max_connections_per_address: args.max_connections_per_address.max(1),
        tracker_listen: [
            (TrackerKind::Teltonika, &args.teltonika_listen),
            (TrackerKind::Gt06, &args.gt06_listen),
        ]
        .into_iter()
        .filter_map(|(k, at)| Some((k, at.clone()?)))
        .collect(),
        max_tracker_connections: args.max_tracker_connections.max(1),
        tracker_connections_per_address: args.tracker_connections_per_address,
        device_connections_per_address: args.device_connections_per_address,
        listen_backlog: args.listen_backlog.max(1),
        users,
        registry,
        max_speed: args.max_speed,
        tls: args
            .tls_cert
            .zip(args.tls_key)
            .map(|(cert, key)| TlsFiles { cert, key }),
        allowed_origins: args.allowed_origins,
        // The simulated fleet is always held whole, however large (`--sim 1000000`).
        max_vehicles: args.max_vehicles.max(args.sim).max(1),
        max_reports_per_s: args.max_reports_per_s.max(0.1),
        max_subscribes_per_min: args.max_subscribes_per_min.max(1.0),
        history,
        ..ServerConfig::default()
    };
    if let Some(files) = &config.tls {
        tls_acceptor(files)?;
    }
    config.limits.max_frame_bytes = args.max_message_bytes;
    let sim = if args.sim > 0 {
        let mut network = Network::cairns().context("loading the Cairns routes")?;
        if args.sim_area == args::SimArea::Australia {
            network = network.across(&fleetview_core::sim::AUSTRALIA);
        }
        let mut sim = SimConfig::new(args.sim, args.seed);
        if let Some(every) = args.sim_report_every {
            let ms = every.as_millis().max(100) as i64;
            sim.report_every_ms = (ms, ms);
        }
        Some(Sim::new(network, sim, now_ms()))
    } else {
        None
    };
    let drop_after = args.drop_after;
    let cluster_config = args
        .nats
        .clone()
        .zip(args.node_id.clone())
        .map(|(url, node)| {
            let mut c = ClusterConfig::new(url, node);
            c.user = args.nats_user.clone();
            c.password = args.nats_password.clone();
            c.token = args.nats_token.clone();
            c.ca_file = args.nats_ca_file.clone();
            c.bucket = args.nats_bucket.clone();
            // On a cluster, history lives in JetStream, not in one node's files.
            c.history = (!args.no_history).then_some(args.history_retention);
            c
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("fleetview-server")
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let backlog = config.listen_backlog;
        let listener = listen(&args.listen, backlog)
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        let scheme = if config.tls.is_some() { "wss" } else { "ws" };
        let open = config.tokens.is_none()
            && (config.viewer_token.is_none() || config.publisher_token.is_none());
        if !addr.ip().is_loopback() && open {
            tracing::warn!(%addr, "listening beyond loopback without both tokens: anyone who can reach it can watch or publish");
        }
        if !addr.ip().is_loopback() && config.registry.is_none() {
            tracing::warn!(%addr, "no device registry (--registry): any device id is accepted");
        }
        tracing::info!(
            viewers = %format!("{scheme}://{addr}/feed"),
            publishers = %format!("{scheme}://{addr}/ingest"),
            simulated = args.sim,
            "fleetview-server listening"
        );
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        tokio::spawn(async move {
            let why = stop_signal().await;
            tracing::info!("{why}: shutting down");
            let _ = shutdown_tx.send(true);
        });
        let devices = match &device_listen {
            Some(at) => {
                let devices = listen(at, backlog)
                    .with_context(|| format!("cannot listen for devices on {at}"))?;
                tracing::info!(
                    devices = %format!("http://{}/", devices.local_addr()?),
                    "tracker apps (OsmAnd protocol: Traccar Client, OsmAnd) may report here"
                );
                Some(devices)
            }
            None => None,
        };
        let cluster = match cluster_config {
            Some(c) => {
                let url = c.url.clone();
                let cluster = Cluster::connect(c, drop_after).await?;
                tracing::info!(nats = %url, "joined the cluster");
                Some(cluster)
            }
            None => None,
        };
        let trackers = bind_trackers(&config.tracker_listen, backlog)?;
        let listeners = Listeners {
            main: listener,
            devices,
            trackers,
        };
        serve(listeners, config, sim, cluster, shutdown_rx, None).await?;
        anyhow::Ok(())
    })
}

/// A listener on `at` with `backlog` pending connections, on the runtime.
fn listen(at: &str, backlog: u32) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = fleetview_server::listen::bind(at, backlog)?;
    Ok(tokio::net::TcpListener::from_std(listener)?)
}

/// A listener for each tracker protocol asked for.
fn bind_trackers(
    asked: &[(TrackerKind, String)],
    backlog: u32,
) -> anyhow::Result<Vec<(TrackerKind, tokio::net::TcpListener)>> {
    let mut out = Vec::new();
    for (kind, at) in asked {
        let listener = listen(at, backlog)
            .with_context(|| format!("cannot listen for {} trackers on {at}", kind.name()))?;
        tracing::info!(
            protocol = kind.name(),
            at = %listener.local_addr()?,
            "binary trackers may report here"
        );
        out.push((*kind, listener));
    }
    Ok(out)
}

/// Waits for Ctrl-C, or (on Unix) SIGTERM, which is how systemd and `docker stop` ask a service
/// to stop; says which came.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // SIGHUP (`systemctl reload`) reads the tokens file again (its own task listens); it
        // never stops the server, with or without a tokens file.
        let mut hangup = signal(SignalKind::hangup()).ok();
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => return "Ctrl-C",
                    _ = term.recv() => return "SIGTERM",
                    Some(()) = async { hangup.as_mut()?.recv().await } => {
                        tracing::debug!("SIGHUP");
                    }
                }
            }
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// Where and how long history is kept on this node's disk, from the flags; `None` with
/// `--no-history`, and with `--nats` (the cluster keeps it in JetStream).
fn history_config(args: &Args) -> anyhow::Result<Option<HistoryConfig>> {
    if args.no_history || args.nats.is_some() {
        return Ok(None);
    }
    let dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("fleetview-server"))
            .context("no data directory known for this platform: give --data-dir")?,
    };
    Ok(Some(HistoryConfig {
        dir,
        retention: args.history_retention,
        max_bytes: args.history_max_bytes,
        segment: args.history_segment.max(Duration::from_secs(1)),
    }))
}
