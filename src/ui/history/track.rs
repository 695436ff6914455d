//! A history's track made cheap to draw: the fixes in Web Mercator units once, and for each
//! zoom the few of them a person can tell apart (a point is kept when it lies at least
//! [`KEEP_PX`] from the last one kept, or its speed colour changes), so a day at one fix a
//! second draws as a few thousand segments. The speed chart gets the same treatment: the
//! fastest fix of each of at most [`CHART_POINTS`] slices of time.

use std::cell::RefCell;

use crate::protocol::Fix;

/// Points closer than this on screen (at the zoom drawn) are one point.
pub const KEEP_PX: f64 = 2.0;
/// Points of the speed chart, at most.
pub const CHART_POINTS: usize = 1_500;
/// The speed colour classes are this wide (km/h): a change of class keeps a point.
const CLASS_KMH: f32 = 10.0;

/// The track of a History, with its simplification for the last zoom drawn.
#[derive(Debug, Default)]
pub struct HistoryTrack {
    pub fixes: Vec<Fix>,
    /// Web Mercator, 0..1 across the world.
    world: Vec<(f64, f64)>,
    /// (zoom key, indices kept).
    kept: RefCell<Option<(i32, Vec<u32>)>>,
}

pub fn mercator(lat: f64, lon: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0;
    let s = lat.to_radians().sin().clamp(-0.9999, 0.9999);
    let y = 0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * std::f64::consts::PI);
    (x, y)
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

    /// The indices of the fixes to draw at `zoom` with overspeed above `limit_kmh`: every one
    /// at least [`KEEP_PX`] from the last kept or of another speed class, and the last one.
    pub fn kept(&self, zoom: f64, limit_kmh: f32) -> std::cell::Ref<'_, [u32]> {
        let key = (zoom * 4.0).round() as i32 ^ ((limit_kmh as i32) << 8);
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
        let min = (KEEP_PX / world_px).powi(2);
        let mut kept = Vec::new();
        let mut last: Option<usize> = None;
        for (i, &(x, y)) in self.world.iter().enumerate() {
            let keep = match last {
                None => true,
                Some(j) => {
                    let (lx, ly) = self.world[j];
                    (x - lx).powi(2) + (y - ly).powi(2) >= min
                        || class(&self.fixes[i], limit_kmh) != class(&self.fixes[j], limit_kmh)
                }
            };
            if keep {
                kept.push(i as u32);
                last = Some(i);
            }
        }
        let end = self.fixes.len().saturating_sub(1) as u32;
        if !self.fixes.is_empty() && kept.last() != Some(&end) {
            kept.push(end);
        }
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

    /// The speed chart's points: (seconds since `t0`, km/h), the fastest fix of each slice.
    pub fn chart(&self, t0: i64) -> Vec<[f64; 2]> {
        let with_speed: Vec<&Fix> = self.fixes.iter().filter(|f| f.speed.is_some()).collect();
        let per = with_speed.len().div_ceil(CHART_POINTS).max(1);
        with_speed
            .chunks(per)
            .filter_map(|slice| {
                slice.iter().max_by(|a, b| {
                    a.speed
                        .partial_cmp(&b.speed)
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
            })
            .map(|f| {
                let kmh = f64::from(f.speed.unwrap_or(0.0)) * 3.6;
                [(f.ts - t0) as f64 / 1000.0, kmh]
            })
            .collect()
    }
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
    fn a_day_at_one_hz_keeps_few_points_when_zoomed_out_and_every_one_when_zoomed_in() {
        let track = day();
        let far = track.kept(8.0, 90.0).len();
        assert!(far < 2_000, "zoom 8 keeps {far}");
        let near = track.kept(20.0, 90.0).len();
        assert_eq!(near, 86_400, "zoom 20: every fix is pixels apart");
        let kept = track.kept(8.0, 90.0);
        assert_eq!(kept.first(), Some(&0));
        assert_eq!(kept.last(), Some(&86_399), "the last fix is always drawn");
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
        assert!(chart.len() <= CHART_POINTS);
        let peak = chart.iter().map(|p| p[1]).fold(0.0, f64::max);
        assert!((peak - 33.0 * 3.6).abs() < 0.01, "{peak}");
    }
}
