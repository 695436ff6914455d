#!/usr/bin/env python3
"""Regenerate assets/cairns_routes.json from the Cairns GTFS feed that ships in gtfs-kit's sdist.

    python3 assets/make_cairns_routes.py            # downloads gtfs-kit 13.0.1's sdist with pip
    python3 assets/make_cairns_routes.py GTFS.zip   # or reads a cairns_gtfs.zip you have

The asset keeps what the simulator needs: each route's names and colour, and each shape's
geometry with the stops of a trip that runs it, in order. Coordinates are WGS84 degrees rounded
to 6 decimals (~0.1 m); consecutive duplicate points are dropped. Standard library only.
"""

import csv
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cairns_routes.json")
SDIST = "gtfs-kit==13.0.1"


def fetch_zip():
    tmp = tempfile.mkdtemp()
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:", SDIST, "-d", tmp],
        check=True,
    )
    (sdist,) = [f for f in os.listdir(tmp) if f.endswith(".tar.gz")]
    with tarfile.open(os.path.join(tmp, sdist)) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("data/cairns_gtfs.zip"))
        return tar.extractfile(member).read()


def table(z, name):
    with z.open(name) as f:
        return list(csv.DictReader(io.TextIOWrapper(f, encoding="utf-8-sig")))


def main():
    data = open(sys.argv[1], "rb").read() if len(sys.argv) > 1 else fetch_zip()
    z = zipfile.ZipFile(io.BytesIO(data))
    routes = table(z, "routes.txt")
    trips = table(z, "trips.txt")
    stops = {s["stop_id"]: s for s in table(z, "stops.txt")}

    points = {}
    for row in table(z, "shapes.txt"):
        points.setdefault(row["shape_id"], []).append(
            (int(row["shape_pt_sequence"]), round(float(row["shape_pt_lat"]), 6), round(float(row["shape_pt_lon"]), 6))
        )

    # One representative trip per shape: the first in the file.
    trip_of_shape = {}
    for t in trips:
        trip_of_shape.setdefault(t["shape_id"], t)
    wanted = {t["trip_id"] for t in trip_of_shape.values()}
    stop_seq = {}
    for st in table(z, "stop_times.txt"):
        if st["trip_id"] in wanted:
            stop_seq.setdefault(st["trip_id"], []).append((int(st["stop_sequence"]), st["stop_id"]))

    shapes = []
    for shape_id in sorted(points):
        trip = trip_of_shape.get(shape_id)
        if trip is None:
            continue
        line = []
        for _, lat, lon in sorted(points[shape_id]):
            if not line or line[-1] != [lat, lon]:
                line.append([lat, lon])
        stop_list = []
        for _, stop_id in sorted(stop_seq.get(trip["trip_id"], [])):
            s = stops[stop_id]
            stop_list.append({"name": s["stop_name"], "lat": round(float(s["stop_lat"]), 6), "lon": round(float(s["stop_lon"]), 6)})
        shapes.append(
            {"id": shape_id, "route": trip["route_id"], "headsign": trip["trip_headsign"], "points": line, "stops": stop_list}
        )

    asset = {
        "source": "Cairns GTFS (Department of Transport and Main Roads - TransLink Division, Queensland, 2014), "
        "data/cairns_gtfs.zip in the sdist of gtfs-kit 13.0.1",
        "routes": [
            {"id": r["route_id"], "name": r["route_short_name"], "long_name": r["route_long_name"], "color": r["route_color"]}
            for r in routes
        ],
        "shapes": shapes,
    }
    with open(OUT, "w") as f:
        json.dump(asset, f, separators=(",", ":"), ensure_ascii=False)
        f.write("\n")
    n_points = sum(len(s["points"]) for s in shapes)
    print(f"wrote {OUT}: {len(asset['routes'])} routes, {len(shapes)} shapes, {n_points} points")


if __name__ == "__main__":
    main()
