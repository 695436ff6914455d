"""The peer of `cargo bench --bench decode`: the same frames, decoded with json.loads (what the
`websockets` package hands a Python client) and applied to a dict keeping the newest fix per id.
Reads protocol v1 frames or compact ones (keeping the ids dictionary and each index's position,
as a compact client must).

Prints updates per second (the best of 3 runs).
"""

import json
import sys
import time

frames = open(sys.argv[1]).read().split("\n")


def v1(fleet, msg):
    if msg["type"] == "snapshot":
        fleet.clear()
    n = 0
    for p in msg.get("positions", ()):
        held = fleet.get(p["id"])
        if held is None or p["ts"] > held["ts"]:
            fleet[p["id"]] = p
        n += 1
    return n if msg["type"] == "positions" else 0


def compact(fleet, state, msg):
    kind = msg["type"]
    ids, at = state
    if kind == "r":
        for i in msg["ids"]:
            fleet.pop(ids.pop(i), None)
        return 0
    if kind == "s" and msg.get("part", 0) == 0:
        ids.clear()
        at.clear()
        fleet.clear()
    for i, vid in msg["def"]:
        ids[i] = vid
        at[i] = (0, 0)
    t = msg["t"]
    for row in msg["rows"]:
        i = row[0]
        lat, lon = at[i]
        lat += row[1]
        lon += row[2]
        at[i] = (lat, lon)
        vid = ids[i]
        ts = t + row[3]
        held = fleet.get(vid)
        if held is None or ts > held[2]:
            fleet[vid] = (lat / 1e7, lon / 1e7, ts)
    return len(msg["rows"]) if kind == "p" else 0


best = float("inf")
updates = 0
for _ in range(3):
    fleet = {}
    state = ({}, {})
    updates = 0
    start = time.perf_counter()
    for text in frames:
        msg = json.loads(text)
        if msg["type"] in ("s", "p", "r"):
            updates += compact(fleet, state, msg)
        else:
            updates += v1(fleet, msg)
    best = min(best, time.perf_counter() - start)
print(f"{updates / best:.0f}")
