#!/usr/bin/env python3
"""What MobilityData's gtfs-realtime-bindings (an independent GTFS-RT decoder) makes of a
VehiclePositions feed at a URL: the header and each vehicle, as JSON.

    python3 tests/transit/gtfs_rt_decode.py URL
"""

import json
import sys
import urllib.request

from google.transit import gtfs_realtime_pb2

message = gtfs_realtime_pb2.FeedMessage()
with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    content_type = answer.headers.get("Content-Type")
    message.ParseFromString(answer.read())
vehicles = {}
for entity in message.entity:
    v = entity.vehicle
    vehicles[v.vehicle.id] = {
        "label": v.vehicle.label,
        "lat": v.position.latitude,
        "lon": v.position.longitude,
        "speed": v.position.speed if v.position.HasField("speed") else None,
        "timestamp": v.timestamp,
        "route_id": v.trip.route_id if v.HasField("trip") else None,
    }
json.dump(
    {
        "content_type": content_type,
        "version": message.header.gtfs_realtime_version,
        "incrementality": message.header.incrementality,
        "timestamp": message.header.timestamp,
        "vehicles": vehicles,
    },
    sys.stdout,
)
