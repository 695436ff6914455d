#!/usr/bin/env python3
"""What pyais (an independent AIS decoder) makes of an NMEA file: each ship's last position,
speed and name, as JSON keyed by MMSI. The transit tests compare fleetview's decoding to it.

    python3 tests/transit/pyais_decode.py FILE.nmea

Positions of types 1-3, 18, 19 and 27 count; 91/181 (not available) do not. Names come from
types 5, 19 and 24 (part A), cut at the first '@' (AIS text's end mark) and trimmed.
"""

import json
import sys

from pyais.stream import FileReaderStream

POSITIONS = {1, 2, 3, 18, 19, 27}


def name_of(raw):
    name = (raw or "").split("@")[0].strip()
    return name or None


ships = {}
names = {}
for message in FileReaderStream(sys.argv[1]):
    try:
        m = message.decode()
    except Exception:  # a sentence pyais cannot read: fleetview counts those
        continue
    if m.msg_type in (5, 19, 24) and getattr(m, "shipname", None):
        name = name_of(m.shipname)
        if name:
            names[m.mmsi] = name
    if m.msg_type in POSITIONS:
        if m.lat is None or m.lon is None or abs(m.lat) > 90 or abs(m.lon) > 180:
            continue
        speed = getattr(m, "speed", None)
        ships[str(m.mmsi)] = {
            "lat": m.lat,
            "lon": m.lon,
            "knots": speed if speed is not None and speed < 102.3 else None,
        }
for mmsi, ship in ships.items():
    ship["name"] = names.get(int(mmsi))
json.dump(ships, sys.stdout, indent=1, sort_keys=True)
