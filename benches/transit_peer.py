"""The peers of `cargo bench --bench transit`, on the same bytes:

    transit_peer.py ais FILE.nmea    pyais decoding every message (sentences/s)
    transit_peer.py gtfs-rt FILE.pb  gtfs-realtime-bindings parsing the feed (positions/s)

Each prints its rate, the best of 3 runs.
"""

import sys
import time


def ais(path):
    from pyais.stream import FileReaderStream

    lines = sum(1 for line in open(path) if line.strip())
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for message in FileReaderStream(path):
            try:
                message.decode()
            except Exception:
                pass
        best = min(best, time.perf_counter() - start)
    return lines / best


def gtfs_rt(path):
    from google.transit import gtfs_realtime_pb2

    data = open(path, "rb").read()
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        message = gtfs_realtime_pb2.FeedMessage()
        message.ParseFromString(data)
        fleet = {}
        for entity in message.entity:
            v = entity.vehicle
            fleet[v.vehicle.id] = (v.position.latitude, v.position.longitude, v.timestamp)
        best = min(best, time.perf_counter() - start)
    return len(fleet) / best


kind, path = sys.argv[1], sys.argv[2]
print(f"{(ais if kind == 'ais' else gtfs_rt)(path):.0f}")
