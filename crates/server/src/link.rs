//! One accepted connection on the WebSocket port: TLS when configured, the upgrade (or a plain
//! HTTP request answered), then a viewer's or a publisher's session.

use std::net::SocketAddr;

use tokio::sync::watch;

use super::{ViewerId, conn, http, ingest, limits, metrics, viewer};

/// One accepted connection, over whichever stream it came on.
pub(crate) struct Link {
    pub(crate) peer: SocketAddr,
    pub(crate) id: ViewerId,
    pub(crate) permit: Option<tokio::sync::OwnedSemaphorePermit>,
    /// This connection's place in its address's count.
    pub(crate) address_slot: limits::AddressSlot,
    /// When the upgrade must be done by.
    pub(crate) deadline: tokio::time::Instant,
    /// What answering needs (config, metrics, the hub, the exports, history).
    pub(crate) cx: http::Cx,
    pub(crate) shutdown: watch::Receiver<bool>,
}

impl Link {
    /// The connection, over TLS when the server has an acceptor (its handshake counted in the
    /// upgrade deadline).
    pub(crate) async fn serve(
        self,
        stream: tokio::net::TcpStream,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
    ) {
        let peer = self.peer;
        match acceptor {
            None => self.run(stream).await,
            Some(acceptor) => {
                match tokio::time::timeout_at(self.deadline, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => self.run(tls).await,
                    Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                }
            }
        }
    }

    async fn run<S: conn::Stream>(self, stream: S) {
        let peer = self.peer;
        let cx = &self.cx;
        let upgrade = conn::upgrade(stream, &cx.config, self.permit.as_ref(), cx);
        let upgraded = match tokio::time::timeout_at(self.deadline, upgrade).await {
            Ok(done) => done,
            Err(_) => {
                self.cx.metrics.turned_away(metrics::Turned::Slow);
                Err("no upgrade in time".to_owned())
            }
        };
        let (ws, role) = match upgraded {
            Ok(Some(ok)) => ok,
            // Plain HTTP requests, answered.
            Ok(None) => return,
            Err(why) => {
                tracing::info!(%peer, %why, "connection refused");
                return;
            }
        };
        tracing::debug!(%peer, ?role, "connected");
        match role {
            conn::Role::Viewer { token } => {
                viewer::session(
                    ws,
                    self.id,
                    token,
                    self.cx.hub.clone(),
                    &self.cx.config,
                    self.shutdown,
                )
                .await;
            }
            conn::Role::Publisher { token } => {
                let cx = &self.cx;
                let publisher = ingest::Publisher {
                    token,
                    hub: cx.hub.clone(),
                };
                ingest::session(ws, publisher, &cx.config, &cx.metrics, self.shutdown).await
            }
        }
        tracing::debug!(%peer, "disconnected");
        drop(self.permit);
        drop(self.address_slot);
    }
}
