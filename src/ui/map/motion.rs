//! How fast what the map draws moves on screen, and so how often it needs a frame: a marker
//! that moves less than a pixel between two frames does not need the second one. The map
//! repaints at the rate the fastest marker on screen needs to move one pixel, never faster
//! than the display (egui's repaint is once a frame at most), and at the display's rate while
//! the map itself moves (a zoom or pan animation).

use std::time::Duration;

/// What moved in a frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Motion {
    /// Nothing drawn moves.
    #[default]
    Still,
    /// Markers glide; the fastest at this many pixels a second.
    Gliding(f32),
    /// The map itself moves: every frame.
    Continuous,
}

/// Longest wait between two frames while something glides: whatever is slower shows its ages
/// and rings once a second anyway.
const SLOWEST: Duration = Duration::from_secs(1);

impl Motion {
    /// This frame's motion with one more marker moving at `px_per_s`.
    #[must_use]
    pub fn with(self, px_per_s: f32) -> Self {
        match self {
            Self::Continuous => Self::Continuous,
            Self::Still => Self::Gliding(px_per_s.max(0.0)),
            Self::Gliding(v) => Self::Gliding(v.max(px_per_s)),
        }
    }

    /// The fastest of two.
    #[must_use]
    pub fn or(self, other: Self) -> Self {
        match (self, other) {
            (Self::Continuous, _) | (_, Self::Continuous) => Self::Continuous,
            (Self::Gliding(v), m) | (m, Self::Gliding(v)) => m.with(v),
            _ => Self::Still,
        }
    }

    /// How long until the next frame is needed: the time the fastest marker takes to move one
    /// pixel (zero: as soon as the display can), at most a second; `None` when nothing moves.
    pub fn repaint_after(self) -> Option<Duration> {
        match self {
            Self::Still => None,
            Self::Continuous => Some(Duration::ZERO),
            Self::Gliding(v) if v > 0.0 => Some(Duration::from_secs_f32(1.0 / v).min(SLOWEST)),
            // Animating, but not moving on screen (a glide back to the same pixel).
            Self::Gliding(_) => Some(SLOWEST),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fastest_marker_sets_the_rate_at_one_pixel_a_frame() {
        let m = Motion::Still.with(2.0).with(20.0).with(5.0);
        assert_eq!(m, Motion::Gliding(20.0));
        let wait = m.repaint_after().expect("a wait");
        assert!(wait.abs_diff(Duration::from_millis(50)) < Duration::from_micros(10));
        // Faster than the display: as soon as it can (egui caps it at one a frame).
        assert!(Motion::Gliding(500.0).repaint_after() < Some(Duration::from_millis(3)));
    }

    #[test]
    fn a_slow_or_distant_fleet_waits_up_to_a_second_and_a_still_one_does_not_ask() {
        assert_eq!(Motion::Gliding(0.2).repaint_after(), Some(SLOWEST));
        assert_eq!(Motion::Gliding(0.0).repaint_after(), Some(SLOWEST));
        assert_eq!(Motion::Still.repaint_after(), None);
    }

    #[test]
    fn the_map_moving_itself_wants_every_frame() {
        let m = Motion::Gliding(3.0).or(Motion::Continuous);
        assert_eq!(m.repaint_after(), Some(Duration::ZERO));
        assert_eq!(Motion::Still.or(Motion::Gliding(4.0)), Motion::Gliding(4.0));
        assert_eq!(Motion::Still.or(Motion::Still), Motion::Still);
    }
}
