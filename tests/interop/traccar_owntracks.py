"""A Traccar server and an OwnTracks Recorder as third-party stacks serve them, for interop tests
and demos: Python's `websockets` and `json`, on one loopback port.

- Traccar (token login): `GET /api/devices` with `Authorization: Bearer TOKEN` answers the device
  list; `/api/socket?token=TOKEN` sends the latest `positions`, then every second the moved
  vans and trucks (speed in knots, fixTime ISO 8601 with +00:00), an `events` alarm now and then,
  and `{}` keepalives.
- OwnTracks Recorder: `/ws/last` echoes what it gets, answers `LAST` with one location object per
  phone, then pushes a live location per phone every 2 s (tst in seconds, vel in km/h) and a
  `card` now and then.

Prints the port, then serves for at most SECONDS.

Usage: python3 traccar_owntracks.py DEVICES PHONES [SECONDS]
"""

import asyncio
import datetime
import json
import math
import sys
import time

import websockets
from websockets.datastructures import Headers
from websockets.http11 import Response

DEVICES = int(sys.argv[1])
PHONES = int(sys.argv[2])
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 600.0
TOKEN = "demo-token"
CENTRE = (-16.925, 145.765)


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="milliseconds")


def device(i):
    kind = "truck" if i % 3 == 0 else "van"
    return {
        "id": 100 + i, "attributes": {}, "groupId": 0, "calendarId": 0,
        "name": f"{kind.title()} {i + 1}", "uniqueId": f"35824005{i:07d}", "status": "online",
        "lastUpdate": iso(time.time()), "positionId": 0, "phone": None, "model": "FMB920",
        "contact": None, "category": kind, "disabled": False, "expirationTime": None,
    }


def spot(i, t, radius_deg, period_s):
    """A point circling the centre, and its course in degrees."""
    a = 2 * math.pi * ((t / period_s) + i / max(DEVICES + PHONES, 1))
    r = radius_deg * (0.4 + 0.6 * ((i * 37) % 10) / 10)
    lat, lon = CENTRE[0] + r * math.sin(a), CENTRE[1] + r * math.cos(a) * 1.05
    course = (math.degrees(math.atan2(math.cos(a), -math.sin(a))) + 360) % 360
    return lat, lon, course


def position(i, t, pid):
    lat, lon, course = spot(i, t, 0.03, 900)
    return {
        "id": pid, "attributes": {"batteryLevel": 80 + i % 20, "ignition": True, "motion": True},
        "deviceId": 100 + i, "protocol": "teltonika", "serverTime": iso(t), "deviceTime": iso(t),
        "fixTime": iso(t), "outdated": False, "valid": True, "latitude": lat, "longitude": lon,
        "altitude": 12.0, "speed": 21.6, "course": course, "address": None, "accuracy": 5.0,
        "network": None, "geofenceIds": None,
    }


def phone(j, t, live):
    lat, lon, course = spot(DEVICES + j, t, 0.015, 600)
    user = ["jane", "omar", "mei", "lars", "ana", "kofi"][j % 6] + (str(j) if j >= 6 else "")
    obj = {"_type": "location", "lat": lat, "lon": lon, "tst": int(t), "tid": user[:2],
           "topic": f"owntracks/{user}/phone"}
    if live:
        obj.update({"acc": 8, "alt": 20, "batt": 70 + j, "conn": "m", "vel": 32, "cog": int(course),
                    "username": user, "device": "phone", "created_at": int(t)})
    else:
        obj["name"] = user.title()
    return obj


def process_request(connection, request):
    if request.path.startswith("/api/devices"):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return connection.respond(401, "")
        body = json.dumps([device(i) for i in range(DEVICES)]).encode()
        return Response(200, "OK", Headers([("Content-Type", "application/json"),
                                             ("Content-Length", str(len(body)))]), body)
    if request.path.startswith("/api/socket") and f"token={TOKEN}" not in request.path:
        return connection.respond(401, "")
    return None


async def traccar(ws):
    pid = 1
    await ws.send(json.dumps({"positions": [position(i, time.time(), pid + i) for i in range(DEVICES)]}))
    tick = 0
    while True:
        await asyncio.sleep(1)
        tick += 1
        pid += DEVICES
        now = time.time()
        await ws.send(json.dumps({"positions": [position(i, now, pid + i) for i in range(DEVICES)]}))
        if tick % 15 == 0:
            await ws.send(json.dumps({"events": [{"id": tick, "attributes": {"alarm": "sos"},
                                                   "deviceId": 100, "type": "alarm",
                                                   "eventTime": iso(now), "positionId": pid,
                                                   "geofenceId": 0, "maintenanceId": 0}]}))
        if tick % 10 == 0:
            await ws.send("{}")


async def recorder(ws):
    async def answer():
        async for message in ws:
            await ws.send(message)  # the recorder echoes every frame
            if message == "LAST":
                for j in range(PHONES):
                    await ws.send(json.dumps(phone(j, time.time(), live=False)))

    async def push():
        tick = 0
        while True:
            await asyncio.sleep(2)
            tick += 1
            for j in range(PHONES):
                await ws.send(json.dumps(phone(j, time.time(), live=True)))
            if tick % 5 == 0:
                await ws.send(json.dumps({"_type": "card", "name": "Jane", "topic": "owntracks/jane/phone"}))
                await ws.send("")

    await asyncio.gather(answer(), push())


async def handler(ws):
    try:
        if ws.request.path.startswith("/api/socket"):
            await traccar(ws)
        elif ws.request.path.startswith("/ws/last"):
            await recorder(ws)
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, process_request=process_request) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(SECONDS)


asyncio.run(main())
