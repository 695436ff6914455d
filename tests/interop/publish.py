"""Publish one position to a fleetview feed server with Python's `websockets` package.

Usage: python3 publish.py ws://127.0.0.1:9000/ingest [TOKEN]
"""

import asyncio
import json
import sys
import time

import websockets


async def main(url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with websockets.connect(url, additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "report", "positions": [{
            "id": "truck-12", "label": "Truck 12", "kind": "truck",
            "lat": -16.9186, "lon": 145.7781, "ts": int(time.time() * 1000),
            "heading": 270, "speed": 13.9,
        }]}))
        try:  # the server answers only when it refuses something
            print(await asyncio.wait_for(ws.recv(), timeout=0.5))
        except asyncio.TimeoutError:
            print("published")


asyncio.run(main(*sys.argv[1:]))
