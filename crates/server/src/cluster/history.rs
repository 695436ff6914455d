//! History on a cluster lives in JetStream, not in one node's files: each node publishes every
//! fix its own publishers sent to `fleet.history.<vehicle key>` on the stream
//! `fleetview-history` (file storage, `max_age` = the retention), so any node answers any query
//! and a node that dies takes no history with it.
//!
//! A track is read with an ordered consumer filtered to the vehicle's subject from the time the
//! range starts (less the largest clock lead the server accepts), up to the subject's last
//! message or an hour of arrivals past the range's end (a device may send a buffered hour late);
//! the fleet at a moment with one over every vehicle's subject, from the window's start to a
//! little past the moment.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use bytes::Bytes;
use futures_util::StreamExt;
use time::OffsetDateTime;

use super::encode::{bucket_key, report_text};
use crate::history::Page;
use fleetview_core::protocol::{DecodeLimits, FixBatch, RejectTally, decode_report};

/// The history stream's name and its subjects' prefix.
pub const STREAM: &str = "fleetview-history";
pub const SUBJECT: &str = "fleet.history";
/// Fixes arriving this long after the end of a range are not looked for.
const LATE: i64 = 3_600_000;
/// A fix may be stamped this far ahead of its arrival (the server's `max_future` default).
const LEAD: i64 = 300_000;
/// Waiting this long for the next message means there is none.
const QUIET: Duration = Duration::from_secs(2);

/// The stream, made when missing.
pub fn stream_config(max_age: Duration) -> stream::Config {
    stream::Config {
        name: STREAM.into(),
        description: Some("fleetview: every fix every node accepted".into()),
        subjects: vec![format!("{SUBJECT}.>")],
        max_age,
        storage: stream::StorageType::File,
        discard: stream::DiscardPolicy::Old,
        ..Default::default()
    }
}

/// A vehicle's history subject.
pub fn subject(id: &str) -> String {
    format!("{SUBJECT}.{}", bucket_key(id))
}

/// Publishes each fix of `batch` (whole, descriptive fields included) to its vehicle's subject;
/// how many could not be sent.
pub async fn publish(js: &jetstream::Context, batch: &FixBatch) -> u64 {
    let mut failed = 0;
    for fix in batch.iter() {
        let text = Bytes::from(report_text([fix]));
        if js.publish(subject(fix.id), text).await.is_err() {
            failed += 1;
        }
    }
    failed
}

/// Queries over the stream, from any node.
#[derive(Clone)]
pub struct StreamHistory {
    js: jetstream::Context,
}

fn time_of(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms.max(0)) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn ms_of(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl StreamHistory {
    pub fn new(js: jetstream::Context) -> Self {
        Self { js }
    }

    /// Every message on `filter` published from `start_ms` until `end_ms` (arrival time) or
    /// the subject's last message, each decoded into `each`.
    async fn read(
        &self,
        filter: &str,
        start_ms: i64,
        end_ms: i64,
        mut each: impl FnMut(&FixBatch),
    ) -> Result<bool, String> {
        let mut stream = self
            .js
            .get_stream(STREAM)
            .await
            .map_err(|e| e.to_string())?;
        let last = match stream.get_last_raw_message_by_subject(filter).await {
            Ok(m) => m.sequence,
            Err(_) if !filter.ends_with('>') => return Ok(false),
            Err(_) => {
                stream
                    .info()
                    .await
                    .map_err(|e| e.to_string())?
                    .state
                    .last_sequence
            }
        };
        let consumer = stream
            .create_consumer(consumer::pull::OrderedConfig {
                filter_subject: filter.to_owned(),
                deliver_policy: consumer::DeliverPolicy::ByStartTime {
                    start_time: time_of(start_ms),
                },
                ..Default::default()
            })
            .await
            .map_err(|e| e.to_string())?;
        let mut messages = consumer.messages().await.map_err(|e| e.to_string())?;
        let limits = DecodeLimits::default();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(QUIET, messages.next()).await {
            let Ok(info) = message.info() else { break };
            let (seq, at) = (info.stream_sequence, ms_of(info.published));
            let mut refused = RejectTally::default();
            if let Ok(batch) = decode_report(
                &String::from_utf8_lossy(&message.payload),
                &limits,
                &mut refused,
            ) {
                each(&batch);
            }
            if seq >= last || at > end_ms {
                break;
            }
        }
        Ok(true)
    }

    /// A page of vehicle `id`'s fixes in `from..=to`; `None` when the stream has none of it.
    pub async fn track(
        &self,
        id: &str,
        from: i64,
        to: i64,
        limit: usize,
    ) -> Result<Option<Page>, String> {
        let mut all = FixBatch::default();
        let known = self
            .read(&subject(id), from - LEAD, to + LATE, |b| all.append(b))
            .await?;
        Ok(known.then(|| Page::of(&all, from, to, limit)))
    }

    /// A page of every vehicle's fixes in `from..=to`, in time order (each page reads the
    /// stream over the whole range again: the cluster's reads are for modest ranges).
    pub async fn fleet_range(&self, from: i64, to: i64, limit: usize) -> Result<Page, String> {
        let mut all = FixBatch::default();
        self.read(&format!("{SUBJECT}.>"), from - LEAD, to + LATE, |b| {
            all.append(b)
        })
        .await?;
        Ok(Page::fleet(&all, from, to, limit))
    }

    /// Every vehicle's newest fix with a time in `at - within ..= at`.
    pub async fn fleet_at(&self, at: i64, within: i64) -> Result<FixBatch, String> {
        let mut newest: HashMap<String, FixBatch> = HashMap::new();
        self.read(
            &format!("{SUBJECT}.>"),
            at - within - LEAD,
            at + LEAD,
            |b| {
                for f in b.iter().filter(|f| f.ts <= at && f.ts >= at - within) {
                    let held = newest.entry(f.id.to_owned()).or_default();
                    if held.get(0).is_none_or(|h| h.ts < f.ts) {
                        held.clear();
                        held.push(&f);
                    }
                }
            },
        )
        .await?;
        let mut out = FixBatch::with_capacity(newest.len(), newest.len() * 48);
        for batch in newest.values() {
            out.append(batch);
        }
        Ok(out)
    }
}
