//! Applying the Geofences window's actions: drawing on the map, renaming, deleting, saving back
//! to the GeoJSON file. The engine takes the new set at once.

use geo::{Distance, Haversine, Point};

use super::FleetApp;
use crate::alerts::{Area, Geofence, Geofences};
use crate::ui::action::Action;
use crate::ui::view::Drawing;

impl FleetApp {
    pub(super) fn apply_geofence_action(&mut self, action: Action, now_ms: i64) {
        let engine = self.pipeline.alerts_or_default();
        let mut fences = engine.geofences().to_vec();
        match action {
            Action::ToggleGeofences => {
                self.view.geofences_open = !self.view.geofences_open;
                self.view.drawing = None;
                return;
            }
            Action::DrawGeofence(circle) => {
                self.view.drawing = Some(Drawing {
                    circle,
                    points: Vec::new(),
                });
                return;
            }
            Action::DrawAt(lat, lon) => {
                if let Some(d) = &mut self.view.drawing {
                    if d.circle && d.points.len() == 2 {
                        d.points[1] = (lat, lon);
                    } else {
                        d.points.push((lat, lon));
                    }
                }
                return;
            }
            Action::CancelDrawing => {
                self.view.drawing = None;
                return;
            }
            Action::FinishDrawing(name) => {
                match self.view.drawing.take().and_then(|d| drawn(&d, name)) {
                    Some(fence) => fences.push(fence),
                    None => return,
                }
            }
            Action::RenameGeofence(i, name) => match fences.get_mut(i) {
                Some(f) => f.name = name,
                None => return,
            },
            Action::DeleteGeofence(i) if i < fences.len() => {
                fences.remove(i);
            }
            Action::SaveGeofences => {
                self.save_geofences(now_ms);
                return;
            }
            _ => return,
        }
        engine.set_geofences(Geofences::new(fences));
        self.geofences_window.names.clear();
    }

    fn save_geofences(&mut self, now_ms: i64) {
        let (Some(path), Some(engine)) = (&self.geofences_file, self.pipeline.alerts()) else {
            return;
        };
        let text = engine.geofences().to_geojson();
        let said = match std::fs::write(path, text) {
            Ok(()) => format!(
                "Saved {} geofences to {}",
                engine.geofences().len(),
                path.display()
            ),
            Err(e) => format!("Could not save to {}: {e}", path.display()),
        };
        self.view.notify(said, now_ms);
    }
}

/// The geofence a drawing makes: a polygon of its corners, or a circle through its edge point.
fn drawn(d: &Drawing, name: String) -> Option<Geofence> {
    let area = if d.circle {
        let [(lat, lon), (elat, elon)] = d.points[..] else {
            return None;
        };
        let centre = Point::new(lon, lat);
        let radius_m = Haversine.distance(centre, Point::new(elon, elat));
        (radius_m > 0.0).then_some(Area::Circle { centre, radius_m })?
    } else {
        if d.points.len() < 3 {
            return None;
        }
        let mut ring: Vec<(f64, f64)> = d.points.iter().map(|&(lat, lon)| (lon, lat)).collect();
        ring.push(ring[0]);
        Area::Polygons(geo::MultiPolygon(vec![geo::Polygon::new(
            ring.into(),
            vec![],
        )]))
    };
    Some(Geofence {
        name,
        area,
        depot: false,
        speed_limit_kmh: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_makes_a_polygon_of_its_corners_or_a_circle_through_its_edge() {
        let square = Drawing {
            circle: false,
            points: vec![(-16.92, 145.77), (-16.92, 145.78), (-16.91, 145.78)],
        };
        let fence = drawn(&square, "Yard".into()).expect("a polygon");
        assert!(fence.contains(-16.918, 145.778));
        assert!(!fence.contains(-16.918, 145.771));
        let circle = Drawing {
            circle: true,
            points: vec![(-16.92, 145.77), (-16.919, 145.77)],
        };
        match drawn(&circle, "Stop".into()).expect("a circle").area {
            Area::Circle { radius_m, .. } => assert!((radius_m - 111.2).abs() < 1.0, "{radius_m}"),
            other => panic!("{other:?}"),
        }
        let two = Drawing {
            circle: false,
            points: vec![(0.0, 0.0), (1.0, 1.0)],
        };
        assert!(drawn(&two, "x".into()).is_none());
    }
}
