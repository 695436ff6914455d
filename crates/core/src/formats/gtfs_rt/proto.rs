//! The part of GTFS-Realtime's `gtfs-realtime.proto` (proto2) that positions need, declared by
//! hand as `prost` messages so that no `protoc` is needed to build. Tags and types are the
//! specification's; every other field (trip updates, alerts, extensions 1000-1999) is an
//! unknown field to prost, skipped on decoding and never refused.

/// `FeedMessage`: a header and entities.
#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedMessage {
    #[prost(message, required, tag = "1")]
    pub header: FeedHeader,
    #[prost(message, repeated, tag = "2")]
    pub entity: Vec<FeedEntity>,
}

/// `FeedHeader.Incrementality`.
pub const FULL_DATASET: i32 = 0;
pub const DIFFERENTIAL: i32 = 1;

#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedHeader {
    #[prost(string, required, tag = "1")]
    pub gtfs_realtime_version: String,
    /// Absent means `FULL_DATASET`.
    #[prost(int32, optional, tag = "2")]
    pub incrementality: Option<i32>,
    /// POSIX seconds.
    #[prost(uint64, optional, tag = "3")]
    pub timestamp: Option<u64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FeedEntity {
    #[prost(string, required, tag = "1")]
    pub id: String,
    #[prost(bool, optional, tag = "2")]
    pub is_deleted: Option<bool>,
    #[prost(message, optional, tag = "4")]
    pub vehicle: Option<VehiclePosition>,
}

/// `VehiclePosition.VehicleStopStatus`; absent means `IN_TRANSIT_TO`.
pub const INCOMING_AT: i32 = 0;
pub const STOPPED_AT: i32 = 1;
pub const IN_TRANSIT_TO: i32 = 2;

#[derive(Clone, PartialEq, prost::Message)]
pub struct VehiclePosition {
    #[prost(message, optional, tag = "1")]
    pub trip: Option<TripDescriptor>,
    #[prost(message, optional, tag = "2")]
    pub position: Option<Position>,
    #[prost(uint32, optional, tag = "3")]
    pub current_stop_sequence: Option<u32>,
    #[prost(int32, optional, tag = "4")]
    pub current_status: Option<i32>,
    /// POSIX seconds.
    #[prost(uint64, optional, tag = "5")]
    pub timestamp: Option<u64>,
    #[prost(string, optional, tag = "7")]
    pub stop_id: Option<String>,
    #[prost(message, optional, tag = "8")]
    pub vehicle: Option<VehicleDescriptor>,
    #[prost(int32, optional, tag = "9")]
    pub occupancy_status: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TripDescriptor {
    #[prost(string, optional, tag = "1")]
    pub trip_id: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub route_id: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct VehicleDescriptor {
    #[prost(string, optional, tag = "1")]
    pub id: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub label: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub license_plate: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Position {
    /// WGS84 degrees.
    #[prost(float, required, tag = "1")]
    pub latitude: f32,
    #[prost(float, required, tag = "2")]
    pub longitude: f32,
    /// Degrees clockwise from true north.
    #[prost(float, optional, tag = "3")]
    pub bearing: Option<f32>,
    /// Metres per second.
    #[prost(float, optional, tag = "5")]
    pub speed: Option<f32>,
}

/// `OccupancyStatus` in words, as the specification names it.
pub fn occupancy_name(value: i32) -> Option<&'static str> {
    Some(match value {
        0 => "EMPTY",
        1 => "MANY_SEATS_AVAILABLE",
        2 => "FEW_SEATS_AVAILABLE",
        3 => "STANDING_ROOM_ONLY",
        4 => "CRUSHED_STANDING_ROOM_ONLY",
        5 => "FULL",
        6 => "NOT_ACCEPTING_PASSENGERS",
        7 => "NO_DATA_AVAILABLE",
        8 => "NOT_BOARDABLE",
        _ => return None,
    })
}
