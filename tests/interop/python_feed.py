"""A protocol v1 feed served by a third-party stack: Python's `websockets` and `json`.

Prints the port it listens on (127.0.0.1), then serves every viewer a snapshot of N vehicles,
ROUNDS batches of updates 50 ms apart, and one malformed frame. Frames end in a newline, and
json.dumps escapes non-ASCII labels, as many real servers do.

Usage: python3 python_feed.py N ROUNDS
"""

import asyncio
import json
import sys
import time

import websockets

N = int(sys.argv[1])
ROUNDS = int(sys.argv[2])


def now_ms():
    return int(time.time() * 1000)


def position(i, step):
    return {
        "id": f"py-{i}",
        "lat": -16.92 + step * 1e-4,
        "lon": 145.77 + i * 1e-3,
        "ts": now_ms(),
        "heading": 90,
        "speed": 8.3,
        "label": f"Bús {i}",
        "kind": "bus",
        "route": "110",
        "attrs": {"source": "python"},
    }


async def handler(ws):
    json.loads(await ws.recv())  # the subscribe message
    await ws.send(json.dumps({"type": "snapshot", "positions": [position(i, 0) for i in range(N)]}) + "\n")
    for step in range(1, ROUNDS + 1):
        await asyncio.sleep(0.05)
        await ws.send(json.dumps({"type": "positions", "positions": [position(i, step) for i in range(N)]}) + "\n")
    await ws.send("{not json\n")
    await ws.wait_closed()


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(60)  # bounded: the test kills it long before


asyncio.run(main())
