//! A decoded batch of fixes stored compactly: one string arena and one vector per batch.
//!
//! Decoding a `positions` frame therefore costs two allocations however many fixes it carries,
//! and the batch can cross to the UI thread as plain owned data.

use super::fix::Fix;
use super::meta::{Meta, MetaRef};
use super::wire::Position;

/// A byte range in a batch's arena. u32 is enough: frames are capped far below 4 GiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

/// A fix as a batch stores it: its texts as spans of the arena.
#[derive(Debug, Clone, PartialEq)]
struct RawFix {
    id: Span,
    fix: Fix,
    meta: Meta<Span>,
}

/// One fix borrowed from a [`FixBatch`]; the fields mean what [`Position`]'s do, `attrs` is the
/// raw JSON text of the object.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixRef<'a> {
    pub id: &'a str,
    pub lat: f64,
    pub lon: f64,
    pub ts: i64,
    pub heading: Option<f32>,
    pub speed: Option<f32>,
    pub meta: MetaRef<'a>,
}

impl<'a> FixRef<'a> {
    /// The fields every fix has; the optional ones empty.
    pub fn bare(id: &'a str, lat: f64, lon: f64, ts: i64) -> Self {
        Self {
            id,
            lat,
            lon,
            ts,
            heading: None,
            speed: None,
            meta: Meta::default(),
        }
    }
}

/// Validated fixes, in arrival order, plus when the frame carrying them was received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FixBatch {
    arena: String,
    fixes: Vec<RawFix>,
    /// Wall-clock UTC ms when the frame was read off the socket (0 when not from a socket);
    /// with each fix's `ts` it gives the feed's latency.
    pub received_ms: i64,
}

impl FixBatch {
    pub fn with_capacity(fixes: usize, text_bytes: usize) -> Self {
        Self {
            arena: String::with_capacity(text_bytes),
            fixes: Vec::with_capacity(fixes),
            received_ms: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.fixes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fixes.is_empty()
    }

    /// Heap bytes held, for memory bounds.
    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.fixes.capacity() * std::mem::size_of::<RawFix>()
    }

    pub fn clear(&mut self) {
        self.arena.clear();
        self.fixes.clear();
    }

    /// Appends a copy of `fix`; the caller has validated it.
    pub fn push(&mut self, fix: &FixRef<'_>) {
        let id = self.store(fix.id);
        let m = &fix.meta;
        let meta = Meta {
            label: m.label.map(|s| self.store(s)),
            kind: m.kind.map(|s| self.store(s)),
            status: m.status.map(|s| self.store(s)),
            route: m.route.map(|s| self.store(s)),
            attrs: m.attrs.map(|s| self.store(s)),
        };
        self.fixes.push(RawFix {
            id,
            fix: fix.fix(),
            meta,
        });
    }

    /// Appends copies of every fix of `other` (keeping the later `received_ms`).
    pub fn append(&mut self, other: &FixBatch) {
        self.fixes.reserve(other.len());
        for fix in other.iter() {
            self.push(&fix);
        }
        self.received_ms = self.received_ms.max(other.received_ms);
    }

    pub fn get(&self, index: usize) -> Option<FixRef<'_>> {
        self.fixes.get(index).map(|raw| self.view(raw))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = FixRef<'_>> + '_ {
        self.fixes.iter().map(|raw| self.view(raw))
    }

    /// A batch holding `positions` as given (no validation: for encoders' round trips and tests).
    pub fn from_positions(positions: &[Position]) -> Self {
        let mut batch = Self::with_capacity(positions.len(), positions.len() * 16);
        for p in positions {
            let attrs = p
                .attrs
                .as_ref()
                .map(|a| serde_json::Value::Object(a.clone()).to_string());
            batch.push(&FixRef {
                id: &p.id,
                lat: p.lat,
                lon: p.lon,
                ts: p.ts,
                heading: p.heading,
                speed: p.speed,
                meta: Meta {
                    label: p.label.as_deref(),
                    kind: p.kind.as_deref(),
                    status: p.status.as_deref(),
                    route: p.route.as_deref(),
                    attrs: attrs.as_deref(),
                },
            });
        }
        batch
    }

    fn store(&mut self, s: &str) -> Span {
        let start = self.arena.len();
        self.arena.push_str(s);
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            len: u32::try_from(s.len()).unwrap_or(u32::MAX),
        }
    }

    fn text(&self, span: Span) -> &str {
        let start = span.start as usize;
        self.arena
            .get(start..start + span.len as usize)
            .unwrap_or_default()
    }

    fn view(&self, raw: &RawFix) -> FixRef<'_> {
        let meta = Meta {
            label: raw.meta.label.map(|s| self.text(s)),
            kind: raw.meta.kind.map(|s| self.text(s)),
            status: raw.meta.status.map(|s| self.text(s)),
            route: raw.meta.route.map(|s| self.text(s)),
            attrs: raw.meta.attrs.map(|s| self.text(s)),
        };
        raw.fix.named(self.text(raw.id), meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_gives_back_every_field_it_was_given() {
        let mut p = Position::new("van-7", 1.5, 2.5, 42);
        p.label = Some("Van 7".into());
        p.kind = Some("van".into());
        p.heading = Some(90.0);
        let mut attrs = serde_json::Map::new();
        attrs.insert("driver".into(), "Ana".into());
        p.attrs = Some(attrs);
        let batch = FixBatch::from_positions(&[Position::new("a", 0.0, 0.0, 1), p]);
        assert_eq!(batch.len(), 2);
        let fix = batch.get(1).expect("second fix");
        assert_eq!(fix.id, "van-7");
        assert_eq!(fix.meta.label, Some("Van 7"));
        assert_eq!(fix.meta.kind, Some("van"));
        assert_eq!(fix.meta.route, None);
        assert_eq!(fix.heading, Some(90.0));
        assert_eq!(fix.meta.attrs, Some(r#"{"driver":"Ana"}"#));
        assert_eq!(batch.get(0).map(|f| f.id), Some("a"));
    }
}
