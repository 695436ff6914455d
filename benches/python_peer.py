"""The peer of `cargo bench --bench decode`: the same frames, decoded with json.loads (what the
`websockets` package hands a Python client) and applied to a dict keeping the newest fix per id.

Prints updates per second (the best of 3 runs).
"""

import json
import sys
import time

frames = open(sys.argv[1]).read().split("\n")
updates = sum(f.count('"id":') for f in frames if f.startswith('{"type":"positions"'))
best = float("inf")
for _ in range(3):
    fleet = {}
    start = time.perf_counter()
    for text in frames:
        msg = json.loads(text)
        if msg["type"] == "snapshot":
            fleet = {}
        for p in msg.get("positions", ()):
            held = fleet.get(p["id"])
            if held is None or p["ts"] > held["ts"]:
                fleet[p["id"]] = p
    best = min(best, time.perf_counter() - start)
print(f"{updates / best:.0f}")
