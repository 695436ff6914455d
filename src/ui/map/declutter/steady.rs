//! Clustering with hysteresis, so two vehicles passing each other do not merge into a "2" and
//! split again within a second (their labels blinking). A vehicle joins a cluster only after it
//! has been within the cluster distance of another for [`MERGE_AFTER_S`], and leaves it only
//! when it is clearly apart: beyond [`SPLIT_BEYOND`] times that distance.
//!
//! The memory is plain data keyed by vehicle, with the time passed in; it holds only vehicles
//! in view last frame, so its cost is bounded by what is in view. A change of zoom forgets it
//! (every distance on screen changed: the map regroups at once, as without hysteresis).

use std::collections::HashMap;

use super::{Cluster, Clusters, InView};
use crate::fleet::VehicleKey;

/// Seconds a vehicle must stay near another before they are drawn as one.
pub const MERGE_AFTER_S: f64 = 1.5;
/// A vehicle drawn in a cluster leaves it only beyond this many cluster distances.
pub const SPLIT_BEYOND: f32 = 1.5;

/// When this frame is drawn, and at what zoom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moment {
    /// Seconds on any steady clock (egui's input time).
    pub now_s: f64,
    pub zoom: f64,
}

/// What is remembered of one vehicle in view.
#[derive(Debug, Clone, Copy)]
struct Memory {
    /// Drawn in a cluster last frame.
    grouped: bool,
    /// Since when it has been near another while drawn alone.
    near_since: Option<f64>,
    /// The frame it was last seen in.
    seen: u64,
}

/// Which vehicles are drawn in clusters, remembered between frames.
#[derive(Debug, Default)]
pub struct Steady {
    memory: HashMap<VehicleKey, Memory>,
    zoom: Option<f64>,
    frame: u64,
}

impl Steady {
    /// For each vehicle of `in_view`, whether it is drawn in a cluster (into `grouped`), given
    /// whether it is `near` another now (within the cluster distance) and still `close` (within
    /// [`SPLIT_BEYOND`] of it).
    pub fn decide(
        &mut self,
        in_view: &[InView],
        near_close: (&[bool], &[bool]),
        at: Moment,
        grouped: &mut Vec<bool>,
    ) {
        let (near, close) = near_close;
        if self.zoom != Some(at.zoom) {
            self.memory.clear();
            self.zoom = Some(at.zoom);
        }
        self.frame += 1;
        grouped.clear();
        for (i, v) in in_view.iter().enumerate() {
            let m = self.memory.entry(v.key).or_insert(Memory {
                grouped: near[i],
                near_since: None,
                seen: 0,
            });
            m.seen = self.frame;
            if m.grouped {
                m.grouped = close[i];
                m.near_since = None;
            } else if near[i] {
                let since = *m.near_since.get_or_insert(at.now_s);
                m.grouped = at.now_s - since >= MERGE_AFTER_S;
                if m.grouped {
                    m.near_since = None;
                }
            } else {
                m.near_since = None;
            }
            grouped.push(m.grouped);
        }
        let frame = self.frame;
        self.memory.retain(|_, m| m.seen == frame);
    }

    /// Forgets every vehicle (the view is clustered without hysteresis for now).
    pub fn forget(&mut self) {
        self.memory.clear();
        self.zoom = None;
    }

    /// Whether a vehicle is waiting to join a cluster (so the map should look again soon).
    pub fn pending(&self) -> bool {
        self.memory.values().any(|m| m.near_since.is_some())
    }
}

/// Reused buffers of the steady build.
#[derive(Default)]
pub(super) struct Scratch {
    near: Vec<bool>,
    close: Vec<bool>,
    grouped: Vec<bool>,
    subset: Vec<InView>,
    index: Vec<usize>,
    member_of: Vec<u32>,
}

impl Clusters {
    /// Like the plain build, with hysteresis: the vehicles drawn grouped cluster among
    /// themselves at [`SPLIT_BEYOND`] times `distance`; the others are drawn alone.
    pub(super) fn build_steady(
        &mut self,
        in_view: &[InView],
        (area, distance): (egui::Rect, f32),
        at: Moment,
    ) {
        let mut s = std::mem::take(&mut self.scratch);
        self.build_plain(in_view, area, distance);
        s.near.clear();
        s.near
            .extend(self.member_of.iter().map(|&c| self.multiple(c)));
        self.build_plain(in_view, area, distance * SPLIT_BEYOND);
        s.close.clear();
        s.close
            .extend(self.member_of.iter().map(|&c| self.multiple(c)));
        self.steady
            .decide(in_view, (&s.near, &s.close), at, &mut s.grouped);
        s.subset.clear();
        s.index.clear();
        for (i, v) in in_view.iter().enumerate() {
            if s.grouped[i] {
                s.subset.push(*v);
                s.index.push(i);
            }
        }
        self.build_plain(&s.subset, area, distance * SPLIT_BEYOND);
        // Back to indices into `in_view`, and the vehicles drawn alone added.
        s.member_of.clear();
        s.member_of.resize(in_view.len(), u32::MAX);
        for (j, &c) in self.member_of.iter().enumerate() {
            s.member_of[s.index[j]] = c;
        }
        for c in &mut self.clusters {
            c.first = s.index[c.first];
        }
        for (i, v) in in_view.iter().enumerate() {
            if !s.grouped[i] {
                s.member_of[i] = self.clusters.len() as u32;
                self.clusters.push(Cluster::lone(i, v));
            }
        }
        std::mem::swap(&mut self.member_of, &mut s.member_of);
        self.scratch = s;
    }

    fn multiple(&self, c: u32) -> bool {
        self.clusters[c as usize].count > 1
    }
}
