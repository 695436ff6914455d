//! A vehicle's History: the range asked for, the request under way (its progress; cancelled by
//! dropping it), and the answer: the track coloured by speed, trips, stops, summary and the
//! speed chart, with the moment under the pointer shared by the map and the chart. Plain data
//! with methods; the window (`window.rs`), the chart (`chart.rs`) and the map's plugin draw it.

pub mod chart;
pub mod range;
pub mod track;
pub mod window;

pub use range::Range;
pub use track::HistoryTrack;

use crate::feed::history::{Handle, HistoryDay, HistoryError, Update};
use crate::fleet::VehicleId;

/// The overspeed limit when neither the alert rules nor the dispatcher set one (km/h).
pub const DEFAULT_LIMIT_KMH: f32 = 90.0;

/// Where a History's request stands.
#[derive(Default)]
pub enum Fetch {
    #[default]
    Idle,
    Loading {
        handle: Handle<HistoryDay>,
        step: &'static str,
        fixes: usize,
    },
    Failed(HistoryError),
    Loaded(Box<Loaded>),
}

/// An answer, ready to draw.
pub struct Loaded {
    pub day: HistoryDay,
    pub track: HistoryTrack,
    /// The speed chart: (seconds since `from_ms`, km/h), made once, borrowed by every frame;
    /// a line a stretch of data (a hole in the data is no line).
    pub chart: Vec<Vec<egui_plot::PlotPoint>>,
    /// The range asked for.
    pub from_ms: i64,
    pub to_ms: i64,
}

/// A trip or a stop picked in the list (its index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    Trip(usize),
    Stop(usize),
}

/// The History window's state.
pub struct HistoryWindow {
    pub vehicle: VehicleId,
    pub name: String,
    pub range: Range,
    /// The two times typed for a range of one's own.
    pub from_text: String,
    pub to_text: String,
    /// Why the typed range or the last export failed.
    pub error: Option<String>,
    /// Fixes faster than this are overspeed (red on the map and the chart).
    pub limit_kmh: f32,
    pub fetch: Fetch,
    /// The range (UTC ms) the request under way, or the answer shown, is for.
    pub asked: (i64, i64),
    /// The moment under the pointer, on the chart or the track.
    pub hover_ms: Option<i64>,
    pub picked: Option<Picked>,
    /// A new answer waits to be fitted on the map, and the map's size when last looked at.
    pub fit_due: bool,
    pub fit_seen: Option<egui::Rect>,
}

impl HistoryWindow {
    pub fn new(vehicle: VehicleId, name: String, limit_kmh: Option<f32>) -> Self {
        Self {
            vehicle,
            name,
            range: Range::Today,
            from_text: String::new(),
            to_text: String::new(),
            error: None,
            limit_kmh: limit_kmh.unwrap_or(DEFAULT_LIMIT_KMH),
            fetch: Fetch::Idle,
            asked: (0, 0),
            hover_ms: None,
            picked: None,
            fit_due: false,
            fit_seen: None,
        }
    }

    /// Waits for `handle`'s answer for `asked` (a request before it is dropped: cancelled).
    pub fn start(&mut self, handle: Handle<HistoryDay>, asked: (i64, i64)) {
        self.asked = asked;
        self.fetch = Fetch::Loading {
            handle,
            step: "asking",
            fixes: 0,
        };
        self.hover_ms = None;
        self.picked = None;
    }

    /// Cancels the request under way.
    pub fn cancel(&mut self) {
        if matches!(self.fetch, Fetch::Loading { .. }) {
            self.fetch = Fetch::Failed(HistoryError::Failed("cancelled".into()));
        }
    }

    /// Takes what the request has said since the last frame; true when it is done.
    pub fn poll(&mut self) -> bool {
        let (from_ms, to_ms) = self.asked;
        let Fetch::Loading {
            handle,
            step,
            fixes,
        } = &mut self.fetch
        else {
            return false;
        };
        while let Some(update) = handle.try_recv() {
            match update {
                Update::Progress { step: s, fixes: n } => (*step, *fixes) = (s, n),
                Update::Done(answer) => {
                    self.fetch = match answer {
                        Ok(day) => Fetch::Loaded(Box::new(Loaded::new(day, from_ms, to_ms))),
                        Err(e) => Fetch::Failed(e),
                    };
                    return true;
                }
            }
        }
        false
    }

    pub fn loaded(&self) -> Option<&Loaded> {
        match &self.fetch {
            Fetch::Loaded(l) => Some(l),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        matches!(self.fetch, Fetch::Loading { .. })
    }

    /// The time span of what is picked in the list.
    pub fn picked_span(&self) -> Option<(i64, i64)> {
        let loaded = self.loaded()?;
        let report = &loaded.day.report;
        match self.picked? {
            Picked::Trip(i) => report.trips.get(i).map(|t| (t.start.ts, t.end.ts)),
            Picked::Stop(i) => report.stops.get(i).map(|s| (s.arrival_ms, s.departure_ms)),
        }
    }
}

impl Loaded {
    pub fn new(day: HistoryDay, from_ms: i64, to_ms: i64) -> Self {
        let mut fixes: Vec<crate::protocol::Fix> = day.fixes.iter().map(|f| f.fix()).collect();
        fixes.sort_by_key(|f| f.ts);
        fixes.dedup_by_key(|f| f.ts);
        let track = HistoryTrack::new(fixes);
        let chart = track
            .chart(from_ms)
            .into_iter()
            .map(|line| line.into_iter().map(egui_plot::PlotPoint::from).collect())
            .collect();
        Self {
            day,
            track,
            chart,
            from_ms,
            to_ms,
        }
    }
}
