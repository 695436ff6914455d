//! Coordinates in rows: the change since a vehicle's last written position, kept in a table
//! the writer and every reader build alike (cleared at a keyframe, set by its state rows).

use std::collections::HashMap;

use foldhash::fast::RandomState;

/// Each vehicle's last written coordinates (1e-7 degree) since the last keyframe: a row's
/// coordinates are written as the change from them, and read back by adding. Writer and
/// reader keep the same table (cleared at a keyframe, set by its rows), so a seek that starts
/// at a keyframe reads every row right.
#[derive(Debug, Default, Clone)]
pub struct Positions(HashMap<u32, Ids, RandomState>);

/// One feed's vehicles' last coordinates.
type Ids = HashMap<Box<str>, (i64, i64), RandomState>;

impl Positions {
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Remembers an absolute position (a keyframe's row).
    pub(super) fn set(&mut self, feed: u32, id: &str, at: (i64, i64)) {
        match self.0.entry(feed).or_default().get_mut(id) {
            Some(held) => *held = at,
            None => {
                self.0.entry(feed).or_default().insert(id.into(), at);
            }
        }
    }

    /// What to write for `at`: the change from the last position written, or `at` itself for a
    /// vehicle's first row since the keyframe.
    pub(super) fn encode(&mut self, feed: u32, id: &str, at: (i64, i64)) -> (i64, i64) {
        let ids = self.0.entry(feed).or_default();
        match ids.get_mut(id) {
            Some(held) => {
                let delta = (at.0 - held.0, at.1 - held.1);
                *held = at;
                delta
            }
            None => {
                ids.insert(id.into(), at);
                at
            }
        }
    }

    /// The position a row's numbers stand for.
    pub(super) fn decode(&mut self, feed: u32, id: &str, written: (i64, i64)) -> (i64, i64) {
        let ids = self.0.entry(feed).or_default();
        match ids.get_mut(id) {
            Some(held) => {
                *held = (
                    held.0.saturating_add(written.0),
                    held.1.saturating_add(written.1),
                );
                *held
            }
            None => {
                ids.insert(id.into(), written);
                written
            }
        }
    }
}

/// How a row's coordinates are written: absolute (a keyframe's state), or through the table.
pub enum Coordinates<'p> {
    Absolute(&'p mut Positions, u32),
    Changes(&'p mut Positions, u32),
}

impl Coordinates<'_> {
    /// The absolute coordinates of a row's numbers.
    pub(super) fn read(self, id: &str, written: (i64, i64)) -> (i64, i64) {
        match self {
            Coordinates::Absolute(table, feed) => {
                table.set(feed, id, written);
                written
            }
            Coordinates::Changes(table, feed) => table.decode(feed, id, written),
        }
    }
}
