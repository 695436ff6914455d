//! The labels plugin: names beside markers, placed only where they cover no other label,
//! marker or cluster, by priority: the selection (always), the hovered vehicle, a fanned-out
//! cluster's vehicles, then the others in view (from street zoom, when the labels layer is on).

use std::cell::RefCell;

use egui::{FontId, Pos2, Rect, Response, Ui, Vec2};
use walkers::{MapMemory, Plugin, Projector};

use super::declutter::{Cluster, LabelPlacer};
use super::vehicles::footprint;
use super::{Frame, Hit};
use crate::fleet::{Fleet, VehicleKey};
use crate::ui::tokens::{self, Theme};

/// Labels of all vehicles in view from this zoom on (the selection's always).
pub(super) const LABEL_ZOOM: f64 = 13.0;
/// At most this many labels are tried a frame, so a dense view stays cheap.
const MAX_LABELS: usize = 400;

/// A vehicle drawn apart from the clusters, and where.
type Placed = (VehicleKey, Pos2);

/// How a label is placed: the selection's (larger, always), an alarm's (always), or any other
/// (only where it covers nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Selected,
    Alarm,
    Plain,
}

pub(super) struct Labels<'a> {
    pub(super) fleet: &'a Fleet,
    pub(super) theme: &'a Theme,
    /// Label every vehicle in view, not only the selected and hovered ones.
    pub(super) all: bool,
    pub(super) frame: &'a RefCell<Frame>,
}

impl Plugin for Labels<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, response: &Response, _: &Projector, _: &MapMemory) {
        let painter = ui.painter().with_clip_rect(response.rect);
        let mut frame = self.frame.borrow_mut();
        let candidates = self.candidates(&frame);
        let Frame {
            clusters,
            fanned,
            alarmed,
            selected_at,
            labels,
            labelled,
            ..
        } = &mut *frame;
        labels.reset(response.rect.expand(16.0));
        block_markers(labels, &clusters.clusters, (fanned, alarmed), *selected_at);
        for (key, p, kind) in candidates {
            self.label(&painter, (&mut *labels, &mut *labelled), key, p, kind);
        }
    }
}

impl Labels<'_> {
    /// Who is named, in order of priority: the selection, vehicles with a critical alert open,
    /// the hovered vehicle, a fan's vehicles, then (with every label on) lone markers, at most
    /// [`MAX_LABELS`] of the last two.
    fn candidates(&self, frame: &Frame) -> Vec<(VehicleKey, Pos2, Kind)> {
        let selected = frame.selected_at.map(|s| s.0);
        let mut out: Vec<(VehicleKey, Pos2, Kind)> = frame
            .selected_at
            .iter()
            .map(|&(k, p)| (k, p, Kind::Selected))
            .collect();
        let alarmed = frame.alarmed.iter().filter(|(k, _)| Some(*k) != selected);
        out.extend(alarmed.map(|&(k, p)| (k, p, Kind::Alarm)));
        let hovered = match frame.hovered {
            Some(Hit::Vehicle(k)) if Some(k) != selected => Some(k),
            _ => None,
        };
        let position_of = |key: VehicleKey| {
            let apart = frame.fanned.iter().chain(frame.alarmed.iter());
            apart
                .clone()
                .find(|(k, _)| *k == key)
                .map(|(_, p)| *p)
                .or_else(|| frame.in_view.iter().find(|v| v.key == key).map(|v| v.pos))
        };
        if let Some(key) = hovered
            && let Some(p) = position_of(key)
        {
            out.push((key, p, Kind::Plain));
        }
        let fanned = frame.fanned.iter().copied();
        let lone = frame
            .clusters
            .clusters
            .iter()
            .filter(|_| self.all)
            .filter(|c| c.count == 1)
            .map(|c| (frame.in_view[c.first].key, frame.in_view[c.first].pos));
        let rest = fanned.chain(lone).filter(|(k, _)| Some(*k) != hovered);
        out.extend(rest.take(MAX_LABELS).map(|(k, p)| (k, p, Kind::Plain)));
        out
    }
}

/// Every marker, cluster and the selection's ring is taken before any label is placed.
fn block_markers(
    labels: &mut LabelPlacer,
    clusters: &[Cluster],
    (fanned, alarmed): (&[Placed], &[Placed]),
    selected_at: Option<(VehicleKey, Pos2)>,
) {
    for c in clusters {
        labels.block(footprint(c));
    }
    for &(_, p) in fanned.iter().chain(alarmed) {
        labels.block(Rect::from_center_size(
            p,
            Vec2::splat(2.0 * tokens::MARKER_SIZE),
        ));
    }
    if let Some((_, p)) = selected_at {
        let ring = Vec2::splat(2.0 * tokens::SELECTION_RING_RADIUS);
        labels.block(Rect::from_center_size(p, ring));
    }
}

impl Labels<'_> {
    /// Places and draws one label; the selection's is placed even where it collides.
    fn label(
        &self,
        painter: &egui::Painter,
        (placer, drawn): (&mut LabelPlacer, &mut Vec<Rect>),
        key: VehicleKey,
        at: Pos2,
        kind: Kind,
    ) {
        let Some(v) = self.fleet.vehicle(key) else {
            return;
        };
        let selected = kind == Kind::Selected;
        let (size, plate) = if selected {
            (tokens::LABEL_FONT_SELECTED, self.theme.label_plate_selected)
        } else {
            (tokens::LABEL_FONT, self.theme.label_plate)
        };
        let galley = painter.layout_no_wrap(
            v.display_name().to_owned(),
            FontId::proportional(size),
            self.theme.label_text,
        );
        let padding = Vec2::new(3.0, 1.0);
        let gap = match kind {
            Kind::Selected => tokens::SELECTION_RING_RADIUS,
            Kind::Alarm => tokens::MARKER_SIZE * 1.8,
            Kind::Plain => tokens::MARKER_SIZE,
        };
        let always = kind != Kind::Plain;
        let Some(rect) = placer.place(at, galley.size() + 2.0 * padding, gap, always) else {
            return;
        };
        drawn.push(rect);
        painter.rect_filled(rect, 3.0, plate);
        painter.galley(rect.min + padding, galley, self.theme.label_text);
    }
}
