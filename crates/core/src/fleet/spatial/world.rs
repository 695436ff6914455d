//! Points and rectangles of the Web-Mercator world map in fixed point (2^32 units a side), and
//! which cells of a level they fall in.

/// 2^32: the world map's side in [`World`] units.
const SIDE: f64 = 4_294_967_296.0;

/// A point of the world map: x east from 180°W, y south from 85.05°N, each in 2^32 units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct World {
    pub x: u32,
    pub y: u32,
}

impl World {
    /// Where `lat`, `lon` (degrees) is on the world map (latitudes past ±85.05° at its edge).
    pub fn of(lat: f64, lon: f64) -> Self {
        let x = (lon + 180.0) / 360.0;
        let y = mercator_y(lat);
        World {
            x: to_units(x),
            y: to_units(y),
        }
    }

    /// ... from fractions of the world's width and height (0 to 1).
    pub fn from_fraction(x: f64, y: f64) -> Self {
        World {
            x: to_units(x),
            y: to_units(y),
        }
    }

    /// As fractions of the world's width and height.
    pub fn fraction(self) -> (f64, f64) {
        (self.x as f64 / SIDE, self.y as f64 / SIDE)
    }

    /// Its cell at `level` (at most 16): column and row packed as `column << level | row`.
    pub fn cell(self, level: u8) -> u32 {
        let shift = 32 - level as u32;
        ((self.x >> shift) << level) | (self.y >> shift)
    }
}

fn to_units(f: f64) -> u32 {
    (f * SIDE).clamp(0.0, SIDE - 1.0) as u32
}

/// A rectangle of the world map, corners included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorldRect {
    pub min: World,
    pub max: World,
}

impl WorldRect {
    /// The rectangle between two points, in any order.
    pub fn between(a: World, b: World) -> Self {
        WorldRect {
            min: World {
                x: a.x.min(b.x),
                y: a.y.min(b.y),
            },
            max: World {
                x: a.x.max(b.x),
                y: a.y.max(b.y),
            },
        }
    }

    /// ... grown by `fraction` of its larger side on every side.
    pub fn grown(self, fraction: f64) -> Self {
        let side = (self.max.x - self.min.x).max(self.max.y - self.min.y) as f64;
        let by = (side * fraction).min(u32::MAX as f64) as u32;
        WorldRect {
            min: World {
                x: self.min.x.saturating_sub(by),
                y: self.min.y.saturating_sub(by),
            },
            max: World {
                x: self.max.x.saturating_add(by),
                y: self.max.y.saturating_add(by),
            },
        }
    }

    /// Cell (`x`, `y`) of `level`.
    pub fn of_cell(level: u8, x: u32, y: u32) -> Self {
        let shift = 32 - level as u32;
        let side = (1u64 << shift) - 1;
        let min = World {
            x: x << shift,
            y: y << shift,
        };
        WorldRect {
            min,
            max: World {
                x: (min.x as u64 + side) as u32,
                y: (min.y as u64 + side) as u32,
            },
        }
    }

    pub fn contains(&self, p: World) -> bool {
        (self.min.x..=self.max.x).contains(&p.x) && (self.min.y..=self.max.y).contains(&p.y)
    }

    /// The columns and rows of `level` it touches: (x0, y0, x1, y1), inclusive.
    pub(super) fn cell_span(&self, level: u8) -> (u32, u32, u32, u32) {
        let shift = 32 - level as u32;
        (
            self.min.x >> shift,
            self.min.y >> shift,
            self.max.x >> shift,
            self.max.y >> shift,
        )
    }
}

/// `lat` (degrees) as a fraction of the world map's height, from the top.
fn mercator_y(lat: f64) -> f64 {
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0
}
