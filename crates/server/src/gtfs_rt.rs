//! The server's fleet as GTFS-Realtime VehiclePositions, at `GET /gtfs-rt/vehicle_positions.pb`,
//! so any transit app or GTFS-RT consumer reads what fleetview publishes.
//!
//! One `FULL_DATASET` `FeedMessage` of every vehicle held: id = `vehicle.id`, label =
//! `vehicle.label`, `route_id` the vehicle's route (named by the static GTFS `route_id` when
//! the server knows its network, as it does the simulated Cairns one), `bearing` degrees,
//! `speed` m/s, `timestamp` POSIX seconds; a status that is one of GTFS-RT's
//! (`STOPPED_AT`, `at_stop`, ...) becomes `current_status`. The message is made at most once a
//! second, however many ask, and carries an `ETag`: a client sending it back in
//! `If-None-Match` gets `304 Not Modified` until the fleet has moved on.
//!
//! With a viewer token set (or a tokens file) the export wants one too, and a scoped token's
//! message holds only the vehicles it may see (one message made per token, each at most once a
//! second).

use std::collections::HashMap;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, HeaderMap, IF_NONE_MATCH};
use hyper::{Response, StatusCode};
use prost::Message;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::HubMsg;
use super::scopes::Access;
use fleetview_core::formats::gtfs_rt::proto;
use fleetview_core::protocol::FixBatch;

/// The export's path.
pub const PATH: &str = "/gtfs-rt/vehicle_positions.pb";
/// The longest a made message is served before it is made again, ms.
const FRESH_MS: i64 = 1000;

struct Made {
    at_ms: i64,
    body: Bytes,
    etag: String,
}

/// The export: the network's route ids and the last message made for each token's scope
/// ("" for the whole fleet).
pub(super) struct Export {
    /// Route short name ("110") -> static GTFS `route_id` ("110-423").
    route_ids: HashMap<String, String>,
    made: Mutex<HashMap<String, Made>>,
}

impl Export {
    pub(super) fn new(route_ids: HashMap<String, String>) -> Self {
        Self {
            route_ids,
            made: Mutex::new(HashMap::new()),
        }
    }

    /// Answers a GET: the message, or 304 when the client has it already.
    pub(super) async fn answer(
        &self,
        headers: &HeaderMap,
        access: &Access,
        hub: &mpsc::Sender<HubMsg>,
        now_ms: i64,
    ) -> Response<Full<Bytes>> {
        let key = access.scope().map_or("", |s| &s.name);
        let mut all = self.made.lock().await;
        // Messages of tokens no longer asking (or no longer in the file) are let go.
        all.retain(|_, m| now_ms - m.at_ms < 60 * FRESH_MS);
        if all.get(key).is_none_or(|m| now_ms - m.at_ms >= FRESH_MS) {
            let (tx, rx) = oneshot::channel();
            let fleet = match hub.send(HubMsg::All(tx)).await {
                Ok(()) => rx.await.ok(),
                Err(_) => None,
            };
            let Some(fleet) = fleet else {
                return plain(StatusCode::SERVICE_UNAVAILABLE, "the hub has stopped\n");
            };
            let fleet = access.visible(fleet);
            let body = Bytes::from(encode(&fleet, &self.route_ids, now_ms));
            all.insert(
                key.to_owned(),
                Made {
                    at_ms: now_ms,
                    body,
                    etag: format!("\"{now_ms}\""),
                },
            );
        }
        let Some(made) = all.get(key) else {
            return plain(StatusCode::SERVICE_UNAVAILABLE, "no message\n");
        };
        let builder = Response::builder()
            .header(ETAG, made.etag.as_str())
            .header(CACHE_CONTROL, "no-cache");
        let has_it = headers
            .get(IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == made.etag));
        let response = if has_it {
            builder
                .status(StatusCode::NOT_MODIFIED)
                .body(Full::new(Bytes::new()))
        } else {
            builder
                .header(CONTENT_TYPE, "application/x-protobuf")
                .body(Full::new(made.body.clone()))
        };
        response.unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "\n"))
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text.to_owned())));
    *response.status_mut() = status;
    response
}

/// The fleet as one `FULL_DATASET` message stamped `now_ms`.
pub fn encode(fleet: &FixBatch, route_ids: &HashMap<String, String>, now_ms: i64) -> Vec<u8> {
    let seconds = |ms: i64| u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    let entity = fleet
        .iter()
        .map(|f| proto::FeedEntity {
            id: f.id.to_owned(),
            is_deleted: None,
            vehicle: Some(proto::VehiclePosition {
                trip: f.meta.route.map(|r| proto::TripDescriptor {
                    trip_id: None,
                    route_id: Some(route_ids.get(r).cloned().unwrap_or_else(|| r.to_owned())),
                }),
                position: Some(proto::Position {
                    latitude: f.lat as f32,
                    longitude: f.lon as f32,
                    bearing: f.heading,
                    speed: f.speed,
                }),
                current_status: f.meta.status.and_then(stop_status),
                timestamp: Some(seconds(f.ts)),
                vehicle: Some(proto::VehicleDescriptor {
                    id: Some(f.id.to_owned()),
                    label: f.meta.label.map(str::to_owned),
                    license_plate: None,
                }),
                ..Default::default()
            }),
        })
        .collect();
    proto::FeedMessage {
        header: proto::FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            incrementality: Some(proto::FULL_DATASET),
            timestamp: Some(seconds(now_ms)),
        },
        entity,
    }
    .encode_to_vec()
}

/// A status that says where a vehicle is relative to its stop, as GTFS-RT's enum.
fn stop_status(status: &str) -> Option<i32> {
    match status.to_ascii_lowercase().as_str() {
        "stopped_at" | "at_stop" => Some(proto::STOPPED_AT),
        "incoming_at" => Some(proto::INCOMING_AT),
        "in_transit_to" => Some(proto::IN_TRANSIT_TO),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fleetview_core::formats::gtfs_rt::GtfsRt;
    use fleetview_core::formats::{Decoded, Format};
    use fleetview_core::protocol::{DecodeLimits, FixRef, Meta};

    #[test]
    fn what_the_server_exports_its_own_gtfs_rt_reader_reads_back() {
        let mut fleet = FixBatch::default();
        fleet.push(&FixRef {
            id: "bus-7",
            lat: -16.92,
            lon: 145.77,
            ts: 1_764_000_000_000,
            heading: Some(90.0),
            speed: Some(8.5),
            meta: Meta {
                label: Some("Bus 110 #7"),
                status: Some("at_stop"),
                route: Some("110"),
                ..Meta::default()
            },
        });
        let ids = HashMap::from([("110".to_owned(), "110-423".to_owned())]);
        let bytes = encode(&fleet, &ids, 1_764_000_001_000);
        let mut out = Decoded::default();
        GtfsRt::new(DecodeLimits::default()).decode_bytes(&bytes, 0, &mut out);
        let fleetview_core::events::FeedEvent::Snapshot(batch) = &out.events[0] else {
            panic!("{:?}", out.events);
        };
        let f = batch.get(0).expect("the bus");
        assert_eq!(
            (f.id, f.ts, f.speed),
            ("bus-7", 1_764_000_000_000, Some(8.5))
        );
        assert!((f.lat + 16.92).abs() < 1e-5);
        assert_eq!(f.meta.label, Some("Bus 110 #7"));
        assert_eq!(
            f.meta.route,
            Some("110-423"),
            "named by the static GTFS route_id"
        );
        assert_eq!(f.meta.status, Some("STOPPED_AT"));
    }
}
