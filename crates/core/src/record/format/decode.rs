//! Reading a chunk's lines back into records: event lines, the rows that follow them, and a
//! keyframe's states. Each damaged line is refused with its line number.

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::{Chunk, Coordinates, FeedState, Line, Positions, Record, Recorded, Row};
use crate::events::{FeedEvent, VehicleNotice};
use crate::fleet::FeedId;
use crate::protocol::{Fix, FixBatch, FixRef, Meta};

/// Where rows being read go.
enum Rows {
    None,
    Snapshot(Record, u32),
    Positions(Record, u32),
    State(usize, u32),
}

/// Reads a chunk's lines (decompressed); `positions` is the coordinate table as the chunks
/// before it left it (any table, for a keyframe's chunk).
pub fn decode_payload(text: &[u8], positions: &mut Positions) -> Result<Chunk, String> {
    let mut chunk = Chunk::default();
    let mut rows = Rows::None;
    for (n, raw) in text.split(|b| *b == b'\n').enumerate() {
        if raw.is_empty() {
            continue;
        }
        let at = |e: String| format!("line {}: {e}", n + 1);
        rows = match rows {
            Rows::None => start(raw, &mut chunk, positions).map_err(at)?,
            Rows::Snapshot(mut record, left) => {
                let (t, feed) = (record.t, record.feed.0);
                if let Recorded::Event(FeedEvent::Snapshot(b)) = &mut record.what {
                    read_row(raw, t, b, Coordinates::Changes(positions, feed)).map_err(at)?;
                }
                finish(record, left - 1, Rows::Snapshot, &mut chunk)
            }
            Rows::Positions(mut record, left) => {
                let (t, feed) = (record.t, record.feed.0);
                if let Recorded::Event(FeedEvent::Positions(b)) = &mut record.what {
                    read_row(raw, t, b, Coordinates::Changes(positions, feed)).map_err(at)?;
                }
                finish(record, left - 1, Rows::Positions, &mut chunk)
            }
            Rows::State(i, left) => {
                let (t, states) = chunk.key.as_mut().ok_or_else(|| at("no state".into()))?;
                let (t, state) = (*t, &mut states[i]);
                let coordinates = Coordinates::Absolute(positions, state.feed.0);
                read_row(raw, t, &mut state.vehicles, coordinates).map_err(at)?;
                if left > 1 {
                    Rows::State(i, left - 1)
                } else {
                    Rows::None
                }
            }
        };
    }
    if !matches!(rows, Rows::None) {
        return Err("the chunk ends in the middle of an event's rows".into());
    }
    Ok(chunk)
}

/// After a row: more to come, or the event is whole.
fn finish(record: Record, left: u32, more: fn(Record, u32) -> Rows, chunk: &mut Chunk) -> Rows {
    if left > 0 {
        more(record, left)
    } else {
        chunk.records.push(record);
        Rows::None
    }
}

/// Reads an event line; rows may follow.
fn start(raw: &[u8], chunk: &mut Chunk, positions: &mut Positions) -> Result<Rows, String> {
    let line: Line<'_> = serde_json::from_slice(raw).map_err(|e| format!("not an event: {e}"))?;
    let (t, feed) = (line.t, FeedId(line.feed));
    let record = |what| Record { t, feed, what };
    let event = |e| record(Recorded::Event(e));
    let batch = |n: u32| {
        let mut b = FixBatch::with_capacity(n as usize, n as usize * 8);
        b.received_ms = t;
        b
    };
    if let Some(feeds) = line.keyframe {
        if chunk.key.is_some() || !chunk.records.is_empty() {
            return Err("a keyframe inside a chunk".into());
        }
        chunk.key = Some((t, Vec::with_capacity(feeds.min(1024) as usize)));
        positions.clear();
        return Ok(Rows::None);
    }
    if let Some(n) = line.state {
        let Some((key_t, states)) = chunk.key.as_mut() else {
            return Err("a feed's state outside a keyframe".into());
        };
        if *key_t != t || !chunk.records.is_empty() {
            return Err("a feed's state after the keyframe".into());
        }
        states.push(FeedState {
            feed,
            name: line.name.unwrap_or_default().into_owned(),
            up: line.up.unwrap_or(false),
            vehicles: batch(n),
        });
        return Ok(if n > 0 {
            Rows::State(states.len() - 1, n)
        } else {
            Rows::None
        });
    }
    let rows_of = |n: u32, r: Record, more: fn(Record, u32) -> Rows, chunk: &mut Chunk| {
        if n > 0 {
            more(r, n)
        } else {
            chunk.records.push(r);
            Rows::None
        }
    };
    if let Some(n) = line.snapshot {
        let r = event(FeedEvent::Snapshot(batch(n)));
        return Ok(rows_of(n, r, Rows::Snapshot, chunk));
    }
    if let Some(n) = line.positions {
        let r = event(FeedEvent::Positions(batch(n)));
        return Ok(rows_of(n, r, Rows::Positions, chunk));
    }
    chunk.records.push(other(line, record)?);
    Ok(Rows::None)
}

/// An event line without rows.
fn other(line: Line<'_>, record: impl Fn(Recorded) -> Record) -> Result<Record, String> {
    let event = |e| Ok(record(Recorded::Event(e)));
    if let Some(name) = line.name {
        return Ok(record(Recorded::Name(name.into_owned())));
    }
    if line.gone == Some(true) {
        return Ok(record(Recorded::Gone));
    }
    if let Some(ids) = line.removed {
        return event(FeedEvent::Removed(
            ids.into_iter().map(Cow::into_owned).collect(),
        ));
    }
    if let Some(notices) = line.notices {
        return event(FeedEvent::Notices(
            notices
                .into_iter()
                .map(|n| VehicleNotice {
                    id: n.id,
                    kind: n.kind,
                    ts: n.ts,
                    detail: n.detail,
                })
                .collect(),
        ));
    }
    if let Some((code, message)) = line.error {
        return event(FeedEvent::ServerError { code, message });
    }
    let url = || line.url.clone().unwrap_or_default().into_owned();
    match line.link.as_deref() {
        Some("connecting") => event(FeedEvent::Connecting {
            url: url(),
            attempt: line.attempt.unwrap_or(1),
        }),
        Some("connected") => event(FeedEvent::Connected { url: url() }),
        Some("down") => event(FeedEvent::Disconnected {
            reason: line.reason.unwrap_or_default().into_owned(),
            retry_in: line.retry_ms.map(std::time::Duration::from_millis),
        }),
        Some(other) => Err(format!("unknown link state {other:?}")),
        None => Err("an event line saying nothing".into()),
    }
}

/// Reads a fix row into `batch`.
fn read_row(
    raw: &[u8],
    t: i64,
    batch: &mut FixBatch,
    coordinates: Coordinates<'_>,
) -> Result<(), String> {
    let row: Row<'_> = serde_json::from_slice(raw).map_err(|e| format!("not a fix row: {e}"))?;
    let (lat, lon) = coordinates.read(&row.0, (row.1, row.2));
    let (lat, lon) = (lat as f64 / 1e7, lon as f64 / 1e7);
    if row.0.is_empty() || !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("a fix of {:?} at {lat}, {lon}", row.0));
    }
    let m = row.6.unwrap_or_default();
    batch.push(&FixRef {
        id: &row.0,
        lat,
        lon,
        ts: t.saturating_add(row.3),
        heading: row.4.map(|h| h as f32 / 10.0),
        speed: row.5.map(|s| s as f32 / 100.0),
        meta: Meta {
            label: m.label.as_deref(),
            kind: m.kind.as_deref(),
            status: m.status.as_deref(),
            route: m.route.as_deref(),
            attrs: m.attrs.map(RawValue::get),
        },
    });
    Ok(())
}

/// Appends the rows of vehicle `id` of `feed` outside keyframes (a keyframe repeats them)
/// to `out`; only the lines starting with its id are parsed. `last` is its coordinate as the
/// chunks before left it (rows carry changes from it; a keyframe's row sets it).
pub fn track_rows(
    text: &[u8],
    (feed, id): (FeedId, &str),
    last: &mut Option<(i64, i64)>,
    out: &mut Vec<Fix>,
) {
    let Ok(quoted) = serde_json::to_string(id) else {
        return;
    };
    let needle = format!("[{quoted},");
    // The line's time, and whether its rows are a keyframe's.
    let mut current: Option<(i64, bool)> = None;
    for raw in text.split(|b| *b == b'\n') {
        if raw.first() == Some(&b'{') {
            let Ok(line) = serde_json::from_slice::<Line<'_>>(raw) else {
                current = None;
                continue;
            };
            if line.keyframe.is_some() {
                *last = None;
            }
            let rows = line.positions.is_some() || line.snapshot.is_some();
            current = (line.feed == feed.0 && (rows || line.state.is_some()))
                .then_some((line.t, line.state.is_some()));
        } else if let Some((t, key)) = current
            && raw.starts_with(needle.as_bytes())
            && let Ok(row) = serde_json::from_slice::<Row<'_>>(raw)
        {
            let at = match (*last, key) {
                (Some((lat, lon)), false) => (lat + row.1, lon + row.2),
                _ => (row.1, row.2),
            };
            *last = Some(at);
            if key {
                continue;
            }
            out.push(Fix {
                lat: at.0 as f64 / 1e7,
                lon: at.1 as f64 / 1e7,
                ts: t.saturating_add(row.3),
                speed: row.5.map(|s| s as f32 / 100.0),
                heading: row.4.map(|h| h as f32 / 10.0),
            });
        }
    }
}
