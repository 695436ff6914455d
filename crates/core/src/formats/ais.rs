//! Raw AIS as a feed: NMEA 0183 `!AIVDM` / `!AIVDO` sentences, one per line, as AIS receivers
//! and aggregators (AISHub, a shore station's TCP port) serve them, or as a file holds them.
//! Decoded by the `nmea-parser` crate, which checks checksums and joins two-sentence messages.
//!
//! A line may start with an NMEA 4 tag block, `\c:1700000000,s:station*hh\!AIVDM,...`: its
//! `c` (UNIX **seconds**, or milliseconds when that large) is the fix's time; without one the
//! time of reading is. Position reports (types 1-3, 18, 19, 27) are fixes: id = MMSI, lat/lon
//! degrees, speed over ground **knots** (sent as m/s), heading = true heading unless 511, else
//! course over ground. Static messages (5, and 24 parts A and B) give each MMSI its name and
//! ship type, carried by that ship's next position as label and attrs.
//!
//! Every sentence that fails (bad checksum, broken tag block, unsupported type) is counted and
//! skipped, never fatal; unfinished multi-sentence messages are bounded.

use std::collections::HashMap;

use nmea_parser::{NmeaParser, ParseError, ParsedMessage, ais::VesselDynamicData};
use serde_json::{Map, Value};

use super::{Decoded, Format, ship};
use crate::events::FeedEvent;
use crate::protocol::{Candidate, DecodeLimits, FixBatch, Meta, RejectReason, Subscribe, truncate};

/// Unfinished multi-sentence messages held before the parser's memory is cleared.
const MAX_UNFINISHED: usize = 4096;
/// Ships whose static data is remembered; beyond it, the oldest names are forgotten.
const MAX_SHIPS: usize = 200_000;

/// What is known of a ship: what static messages said, and its last position (sent again
/// with the name when the name arrives after it).
#[derive(Debug, Clone, Default)]
struct Ship {
    name: Option<String>,
    ship_type: Option<String>,
    call_sign: Option<String>,
    last: Option<VesselDynamicData>,
    last_ts: i64,
}

pub struct Nmea {
    limits: DecodeLimits,
    parser: NmeaParser,
    ships: HashMap<u32, Ship>,
    unfinished: usize,
}

impl Nmea {
    pub fn new(limits: DecodeLimits) -> Self {
        Self {
            limits,
            parser: NmeaParser::new(),
            ships: HashMap::new(),
            unfinished: 0,
        }
    }

    /// Reads one line into `batch`, counting what it cannot use.
    fn line(&mut self, line: &str, received_ms: i64, batch: &mut FixBatch, out: &mut Decoded) {
        let (time_ms, sentence) = match split_tag_block(line) {
            Ok(split) => split,
            Err(why) => {
                out.rejected.record(
                    RejectReason::MalformedNmea,
                    &format!("{why}: {}", truncate(line, 96)),
                );
                return;
            }
        };
        if !sentence.starts_with('!') {
            // GNSS sentences ($GPRMC, ...) and comments: not AIS.
            out.ignored += 1;
            return;
        }
        match self.parser.parse_sentence(sentence) {
            Ok(ParsedMessage::Incomplete) => self.unfinished(out),
            Ok(ParsedMessage::VesselDynamicData(mut d)) => {
                if let Some((sog, cog)) = long_range_motion(sentence) {
                    (d.sog_knots, d.cog) = (sog, cog);
                }
                // Without a tag block, the time of reading; two reports of a ship read at once
                // stay in order.
                let ts = time_ms.unwrap_or_else(|| {
                    let last = self.ships.get(&d.mmsi).map_or(i64::MIN, |s| s.last_ts);
                    received_ms.max(last.saturating_add(1))
                });
                if self.position(&d, ts, batch, out) {
                    let held = self.ship(d.mmsi);
                    held.last_ts = ts;
                    held.last = Some(d);
                }
            }
            Ok(ParsedMessage::VesselStaticData(s)) => {
                self.unfinished = self.unfinished.saturating_sub(1);
                let held = self.ship(s.mmsi);
                if let Some(name) = s.name.as_deref().and_then(ship::name) {
                    held.name = Some(name.to_owned());
                }
                held.ship_type = Some(s.ship_type.to_string());
                if let Some(call_sign) = s.call_sign.as_deref().and_then(ship::name) {
                    held.call_sign = Some(call_sign.to_owned());
                }
                // A ship already on the map gets its name now, on the fix it has.
                if let Some(last) = held.last.clone() {
                    let ts = held.last_ts;
                    self.position(&last, ts, batch, out);
                }
            }
            Ok(_) => out.ignored += 1,
            Err(ParseError::UnsupportedSentenceType(why)) => out
                .rejected
                .record(RejectReason::UnknownType, &truncate(&why, 96)),
            Err(e) => out.rejected.record(
                RejectReason::MalformedNmea,
                &format!("{e}: {}", truncate(sentence, 96)),
            ),
        }
    }

    /// One more unfinished message; past the bound the parser forgets them all.
    fn unfinished(&mut self, out: &mut Decoded) {
        self.unfinished += 1;
        if self.unfinished > MAX_UNFINISHED {
            self.parser = NmeaParser::new();
            out.rejected.record_n(
                RejectReason::MalformedNmea,
                self.unfinished as u64,
                &format!(
                    "{} multi-sentence messages never finished; dropped",
                    self.unfinished
                ),
            );
            self.unfinished = 0;
        }
    }

    /// What is held for `mmsi`, made if new; past the bound, everything is forgotten first.
    fn ship(&mut self, mmsi: u32) -> &mut Ship {
        if self.ships.len() >= MAX_SHIPS && !self.ships.contains_key(&mmsi) {
            self.ships.clear();
        }
        self.ships.entry(mmsi).or_default()
    }

    /// Adds a position report to `batch`; false when it is refused.
    fn position(
        &self,
        d: &VesselDynamicData,
        ts_ms: i64,
        batch: &mut FixBatch,
        out: &mut Decoded,
    ) -> bool {
        let id = d.mmsi.to_string();
        let (Some(lat), Some(lon)) = (d.latitude, d.longitude) else {
            out.rejected.record(
                RejectReason::BadCoordinates,
                &format!("ship {id} reports no position (91/181: not available)"),
            );
            return false;
        };
        let known = self.ships.get(&d.mmsi);
        let attrs = attrs_of(d, known);
        let candidate = Candidate {
            id: Some(&id),
            lat: Some(lat),
            lon: Some(lon),
            ts: Some(ts_ms),
            heading: ship::heading(d.heading_true, d.cog),
            speed: ship::speed(d.sog_knots),
            meta: Meta {
                label: known.and_then(|s| s.name.as_deref()),
                kind: Some(ship::KIND),
                status: ship::status(d.nav_status as u8),
                attrs: attrs.as_deref(),
                ..Meta::default()
            },
        };
        match candidate.check_into(&self.limits, batch) {
            Ok(()) => true,
            Err(r) => {
                out.rejected.add(&r);
                false
            }
        }
    }
}

/// The MMSI, the AIS class, and what static messages said, as a JSON object's text.
fn attrs_of(d: &VesselDynamicData, known: Option<&Ship>) -> Option<String> {
    let mut attrs = Map::new();
    attrs.insert("mmsi".into(), Value::from(d.mmsi));
    attrs.insert("ais_class".into(), Value::from(format!("{}", d.ais_type)));
    if let Some(s) = known {
        if let Some(t) = &s.ship_type {
            attrs.insert("ship_type".into(), Value::from(t.as_str()));
        }
        if let Some(c) = &s.call_sign {
            attrs.insert("call_sign".into(), Value::from(c.as_str()));
        }
    }
    Some(Value::Object(attrs).to_string())
}

/// Speed (knots) and course (degrees) of a type 27 (long-range) report, read from its payload:
/// nmea-parser 0.11 reads both from the latitude's bits (pyais, gpsd and ITU-R M.1371 agree on
/// bits 79-84 for speed, 85-93 for course). `None` for any other sentence.
fn long_range_motion(sentence: &str) -> Option<(Option<f64>, Option<f64>)> {
    let payload = sentence.split(',').nth(5)?;
    let bits: Vec<u8> = payload
        .bytes()
        .map(|c| {
            let v = c.wrapping_sub(48);
            if v > 40 { v - 8 } else { v }
        })
        .collect();
    let field = |start: usize, len: usize| -> Option<u32> {
        (start..start + len).try_fold(0u32, |acc, i| {
            let sextet = *bits.get(i / 6)?;
            Some(acc << 1 | u32::from(sextet >> (5 - i % 6) & 1))
        })
    };
    if field(0, 6)? != 27 {
        return None;
    }
    let sog = field(79, 6)?;
    let cog = field(85, 9)?;
    Some((
        (sog != 63).then_some(f64::from(sog)),
        (cog != 511).then_some(f64::from(cog)),
    ))
}

/// Splits an NMEA 4 tag block off a line: `\c:1700000000*hh\!AIVDM,...` gives the time of
/// `c` in ms and the sentence. A line without one is all sentence.
pub fn split_tag_block(line: &str) -> Result<(Option<i64>, &str), &'static str> {
    let Some(rest) = line.strip_prefix('\\') else {
        return Ok((None, line));
    };
    let (block, sentence) = rest.split_once('\\').ok_or("a tag block is not closed")?;
    let fields = match block.rsplit_once('*') {
        Some((fields, sum)) => {
            let sum =
                u8::from_str_radix(sum, 16).map_err(|_| "a tag block's checksum is not hex")?;
            if fields.bytes().fold(0, |a, b| a ^ b) != sum {
                return Err("a tag block's checksum does not match");
            }
            fields
        }
        None => block,
    };
    let mut time = None;
    for field in fields.split(',') {
        if let Some(c) = field.strip_prefix("c:") {
            let n: i64 = c
                .parse()
                .map_err(|_| "a tag block's time is not a number")?;
            // Seconds, as NMEA 4 says; some sources send milliseconds.
            time = Some(if n > 100_000_000_000 { n } else { n * 1000 });
        }
    }
    Ok((time, sentence))
}

impl Format for Nmea {
    fn greeting(&self, _: &Subscribe, _: Option<&str>) -> Vec<String> {
        Vec::new()
    }

    fn opened(&mut self) {
        // Fragments of the last connection cannot finish on this one; names stay true.
        self.parser = NmeaParser::new();
        self.unfinished = 0;
    }

    /// Decodes a chunk of one or more whole lines.
    fn decode(&mut self, text: &str, received_ms: i64, out: &mut Decoded) {
        let mut batch = FixBatch::with_capacity(16, 512);
        batch.received_ms = received_ms;
        for line in text.lines() {
            let line = line.trim();
            if !line.is_empty() {
                self.line(line, received_ms, &mut batch, out);
            }
        }
        if !batch.is_empty() {
            out.events.push(FeedEvent::Positions(batch));
        }
    }
}

#[cfg(test)]
mod tests;
