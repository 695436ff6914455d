"""The obvious Python asyncio Teltonika server, fleetview-server's peer in `cargo bench --bench
trackers`: the IMEI handshake answered 01, each AVL packet (codec 8) checked (CRC-16/IBM),
decoded (time, place, speed of each record) and acknowledged with its record count, and every
record broadcast to the viewers as a line "IMEI TIME_MS LAT LON\n".

    python3 trackers_peer.py TRACKER_PORT VIEWER_PORT
"""

import asyncio
import struct
import sys

viewers = set()


def crc16_ibm(data):
    crc = 0
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def records(data):
    """(ts, lat, lon) of each codec 8 record of an AVL packet's data."""
    count = data[1]
    at = 2
    out = []
    for _ in range(count):
        ts, _prio, lon, lat, _alt, _angle, _sats, _speed = struct.unpack_from(">QBiihHBH", data, at)
        at += 24
        _event, _total = data[at], data[at + 1]
        at += 2
        for width in (1, 2, 4, 8):
            n = data[at]
            at += 1 + n * (1 + width)
        out.append((ts, lat / 1e7, lon / 1e7))
    return out


async def tracker(reader, writer):
    try:
        head = await reader.readexactly(2)
        imei = (await reader.readexactly(struct.unpack(">H", head)[0])).decode()
        writer.write(b"\x01")
        while True:
            head = await reader.readexactly(8)
            length = struct.unpack(">I", head[4:])[0]
            data = await reader.readexactly(length)
            crc = struct.unpack(">I", await reader.readexactly(4))[0]
            if crc != crc16_ibm(data):
                continue
            found = records(data)
            lines = "".join(f"{imei} {ts} {lat} {lon}\n" for ts, lat, lon in found).encode()
            for v in list(viewers):
                v.write(lines)
            writer.write(struct.pack(">I", len(found)))
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def viewer(reader, writer):
    viewers.add(writer)
    try:
        await reader.read()
    finally:
        viewers.discard(writer)


async def main(tracker_port, viewer_port):
    a = await asyncio.start_server(tracker, "127.0.0.1", tracker_port, backlog=4096)
    b = await asyncio.start_server(viewer, "127.0.0.1", viewer_port)
    async with a, b:
        await asyncio.gather(a.serve_forever(), b.serve_forever())


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
