//! Teltonika (FMB, FMC, FMM ... families) over TCP, port 5027 by convention: the IMEI handshake
//! (`u16` length, then the IMEI in ASCII; answered `01` to accept, `00` to refuse), then AVL data
//! packets: four zero bytes, the data's length (`u32`), the data (codec id, record count, the
//! records, the count again), and a CRC-16/IBM of the data in a `u32`. Each packet is answered
//! with the number of records taken (`u32`); a packet whose CRC does not match is not answered,
//! so the device sends it again.
//!
//! Codecs 8 (0x08), 8 Extended (0x8E) and 16 (0x10) are read. A record: time (ms, `u64`),
//! priority, longitude and latitude (degrees x 10^7, `i32`), altitude (m), angle (degrees),
//! satellites, speed (km/h), then its IO elements in groups of 1, 2, 4 and 8 byte values (and in
//! 8E, of any length). Ids are one byte in codec 8, two in 8E and 16; counts one byte in 8 and
//! 16, two in 8E; codec 16 adds a generation type. Well-known IO elements get Traccar's names
//! ([`IO_NAMES`]), the rest `io<N>`. A record with no satellites (or at 0,0) is a status report:
//! its values count, its position does not. Codec 12 (GPRS command responses) is skipped, and
//! so is a keep-alive byte `FF` between frames. Layouts and fixtures are checked against
//! Traccar's `TeltonikaProtocolDecoder` and its tests.

use serde_json::{Map, Value};

use super::tracker::{
    Bytes, Said, TrackerError, TrackerProtocol, TrackerReport, attrs_json, crc16_ibm,
};
use crate::protocol::Fix;

const NAME: &str = "teltonika";
/// The largest AVL packet read (data length): FMB devices send at most 1,280 bytes; this leaves
/// room for codec 8E's variable-length values.
pub const MAX_DATA: usize = 16 * 1024;
/// A keep-alive byte a device may send between frames.
const PING: u8 = 0xFF;
/// The longest IMEI handshake accepted.
const MAX_IMEI: usize = 20;

/// How an IO element's raw value becomes the attribute's.
#[derive(Debug, Clone, Copy)]
pub enum Conv {
    /// As it is.
    Raw,
    /// 0 or 1 as false or true.
    Bool,
    /// Times a factor (mV to V: 0.001).
    Scale(f64),
}

/// Well-known IO elements: (id, attribute, conversion), named as Traccar names them.
pub const IO_NAMES: &[(u16, &str, Conv)] = &[
    (1, "in1", Conv::Bool),
    (9, "adc1", Conv::Scale(0.001)),
    (16, "odometer", Conv::Raw),
    (21, "rssi", Conv::Raw),
    (66, "power", Conv::Scale(0.001)),
    (67, "battery", Conv::Scale(0.001)),
    (68, "batteryCurrent", Conv::Scale(0.001)),
    (69, "gpsStatus", Conv::Raw),
    (80, "dataMode", Conv::Raw),
    (181, "pdop", Conv::Scale(0.1)),
    (182, "hdop", Conv::Scale(0.1)),
    (199, "tripOdometer", Conv::Raw),
    (200, "sleepMode", Conv::Raw),
    (239, "ignition", Conv::Bool),
    (240, "motion", Conv::Bool),
    (241, "operator", Conv::Raw),
];

/// The codecs read, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    C8,
    C8E,
    C16,
}

impl Codec {
    fn of(id: u8) -> Option<Self> {
        match id {
            0x08 => Some(Self::C8),
            0x8E => Some(Self::C8E),
            0x10 => Some(Self::C16),
            _ => None,
        }
    }

    /// Bytes of an IO id, and of a group's count.
    fn widths(self) -> (usize, usize) {
        match self {
            Self::C8 => (1, 1),
            Self::C8E => (2, 2),
            Self::C16 => (2, 1),
        }
    }
}

/// One Teltonika connection's protocol.
#[derive(Debug, Default)]
pub struct Teltonika;

impl TrackerProtocol for Teltonika {
    fn name(&self) -> &'static str {
        NAME
    }

    fn frame_len(&self, buf: &[u8], logged_in: bool) -> Result<Option<usize>, TrackerError> {
        if buf.first() == Some(&PING) {
            return Ok(Some(1));
        }
        if !logged_in {
            let [a, b, ..] = *buf else { return Ok(None) };
            let len = usize::from(u16::from_be_bytes([a, b]));
            if len == 0 || len > MAX_IMEI {
                return Err(garbage(format!("an IMEI handshake of {len} bytes")));
            }
            return Ok((buf.len() >= 2 + len).then_some(2 + len));
        }
        if buf.len() < 8 {
            return Ok(None);
        }
        if buf[..4] != [0, 0, 0, 0] {
            return Err(garbage(format!("preamble {:02x?}", &buf[..4])));
        }
        let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
        if len > MAX_DATA {
            return Err(TrackerError::TooLarge {
                protocol: NAME,
                bytes: len,
                max: MAX_DATA,
            });
        }
        Ok((buf.len() >= 12 + len).then_some(12 + len))
    }

    fn decode(&mut self, frame: &[u8], logged_in: bool) -> Result<Said, TrackerError> {
        if frame == [PING] {
            return Ok(Said::Other {
                what: "ping",
                reply: Vec::new(),
            });
        }
        if !logged_in {
            return login(frame);
        }
        let data = &frame[8..frame.len() - 4];
        let tail = &frame[frame.len() - 4..];
        let found = u16::from_be_bytes([tail[2], tail[3]]);
        let computed = crc16_ibm(data);
        if found != computed || tail[..2] != [0, 0] {
            return Err(TrackerError::BadCrc {
                protocol: NAME,
                found,
                computed,
            });
        }
        avl(data)
    }

    fn login_reply(&mut self, accepted: bool) -> Option<Vec<u8>> {
        Some(vec![u8::from(accepted)])
    }
}

fn garbage(detail: String) -> TrackerError {
    TrackerError::Garbage {
        protocol: NAME,
        detail,
    }
}

fn malformed(detail: String) -> TrackerError {
    TrackerError::Malformed {
        protocol: NAME,
        detail,
    }
}

fn login(frame: &[u8]) -> Result<Said, TrackerError> {
    let imei = &frame[2..];
    if imei.is_empty() || !imei.iter().all(u8::is_ascii_digit) {
        return Err(garbage(format!("IMEI {:?}", String::from_utf8_lossy(imei))));
    }
    Ok(Said::Login {
        imei: String::from_utf8_lossy(imei).into_owned(),
    })
}

/// An AVL packet's data (codec id to the second count), its CRC checked.
fn avl(data: &[u8]) -> Result<Said, TrackerError> {
    let mut b = Bytes::new(data, NAME);
    let id = b.u8("the codec id")?;
    if matches!(id, 0x0C..=0x0E) {
        // A GPRS command's response: nothing to report, nothing to acknowledge.
        return Ok(Said::Other {
            what: "command_response",
            reply: Vec::new(),
        });
    }
    let Some(codec) = Codec::of(id) else {
        return Err(malformed(format!(
            "codec {id:#04x} is not one this server reads"
        )));
    };
    let count = b.u8("the record count")?;
    let mut reports = Vec::with_capacity(usize::from(count));
    for i in 0..count {
        reports.push(record(&mut b, codec).map_err(|e| match e {
            TrackerError::Malformed { detail, .. } => malformed(format!("record {i}: {detail}")),
            other => other,
        })?);
    }
    let again = b.u8("the second record count")?;
    if again != count || b.remaining() != 0 {
        return Err(malformed(format!(
            "{count} records announced, {again} at the end, {} bytes left over",
            b.remaining()
        )));
    }
    Ok(Said::Reports {
        reports,
        reply: u32::from(count).to_be_bytes().to_vec(),
    })
}

/// One AVL record.
fn record(b: &mut Bytes<'_>, codec: Codec) -> Result<TrackerReport, TrackerError> {
    let ts = b.u64("the time")? as i64;
    let priority = b.u8("the priority")?;
    let lon = b.u32("the longitude")? as i32;
    let lat = b.u32("the latitude")? as i32;
    let altitude = b.u16("the altitude")? as i16;
    let angle = b.u16("the angle")?;
    let satellites = b.u8("the satellites")?;
    let speed_kmh = b.u16("the speed")?;
    let mut attrs = Map::new();
    attrs.insert("priority".into(), priority.into());
    attrs.insert("sat".into(), satellites.into());
    attrs.insert("altitude".into(), altitude.into());
    io(b, codec, &mut attrs)?;
    let placed = satellites > 0 && (lat != 0 || lon != 0);
    let fix = placed.then(|| Fix {
        lat: f64::from(lat) / 1e7,
        lon: f64::from(lon) / 1e7,
        ts,
        speed: Some(f32::from(speed_kmh) / 3.6),
        heading: Some(f32::from(angle)),
    });
    Ok(TrackerReport {
        fix,
        ts: Some(ts),
        attrs: attrs_json(attrs),
    })
}

/// A record's IO elements, into `attrs`.
fn io(b: &mut Bytes<'_>, codec: Codec, attrs: &mut Map<String, Value>) -> Result<(), TrackerError> {
    let (id_bytes, count_bytes) = codec.widths();
    let event = b.uint(id_bytes, "the event IO id")?;
    if codec == Codec::C16 {
        let generation = b.u8("the generation type")?;
        attrs.insert("generation".into(), generation.into());
    }
    if event != 0 {
        attrs.insert("event".into(), event.into());
    }
    let total = b.uint(count_bytes, "the IO count")?;
    let mut seen = 0u64;
    for width in [1usize, 2, 4, 8] {
        let n = b.uint(count_bytes, "an IO group's count")?;
        for _ in 0..n {
            let id = b.uint(id_bytes, "an IO id")? as u16;
            let raw = b.uint(width, "an IO value")?;
            let (name, value) = named(id, raw, width);
            attrs.insert(name, value);
        }
        seen += n;
    }
    if codec == Codec::C8E {
        let n = b.u16("the variable-length IO count")?;
        for _ in 0..n {
            let id = b.u16("an IO id")?;
            let len = b.u16("an IO value's length")?;
            let bytes = b.take(usize::from(len), "an IO value")?;
            let hex: String = bytes.iter().map(|x| format!("{x:02x}")).collect();
            attrs.insert(format!("io{id}"), hex.into());
        }
        seen += u64::from(n);
    }
    if seen != total {
        return Err(malformed(format!(
            "{total} IO elements announced, {seen} read"
        )));
    }
    Ok(())
}

/// An IO element as an attribute: its well-known name and unit, or `io<N>` and the raw value
/// (signed by its width where the device means it so is not known: raw unsigned).
fn named(id: u16, raw: u64, width: usize) -> (String, Value) {
    match IO_NAMES.iter().find(|(i, _, _)| *i == id) {
        Some((_, name, conv)) => {
            let value = match conv {
                Conv::Raw => number(raw),
                Conv::Bool => Value::Bool(raw != 0),
                Conv::Scale(f) => serde_json::Number::from_f64(round(raw as f64 * f))
                    .map_or(Value::Null, Value::Number),
            };
            ((*name).to_owned(), value)
        }
        None if width == 8 && raw > (1 << 53) => (format!("io{id}"), raw.to_string().into()),
        None => (format!("io{id}"), number(raw)),
    }
}

fn number(raw: u64) -> Value {
    if raw <= 1 << 53 {
        raw.into()
    } else {
        raw.to_string().into()
    }
}

/// Rounded to the thousandth (mV as V reads 12.345, not 12.345000000000001).
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests;
