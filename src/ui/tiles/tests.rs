use super::*;

#[test]
fn tile_choices_parse_and_bad_ones_say_why() {
    assert_eq!("osm".parse(), Ok(TileSpec::Osm));
    assert_eq!("none".parse(), Ok(TileSpec::None));
    assert_eq!(
        "https://tiles.example.com/{z}/{x}/{y}.png".parse(),
        Ok(TileSpec::Template(
            "https://tiles.example.com/{z}/{x}/{y}.png".into()
        ))
    );
    let err = "/no/such/map.pmtiles"
        .parse::<TileSpec>()
        .expect_err("missing file");
    assert!(err.contains("no such PMTiles file"), "{err}");
    let err = "satellite".parse::<TileSpec>().expect_err("unknown");
    assert!(err.contains("expected osm"), "{err}");
    assert!("ftp://x/{z}/{x}/{y}".parse::<TileSpec>().is_err());
}

/// Tiles up to zoom `top` (higher ones stretched from it), `None` when `fail`; `loading`
/// tiles in flight.
struct Fake {
    top: u8,
    fail: bool,
    loading: usize,
    tile: walkers::Tile,
}

impl Tiles for Fake {
    fn at(&mut self, id: TileId) -> Option<TilePiece> {
        let uv = if id.zoom <= self.top {
            egui::Rect::from_min_max(egui::Pos2::ZERO, egui::pos2(1.0, 1.0))
        } else {
            egui::Rect::from_min_max(egui::Pos2::ZERO, egui::pos2(0.5, 0.5))
        };
        (!self.fail).then(|| TilePiece::new(self.tile.clone(), uv))
    }

    fn attribution(&self) -> Attribution {
        OpenStreetMap.attribution()
    }

    fn tile_size(&self) -> u32 {
        256
    }

    fn stats(&self) -> Stats {
        Stats {
            in_progress: self.loading,
        }
    }
}

fn fake(ctx: &Context, top: u8, fail: bool) -> Box<Fake> {
    let image = egui::ColorImage::filled([1, 1], egui::Color32::WHITE);
    Box::new(Fake {
        top,
        fail,
        loading: 0,
        tile: walkers::Tile::Raster(ctx.load_texture("t", image, Default::default())),
    })
}

/// One frame asking for one tile at `zoom`.
fn frame(layer: &mut TileLayer, ctx: &Context, zoom: u8, at: Instant) {
    let _ = layer.at(TileId { x: 0, y: 0, zoom });
    layer.end_frame(ctx, at);
}

#[test]
fn no_tiles_means_nothing_to_say_and_failing_tiles_are_said_after_a_while() {
    let ctx = Context::default();
    let t0 = Instant::now();
    let mut none = TileLayer::new(TileSpec::None, &ctx);
    frame(&mut none, &ctx, 12, t0);
    assert_eq!(none.state(t0 + Duration::from_secs(60)), TileState::None);

    let mut failing = TileLayer::over(fake(&ctx, 19, true));
    frame(&mut failing, &ctx, 12, t0);
    assert_eq!(failing.state(t0 + Duration::from_secs(1)), TileState::Shown);
    frame(&mut failing, &ctx, 12, t0 + Duration::from_secs(4));
    assert_eq!(
        failing.state(t0 + Duration::from_secs(4)),
        TileState::Unavailable
    );
}

#[test]
fn the_notice_does_not_blink_while_a_retry_loads_and_goes_once_tiles_are_there() {
    let ctx = Context::default();
    let t0 = Instant::now();
    let mut layer = TileLayer::over(fake(&ctx, 19, true));
    frame(&mut layer, &ctx, 12, t0);
    let t = t0 + Duration::from_secs(4);
    frame(&mut layer, &ctx, 12, t);
    assert_eq!(layer.state(t), TileState::Unavailable);
    // The retry is loading: still missing, still said.
    layer.inner = Some(Box::new(Fake {
        loading: 3,
        ..*fake(&ctx, 19, true)
    }));
    frame(&mut layer, &ctx, 12, t + Duration::from_millis(100));
    assert_eq!(
        layer.state(t + Duration::from_millis(100)),
        TileState::Unavailable
    );
    // Loaded: the basemap is back.
    layer.inner = Some(fake(&ctx, 19, false));
    frame(&mut layer, &ctx, 12, t + Duration::from_secs(1));
    assert_eq!(layer.state(t + Duration::from_secs(1)), TileState::Shown);
}

#[test]
fn above_the_sources_top_zoom_there_are_no_tiles_rather_than_a_failure() {
    let ctx = Context::default();
    let t0 = Instant::now();
    let mut layer = TileLayer::over(fake(&ctx, 6, false));
    frame(&mut layer, &ctx, 6, t0);
    assert_eq!(layer.state(t0), TileState::Shown);
    frame(&mut layer, &ctx, 9, t0);
    frame(&mut layer, &ctx, 9, t0 + Duration::from_secs(4));
    assert_eq!(
        layer.state(t0 + Duration::from_secs(4)),
        TileState::BeyondTop
    );
}

#[test]
fn a_template_fills_in_the_tile() {
    let t = Template("https://t.example/{z}/{x}/{y}.png".into());
    let id = TileId {
        x: 3,
        y: 5,
        zoom: 7,
    };
    assert_eq!(t.tile_url(id), "https://t.example/7/3/5.png");
}

#[test]
fn the_attribution_is_owed_only_while_a_tile_is_drawn() {
    let ctx = Context::default();
    let t0 = Instant::now();
    let mut none = TileLayer::new(TileSpec::None, &ctx);
    frame(&mut none, &ctx, 12, t0);
    assert!(!none.drawn(), "--tiles none draws no tile");
    let mut failing = TileLayer::over(fake(&ctx, 19, true));
    assert!(!failing.drawn(), "nothing loaded yet");
    frame(&mut failing, &ctx, 12, t0);
    assert!(!failing.drawn(), "every tile failed");
    failing.inner = Some(fake(&ctx, 19, false));
    frame(&mut failing, &ctx, 12, t0);
    assert!(failing.drawn(), "a tile is on the map");
    // A frame that asks for none (the map not drawn) owes nothing.
    failing.end_frame(&ctx, t0);
    assert!(!failing.drawn());
}
