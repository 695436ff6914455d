"""The peer of `cargo bench --bench fanout`: the obvious Python broadcast server.

    python3 benches/fanout_peer.py PORT VEHICLES

A `websockets` server with a simulated fleet of VEHICLES, each reporting once a second (spread
over the second) and moving a little each time. A viewer sends `{"type":"subscribe"}` and gets a
snapshot of every vehicle with its label and kind (serialised at most once a tick and shared
by every viewer joining then); then, every 200 ms, the positions reported
since the last tick are serialised once (protocol v1's `positions`, label and kind left out as
the snapshot sent them) and handed to every viewer with `websockets.broadcast`. Pings are off
(the load generator's raw sockets do not answer them). JSON is compact, coordinates rounded to
7 decimals like fleetview's. Each second it prints one JSON line: viewers, how many have more
than a second of data waiting in their write buffer, positions sent, how late the ticks run.
"""

import asyncio
import json
import random
import sys
import time

import websockets
from websockets.asyncio.server import broadcast, serve

PORT = int(sys.argv[1])
N = int(sys.argv[2])
TICK = 0.2

rng = random.Random(7)
now_ms = lambda: int(time.time() * 1000)
fleet = [
    {
        "id": f"veh-{i:05d}",
        "lat": -16.92 + rng.uniform(-0.15, 0.15),
        "lon": 145.77 + rng.uniform(-0.1, 0.1),
        "heading": rng.uniform(0, 360),
        "speed": rng.uniform(0, 15),
        "label": f"Vehicle {i}",
        "kind": ("bus", "van", "truck")[i % 3],
    }
    for i in range(N)
]
viewers = set()
# The snapshot, serialised once per tick at most and shared by every viewer joining then.
snapshot = {"tick": -1, "text": ""}
ticks = 0
stats = {"positions": 0, "late_ms": 0}


def snapshot_text():
    if snapshot["tick"] != ticks:
        ts = now_ms()
        positions = [dict(v, ts=ts) for v in fleet]
        snapshot["text"] = json.dumps({"type": "snapshot", "positions": positions}, separators=(",", ":"))
        snapshot["tick"] = ticks
    return snapshot["text"]


async def handler(ws):
    try:
        await ws.recv()
    except websockets.ConnectionClosed:
        return
    await ws.send(snapshot_text())
    viewers.add(ws)
    try:
        await ws.wait_closed()
    finally:
        viewers.discard(ws)


async def ticker():
    """Every 200 ms on a fixed schedule (a late tick is followed at once by the next): a fifth
    of the fleet reports, so 10,000 vehicles are 10,000 positions a second whatever the load."""
    global ticks
    start = time.monotonic()
    slots = int(1 / TICK)
    while True:
        ticks += 1
        delay = start + ticks * TICK - time.monotonic()
        stats["late_ms"] = max(0, int(-delay * 1000))
        if delay > 0:
            await asyncio.sleep(delay)
        ts = now_ms()
        batch = []
        for v in fleet[ticks % slots::slots]:
            v["lat"] += rng.uniform(-1e-4, 1e-4)
            v["lon"] += rng.uniform(-1e-4, 1e-4)
            batch.append(
                {"id": v["id"], "lat": round(v["lat"], 7), "lon": round(v["lon"], 7), "ts": ts,
                 "heading": round(v["heading"], 1), "speed": round(v["speed"], 1)}
            )
        stats["positions"] += len(batch)
        broadcast(viewers, json.dumps({"type": "positions", "positions": batch}, separators=(",", ":")))


async def report():
    """Each second: viewers, those with over a second of data (1 MB) waiting in their write
    buffer, the largest buffer, positions sent that second, and how late the ticks run."""
    while True:
        await asyncio.sleep(1)
        sizes = [ws.transport.get_write_buffer_size() for ws in list(viewers)]
        print(json.dumps({"viewers": len(sizes), "behind": sum(s > 1_000_000 for s in sizes),
                          "max_buffer": max(sizes, default=0), "positions": stats["positions"],
                          "late_ms": stats["late_ms"]}), flush=True)
        stats["positions"] = 0


async def main():
    async with serve(handler, "127.0.0.1", PORT, ping_interval=None, max_queue=None, backlog=4096):
        await asyncio.gather(ticker(), report())


asyncio.run(main())
