//! Binary GPS trackers over TCP: what every protocol (`teltonika`, `gt06`, ...) gives the
//! connection that carries it. A protocol splits the byte stream into frames, decodes a frame
//! into what the device said ([`Said`]), and writes its acknowledgements; the connection (the
//! server's `trackers` module) owns the socket, the login deadline, the registry, the limits and
//! the hand-off to the hub, the same for every protocol. No protocol sees a socket or a clock.

use crate::protocol::Fix;

/// One report of a tracker: where it was (`None` when the record has no valid position: a
/// status report), when, and its other values as the JSON text of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackerReport {
    pub fix: Option<Fix>,
    /// Device time, UTC ms; `None` for a message that carries no time (a heartbeat): when it
    /// arrived.
    pub ts: Option<i64>,
    pub attrs: Option<String>,
}

/// What one frame said.
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// The device named itself: its IMEI. The connection decides whether it may report, and
    /// answers with [`TrackerProtocol::login_reply`].
    Login { imei: String },
    /// Reports, and the acknowledgement to send once they are taken (empty: none).
    Reports {
        reports: Vec<TrackerReport>,
        reply: Vec<u8>,
    },
    /// A frame understood that reports nothing (a heartbeat, a command's response, a type this
    /// decoder skips), counted as `what`; `reply` is sent when the protocol wants one.
    Other { what: &'static str, reply: Vec<u8> },
}

/// Why a frame (or the stream) was refused. Each has a reason for the metrics; a fatal one closes
/// the connection, the others cost only the frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackerError {
    /// Bytes that are no frame of this protocol: the stream cannot be followed any further.
    #[error("not a {protocol} frame: {detail}")]
    Garbage {
        protocol: &'static str,
        detail: String,
    },
    /// A frame announced larger than the protocol's maximum.
    #[error("a {protocol} frame of {bytes} bytes is over the limit of {max}")]
    TooLarge {
        protocol: &'static str,
        bytes: usize,
        max: usize,
    },
    /// The frame's checksum does not match: not acknowledged (the device sends it again).
    #[error("{protocol}: checksum {found:#06x}, computed {computed:#06x}")]
    BadCrc {
        protocol: &'static str,
        found: u16,
        computed: u16,
    },
    /// The frame's structure contradicts itself (record counts, lengths, a record cut short).
    #[error("{protocol}: {detail}")]
    Malformed {
        protocol: &'static str,
        detail: String,
    },
    /// Data before the device said who it is.
    #[error("{protocol}: data before the login")]
    NotLoggedIn { protocol: &'static str },
}

impl TrackerError {
    /// The reason as `/metrics` labels it.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Garbage { .. } => "garbage",
            Self::TooLarge { .. } => "too_large",
            Self::BadCrc { .. } => "bad_crc",
            Self::Malformed { .. } => "malformed",
            Self::NotLoggedIn { .. } => "not_logged_in",
        }
    }

    /// Whether the connection must close: the stream cannot be followed, or the device has not
    /// said who it is.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            Self::Garbage { .. } | Self::TooLarge { .. } | Self::NotLoggedIn { .. }
        )
    }
}

/// One binary tracker protocol, one value a connection (it may remember what it needs between
/// frames, as GT06 does a login's serial number).
pub trait TrackerProtocol: Send {
    /// Its name in metrics, logs and flags ("teltonika", "gt06").
    fn name(&self) -> &'static str;
    /// The length of the whole frame at the start of `buf`; `Ok(None)` while more bytes are
    /// needed. `logged_in` tells a handshake from data where the two are framed apart.
    fn frame_len(&self, buf: &[u8], logged_in: bool) -> Result<Option<usize>, TrackerError>;
    /// Decodes one whole frame (as [`Self::frame_len`] measured it).
    fn decode(&mut self, frame: &[u8], logged_in: bool) -> Result<Said, TrackerError>;
    /// The answer to the last login: accepted, or refused (`None`: close without a word).
    fn login_reply(&mut self, accepted: bool) -> Option<Vec<u8>>;
}

/// Big-endian reads from a frame, each failing with what was being read when it is cut short.
pub struct Bytes<'a> {
    buf: &'a [u8],
    at: usize,
    protocol: &'static str,
}

impl<'a> Bytes<'a> {
    pub fn new(buf: &'a [u8], protocol: &'static str) -> Self {
        Self {
            buf,
            at: 0,
            protocol,
        }
    }

    pub fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], TrackerError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(TrackerError::Malformed {
                protocol: self.protocol,
                detail: format!("cut short in {what} (byte {})", self.at),
            });
        };
        let out = &self.buf[self.at..end];
        self.at = end;
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, TrackerError> {
        Ok(self.take(1, what)?[0])
    }

    pub fn u16(&mut self, what: &str) -> Result<u16, TrackerError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, TrackerError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn u64(&mut self, what: &str) -> Result<u64, TrackerError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    /// An unsigned big-endian number of `n` (1 to 8) bytes.
    pub fn uint(&mut self, n: usize, what: &str) -> Result<u64, TrackerError> {
        Ok(self
            .take(n, what)?
            .iter()
            .fold(0u64, |v, b| (v << 8) | u64::from(*b)))
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.at
    }

    pub fn position(&self) -> usize {
        self.at
    }
}

/// CRC-16/ARC (Teltonika calls it CRC-16/IBM): poly 0x8005 reflected (0xA001), init 0.
pub fn crc16_ibm(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xA001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// CRC-16/X-25 (GT06 calls it CRC-ITU): poly 0x1021 reflected (0x8408), init and xorout 0xFFFF.
pub fn crc16_x25(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x8408
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A JSON object's text from (name, value) pairs, or `None` when there are none.
pub fn attrs_json(attrs: serde_json::Map<String, serde_json::Value>) -> Option<String> {
    (!attrs.is_empty()).then(|| serde_json::Value::Object(attrs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crcs_match_their_catalogued_check_values() {
        // The check value of each CRC over "123456789" (the CRC catalogue's test string).
        assert_eq!(crc16_ibm(b"123456789"), 0xBB3D);
        assert_eq!(crc16_x25(b"123456789"), 0x906E);
    }

    #[test]
    fn a_read_past_the_end_names_what_was_being_read() {
        let mut b = Bytes::new(&[1, 2, 3], "test");
        assert_eq!(b.u16("a").unwrap(), 0x0102);
        let e = b.u16("the speed").unwrap_err();
        assert!(e.to_string().contains("the speed"), "{e}");
        assert!(!e.is_fatal());
    }
}
