"""A made-up national fleet for looking at the window at country zoom: ~700 vehicles around
Australian cities and on the highways between them, reported to a fleetview feed server's
/ingest every 2 s (protocol v1 `report`). One in twenty goes quiet after its first report, so
stale and lost vehicles show too. Used for the README's screenshot:

    fleetview-server --listen 127.0.0.1:9400 &
    python3 assets/demo/national_fleet.py ws://127.0.0.1:9400/ingest &
    fleetview --feed National=ws://127.0.0.1:9400/feed --tiles http://127.0.0.1:8765/{z}/{x}/{y}.png

Needs `pip install websockets`.
"""

import asyncio
import json
import math
import random
import sys
import time

import websockets

CITIES = [  # name, lat, lon, vehicles
    ("Sydney", -33.87, 151.21, 150), ("Melbourne", -37.81, 144.96, 130),
    ("Brisbane", -27.47, 153.03, 90), ("Perth", -31.95, 115.86, 70),
    ("Adelaide", -34.93, 138.60, 50), ("Cairns", -16.92, 145.77, 25),
    ("Canberra", -35.28, 149.13, 20), ("Hobart", -42.88, 147.33, 15),
    ("Townsville", -19.26, 146.82, 15), ("Darwin", -12.46, 130.84, 12),
    ("Alice Springs", -23.70, 133.88, 6),
]
HIGHWAYS = [("Sydney", "Melbourne", 40), ("Sydney", "Brisbane", 35), ("Adelaide", "Perth", 25),
            ("Brisbane", "Cairns", 25), ("Adelaide", "Darwin", 15)]


def fleet(rng):
    at = {name: (lat, lon) for name, lat, lon, _ in CITIES}
    vehicles = []
    for name, lat, lon, n in CITIES:
        for i in range(n):
            kind = rng.choice(["bus", "van", "van", "car"])
            vehicles.append({"id": f"{name.lower().replace(' ', '-')}-{i}",
                             "label": f"{name[:3].upper()} {kind} {i}", "kind": kind,
                             "lat": lat + rng.gauss(0, 0.08), "lon": lon + rng.gauss(0, 0.08)})
    for a, b, n in HIGHWAYS:
        for i in range(n):
            f = rng.random()
            (la, oa), (lb, ob) = at[a], at[b]
            vehicles.append({"id": f"truck-{a[:3]}-{b[:3]}-{i}".lower(),
                             "label": f"Truck {a[:3]}-{b[:3]} {i}", "kind": "truck",
                             "lat": la + (lb - la) * f, "lon": oa + (ob - oa) * f})
    for v in vehicles:
        v["heading"] = rng.uniform(0, 360)
        v["speed"] = rng.choice([0.0, rng.uniform(5, 25)])
        v["quiet"] = rng.random() < 0.05
    return vehicles


async def main(url):
    rng = random.Random(7)
    vehicles = fleet(rng)
    first = True
    async with websockets.connect(url, max_size=None) as ws:
        while True:
            now = int(time.time() * 1000)
            batch = []
            for v in vehicles:
                if v["quiet"] and not first:
                    continue
                d = v["speed"] * 2.0 / 111_000
                v["lat"] += d * math.cos(math.radians(v["heading"]))
                v["lon"] += d * math.sin(math.radians(v["heading"])) / math.cos(math.radians(v["lat"]))
                batch.append({k: v[k] for k in ("id", "label", "kind", "lat", "lon", "heading", "speed")}
                             | {"ts": now})
            for i in range(0, len(batch), 90):
                await ws.send(json.dumps({"type": "report", "positions": batch[i:i + 90]}))
                await asyncio.sleep(0.02)
            first = False
            await asyncio.sleep(2.0)


asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:9400/ingest"))
