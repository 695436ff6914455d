//! While a recording plays, a badge at the top centre of the map says so, with the replay's
//! time and speed ("Replay · 2026-11-25 14:05:12 UTC · 10x"), so a map of the past is never
//! read as live. It stays for as long as the replay does.

use egui::{Align2, FontId, Label, Rect, RichText, Ui, Vec2};

use crate::ui::tokens;

/// The badge's words for a replay at `position_ms`, played at `speed` (paused: `None`).
pub fn words(position_ms: i64, speed: Option<f64>) -> String {
    let at = crate::ui::timeline::date_time(position_ms);
    match speed {
        Some(s) => format!("Replay \u{b7} {at} \u{b7} {s}x"),
        None => format!("Replay \u{b7} {at} \u{b7} paused"),
    }
}

/// Draws the badge at the top centre of the map at `rect` (a label, so assistive tools read it
/// too; it takes no clicks or drags from the map); returns where it is.
pub(super) fn show(ui: &mut Ui, rect: Rect, text: &str) -> Rect {
    let painter = ui.painter().with_clip_rect(rect);
    let galley = painter.layout_no_wrap(
        text.to_owned(),
        FontId::proportional(tokens::REPLAY_FONT),
        tokens::REPLAY_TEXT,
    );
    let at = rect.center_top() + Vec2::new(0.0, 8.0);
    let r = Align2::CENTER_TOP.anchor_size(at, galley.size() + Vec2::new(16.0, 8.0));
    painter.rect_filled(r, 6.0, tokens::REPLAY_VIOLET);
    let words = RichText::new(text)
        .size(tokens::REPLAY_FONT)
        .color(tokens::REPLAY_TEXT);
    ui.put(r, Label::new(words).selectable(false).extend());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_names_the_replay_its_time_and_its_speed() {
        // 2026-11-25 14:05:12 UTC.
        let t = 1_795_615_512_000;
        assert_eq!(
            words(t, Some(10.0)),
            "Replay \u{b7} 2026-11-25 14:05:12 UTC \u{b7} 10x"
        );
        assert!(words(t, None).ends_with("\u{b7} paused"));
    }
}
