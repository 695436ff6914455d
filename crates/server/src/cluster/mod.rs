//! Several feed servers as one fleet, over NATS: each node publishes the fixes its own
//! publishers sent, batched once a hub tick, on `fleet.live.<node>`, and takes the other nodes'
//! into its hub as reports from a peer (never publishing those again). A JetStream key-value
//! bucket holds every vehicle's newest fix, so a node starting (or coming back) builds its state
//! from it before it serves its first snapshot.
//!
//! The NATS client reconnects by itself. While NATS is down the node's local viewers are served
//! all along and each own vehicle's newest fix waits (bounded, coalesced); when NATS is back the
//! node tells those fixes live and to the bucket, and reads the bucket again.

mod bucket;
mod described;
mod encode;
pub mod history;
mod own;
mod task;
mod unsent;

pub use encode::{bucket_key, report_text};
pub use task::ClusterStats;
pub(crate) use task::run;

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream;

/// How to reach NATS, and who this node is.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// `nats://HOST:PORT` or `tls://HOST:PORT` (several, comma-separated, for a NATS cluster).
    pub url: String,
    /// This node's name: its live subject is `fleet.live.<node_id>`.
    pub node_id: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
    /// Extra CA certificates (PEM) for `tls://`.
    pub ca_file: Option<PathBuf>,
    /// The key-value bucket of last-known positions.
    pub bucket: String,
    /// A vehicle's entry in the bucket is rewritten at most this often.
    pub write_every: Duration,
    /// Keep every fix in the JetStream stream `fleetview-history` this long (`None`: no
    /// history on the cluster).
    pub history: Option<Duration>,
}

impl ClusterConfig {
    pub fn new(url: impl Into<String>, node_id: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            node_id: node_id.into(),
            user: None,
            password: None,
            token: None,
            ca_file: None,
            bucket: "fleetview-positions".into(),
            write_every: Duration::from_secs(3),
            history: None,
        }
    }

    /// This node's live subject.
    pub fn subject(&self) -> String {
        format!("{LIVE}.{}", self.node_id)
    }
}

/// A key-value bucket's stream: `KV_<bucket>` on `$KV.<bucket>.>`, one value per key, entries
/// aged out after `max_age`.
fn bucket_stream(bucket: &str, max_age: Duration) -> jetstream::stream::Config {
    jetstream::stream::Config {
        name: format!("KV_{bucket}"),
        description: Some("fleetview: each vehicle's newest fix".into()),
        subjects: vec![format!("$KV.{bucket}.>")],
        max_messages_per_subject: 1,
        max_age,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        ..Default::default()
    }
}

/// The live subjects' prefix: `fleet.live.<node>`.
pub const LIVE: &str = "fleet.live";

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("node id {0:?} is not a NATS subject token (letters, digits, - and _)")]
    NodeId(String),
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("NATS JetStream key-value bucket {bucket:?}: {reason}")]
    Bucket { bucket: String, reason: String },
    #[error("NATS JetStream history stream fleetview-history: {0}")]
    History(String),
}

/// A node's NATS connection and its bucket, ready to run.
pub struct Cluster {
    pub(crate) config: ClusterConfig,
    pub(crate) client: async_nats::Client,
    pub(crate) kv: jetstream::kv::Store,
    /// Where every fix is kept, when the cluster keeps history.
    pub(crate) history: Option<jetstream::Context>,
    /// Counts the client's connections: each change after the first, the bucket is read again.
    pub(crate) reconnected: tokio::sync::watch::Receiver<u64>,
}

impl Cluster {
    /// Connects (a refused login or an unreachable server is an error naming it) and opens the
    /// bucket, creating it with history 1 and `drop_after` as its entries' age limit.
    pub async fn connect(
        config: ClusterConfig,
        drop_after: Duration,
    ) -> Result<Self, ClusterError> {
        let node_ok = !config.node_id.is_empty()
            && config
                .node_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !node_ok {
            return Err(ClusterError::NodeId(config.node_id.clone()));
        }
        crate::tls::install_crypto_provider();
        let (tx, rx) = tokio::sync::watch::channel(0u64);
        let mut options = async_nats::ConnectOptions::new()
            .name(format!("fleetview-server {}", config.node_id))
            .connection_timeout(Duration::from_secs(5))
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    match event {
                        async_nats::Event::Connected => {
                            tx.send_modify(|n| *n += 1);
                            tracing::info!("NATS connected");
                        }
                        async_nats::Event::Disconnected => tracing::warn!("NATS disconnected"),
                        other => tracing::warn!(event = %other, "NATS"),
                    }
                }
            });
        if let (Some(user), Some(password)) = (&config.user, &config.password) {
            options = options.user_and_password(user.clone(), password.clone());
        }
        if let Some(token) = &config.token {
            options = options.token(token.clone());
        }
        if let Some(ca) = &config.ca_file {
            options = options.add_root_certificates(ca.clone()).require_tls(true);
        }
        let connect_error = |e: &dyn std::fmt::Display| ClusterError::Connect {
            url: config.url.clone(),
            reason: e.to_string(),
        };
        let client = options
            .connect(config.url.as_str())
            .await
            .map_err(|e| connect_error(&e))?;
        let js = jetstream::new(client.clone());
        let bucket_error = |e: &dyn std::fmt::Display| ClusterError::Bucket {
            bucket: config.bucket.clone(),
            reason: e.to_string(),
        };
        let kv = match js.get_key_value(config.bucket.as_str()).await {
            Ok(kv) => kv,
            Err(_) => {
                // The bucket's stream, made as the client's `create_key_value` would: that call
                // first asks for the account's limits in a form NATS 2.9 does not answer.
                js.get_or_create_stream(bucket_stream(&config.bucket, drop_after))
                    .await
                    .map_err(|e| bucket_error(&e))?;
                js.get_key_value(config.bucket.as_str())
                    .await
                    .map_err(|e| bucket_error(&e))?
            }
        };
        let history = match config.history {
            Some(max_age) => {
                js.get_or_create_stream(history::stream_config(max_age))
                    .await
                    .map_err(|e| ClusterError::History(e.to_string()))?;
                Some(js)
            }
            None => None,
        };
        Ok(Self {
            config,
            client,
            kv,
            history,
            reconnected: rx,
        })
    }

    /// Queries over the cluster's history, when it keeps one.
    pub fn stream_history(&self) -> Option<history::StreamHistory> {
        self.history.clone().map(history::StreamHistory::new)
    }
}
