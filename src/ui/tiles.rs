//! Where map tiles come from (`--tiles`), and noticing when they cannot load.
//!
//! walkers keeps a tile that failed as missing and does not ask again until it is evicted, so
//! when tiles are missing and none are loading, the layer says so (the map shows a notice) and
//! rebuilds its source every 30 s; tiles that did load are served from the disk cache. Once
//! said, it stays said until every tile in view is there (a retry's loading does not make the
//! notice blink). Tiles missing only above the highest zoom that ever delivered one are "no
//! tiles at this zoom" (walkers stretches a lower tile meanwhile), not a failure, and are not
//! retried. Failures are logged once a minute, not per tile.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use egui::Context;
use walkers::sources::{Attribution, OpenStreetMap, TileSource};
use walkers::{HeaderValue, HttpOptions, HttpTiles, PmTiles, Stats, TileId, TilePiece, Tiles};

/// How often failed tiles are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(30);
/// Tiles missing with nothing loading for this long means they are unavailable.
const UNAVAILABLE_AFTER: Duration = Duration::from_secs(3);
/// Missing tiles are logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// What the map can say about its tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileState {
    /// `--tiles none`: a plain background, nothing to say.
    None,
    /// Tiles are shown (or loading).
    Shown,
    /// Tiles cannot be loaded: the network is drawn instead, and retried.
    Unavailable,
    /// The source has no tiles this close: zoom out for them.
    BeyondTop,
}

/// OSM's tile policy asks for a User-Agent that names the application.
const USER_AGENT: &str = concat!(
    "fleetview/",
    env!("CARGO_PKG_VERSION"),
    " (desktop live fleet map)"
);

/// The `--tiles` choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileSpec {
    /// OpenStreetMap's standard tiles.
    Osm,
    /// Another raster tile server, as a URL template with `{z}`, `{x}` and `{y}`.
    Template(String),
    /// A raster PMTiles file, for offline use.
    PmTiles(PathBuf),
    /// No tiles: a plain background (tests, or no network at all).
    None,
}

impl FromStr for TileSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "osm" => Ok(Self::Osm),
            "none" => Ok(Self::None),
            _ if s.ends_with(".pmtiles") => {
                let path = PathBuf::from(s);
                if path.is_file() {
                    Ok(Self::PmTiles(path))
                } else {
                    Err(format!("{s}: no such PMTiles file"))
                }
            }
            _ if s.contains("{z}") && s.contains("{x}") && s.contains("{y}") => {
                if s.starts_with("http://") || s.starts_with("https://") {
                    Ok(Self::Template(s.to_owned()))
                } else {
                    Err(format!(
                        "{s}: a tile URL template must start with http:// or https://"
                    ))
                }
            }
            _ => Err(format!(
                "{s:?}: expected osm, none, a URL template with {{z}}/{{x}}/{{y}}, or a .pmtiles file"
            )),
        }
    }
}

/// A tile server given by URL template.
struct Template(String);

impl TileSource for Template {
    fn tile_url(&self, tile: TileId) -> String {
        self.0
            .replace("{z}", &tile.zoom.to_string())
            .replace("{x}", &tile.x.to_string())
            .replace("{y}", &tile.y.to_string())
    }

    fn attribution(&self) -> Attribution {
        OpenStreetMap.attribution()
    }
}

/// The tiles under the map, watched for failures.
pub struct TileLayer {
    spec: TileSpec,
    inner: Option<Box<dyn Tiles>>,
    built_at: Instant,
    /// Tiles asked for and missing (or only stretched from a lower zoom) this frame.
    missing_now: usize,
    /// The zoom of the tiles asked for this frame.
    zoom_now: u8,
    /// Tiles (or stretched pieces of one) drawn this frame, and whether any were last frame.
    drawn_now: usize,
    drawn: bool,
    /// The highest zoom any tile was delivered at.
    top_zoom: Option<u8>,
    /// Since when tiles have been missing with nothing loading.
    missing_since: Option<Instant>,
    logged_at: Option<Instant>,
}

impl TileLayer {
    pub fn new(spec: TileSpec, ctx: &Context) -> Self {
        let inner = build(&spec, ctx);
        Self {
            spec,
            inner,
            built_at: Instant::now(),
            missing_now: 0,
            zoom_now: 0,
            drawn_now: 0,
            drawn: false,
            top_zoom: None,
            missing_since: None,
            logged_at: None,
        }
    }

    /// A layer over tiles made elsewhere (tests).
    #[cfg(test)]
    fn over(inner: Box<dyn Tiles>) -> Self {
        Self {
            spec: TileSpec::None,
            inner: Some(inner),
            built_at: Instant::now(),
            missing_now: 0,
            zoom_now: 0,
            drawn_now: 0,
            drawn: false,
            top_zoom: None,
            missing_since: None,
            logged_at: None,
        }
    }

    /// Call once a frame after the map drew: tracks failures and retries them.
    pub fn end_frame(&mut self, ctx: &Context, now: Instant) {
        let loading = self
            .inner
            .as_ref()
            .is_some_and(|t| t.stats().in_progress > 0);
        if self.inner.is_none() || self.missing_now == 0 {
            self.missing_since = None;
        } else if !loading {
            // While tiles load the clock neither starts nor stops: a retry does not hide the
            // notice, a slow first load does not raise it.
            self.missing_since.get_or_insert(now);
        }
        let missing = std::mem::take(&mut self.missing_now);
        self.drawn = std::mem::take(&mut self.drawn_now) > 0;
        let state = self.state(now);
        if matches!(state, TileState::Unavailable | TileState::BeyondTop)
            && self
                .logged_at
                .is_none_or(|t| now.duration_since(t) >= LOG_EVERY)
        {
            self.logged_at = Some(now);
            match state {
                TileState::BeyondTop => tracing::info!(
                    zoom = self.zoom_now,
                    top = self.top_zoom,
                    "no map tiles at this zoom; the source stops lower"
                ),
                _ => tracing::warn!(
                    missing,
                    zoom = self.zoom_now,
                    "map tiles unavailable (retrying every {} s)",
                    RETRY_EVERY.as_secs()
                ),
            }
        }
        if state == TileState::Unavailable && now.duration_since(self.built_at) >= RETRY_EVERY {
            self.inner = build(&self.spec, ctx);
            self.built_at = now;
        }
        if self.missing_since.is_some() {
            // Wake up for the retry even if nothing else happens.
            ctx.request_repaint_after(RETRY_EVERY);
        }
    }

    /// Whether the frame just drawn showed any tile: the attribution is owed only then (not
    /// with `--tiles none`, not before the first tile arrives, not when they all failed).
    pub fn drawn(&self) -> bool {
        self.drawn
    }

    /// What the map should say about its tiles now.
    pub fn state(&self, now: Instant) -> TileState {
        if self.inner.is_none() {
            return TileState::None;
        }
        let failing = self
            .missing_since
            .is_some_and(|since| now.duration_since(since) >= UNAVAILABLE_AFTER);
        match (failing, self.top_zoom) {
            (false, _) => TileState::Shown,
            (true, Some(top)) if self.zoom_now > top => TileState::BeyondTop,
            (true, _) => TileState::Unavailable,
        }
    }
}

impl Tiles for TileLayer {
    fn at(&mut self, tile_id: TileId) -> Option<TilePiece> {
        let piece = self.inner.as_mut().and_then(|t| t.at(tile_id));
        self.zoom_now = tile_id.zoom;
        // A piece of a lower zoom's tile, stretched, stands in for one not (yet) there.
        let whole = egui::Rect::from_min_max(egui::Pos2::ZERO, egui::pos2(1.0, 1.0));
        self.drawn_now += usize::from(piece.is_some());
        match &piece {
            Some(p) if p.uv == whole => {
                self.top_zoom = Some(self.top_zoom.map_or(tile_id.zoom, |t| t.max(tile_id.zoom)));
            }
            _ => self.missing_now += 1,
        }
        piece
    }

    fn attribution(&self) -> Attribution {
        OpenStreetMap.attribution()
    }

    fn tile_size(&self) -> u32 {
        self.inner.as_ref().map_or(256, |t| t.tile_size())
    }

    fn stats(&self) -> Stats {
        self.inner.as_ref().map(|t| t.stats()).unwrap_or_default()
    }
}

fn http_options() -> HttpOptions {
    HttpOptions {
        cache: dirs::cache_dir().map(|d| d.join("fleetview").join("tiles")),
        user_agent: Some(HeaderValue::from_static(USER_AGENT)),
        ..HttpOptions::default()
    }
}

fn build(spec: &TileSpec, ctx: &Context) -> Option<Box<dyn Tiles>> {
    match spec {
        TileSpec::Osm => Some(Box::new(HttpTiles::with_options(
            OpenStreetMap,
            http_options(),
            ctx.clone(),
        ))),
        TileSpec::Template(url) => Some(Box::new(HttpTiles::with_options(
            Template(url.clone()),
            http_options(),
            ctx.clone(),
        ))),
        TileSpec::PmTiles(path) => Some(Box::new(PmTiles::with_style_and_tile_size(
            path,
            walkers::Style,
            256,
            ctx.clone(),
        ))),
        TileSpec::None => None,
    }
}

#[cfg(test)]
mod tests;
