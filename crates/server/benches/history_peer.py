"""The history bench's peer: the same fixes in SQLite (one row per fix, an index on (id, ts)),
loaded in one transaction, and the same queries: one vehicle's day as JSON and as GPX, the
fleet at a moment, and reading a day of one vehicle for its trips (speed under 0.5 m/s for at
least 5 minutes is a stop). Prints the figures the Rust side prints.

    python3 history_peer.py FIXES.csv DB.sqlite VEHICLE FROM_MS TO_MS
"""
import csv
import json
import os
import sqlite3
import sys
import time
from datetime import datetime, timezone


def best_of(runs, f):
    f()
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - started)
    return best, result


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main():
    path, db, vehicle = sys.argv[1], sys.argv[2], sys.argv[3]
    t_from, t_to = int(sys.argv[4]), int(sys.argv[5])
    if os.path.exists(db):
        os.remove(db)
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE fixes (id TEXT, ts INTEGER, lat REAL, lon REAL, speed REAL, heading REAL)")
    con.execute("CREATE INDEX fixes_id_ts ON fixes (id, ts)")
    started = time.process_time()
    with open(path, newline="") as f:
        rows = ((r[0], int(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in csv.reader(f))
        with con:
            con.executemany("INSERT INTO fixes VALUES (?, ?, ?, ?, ?, ?)", rows)
    spent = time.process_time() - started
    n = con.execute("SELECT COUNT(*) FROM fixes").fetchone()[0]
    con.close()
    con = sqlite3.connect(db)
    print(f"peer store: {n} fixes in SQLite: {os.path.getsize(db) / n:.1f} bytes/fix on disk, "
          f"written in {spent:.1f} s of CPU ({spent / n * 1e6:.2f} us/fix)")
    day = lambda: con.execute(
        "SELECT id, ts, lat, lon, speed, heading FROM fixes WHERE id = ? AND ts BETWEEN ? AND ? ORDER BY ts",
        (vehicle, t_from, t_to)).fetchall()

    def as_json():
        rows = day()
        return len(json.dumps({"id": vehicle, "fixes": [
            {"id": r[0], "ts": r[1], "lat": r[2], "lon": r[3], "speed": r[4], "heading": r[5]} for r in rows]}))

    def as_gpx():
        rows = day()
        pts = "".join(f'<trkpt lat="{r[2]}" lon="{r[3]}"><time>{iso(r[1])}</time></trkpt>' for r in rows)
        return len(f'<gpx version="1.1"><trk><name>{vehicle}</name><trkseg>{pts}</trkseg></trk></gpx>')

    at = t_from + (t_to - t_from) // 2

    def fleet():
        return len(con.execute(
            "SELECT f.* FROM fixes f JOIN (SELECT id, MAX(ts) AS m FROM fixes WHERE ts BETWEEN ? AND ? GROUP BY id) g "
            "ON f.id = g.id AND f.ts = g.m", (at - 600_000, at)).fetchall())

    def trips():
        rows, count, moving, still_since = day(), 0, False, None
        for r in rows:
            if r[4] >= 0.5:
                if not moving:
                    count += 1
                moving, still_since = True, None
            else:
                still_since = still_since or r[1]
                if moving and r[1] - still_since >= 300_000:
                    moving = False
        return count

    for name, f in [("one vehicle's day as JSON", as_json), ("one vehicle's day as GPX", as_gpx),
                    ("the fleet at a moment", fleet), ("a day's trips", trips)]:
        t, r = best_of(5, f)
        print(f"peer: {name}: {t * 1e3:.1f} ms ({r})")


if __name__ == "__main__":
    main()
