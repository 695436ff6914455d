//! Wire protocol v1: JSON text frames between devices, the feed server and viewers.
//!
//! Only types and pure functions live here (no I/O), so the client, the server, tests and
//! benchmarks all speak exactly the same language. `wire` holds the owned message types used to
//! encode; `decode` turns a viewer's incoming frame into a compact [`FixBatch`] with every bad
//! part rejected for a stated [`RejectReason`] while the valid rest is kept.

mod batch;
mod decode;
mod reject;
mod wire;

pub use batch::{FixBatch, FixRef};
pub use decode::{DecodeLimits, ServerFrame, decode_report, decode_server};
pub use reject::{RejectReason, RejectTally, Rejection};
pub use wire::{BBox, ClientMessage, DeviceMessage, Position, ServerMessage, Subscribe, encode};
