//! Plugin: the alert engine's geofences, under the markers: an outline and a faint fill each,
//! and its name once the map is close enough to read it.

use egui::{Align2, Pos2, Response, Shape, Stroke, Ui};
use geo::{Centroid, IsConvex};
use walkers::{MapMemory, Plugin, Projector, lat_lon};

use crate::alerts::{Area, Geofences};
use crate::ui::tokens;
use crate::ui::view::Drawing;

/// Names show from this zoom (streets).
const NAME_ZOOM: f64 = 13.0;
/// Points on a circle's outline.
const CIRCLE_POINTS: usize = 48;

pub(super) struct Fences<'a> {
    pub(super) geofences: &'a Geofences,
    /// A geofence being drawn: its clicks so far.
    pub(super) drawing: Option<&'a Drawing>,
    pub(super) zoom: f64,
}

impl Plugin for Fences<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let painter = ui.painter().with_clip_rect(response.rect);
        let screen = |lon: f64, lat: f64| projector.project(lat_lon(lat, lon)).to_pos2();
        let stroke = Stroke::new(tokens::GEOFENCE_WIDTH, tokens::GEOFENCE_LINE);
        for fence in self.geofences.iter() {
            let (rings, convex, centre) = match &fence.area {
                Area::Polygons(m) => {
                    let rings: Vec<Vec<Pos2>> =
                        m.0.iter()
                            .map(|p| p.exterior().coords().map(|c| screen(c.x, c.y)).collect())
                            .collect();
                    let convex = m.0.len() == 1 && m.0[0].exterior().is_convex();
                    let centre = m.centroid().map(|c| screen(c.x(), c.y()));
                    (rings, convex, centre)
                }
                Area::Circle { centre, radius_m } => {
                    let ring = circle(centre.y(), centre.x(), *radius_m)
                        .map(|(lat, lon)| screen(lon, lat))
                        .collect();
                    (vec![ring], true, Some(screen(centre.x(), centre.y())))
                }
            };
            for ring in rings {
                if convex {
                    painter.add(Shape::convex_polygon(
                        ring.clone(),
                        tokens::GEOFENCE_FILL,
                        Stroke::NONE,
                    ));
                }
                painter.add(Shape::closed_line(ring, stroke));
            }
            if self.zoom >= NAME_ZOOM
                && let Some(at) = centre
            {
                painter.text(
                    at,
                    Align2::CENTER_CENTER,
                    &fence.name,
                    egui::FontId::proportional(tokens::GEOFENCE_NAME_SIZE),
                    tokens::GEOFENCE_LINE,
                );
            }
        }
        if let Some(d) = self.drawing {
            drawing(&painter, projector, d);
        }
    }
}

/// The geofence being drawn: its corners joined (a circle: its centre and, once the edge is
/// clicked, its outline).
fn drawing(painter: &egui::Painter, projector: &Projector, d: &Drawing) {
    let screen = |&(lat, lon): &(f64, f64)| projector.project(lat_lon(lat, lon)).to_pos2();
    let stroke = Stroke::new(tokens::GEOFENCE_WIDTH, tokens::ALERT_RED);
    let points: Vec<Pos2> = d.points.iter().map(screen).collect();
    for p in &points {
        painter.circle_filled(*p, 4.0, tokens::ALERT_RED);
    }
    if !d.circle && points.len() > 1 {
        painter.add(Shape::line(points, stroke));
    }
}

/// Points on a circle of `radius_m` around (lat, lon), as (lat, lon).
fn circle(lat: f64, lon: f64, radius_m: f64) -> impl Iterator<Item = (f64, f64)> {
    let dlat = (radius_m / crate::alerts::geofence::EARTH_M).to_degrees();
    let dlon = dlat / lat.to_radians().cos().max(1e-6);
    (0..CIRCLE_POINTS).map(move |i| {
        let a = i as f64 / CIRCLE_POINTS as f64 * std::f64::consts::TAU;
        (lat + dlat * a.sin(), lon + dlon * a.cos())
    })
}
