//! Where the map looks, as arithmetic on Web Mercator: the zoom and centre that fit an area into
//! the map, metres per point at a zoom, and a scale bar of a round length.

use crate::geo::EARTH_RADIUS_M;

/// Tiles are 256 points wide at an integer zoom.
const TILE: f64 = 256.0;
/// Zoom limits for fitting: closer than street level helps nobody.
pub const MAX_FIT_ZOOM: f64 = 18.0;
const MIN_FIT_ZOOM: f64 = 2.0;

/// A box of latitudes and longitudes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl Bounds {
    /// The smallest box holding every point, or `None` for no points.
    pub fn of(points: impl IntoIterator<Item = (f64, f64)>) -> Option<Self> {
        let mut b: Option<Self> = None;
        for (lat, lon) in points {
            let one = b.get_or_insert(Self {
                south: lat,
                west: lon,
                north: lat,
                east: lon,
            });
            one.south = one.south.min(lat);
            one.north = one.north.max(lat);
            one.west = one.west.min(lon);
            one.east = one.east.max(lon);
        }
        b
    }
}

/// Mercator y of a latitude, in turns (0 at the equator, world height 1).
fn merc_y(lat: f64) -> f64 {
    let lat = lat.clamp(-85.05, 85.05).to_radians();
    (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln() / (2.0 * std::f64::consts::PI)
}

fn lat_of(y: f64) -> f64 {
    (2.0 * (y * 2.0 * std::f64::consts::PI).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees()
}

/// The zoom (unclamped) at which `b` just fits `width` x `height` points, and its centre.
pub fn fit_unclamped(b: Bounds, width: f64, height: f64) -> (f64, (f64, f64)) {
    let span_x = ((b.east - b.west) / 360.0).max(1e-12);
    let span_y = (merc_y(b.north) - merc_y(b.south)).max(1e-12);
    let zoom = (width / (span_x * TILE))
        .log2()
        .min((height / (span_y * TILE)).log2());
    let centre = (
        lat_of((merc_y(b.north) + merc_y(b.south)) / 2.0),
        (b.east + b.west) / 2.0,
    );
    (zoom, centre)
}

/// The zoom and centre that show all of `b` in a map of `width` x `height` points, with a
/// margin of `margin` points all round; street level at most.
pub fn fit(b: Bounds, width: f64, height: f64, margin: f64) -> (f64, (f64, f64)) {
    let (zoom, centre) = fit_unclamped(
        b,
        (width - 2.0 * margin).max(16.0),
        (height - 2.0 * margin).max(16.0),
    );
    (zoom.clamp(MIN_FIT_ZOOM, MAX_FIT_ZOOM), centre)
}

/// Mercator y of a latitude in radians of the projection (`ln tan(pi/4 + phi/2)`); what
/// [`ToScreen::at_merc`] takes, for lines projected once and drawn every frame.
pub fn merc(lat: f64) -> f64 {
    (std::f64::consts::FRAC_PI_4 + lat.clamp(-85.06, 85.06).to_radians() / 2.0)
        .tan()
        .ln()
}

/// Positions to screen points for one frame, the same as the map's projector gives but set up
/// once: x is linear in longitude, y in Mercator y, so a vehicle costs one `tan` and one `ln`
/// (the projector, per point, also takes a power of two, an `asinh` and a dynamic call).
#[derive(Debug, Clone, Copy)]
pub struct ToScreen {
    lon0: f64,
    merc0: f64,
    x0: f64,
    y0: f64,
    /// Points per degree of longitude, and per unit of Mercator y.
    per_degree: f64,
    per_merc: f64,
}

impl ToScreen {
    /// From a point the projector put at `at`, and where it puts a point one degree east.
    pub fn new(lat0: f64, lon0: f64, at: (f64, f64), one_degree_east_x: f64) -> Self {
        let per_degree = one_degree_east_x - at.0;
        Self {
            lon0,
            merc0: merc(lat0),
            x0: at.0,
            y0: at.1,
            per_degree,
            per_merc: per_degree * 360.0 / (2.0 * std::f64::consts::PI),
        }
    }

    /// The map's projection this frame, set up around the screen point `around`.
    pub fn of(projector: &walkers::Projector, around: egui::Pos2) -> Self {
        let screen = |lat: f64, lon: f64| projector.project(walkers::lat_lon(lat, lon)).to_pos2();
        let centre = projector.unproject(around.to_vec2());
        let (lat0, lon0) = (centre.y(), centre.x());
        let p0 = screen(lat0, lon0);
        Self::new(
            lat0,
            lon0,
            (f64::from(p0.x), f64::from(p0.y)),
            f64::from(screen(lat0, lon0 + 1.0).x),
        )
    }

    pub fn at(&self, lat: f64, lon: f64) -> egui::Pos2 {
        self.at_merc(merc(lat), lon)
    }

    /// A point of the world map given as fractions of its width and height (the spatial
    /// index's world coordinates): no trigonometry either.
    pub fn at_world(&self, (x, y): (f64, f64)) -> egui::Pos2 {
        self.at_merc(std::f64::consts::PI * (1.0 - 2.0 * y), x * 360.0 - 180.0)
    }

    /// How wide the whole world map is on screen, px.
    pub fn world_px(&self) -> f64 {
        self.per_degree * 360.0
    }

    /// A point given by its Mercator y ([`merc`]) and longitude: no trigonometry at all.
    pub fn at_merc(&self, merc_y: f64, lon: f64) -> egui::Pos2 {
        egui::pos2(
            (self.x0 + (lon - self.lon0) * self.per_degree) as f32,
            (self.y0 - (merc_y - self.merc0) * self.per_merc) as f32,
        )
    }
}

/// Metres on the ground per point on screen at `lat` and `zoom`.
pub fn metres_per_point(lat: f64, zoom: f64) -> f64 {
    2.0 * std::f64::consts::PI * EARTH_RADIUS_M * lat.to_radians().cos() / (TILE * 2f64.powf(zoom))
}

/// A scale bar no longer than `max_points`: its length in points and its label ("500 m",
/// "2 km"), a round 1, 2 or 5 times a power of ten.
pub fn scale_bar(metres_per_point: f64, max_points: f64) -> (f64, String) {
    let max_m = metres_per_point * max_points;
    let mut unit = 10f64.powf(max_m.log10().floor());
    for step in [5.0, 2.0, 1.0] {
        if step * unit <= max_m {
            unit *= step;
            break;
        }
    }
    let label = if unit >= 1000.0 {
        format!("{} km", unit / 1000.0)
    } else if unit >= 1.0 {
        format!("{unit} m")
    } else {
        format!("{:.1} m", unit)
    };
    (unit / metres_per_point, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_every_point() {
        let b = Bounds::of([(-16.9, 145.7), (-17.1, 145.8), (-16.95, 145.6)]).expect("points");
        assert_eq!(
            b,
            Bounds {
                south: -17.1,
                west: 145.6,
                north: -16.9,
                east: 145.8
            }
        );
        assert!(Bounds::of(std::iter::empty()).is_none());
    }

    #[test]
    fn fitting_a_box_shows_all_of_it_and_no_more_than_needed() {
        let b = Bounds {
            south: -17.1,
            west: 145.6,
            north: -16.9,
            east: 145.8,
        };
        let (zoom, (lat, lon)) = fit(b, 800.0, 600.0, 0.0);
        assert!((lon - 145.7).abs() < 1e-9);
        assert!(lat < -16.99 && lat > -17.01, "{lat}");
        // At that zoom the box's width is at most the map's, and within a factor 2 of it.
        let width = (b.east - b.west) / 360.0 * TILE * 2f64.powf(zoom);
        let height = (merc_y(b.north) - merc_y(b.south)) * TILE * 2f64.powf(zoom);
        assert!(width <= 800.0 + 1e-6 && height <= 600.0 + 1e-6);
        assert!(width > 400.0 || height > 300.0);
        // A single point fits at street level, not infinitely close.
        let one = Bounds::of([(-16.9, 145.7)]).expect("point");
        assert_eq!(fit(one, 800.0, 600.0, 40.0).0, MAX_FIT_ZOOM);
    }

    #[test]
    fn positions_land_where_the_maps_own_projector_puts_them() {
        use walkers::{MapMemory, MercatorProjection, Projector, lat_lon};
        for zoom in [4.0, 12.0, 17.5] {
            let mut memory = MapMemory::default();
            memory.set_zoom(zoom).expect("zoom");
            memory.center_at(lat_lon(-16.92, 145.77));
            let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0));
            let projector =
                Projector::new(rect, &MercatorProjection, &memory, lat_lon(-16.92, 145.77));
            let project = |lat: f64, lon: f64| projector.project(lat_lon(lat, lon)).to_pos2();
            let p0 = project(-16.92, 145.77);
            let east = project(-16.92, 146.77);
            let fast = ToScreen::new(-16.92, 145.77, (p0.x as f64, p0.y as f64), east.x as f64);
            for (lat, lon) in [(-16.95, 145.70), (-16.80, 145.90), (-17.2, 145.6)] {
                let (a, b) = (project(lat, lon), fast.at(lat, lon));
                assert!(a.distance(b) < 0.05, "zoom {zoom}: {a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn a_scale_bar_is_a_round_length_that_fits() {
        // About 37 m a point at zoom 12 near Cairns.
        let mpp = metres_per_point(-16.9, 12.0);
        assert!((mpp - 36.6).abs() < 1.0, "{mpp}");
        let (points, label) = scale_bar(mpp, 120.0);
        assert_eq!(label, "2 km");
        assert!(points <= 120.0 && points > 40.0, "{points}");
        assert_eq!(scale_bar(1.0, 120.0).1, "100 m");
        assert_eq!(scale_bar(0.02, 120.0).1, "2 m");
    }
}
