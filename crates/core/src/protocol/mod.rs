//! Wire protocol v1: JSON text frames between devices, the feed server and viewers, and its
//! compact encoding of server frames ([`compact`]), negotiated in `subscribe`.
//!
//! Only types and pure functions live here (no I/O), so the client, the server, tests and
//! benchmarks all speak exactly the same language. `wire` holds the owned message types used to
//! encode; `decode` turns a viewer's incoming frame into a compact [`FixBatch`] with every bad
//! part rejected for a stated [`RejectReason`] while the valid rest is kept.
//!
//! ```
//! use fleetview_core::protocol::{DecodeLimits, RejectReason, RejectTally, ServerFrame, decode_server};
//!
//! let frame = r#"{"type":"positions","positions":[
//!     {"id":"bus-1","lat":-16.92,"lon":145.77,"ts":1764000000000,"kind":"bus"},
//!     {"id":"bus-2","lat":"north","lon":145.77,"ts":1764000000000}]}
//! "#;
//! let mut refused = RejectTally::default();
//! let Ok(ServerFrame::Positions(batch)) = decode_server(frame, &DecodeLimits::default(), &mut refused)
//! else {
//!     panic!("a positions frame");
//! };
//! // The valid position is kept, the bad one refused with its reason.
//! assert_eq!(batch.iter().map(|f| f.id).collect::<Vec<_>>(), ["bus-1"]);
//! assert_eq!(refused.count(RejectReason::BadCoordinates), 1);
//! ```

mod batch;
pub mod compact;
mod decode;
mod fix;
mod meta;
mod reject;
mod scan;
mod validate;
mod wire;

pub use batch::{FixBatch, FixRef};
pub use compact::{Dictionary, Encoding};
pub use decode::{DecodeLimits, ServerFrame, decode_frame, decode_report, decode_server};
pub use fix::Fix;
pub use meta::{Meta, MetaRef, OwnedMeta, update_text};
pub use reject::truncate;
pub use reject::{RejectReason, RejectTally, Rejection};
pub use validate::{Candidate, MAX_TS_MS, json_ms};
pub use wire::{BBox, ClientMessage, DeviceMessage, Position, ServerMessage, Subscribe, encode};
