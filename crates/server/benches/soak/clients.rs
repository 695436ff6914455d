//! The soak's clients: OsmAnd devices on the device port, a publisher that sends bad input 1% of
//! the time, and viewer slots that join, watch a while and leave, each counting what it did.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use fleetview_core::clock::now_ms;
use fleetview_core::protocol::{BBox, Encoding, Subscribe};
use futures_util::SinkExt;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::load::{Device, Viewer, ViewerError, source_address};

/// Where the simulated buses run (Cairns): viewers' boxes and devices stay inside it.
const AREA: [f64; 4] = [145.60, -17.10, 145.90, -16.70];

/// What the clients counted.
#[derive(Default)]
pub struct Counts {
    pub device_reports: AtomicU64,
    pub device_ok: AtomicU64,
    pub device_other: AtomicU64,
    pub device_io_errors: AtomicU64,
    pub device_connections: AtomicU64,
    pub published_good: AtomicU64,
    pub published_bad: AtomicU64,
    pub joins: AtomicU64,
    pub leaves: AtomicU64,
    pub snapshots: AtomicU64,
    pub frames: AtomicU64,
    pub viewer_errors: AtomicU64,
    /// Viewer slots connected now.
    pub watching: AtomicU64,
}

/// The soak's phase: churning, then holding still for the final check, then stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Churn,
    Hold,
    Stop,
}

/// One OsmAnd device: reports every 10 s from its own place on a keep-alive connection, and
/// opens a new connection every 10 minutes or so; devices and the publisher stop at the hold.
pub async fn device(port: u16, i: usize, counts: Arc<Counts>, phase: watch::Receiver<Phase>) {
    let id = format!("soak-dev-{i:05}");
    let mut rng = fastrand::Rng::with_seed(i as u64);
    let lat = AREA[1] + rng.f64() * (AREA[3] - AREA[1]);
    let lon = AREA[0] + rng.f64() * (AREA[2] - AREA[0]);
    tokio::time::sleep(Duration::from_millis(rng.u64(0..10_000))).await;
    let mut ticker = tokio::time::interval(Duration::from_secs(10));
    let mut device: Option<Device> = None;
    let mut reports = 0u64;
    let source = source_address(20, i, 500);
    while *phase.borrow() == Phase::Churn {
        ticker.tick().await;
        if reports % 60 == 59 {
            device = None;
        }
        reports += 1;
        let wobble = (reports % 20) as f64 * 1e-4;
        counts.device_reports.fetch_add(1, Ordering::Relaxed);
        // As an HTTP client does: a kept-alive connection the server has closed meanwhile is
        // replaced and the request sent once more.
        for _attempt in 0..2 {
            if device.is_none() {
                device = Device::connect(source, port, id.clone()).await.ok();
                counts.device_connections.fetch_add(1, Ordering::Relaxed);
            }
            let Some(d) = device.as_mut() else { break };
            match d.report(lat + wobble, lon, now_ms()).await {
                Ok(status) => {
                    let counter = if status == 200 {
                        &counts.device_ok
                    } else {
                        &counts.device_other
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Err(_) => device = None,
            }
        }
        if device.is_none() {
            counts.device_io_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A publisher on `/ingest`: 100 vehicles a second in one report; 1% of reports are bad
/// (alternately not JSON, and one fix with an impossible latitude among good ones).
pub async fn publisher(port: u16, counts: Arc<Counts>, phase: watch::Receiver<Phase>) {
    let Ok((mut ws, _)) =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ingest")).await
    else {
        eprintln!("the publisher cannot connect");
        return;
    };
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    let mut n = 0u64;
    while *phase.borrow() == Phase::Churn {
        ticker.tick().await;
        n += 1;
        let ts = now_ms();
        let mut fixes: Vec<String> = (0..100)
            .map(|v| {
                let lat = -16.92 + (v as f64) * 1e-3;
                let lon = 145.77 + ((n % 50) as f64) * 1e-4;
                format!(r#"{{"id":"soak-pub-{v:03}","lat":{lat:.6},"lon":{lon:.6},"ts":{ts}}}"#)
            })
            .collect();
        let text = if n % 100 == 50 {
            counts.published_bad.fetch_add(1, Ordering::Relaxed);
            r#"{"type":"report","positions":[{"id":"soak-pub-000","#.to_owned()
        } else {
            if n.is_multiple_of(100) {
                fixes[7] = format!(r#"{{"id":"soak-pub-007","lat":123.0,"lon":145.77,"ts":{ts}}}"#);
                counts.published_bad.fetch_add(1, Ordering::Relaxed);
                counts.published_good.fetch_add(99, Ordering::Relaxed);
            } else {
                counts.published_good.fetch_add(100, Ordering::Relaxed);
            }
            format!(r#"{{"type":"report","positions":[{}]}}"#, fixes.join(","))
        };
        if ws.send(Message::text(text)).await.is_err() {
            eprintln!("the publisher's connection dropped");
            return;
        }
    }
}

/// What one viewer slot asks for, by a roll of its dice: a tenth the whole fleet, the rest a
/// box of a few kilometres to a few tens; half of each in the compact encoding.
fn subscription(rng: &mut fastrand::Rng) -> (Subscribe, Encoding, bool) {
    let encoding = if rng.bool() {
        Encoding::Compact
    } else {
        Encoding::V1
    };
    if rng.u8(0..10) == 0 {
        return (Subscribe::default(), encoding, true);
    }
    let (w, h) = (0.03 + rng.f64() * 0.12, 0.03 + rng.f64() * 0.15);
    let west = AREA[0] + rng.f64() * (AREA[2] - AREA[0] - w);
    let south = AREA[1] + rng.f64() * (AREA[3] - AREA[1] - h);
    let subscribe = Subscribe {
        bbox: Some(BBox::from([west, south, west + w, south + h])),
        ..Subscribe::default()
    };
    (subscribe, encoding, false)
}

/// The slots' shared view of each one's last frame, for the final check.
pub struct Slots {
    /// When each slot last read a frame (ms); 0 while it is not connected.
    pub last_frame_ms: Vec<AtomicI64>,
    /// The newest fix time a whole-fleet slot was sent (ms); -1 for the others.
    pub newest_ts: Vec<AtomicI64>,
}

impl Slots {
    pub fn new(n: usize) -> Self {
        Self {
            last_frame_ms: (0..n).map(|_| AtomicI64::new(0)).collect(),
            newest_ts: (0..n).map(|_| AtomicI64::new(-1)).collect(),
        }
    }
}

/// One viewer slot: join, watch for 20 s to 3 min, leave, and again, until the hold; then it
/// stays and keeps reading until the stop.
pub async fn viewer_slot(
    port: u16,
    slot: usize,
    counts: Arc<Counts>,
    slots: Arc<Slots>,
    phase: watch::Receiver<Phase>,
) {
    let mut rng = fastrand::Rng::with_seed(1_000 + slot as u64);
    tokio::time::sleep(Duration::from_millis(rng.u64(0..20_000))).await;
    while *phase.borrow() == Phase::Churn {
        let (subscribe, encoding, whole) = subscription(&mut rng);
        let source = source_address(30, slot, 200);
        let Ok(mut viewer) = Viewer::connect(source, port, subscribe, encoding, false).await else {
            counts.viewer_errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        counts.joins.fetch_add(1, Ordering::Relaxed);
        counts.watching.fetch_add(1, Ordering::Relaxed);
        let stay = Duration::from_millis(rng.u64(20_000..180_000));
        let ok = watch_for(&mut viewer, stay, slot, whole, &counts, &slots, &phase).await;
        counts.watching.fetch_sub(1, Ordering::Relaxed);
        slots.last_frame_ms[slot].store(0, Ordering::Relaxed);
        slots.newest_ts[slot].store(-1, Ordering::Relaxed);
        if !ok {
            counts.viewer_errors.fetch_add(1, Ordering::Relaxed);
        }
        viewer.close().await;
        counts.leaves.fetch_add(1, Ordering::Relaxed);
    }
}

/// Reads `viewer`'s frames for `stay` (or, once the hold has begun, until the stop).
async fn watch_for(
    viewer: &mut Viewer,
    stay: Duration,
    slot: usize,
    whole: bool,
    counts: &Counts,
    slots: &Slots,
    phase: &watch::Receiver<Phase>,
) -> bool {
    let leave_at = tokio::time::Instant::now() + stay;
    loop {
        let now = *phase.borrow();
        if now == Phase::Stop || (now == Phase::Churn && tokio::time::Instant::now() >= leave_at) {
            return true;
        }
        match viewer.read(Duration::from_secs(5)).await {
            Ok(snapshot) => {
                counts.frames.fetch_add(1, Ordering::Relaxed);
                counts
                    .snapshots
                    .fetch_add(u64::from(snapshot.is_some()), Ordering::Relaxed);
                slots.last_frame_ms[slot].store(now_ms(), Ordering::Relaxed);
                if whole {
                    slots.newest_ts[slot].store(viewer.newest_ts, Ordering::Relaxed);
                }
            }
            // A box with nothing moving in it for 5 s is quiet, not broken.
            Err(ViewerError::TimedOut) => {}
            Err(e) => {
                eprintln!("viewer slot {slot}: {e:?}");
                return false;
            }
        }
    }
}
