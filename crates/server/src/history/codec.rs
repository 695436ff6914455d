//! The history's bytes: variable-length integers, one fix as a self-contained record (the live
//! log), and one vehicle's fixes in a segment as columns of changes (a sealed block).
//!
//! Units on disk: degrees x 10^7 (about a centimetre), UTC ms, speed in tenths of a m/s and
//! heading in tenths of a degree (what viewers are sent), each optional one stored plus one so
//! that 0 says "none". A descriptive field (label, kind, status, route, attrs) is stored when it
//! changes; reading gives every fix the fields its vehicle had then.

use fleetview_core::protocol::{Fix, FixBatch, FixRef, Meta, MetaRef, OwnedMeta};

/// Why bytes could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Corrupt(pub &'static str);

pub fn put_u(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub fn put_i(out: &mut Vec<u8>, v: i64) {
    put_u(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_u(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Bytes read front to back.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.at >= self.bytes.len()
    }

    pub fn u(&mut self) -> Result<u64, Corrupt> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self
                .bytes
                .get(self.at)
                .ok_or(Corrupt("a number runs past the end"))?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(Corrupt("a number longer than 64 bits"))
    }

    pub fn i(&mut self) -> Result<i64, Corrupt> {
        let v = self.u()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(Corrupt("a length past the end"))?;
        let s = self
            .bytes
            .get(self.at..end)
            .ok_or(Corrupt("a length past the end"))?;
        self.at = end;
        Ok(s)
    }

    pub fn text(&mut self) -> Result<&'a str, Corrupt> {
        let n = usize::try_from(self.u()?).map_err(|_| Corrupt("a text too long"))?;
        std::str::from_utf8(self.take(n)?).map_err(|_| Corrupt("a text that is not UTF-8"))
    }
}

fn units(deg: f64) -> i64 {
    (deg * 1e7).round() as i64
}

fn tenths(v: Option<f32>) -> u64 {
    v.map_or(0, |v| (f64::from(v) * 10.0).round().max(0.0) as u64 + 1)
}

fn from_tenths(v: u64) -> Option<f32> {
    (v > 0).then(|| ((v - 1) as f64 / 10.0) as f32)
}

/// Which descriptive fields follow, one bit each, in `Meta::named`'s order.
fn texts_of<'a>(meta: &MetaRef<'a>) -> [Option<&'a str>; 5] {
    [meta.label, meta.kind, meta.status, meta.route, meta.attrs]
}

fn put_texts(out: &mut Vec<u8>, texts: [Option<&str>; 5]) {
    let flags = texts
        .iter()
        .enumerate()
        .fold(0u8, |f, (i, t)| f | (u8::from(t.is_some()) << i));
    out.push(flags);
    for t in texts.into_iter().flatten() {
        put_text(out, t);
    }
}

fn read_texts<'a>(r: &mut Reader<'a>) -> Result<[Option<&'a str>; 5], Corrupt> {
    let flags = r.take(1)?[0];
    let mut texts = [None; 5];
    for (i, t) in texts.iter_mut().enumerate() {
        if flags & (1 << i) != 0 {
            *t = Some(r.text()?);
        }
    }
    Ok(texts)
}

fn meta_of(texts: [Option<&str>; 5]) -> MetaRef<'_> {
    let [label, kind, status, route, attrs] = texts;
    Meta {
        label,
        kind,
        status,
        route,
        attrs,
    }
}

/// One fix as a record of its own (the live log): everything it carried, absolute.
pub fn put_fix(out: &mut Vec<u8>, fix: &FixRef<'_>) {
    put_text(out, fix.id);
    put_i(out, units(fix.lat));
    put_i(out, units(fix.lon));
    put_i(out, fix.ts);
    put_u(out, tenths(fix.speed));
    put_u(out, tenths(fix.heading));
    put_texts(out, texts_of(&fix.meta));
}

/// A record of [`put_fix`], into `batch`.
pub fn read_fix(bytes: &[u8], batch: &mut FixBatch) -> Result<(), Corrupt> {
    let mut r = Reader::new(bytes);
    let id = r.text()?;
    let lat = r.i()? as f64 / 1e7;
    let lon = r.i()? as f64 / 1e7;
    let fix = Fix {
        lat,
        lon,
        ts: r.i()?,
        speed: from_tenths(r.u()?),
        heading: from_tenths(r.u()?),
    };
    let texts = read_texts(&mut r)?;
    batch.push(&fix.named(id, meta_of(texts)));
    Ok(())
}

/// One vehicle's fixes in a segment, appended as they arrive, as columns of changes.
#[derive(Default)]
pub struct Column {
    pub count: u32,
    pub min_ts: i64,
    pub max_ts: i64,
    prev: (i64, i64, i64),
    held: OwnedMeta,
    ts: Vec<u8>,
    lat: Vec<u8>,
    lon: Vec<u8>,
    motion: Vec<u8>,
    texts: Vec<u8>,
}

impl Column {
    pub fn push(&mut self, fix: &FixRef<'_>) {
        let (lat, lon) = (units(fix.lat), units(fix.lon));
        let (plat, plon, pts) = self.prev;
        put_i(&mut self.ts, fix.ts - pts);
        put_i(&mut self.lat, lat - plat);
        put_i(&mut self.lon, lon - plon);
        put_u(&mut self.motion, tenths(fix.speed));
        put_u(&mut self.motion, tenths(fix.heading));
        let (sent, held) = (texts_of(&fix.meta), texts_of(&self.held.as_ref()));
        let changed: [Option<&str>; 5] =
            std::array::from_fn(|i| sent[i].filter(|s| Some(*s) != held[i]));
        put_texts(&mut self.texts, changed);
        self.held.merge(&fix.meta);
        self.prev = (lat, lon, fix.ts);
        if self.count == 0 {
            (self.min_ts, self.max_ts) = (fix.ts, fix.ts);
        }
        self.min_ts = self.min_ts.min(fix.ts);
        self.max_ts = self.max_ts.max(fix.ts);
        self.count += 1;
    }

    /// The columns one after the other, each with its length.
    pub fn encode(&self) -> Vec<u8> {
        let columns = [&self.ts, &self.lat, &self.lon, &self.motion, &self.texts];
        let mut out = Vec::with_capacity(columns.iter().map(|c| c.len() + 4).sum::<usize>() + 4);
        put_u(&mut out, u64::from(self.count));
        for c in columns {
            put_u(&mut out, c.len() as u64);
            out.extend_from_slice(c);
        }
        out
    }
}

/// Vehicle `id`'s fixes from an [`Column::encode`]d block, each with the fields it had then,
/// into `batch` (in the order they arrived).
pub fn read_column(bytes: &[u8], id: &str, batch: &mut FixBatch) -> Result<(), Corrupt> {
    let mut r = Reader::new(bytes);
    let count = r.u()?;
    let mut column = || -> Result<Reader<'_>, Corrupt> {
        let n = usize::try_from(r.u()?).map_err(|_| Corrupt("a column too long"))?;
        Ok(Reader::new(r.take(n)?))
    };
    let (mut ts, mut lat, mut lon, mut motion, mut texts) =
        (column()?, column()?, column()?, column()?, column()?);
    let (mut plat, mut plon, mut pts) = (0i64, 0i64, 0i64);
    let mut held = OwnedMeta::default();
    for _ in 0..count {
        pts += ts.i()?;
        plat += lat.i()?;
        plon += lon.i()?;
        let fix = Fix {
            lat: plat as f64 / 1e7,
            lon: plon as f64 / 1e7,
            ts: pts,
            speed: from_tenths(motion.u()?),
            heading: from_tenths(motion.u()?),
        };
        held.merge(&meta_of(read_texts(&mut texts)?));
        batch.push(&fix.named(id, held.as_ref()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
