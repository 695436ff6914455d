//! GT06 / Concox (GT06N, JM01, Concox X3 and their kin) over TCP, port 5023 by convention. A
//! frame: start bits `78 78` and a one-byte length (or `79 79` and two bytes), the protocol
//! number, its content, a serial number, a CRC-ITU (CRC-16/X-25) over the length to the serial
//! number, and stop bits `0D 0A`.
//!
//! - login (0x01): the IMEI in BCD; answered `78 78 05 01 SERIAL CRC 0D 0A` when accepted;
//! - heartbeat / status (0x13): terminal information (ignition, charging), battery level, GSM
//!   signal; answered likewise;
//! - locations (0x12 GPS and LBS, 0x22 GPS and LBS with ACC): date and time (UTC), satellites,
//!   latitude and longitude (1/30,000 of a minute: degrees x 1,800,000), speed (km/h), and a
//!   course-and-status word (course in its low 10 bits; bit 10 set for north, bit 11 for west,
//!   bit 12 for a GPS fix); answered, as Traccar answers them (the devices do not need it);
//! - alarms (0x16, 0x26): a location with the status and the alarm ([`ALARMS`], Traccar's names)
//!   as the fix's `alarm` attribute, so the window raises it as it raises Traccar's; answered.
//!
//! Fixtures and layouts are checked against Traccar's `Gt06ProtocolDecoder` and its tests.
//!
//! Other protocol numbers are skipped and counted, never fatal.

use serde_json::{Map, Value};

use super::tracker::{
    Bytes, Said, TrackerError, TrackerProtocol, TrackerReport, attrs_json, crc16_x25,
};
use crate::protocol::Fix;

const NAME: &str = "gt06";
/// The largest frame read: location and alarm frames are under 100 bytes; `79 79` frames carry
/// more (information, photos' metadata) and are skipped.
pub const MAX_FRAME: usize = 2048;

const LOGIN: u8 = 0x01;
const GPS_LBS: u8 = 0x12;
const STATUS: u8 = 0x13;
const ALARM: u8 = 0x16;
const GPS_LBS_2: u8 = 0x22;
const ALARM_2: u8 = 0x26;

/// Alarm codes (the alarm byte of 0x13, 0x16 and 0x26), as Traccar's `Gt06ProtocolDecoder`
/// names them for a device of no particular model.
pub const ALARMS: &[(u8, &str)] = &[
    (0x01, "sos"),
    (0x02, "powerCut"),
    (0x03, "vibration"),
    (0x04, "geofenceEnter"),
    (0x05, "geofenceExit"),
    (0x06, "overspeed"),
    (0x09, "vibration"),
    (0x0C, "tampering"),
    (0x0E, "lowBattery"),
    (0x0F, "lowBattery"),
    (0x11, "powerOff"),
    (0x13, "tampering"),
    (0x14, "door"),
    (0x18, "removing"),
    (0x19, "lowBattery"),
    (0x1A, "braking"),
    (0x1B, "cornering"),
    (0x23, "fallDown"),
    (0x25, "tampering"),
    (0x26, "acceleration"),
    (0x27, "braking"),
    (0x28, "braking"),
    (0x29, "acceleration"),
    (0x2A, "cornering"),
    (0x2B, "cornering"),
    (0x2C, "accident"),
    (0x2E, "cornering"),
    (0x30, "jamming"),
    (0x32, "tampering"),
    (0x33, "lock"),
    (0x34, "unlock"),
    (0x53, "fuelLeak"),
    (0x5B, "temperature"),
    (0x5C, "temperature"),
    (0xC9, "idle"),
    (0xF0, "acceleration"),
    (0xF1, "braking"),
    (0xF2, "accident"),
];

/// The alarm in bits 3-5 of the terminal information byte.
const STATUS_ALARMS: [Option<&str>; 8] = [
    None,
    Some("vibration"),
    Some("powerCut"),
    Some("lowBattery"),
    Some("sos"),
    None,
    Some("geofence"),
    Some("removing"),
];

/// One GT06 connection's protocol: it remembers the serial number of the last login, which the
/// answer to it repeats.
#[derive(Debug, Default)]
pub struct Gt06 {
    login_serial: u16,
}

impl TrackerProtocol for Gt06 {
    fn name(&self) -> &'static str {
        NAME
    }

    fn frame_len(&self, buf: &[u8], _logged_in: bool) -> Result<Option<usize>, TrackerError> {
        let (total, header) = match buf {
            [0x78, 0x78, len, ..] => (5 + usize::from(*len), 3),
            [0x79, 0x79, a, b, ..] => (6 + usize::from(u16::from_be_bytes([*a, *b])), 4),
            [0x78] | [0x79] | [0x78, 0x78] | [0x79, 0x79] | [0x79, 0x79, _] | [] => {
                return Ok(None);
            }
            _ => {
                return Err(garbage(format!(
                    "start bits {:02x?}",
                    &buf[..buf.len().min(2)]
                )));
            }
        };
        if total < header + 7 {
            return Err(garbage(format!("a frame of {total} bytes")));
        }
        if total > MAX_FRAME {
            return Err(TrackerError::TooLarge {
                protocol: NAME,
                bytes: total,
                max: MAX_FRAME,
            });
        }
        Ok((buf.len() >= total).then_some(total))
    }

    fn decode(&mut self, frame: &[u8], logged_in: bool) -> Result<Said, TrackerError> {
        let header = if frame[0] == 0x79 { 4 } else { 3 };
        let end = frame.len();
        if frame[end - 2..] != [0x0D, 0x0A] {
            return Err(garbage(format!("stop bits {:02x?}", &frame[end - 2..])));
        }
        let found = u16::from_be_bytes([frame[end - 4], frame[end - 3]]);
        let computed = crc16_x25(&frame[2..end - 4]);
        if found != computed {
            return Err(TrackerError::BadCrc {
                protocol: NAME,
                found,
                computed,
            });
        }
        let protocol = frame[header];
        let serial = u16::from_be_bytes([frame[end - 6], frame[end - 5]]);
        let content = &frame[header + 1..end - 6];
        if protocol == LOGIN {
            self.login_serial = serial;
            return login(content);
        }
        if !logged_in {
            return Err(TrackerError::NotLoggedIn { protocol: NAME });
        }
        message(protocol, content, serial)
    }

    fn login_reply(&mut self, accepted: bool) -> Option<Vec<u8>> {
        accepted.then(|| response(LOGIN, self.login_serial))
    }
}

fn garbage(detail: String) -> TrackerError {
    TrackerError::Garbage {
        protocol: NAME,
        detail,
    }
}

/// The short answer a login, a heartbeat or an alarm wants: `78 78 05 PROTOCOL SERIAL CRC 0D 0A`.
pub fn response(protocol: u8, serial: u16) -> Vec<u8> {
    let [s1, s2] = serial.to_be_bytes();
    let mut out = vec![0x78, 0x78, 0x05, protocol, s1, s2];
    let crc = crc16_x25(&out[2..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out.extend_from_slice(&[0x0D, 0x0A]);
    out
}

/// The IMEI of a login: 8 bytes of BCD, 16 digits of which the first (a padding zero) is
/// dropped, as Traccar drops it.
fn login(content: &[u8]) -> Result<Said, TrackerError> {
    let mut b = Bytes::new(content, NAME);
    let bcd = b.take(8, "the IMEI")?;
    let mut imei = String::with_capacity(16);
    for byte in bcd {
        for digit in [byte >> 4, byte & 0x0F] {
            if digit > 9 {
                return Err(garbage(format!("IMEI BCD {bcd:02x?}")));
            }
            imei.push(char::from(b'0' + digit));
        }
    }
    let imei = imei[1..].to_owned();
    if imei.bytes().all(|d| d == b'0') {
        return Err(garbage("an IMEI of zeros".into()));
    }
    Ok(Said::Login { imei })
}

/// A message after the login.
fn message(protocol: u8, content: &[u8], serial: u16) -> Result<Said, TrackerError> {
    let mut b = Bytes::new(content, NAME);
    let mut attrs = Map::new();
    let (report, reply) = match protocol {
        STATUS => {
            status(&mut b, &mut attrs)?;
            let report = TrackerReport {
                fix: None,
                ts: None,
                attrs: None,
            };
            (report, response(protocol, serial))
        }
        GPS_LBS => (located(&mut b, &mut attrs)?, response(protocol, serial)),
        GPS_LBS_2 => {
            let report = located(&mut b, &mut attrs)?;
            acc(&mut b, &mut attrs)?;
            (report, response(protocol, serial))
        }
        ALARM | ALARM_2 => {
            let report = located(&mut b, &mut attrs)?;
            skip_lbs(&mut b)?;
            status(&mut b, &mut attrs)?;
            (report, response(protocol, serial))
        }
        _ => {
            return Ok(Said::Other {
                what: "unknown_type",
                reply: Vec::new(),
            });
        }
    };
    let report = TrackerReport {
        attrs: attrs_json(attrs),
        ..report
    };
    Ok(Said::Reports {
        reports: vec![report],
        reply,
    })
}

/// Date and time, then the GPS block: a report placed where the GPS says, or a status report
/// when it has no fix.
fn located(
    b: &mut Bytes<'_>,
    attrs: &mut Map<String, Value>,
) -> Result<TrackerReport, TrackerError> {
    let ts = date_time(b)?;
    let sats = b.u8("the satellites")? & 0x0F;
    let lat = f64::from(b.u32("the latitude")?) / 1_800_000.0;
    let lon = f64::from(b.u32("the longitude")?) / 1_800_000.0;
    let speed_kmh = b.u8("the speed")?;
    let flags = b.u16("the course and status")?;
    let lat = if flags & (1 << 10) != 0 { lat } else { -lat };
    let lon = if flags & (1 << 11) != 0 { -lon } else { lon };
    let fixed = flags & (1 << 12) != 0;
    attrs.insert("sat".into(), sats.into());
    let fix = fixed.then(|| Fix {
        lat,
        lon,
        ts,
        speed: Some(f32::from(speed_kmh) / 3.6),
        heading: Some(f32::from(flags & 0x03FF)),
    });
    Ok(TrackerReport {
        fix,
        ts: Some(ts),
        attrs: None,
    })
}

/// `YY MM DD hh mm ss`, UTC.
fn date_time(b: &mut Bytes<'_>) -> Result<i64, TrackerError> {
    let f = b.take(6, "the date and time")?;
    let month = time::Month::try_from(f[1]).map_err(|_| bad_time(f))?;
    let date = time::Date::from_calendar_date(2000 + i32::from(f[0]), month, f[2])
        .map_err(|_| bad_time(f))?;
    let at = date.with_hms(f[3], f[4], f[5]).map_err(|_| bad_time(f))?;
    Ok((at.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

fn bad_time(f: &[u8]) -> TrackerError {
    TrackerError::Malformed {
        protocol: NAME,
        detail: format!("date and time {f:02x?}"),
    }
}

/// The cell (LBS) block of an alarm: its length byte, then the cell (MCC, MNC, LAC, cell id:
/// 8 bytes) and whatever more the length says (it counts itself and the cell, 9), skipped.
fn skip_lbs(b: &mut Bytes<'_>) -> Result<(), TrackerError> {
    let len = usize::from(b.u8("the LBS length")?);
    if len > 0 {
        b.take(len.saturating_sub(1).max(8), "the LBS block")?;
    }
    Ok(())
}

/// 0x22's cell (MCC, MNC, LAC, cell id), then ACC, the upload mode and whether the fix is sent
/// again from the device's memory, when the frame has them.
fn acc(b: &mut Bytes<'_>, attrs: &mut Map<String, Value>) -> Result<(), TrackerError> {
    let mcc = b.u16("the MCC")?;
    b.take(if mcc & 0x8000 != 0 { 2 } else { 1 }, "the MNC")?;
    b.take(5, "the LAC and cell id")?;
    if b.remaining() >= 3 {
        attrs.insert("ignition".into(), (b.u8("ACC")? > 0).into());
        attrs.insert("event".into(), b.u8("the upload mode")?.into());
        attrs.insert("archive".into(), (b.u8("the re-upload flag")? > 0).into());
    }
    Ok(())
}

/// Terminal information (ignition, charging, an alarm in bits 3-5, oil and power cut), battery
/// level (0-6, or a percentage), GSM signal (0-4), and the alarm byte when the frame has it.
fn status(b: &mut Bytes<'_>, attrs: &mut Map<String, Value>) -> Result<(), TrackerError> {
    let info = b.u8("the terminal information")?;
    let level = b.u8("the battery level")?;
    let gsm = b.u8("the GSM signal")?;
    attrs.insert("status".into(), info.into());
    attrs.insert("ignition".into(), (info & 0x02 != 0).into());
    attrs.insert("charge".into(), (info & 0x04 != 0).into());
    attrs.insert("blocked".into(), (info & 0x80 != 0).into());
    let level = match level {
        0..=6 => u32::from(level) * 100 / 6,
        l => u32::from(l.min(100)),
    };
    attrs.insert("batteryLevel".into(), level.into());
    attrs.insert("rssi".into(), gsm.into());
    if let Some(alarm) = STATUS_ALARMS[usize::from((info >> 3) & 0x07)] {
        attrs.insert("alarm".into(), alarm.into());
    }
    if b.remaining() > 0 {
        let code = b.u8("the alarm")?;
        if let Some((_, name)) = ALARMS.iter().find(|(c, _)| *c == code) {
            attrs.insert("alarm".into(), (*name).into());
        } else if code != 0 {
            attrs.insert("alarmCode".into(), code.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
