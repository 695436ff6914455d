//! The tracker ports: binary GPS trackers over TCP, one port a protocol (Teltonika on 5027 and
//! GT06 on 5023 by convention, as Traccar listens). The protocols are pure formats in
//! `fleetview_core::formats` (framing, login, acknowledgements); everything else is shared here:
//! the accept loop with its own limits (a connection cap, and a per-address cap that is off by
//! default, because trackers on mobile networks arrive through a few carrier NAT addresses,
//! thousands each), and one connection machine (`conn.rs`) with the login deadline, the registry,
//! the metrics and the hand-off to the hub. A third protocol is one new format file and one line
//! in [`TrackerKind`].

mod conn;

use tokio::net::TcpListener;
use tokio::sync::watch;

use super::http::Cx;
use super::limits::{self, PortSlots};
use fleetview_core::formats::gt06::Gt06;
use fleetview_core::formats::teltonika::Teltonika;
use fleetview_core::formats::tracker::TrackerProtocol;

/// The binary protocols served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackerKind {
    Teltonika,
    Gt06,
}

impl TrackerKind {
    /// Its name in flags, metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Teltonika => "teltonika",
            Self::Gt06 => "gt06",
        }
    }

    /// A new connection's protocol state.
    pub fn protocol(self) -> Box<dyn TrackerProtocol> {
        match self {
            Self::Teltonika => Box::new(Teltonika),
            Self::Gt06 => Box::new(Gt06::default()),
        }
    }
}

/// Serves `kind`'s trackers on `listener` until `shutdown`.
pub(super) async fn serve(
    kind: TrackerKind,
    listener: TcpListener,
    cx: Cx,
    mut shutdown: watch::Receiver<bool>,
) {
    let slots = PortSlots::new(
        cx.config.max_tracker_connections,
        cx.config.tracker_connections_per_address,
    );
    while let Some((stream, peer, slot)) =
        limits::next_admitted(&listener, &mut shutdown, &slots, &cx.metrics).await
    {
        let _ = stream.set_nodelay(true);
        let connection = conn::Connection::new(kind, peer, cx.clone());
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            connection.run(stream, shutdown).await;
            drop(slot);
        });
    }
}
