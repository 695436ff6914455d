//! A history's track made cheap to draw: the fixes in Web Mercator units once, and for each
//! zoom the few of them a person can tell apart: the track is cut where its speed class (its
//! colour) changes, and each piece simplified by Douglas-Peucker to within [`KEEP_PX`] of the
//! whole, so a day at one fix a second draws as a few thousand points. The speed chart gets the same treatment: the
//! fastest fix of each of at most [`CHART_POINTS`] slices of time.

use std::cell::RefCell;

use crate::protocol::Fix;
use crate::ui::map::camera::merc;

/// The simplified track strays at most this far (px, at the zoom drawn) from the whole.
pub const KEEP_PX: f64 = 0.75;
/// Points of the speed chart, at most.
pub const CHART_POINTS: usize = 1_500;
/// The speed colour classes are this wide (km/h): a change of class keeps a point.
const CLASS_KMH: f32 = 10.0;

/// What a simplification was made for: quarter zoom steps, and the limit's bits.
type KeptFor = (i32, u32);

/// The track of a History, with its simplification for the last zoom drawn.
#[derive(Debug, Default)]
pub struct HistoryTrack {
    pub fixes: Vec<Fix>,
    /// Web Mercator, 0..1 across the world.
    world: Vec<(f64, f64)>,
    /// The indices kept for the last zoom and limit asked.
    kept: RefCell<Option<(KeptFor, Vec<u32>)>>,
}

/// Web Mercator, 0..1 across the world (x east, y south), from the map's own projection.
fn mercator(lat: f64, lon: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0;
    let y = 0.5 - merc(lat) / std::f64::consts::TAU;
    (x, y)
}

/// A point in [`mercator`] units as (Mercator y, longitude), what `ToScreen::at_merc` takes.
pub fn merc_lon((x, y): (f64, f64)) -> (f64, f64) {
    ((0.5 - y) * std::f64::consts::TAU, x * 360.0 - 180.0)
}
/// The speed class of a fix: its colour on the map is its class's (a run of one class is one
/// line); over the limit and unknown are classes of their own.
pub fn class(fix: &Fix, limit_kmh: f32) -> i32 {
    match fix.speed {
        None => -1,
        Some(s) if s * 3.6 > limit_kmh => 1_000,
        Some(s) => (s * 3.6 / CLASS_KMH) as i32,
    }
}

impl HistoryTrack {
    pub fn new(fixes: Vec<Fix>) -> Self {
        let world = fixes.iter().map(|f| mercator(f.lat, f.lon)).collect();
        Self {
            fixes,
            world,
            kept: RefCell::new(None),
        }
    }

    /// The indices of the fixes to draw at `zoom` with overspeed above `limit_kmh` (made once a
    /// zoom and limit; hold the answer no longer than the frame).
    pub fn kept(&self, zoom: f64, limit_kmh: f32) -> std::cell::Ref<'_, [u32]> {
        let key = ((zoom * 4.0).round() as i32, limit_kmh.to_bits());
        let fresh = self.kept.borrow().as_ref().is_none_or(|(k, _)| *k != key);
        if fresh {
            let kept = self.simplify(zoom, limit_kmh);
            *self.kept.borrow_mut() = Some((key, kept));
        }
        std::cell::Ref::map(self.kept.borrow(), |k| {
            k.as_ref().map_or(&[][..], |(_, v)| v.as_slice())
        })
    }

    fn simplify(&self, zoom: f64, limit_kmh: f32) -> Vec<u32> {
        let world_px = 256.0 * 2f64.powf(zoom);
        let tolerance = KEEP_PX / world_px;
        let mut kept = Vec::new();
        let mut start = 0;
        for end in 1..=self.fixes.len() {
            let cut = end == self.fixes.len()
                || class(&self.fixes[end], limit_kmh) != class(&self.fixes[start], limit_kmh);
            if cut {
                // The piece start..end, and the first point of the next one joins it.
                let last = end.min(self.fixes.len() - 1);
                douglas_peucker(&self.world, start, last, tolerance, &mut kept);
                start = last;
            }
        }
        kept.dedup();
        kept
    }

    /// Fix `i` in Web Mercator units (0..1 across the world).
    pub fn world(&self, i: usize) -> (f64, f64) {
        self.world[i]
    }

    /// The fix nearest in time to `ts`.
    pub fn at(&self, ts: i64) -> Option<&Fix> {
        let i = self.fixes.partition_point(|f| f.ts < ts);
        let before = i.checked_sub(1).and_then(|j| self.fixes.get(j));
        match (before, self.fixes.get(i)) {
            (Some(a), Some(b)) => Some(if ts - a.ts <= b.ts - ts { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// The fixes with times in `from..=to`.
    pub fn between(&self, from: i64, to: i64) -> &[Fix] {
        let a = self.fixes.partition_point(|f| f.ts < from);
        let b = self.fixes.partition_point(|f| f.ts <= to);
        &self.fixes[a..b.max(a)]
    }

    /// The speed chart: lines of (seconds since `t0`, km/h), the fastest fix of each slice, a
    /// line a stretch of data: a hole ([`is_hole`]) breaks it, as a straight line across it
    /// would claim speeds nobody reported.
    pub fn chart(&self, t0: i64) -> Vec<Vec<[f64; 2]>> {
        let with_speed: Vec<&Fix> = self.fixes.iter().filter(|f| f.speed.is_some()).collect();
        let per = with_speed.len().div_ceil(CHART_POINTS).max(1);
        let mut stretches: Vec<&[&Fix]> = Vec::new();
        let mut start = 0;
        for i in 1..=with_speed.len() {
            let gap = |k: usize| with_speed[k].ts - with_speed[k - 1].ts;
            // The cadence to compare with: the gap before, or for the first, the one after.
            let cadence = |k: usize| match k {
                1 => (with_speed.len() > 2).then(|| gap(2)),
                _ => Some(gap(k - 1)),
            };
            if i == with_speed.len() || is_hole(gap(i), cadence(i)) {
                stretches.push(&with_speed[start..i]);
                start = i;
            }
        }
        let point = |f: &&Fix| {
            let kmh = f64::from(f.speed.unwrap_or(0.0)) * 3.6;
            [(f.ts - t0) as f64 / 1000.0, kmh]
        };
        let fastest = |slice: &[&Fix]| {
            slice
                .iter()
                .max_by(|a, b| {
                    a.speed
                        .partial_cmp(&b.speed)
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map(point)
        };
        stretches
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.chunks(per).filter_map(fastest).collect())
            .collect()
    }
}

/// A gap between two fixes is a hole in the data when it is over a minute and over five times
/// the device's cadence beside it (a tracker reporting every ten minutes while parked has no
/// holes); with nothing to compare, it is none.
pub fn is_hole(gap_ms: i64, cadence_ms: Option<i64>) -> bool {
    gap_ms > 60_000 && cadence_ms.is_some_and(|c| gap_ms > 5 * c)
}

/// Appends to `kept` the points of `world[a..=b]` that keep the line within `tolerance` of every
/// point (Douglas-Peucker, with a stack rather than recursion), in order; `a` and `b` always.
fn douglas_peucker(world: &[(f64, f64)], a: usize, b: usize, tolerance: f64, kept: &mut Vec<u32>) {
    let mut marked = vec![false; b - a + 1];
    marked[0] = true;
    marked[b - a] = true;
    let mut stack = vec![(a, b)];
    while let Some((i, j)) = stack.pop() {
        if j <= i + 1 {
            continue;
        }
        let (far, distance) = farthest(world, i, j);
        if distance > tolerance {
            marked[far - a] = true;
            stack.push((i, far));
            stack.push((far, j));
        }
    }
    kept.extend(
        marked
            .iter()
            .enumerate()
            .filter(|(_, m)| **m)
            .map(|(k, _)| (a + k) as u32),
    );
}

/// The point strictly between `i` and `j` farthest from the segment i-j, and how far.
fn farthest(world: &[(f64, f64)], i: usize, j: usize) -> (usize, f64) {
    let (p, q) = (world[i], world[j]);
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let length2 = dx * dx + dy * dy;
    let mut best = (i + 1, -1.0);
    for (k, &(x, y)) in world.iter().enumerate().take(j).skip(i + 1) {
        let t = if length2 > 0.0 {
            (((x - p.0) * dx + (y - p.1) * dy) / length2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (p.0 + t * dx, p.1 + t * dy);
        let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
        if d > best.1 {
            best = (k, d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A day at one fix a second, driving east at 10 m/s along the equator.
    fn day() -> HistoryTrack {
        let fixes = (0..86_400)
            .map(|i| Fix {
                lat: 0.0,
                lon: i as f64 * 10.0 / 111_320.0,
                ts: i64::from(i) * 1000,
                speed: Some(10.0),
                heading: Some(90.0),
            })
            .collect();
        HistoryTrack::new(fixes)
    }

    #[test]
    fn a_straight_day_keeps_its_ends_and_a_bend_keeps_its_corner() {
        let track = day();
        assert_eq!(
            &*track.kept(8.0, 90.0),
            &[0, 86_399],
            "a straight line is its ends"
        );
        let kept = track.kept(8.0, 90.0);
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&86_399), "the last fix is always drawn");
        drop(kept);
        // East for 100 fixes, then north: the corner is kept, at any zoom.
        let fixes: Vec<Fix> = (0..200)
            .map(|i| {
                let (lat, lon) = if i < 100 {
                    (0.0, f64::from(i) * 0.001)
                } else {
                    (f64::from(i - 99) * 0.001, 0.099)
                };
                let mut f = Fix::at(lat, lon, i64::from(i) * 1000);
                f.speed = Some(10.0);
                f
            })
            .collect();
        let bent = HistoryTrack::new(fixes);
        assert_eq!(&*bent.kept(12.0, 90.0), &[0, 99, 199]);
    }

    #[test]
    fn a_winding_day_keeps_what_the_eye_can_tell_apart_more_when_zoomed_in() {
        // A circle of 5 km a hour, 24 times, at one fix a second.
        let fixes: Vec<Fix> = (0..86_400)
            .map(|i| {
                let a = f64::from(i) / 3_600.0 * std::f64::consts::TAU;
                let mut f = Fix::at(
                    -16.92 + 0.045 * a.sin(),
                    145.77 + 0.045 * a.cos(),
                    i64::from(i) * 1000,
                );
                f.speed = Some(10.0);
                f
            })
            .collect();
        let track = HistoryTrack::new(fixes);
        let far = track.kept(11.0, 90.0).len();
        let near = track.kept(16.0, 90.0).len();
        assert!(far < 3_000, "zoom 11 keeps {far}");
        assert!(near > far, "zoom 16 keeps {near}, more than {far}");
    }

    #[test]
    fn a_change_of_speed_class_is_kept_however_close() {
        let mut fixes: Vec<Fix> = (0..10).map(|i| Fix::at(0.0, 0.0, i * 1000)).collect();
        for (i, f) in fixes.iter_mut().enumerate() {
            f.speed = Some(if i == 5 { 30.0 } else { 1.0 });
        }
        let track = HistoryTrack::new(fixes);
        assert_eq!(&*track.kept(10.0, 90.0), &[0, 5, 6, 9]);
        // 30 m/s is 108 km/h: with a limit of 100 it is overspeed, still its own class.
        assert_eq!(&*track.kept(10.0, 100.0), &[0, 5, 6, 9]);
    }

    #[test]
    fn a_hole_in_the_data_breaks_the_chart_and_a_slow_steady_cadence_does_not() {
        let at = |ts: i64, kmh: f32| {
            let mut f = Fix::at(0.0, 0.0, ts);
            f.speed = Some(kmh / 3.6);
            f
        };
        // Every 2 s, silent for 4 minutes, every 2 s again.
        let track = HistoryTrack::new(vec![
            at(0, 40.0),
            at(2_000, 40.0),
            at(242_000, 0.0),
            at(244_000, 5.0),
        ]);
        assert_eq!(
            track.chart(0).iter().map(Vec::len).collect::<Vec<_>>(),
            [2, 2]
        );
        // Parked, reporting every 10 minutes: one line.
        let parked = HistoryTrack::new((0..5).map(|i| at(i * 600_000, 0.0)).collect());
        assert_eq!(parked.chart(0).len(), 1);
    }

    #[test]
    fn the_fix_at_a_moment_is_the_nearest_in_time() {
        let track = day();
        assert_eq!(track.at(1_400).map(|f| f.ts), Some(1_000));
        assert_eq!(track.at(1_600).map(|f| f.ts), Some(2_000));
        assert_eq!(track.at(-5).map(|f| f.ts), Some(0));
        assert_eq!(track.at(i64::MAX).map(|f| f.ts), Some(86_399_000));
        assert_eq!(track.between(10_000, 12_000).len(), 3);
    }

    #[test]
    fn the_chart_keeps_each_slices_fastest_fix_so_no_peak_is_lost() {
        let mut track = day();
        track.fixes[40_000].speed = Some(33.0);
        let chart = track.chart(0);
        assert!(chart.iter().map(Vec::len).sum::<usize>() <= CHART_POINTS);
        let peak = chart.iter().flatten().map(|p| p[1]).fold(0.0, f64::max);
        assert!((peak - 33.0 * 3.6).abs() < 0.01, "{peak}");
    }
}
