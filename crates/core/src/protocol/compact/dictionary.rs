//! The viewer's half of a connection's id dictionary: index -> vehicle id, and where that index
//! was last (in units of 1e-7°), because rows carry changes.
//!
//! It is bounded by the vehicle cap: an index at or past it is refused, so a hostile server
//! cannot grow it. An index names one vehicle until a `remove` frees it or a snapshot starts
//! over; a `def` that would point a live index at another vehicle is refused and the index
//! forgotten, so its rows are refused rather than moving the wrong vehicle. Whenever the
//! dictionary cannot be trusted it asks for a resync ([`Dictionary::take_resync`]), which the
//! feed answers by subscribing again: the server's answer is a fresh snapshot.

use super::super::decode::DecodeLimits;
use super::super::reject::{RejectReason, Rejection, truncate};
use super::super::validate::check_id;

#[derive(Debug, Clone, Default)]
pub(super) struct Slot {
    pub(super) id: Option<Box<str>>,
    pub(super) lat: i64,
    pub(super) lon: i64,
}

/// The viewer's half of a connection's id dictionary.
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub(super) slots: Vec<Slot>,
    /// Indices at or past this are refused (the vehicle cap).
    pub(super) bound: usize,
    /// Something did not add up: ask the server for a snapshot (once until one comes).
    resync: bool,
    pub(super) asked: bool,
}

impl Dictionary {
    /// A dictionary of at most `bound` vehicles.
    pub fn new(bound: usize) -> Self {
        Self {
            slots: Vec::new(),
            bound: bound.max(1),
            resync: false,
            asked: false,
        }
    }

    /// Forgets everything (a new connection).
    pub fn clear(&mut self) {
        *self = Self::new(self.bound);
    }

    /// Vehicles defined now.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.id.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether to ask the server for a snapshot now; asks once until a snapshot arrives.
    pub fn take_resync(&mut self) -> bool {
        let ask = self.resync && !self.asked;
        self.asked |= ask;
        self.resync = false;
        ask
    }

    /// The vehicle an index names.
    pub fn id(&self, index: u32) -> Option<&str> {
        self.slots.get(index as usize)?.id.as_deref()
    }

    /// Slots allocated (tests: a hostile index must not grow the dictionary).
    #[cfg(test)]
    pub(super) fn allocated(&self) -> usize {
        self.slots.capacity()
    }

    pub(super) fn lost(&mut self) {
        self.resync = true;
    }

    pub(super) fn index(&self, value: i64) -> Result<usize, Rejection> {
        match usize::try_from(value) {
            Ok(i) if i < self.bound => Ok(i),
            _ => Err(Rejection::new(
                RejectReason::BadIndex,
                format!(
                    "index {value} is outside this connection's dictionary (0..{})",
                    self.bound
                ),
            )),
        }
    }

    pub(super) fn define(
        &mut self,
        index: i64,
        id: &str,
        limits: &DecodeLimits,
    ) -> Result<(), Rejection> {
        let i = self.index(index)?;
        let id = check_id(Some(id), limits)?;
        if self.slots.len() <= i {
            self.slots.resize_with(i + 1, Slot::default);
        }
        let slot = &mut self.slots[i];
        match slot.id.as_deref() {
            Some(held) if held != id => {
                let detail = format!(
                    "index {i} names {:?}; it cannot name {:?} before a remove frees it",
                    truncate(held, 64),
                    truncate(id, 64)
                );
                *slot = Slot::default();
                self.lost();
                Err(Rejection::new(RejectReason::BadIndex, detail))
            }
            Some(_) => {
                slot.lat = 0;
                slot.lon = 0;
                Ok(())
            }
            None => {
                *slot = Slot {
                    id: Some(id.into()),
                    lat: 0,
                    lon: 0,
                };
                Ok(())
            }
        }
    }

    pub(super) fn free(&mut self, index: i64) -> Result<Box<str>, Rejection> {
        let i = self.index(index)?;
        match self.slots.get_mut(i).and_then(|s| s.id.take()) {
            Some(id) => Ok(id),
            None => Err(unknown(i)),
        }
    }
}

pub(super) fn unknown(index: usize) -> Rejection {
    Rejection::new(
        RejectReason::BadIndex,
        format!("index {index} has not been defined on this connection"),
    )
}
