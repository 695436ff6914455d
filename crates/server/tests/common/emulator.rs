//! A tracker device emulator for the tests, written apart from the server's decoders: its own
//! CRCs, Teltonika AVL packets of codecs 8, 8E and 16, and GT06 frames (login, GPS, status,
//! alarm), so the server is tested against bytes it did not make.

pub fn crc_ibm(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

pub fn crc_x25(data: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A Teltonika record: time, priority 1, place, altitude 12 m, angle, 9 satellites, speed, and
/// the IO elements already encoded for its codec.
pub fn record(ts: i64, lat: f64, lon: f64, angle: u16, kmh: u16, io: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&(ts as u64).to_be_bytes());
    r.push(1);
    r.extend_from_slice(&((lon * 1e7).round() as i32).to_be_bytes());
    r.extend_from_slice(&((lat * 1e7).round() as i32).to_be_bytes());
    r.extend_from_slice(&12i16.to_be_bytes());
    r.extend_from_slice(&angle.to_be_bytes());
    r.push(9);
    r.extend_from_slice(&kmh.to_be_bytes());
    r.extend_from_slice(io);
    r
}

/// An AVL packet of `records` with `codec`, its CRC right or (`spoil`) wrong.
pub fn avl(codec: u8, records: &[Vec<u8>], spoil: bool) -> Vec<u8> {
    let mut data = vec![codec, records.len() as u8];
    for r in records {
        data.extend_from_slice(r);
    }
    data.push(records.len() as u8);
    let mut out = vec![0, 0, 0, 0];
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(&data);
    let crc = crc_ibm(&data) ^ u16::from(spoil);
    out.extend_from_slice(&u32::from(crc).to_be_bytes());
    out
}

/// Codec 8 IO: event 239, ignition on and movement on (1 byte), external voltage 12,345 mV
/// (2 bytes), odometer 123,456 m (4 bytes), nothing of 8 bytes.
pub const IO8: [u8; 16] = [
    239, 4, // event id, total
    2, 239, 1, 240, 1, // 1-byte
    1, 66, 0x30, 0x39, // 2-byte
    1, 16, 0x00, 0x01, 0xE2, // (continues below)
];

pub fn io8() -> Vec<u8> {
    let mut io = IO8.to_vec();
    io.push(0x40); // odometer's last byte: 0x0001E240 = 123,456
    io.push(0); // no 8-byte values
    io
}

/// Codec 8E IO: 2-byte ids and counts: ignition off, GSM signal 4, and a variable-length value.
pub fn io8e() -> Vec<u8> {
    let mut io = vec![0, 0, 0, 3]; // event 0, total 3
    io.extend_from_slice(&[0, 2, 0, 239, 0, 0, 21, 4]); // two 1-byte
    io.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // no 2, 4, 8-byte
    io.extend_from_slice(&[0, 1, 0x01, 0x00, 0, 3, 0xAA, 0xBB, 0xCC]); // NX: io256 = aabbcc
    io
}

/// Codec 16 IO: 2-byte ids, 1-byte counts, a generation type: battery voltage 4,100 mV.
pub fn io16() -> Vec<u8> {
    vec![0, 67, 1, 1, 0, 1, 0, 67, 0x10, 0x04, 0, 0]
}

/// A GT06 frame: 78 78, length, protocol, content, serial, CRC-ITU, 0D 0A.
pub fn gt06(protocol: u8, content: &[u8], serial: u16) -> Vec<u8> {
    let mut body = vec![(content.len() + 5) as u8, protocol];
    body.extend_from_slice(content);
    body.extend_from_slice(&serial.to_be_bytes());
    let crc = crc_x25(&body);
    let mut out = vec![0x78, 0x78];
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&[0x0D, 0x0A]);
    out
}

/// Date, time and a GPS block: `flags` holds the course and the status bits.
pub fn gps(t: time::OffsetDateTime, lat: f64, lon: f64, kmh: u8, course: u16) -> Vec<u8> {
    let mut g = vec![
        (t.year() - 2000) as u8,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        0xC9, // 12 bytes of GPS, 9 satellites
    ];
    g.extend_from_slice(&((lat.abs() * 1_800_000.0).round() as u32).to_be_bytes());
    g.extend_from_slice(&((lon.abs() * 1_800_000.0).round() as u32).to_be_bytes());
    g.push(kmh);
    // Bit 12: positioned; bit 10: north; bit 11: west.
    let mut flags = course | 1 << 12;
    if lat >= 0.0 {
        flags |= 1 << 10;
    }
    if lon < 0.0 {
        flags |= 1 << 11;
    }
    g.extend_from_slice(&flags.to_be_bytes());
    g
}

pub fn now_utc() -> time::OffsetDateTime {
    let t = time::OffsetDateTime::now_utc();
    t.replace_nanosecond(0).expect("whole seconds")
}

/// `78 78 05 PROTOCOL SERIAL CRC 0D 0A`.
pub fn gt06_answer(protocol: u8, serial: u16) -> Vec<u8> {
    let body = [0x05, protocol, (serial >> 8) as u8, serial as u8];
    let crc = crc_x25(&body);
    [&[0x78, 0x78][..], &body, &crc.to_be_bytes(), &[0x0D, 0x0A]].concat()
}
