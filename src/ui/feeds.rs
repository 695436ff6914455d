//! The Feeds panel: each feed with its colour, state ("reconnecting in 4 s: 401 ..."), vehicles,
//! updates/s and refusals; pause, resume, hide, edit and remove a feed, or add one. Secrets
//! typed here go to the feed and are never shown again (an empty field keeps the one set).

use std::collections::BTreeMap;

use egui::{ComboBox, Grid, RichText, TextEdit, Ui};

use super::action::Action;
use super::markers::Palette;
use super::status::{FAIL_RED, dot, link_colour};
use super::view::ViewState;
use crate::feed::{Credentials, FeedSpec, colour_hex, parse_colour};
use crate::fleet::{FeedId, FleetCounts};
use crate::formats::FeedKind;
use crate::session::{FeedStatus, Link, Session};

/// The form for adding or editing a feed.
#[derive(Debug, Clone, Default)]
pub struct Editor {
    /// The feed being edited; `None` adds a new one.
    pub target: Option<FeedId>,
    pub name: String,
    pub kind: FeedKind,
    pub url: String,
    pub user: String,
    pub password: String,
    pub token: String,
    pub colour: String,
    pub error: Option<String>,
}

impl Editor {
    fn edit(id: FeedId, spec: &FeedSpec) -> Self {
        Self {
            target: Some(id),
            name: spec.name.clone(),
            kind: spec.kind,
            url: spec.url.clone(),
            user: spec.credentials.user.clone().unwrap_or_default(),
            colour: spec.colour.map(colour_hex).unwrap_or_default(),
            ..Self::default()
        }
    }

    /// The feed the form describes; secrets left empty keep those of `old`.
    pub fn spec(&self, old: Option<&FeedSpec>) -> Result<FeedSpec, String> {
        let keep = |typed: &str, old: Option<&String>| {
            if typed.is_empty() {
                old.cloned()
            } else {
                Some(typed.to_owned())
            }
        };
        let old_creds = old.map(|o| &o.credentials);
        let credentials = Credentials {
            token: keep(&self.token, old_creds.and_then(|c| c.token.as_ref())),
            user: (!self.user.trim().is_empty()).then(|| self.user.trim().to_owned()),
            password: keep(&self.password, old_creds.and_then(|c| c.password.as_ref())),
            code: old_creds.and_then(|c| c.code.clone()),
        };
        let name = (!self.name.trim().is_empty()).then(|| self.name.trim().to_owned());
        let mut spec = FeedSpec::new(name, self.kind, self.url.trim(), credentials)
            .map_err(|e| e.to_string())?;
        if !self.colour.trim().is_empty() {
            spec.colour = Some(parse_colour(&self.colour).map_err(|e| e.to_string())?);
        }
        spec.enabled = old.is_none_or(|o| o.enabled);
        spec.ca_file = old.and_then(|o| o.ca_file.clone());
        // Settings the editor does not show (a poll period, an area) stay as the file set them.
        if let Some(old) = old.filter(|o| o.kind == spec.kind) {
            let found_in_url = spec.options.key_param.take();
            spec.options = old.options.clone();
            if found_in_url.is_some() {
                spec.options.key_param = found_in_url;
            }
        }
        Ok(spec)
    }
}

#[derive(Debug, Default)]
pub struct FeedsPanel {
    pub editor: Option<Editor>,
}

/// What the panel needs to draw.
pub struct FeedsContext<'a> {
    pub session: &'a Session,
    /// The settings of feeds the app runs (event-fed feeds have none: they cannot be edited).
    pub specs: &'a BTreeMap<FeedId, FeedSpec>,
    pub view: &'a ViewState,
    pub palette: &'a Palette,
    /// Each feed's counts this frame.
    pub counts: &'a FleetCounts,
    pub now_ms: i64,
    /// The feeds are a recording's: shown as recorded, never as connected.
    pub replaying: bool,
}

pub fn show(ui: &mut Ui, cx: &FeedsContext<'_>, panel: &mut FeedsPanel) -> Vec<Action> {
    let mut actions = Vec::new();
    ui.heading("Feeds");
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (id, status) in cx.session.feeds() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    feed_row(ui, cx, id, status, panel, &mut actions);
                });
            }
            ui.add_space(6.0);
            let mut by_feed = cx.view.colour_by_feed;
            if ui
                .checkbox(&mut by_feed, "Colour markers by feed")
                .changed()
            {
                actions.push(Action::ColourByFeed(by_feed));
            }
            match &mut panel.editor {
                Some(editor) => {
                    ui.separator();
                    match editor_form(ui, editor, cx.specs) {
                        Some(Outcome::Save(action)) => {
                            actions.push(action);
                            panel.editor = None;
                        }
                        Some(Outcome::Cancel) => panel.editor = None,
                        None => {}
                    }
                }
                None => {
                    if ui.button("Add feed…").clicked() {
                        panel.editor = Some(Editor::default());
                    }
                }
            }
        });
    actions
}

fn feed_row(
    ui: &mut Ui,
    cx: &FeedsContext<'_>,
    id: FeedId,
    status: &FeedStatus,
    panel: &mut FeedsPanel,
    actions: &mut Vec<Action>,
) {
    let spec = cx.specs.get(&id);
    // Wrapped, like the buttons below: the panel may be narrow (the map keeps its half).
    ui.horizontal_wrapped(|ui| {
        dot(ui, cx.palette.feed(id));
        ui.label(RichText::new(&status.name).strong());
        if let Some(spec) = spec {
            ui.label(RichText::new(spec.kind.as_str()).weak());
        }
    });
    ui.horizontal(|ui| {
        if cx.replaying {
            dot(ui, super::tokens::REPLAY_VIOLET);
            let then = status.link.describe(cx.now_ms);
            ui.add(egui::Label::new(format!("recorded (then: {then})")).wrap());
        } else {
            dot(ui, link_colour(&status.link));
            ui.add(egui::Label::new(status.link.describe(cx.now_ms)).wrap());
        }
    });
    let counts = cx.counts.of(id);
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{} vehicles", counts.total));
        ui.label(format!(
            "{:.0} updates/s",
            status.rate.per_second(cx.now_ms)
        ));
        super::status::refusals(ui, "refused", &[("", &status.rejected)]);
    });
    if let Some((code, message)) = &status.server_error {
        ui.label(RichText::new(format!("server: {code}: {message}")).color(FAIL_RED));
    }
    feed_buttons(ui, cx, id, status, panel, actions);
}

/// Pause/Resume/Retry, Hide/Show, Edit and Remove.
fn feed_buttons(
    ui: &mut Ui,
    cx: &FeedsContext<'_>,
    id: FeedId,
    status: &FeedStatus,
    panel: &mut FeedsPanel,
    actions: &mut Vec<Action>,
) {
    let spec = cx.specs.get(&id);
    ui.horizontal_wrapped(|ui| {
        if spec.is_some() {
            match &status.link {
                Link::Paused => {
                    if ui.small_button("Resume").clicked() {
                        actions.push(Action::ResumeFeed(id));
                    }
                }
                Link::Disconnected { .. } => {
                    if ui
                        .small_button("Retry")
                        .on_hover_text("Connect again now")
                        .clicked()
                    {
                        actions.push(Action::ResumeFeed(id));
                    }
                    if ui.small_button("Pause").clicked() {
                        actions.push(Action::PauseFeed(id));
                    }
                }
                _ => {
                    if ui.small_button("Pause").clicked() {
                        actions.push(Action::PauseFeed(id));
                    }
                }
            }
        }
        let hidden = !cx.view.shows(id);
        if ui
            .small_button(if hidden { "Show" } else { "Hide" })
            .on_hover_text("Hide or show this feed's vehicles")
            .clicked()
        {
            actions.push(Action::SetHidden(id, !hidden));
        }
        if let Some(spec) = spec {
            if ui.small_button("Edit").clicked() {
                panel.editor = Some(Editor::edit(id, spec));
            }
            if ui.small_button("Remove").clicked() {
                actions.push(Action::RemoveFeed(id));
            }
        }
    });
}

/// How the form was left this frame.
enum Outcome {
    Save(Action),
    Cancel,
}

/// The add/edit form; says when the dispatcher saved a valid feed or cancelled.
fn editor_form(
    ui: &mut Ui,
    editor: &mut Editor,
    specs: &BTreeMap<FeedId, FeedSpec>,
) -> Option<Outcome> {
    ui.label(
        RichText::new(if editor.target.is_some() {
            "Edit feed"
        } else {
            "Add a feed"
        })
        .strong(),
    );
    let mut done = None;
    editor_fields(ui, editor);
    if let Some(error) = &editor.error {
        ui.label(RichText::new(error).color(FAIL_RED));
    }
    ui.horizontal(|ui| {
        let label = if editor.target.is_some() {
            "Save"
        } else {
            "Add"
        };
        if ui.button(label).clicked() {
            let old = editor.target.and_then(|id| specs.get(&id));
            match editor.spec(old) {
                Ok(spec) => {
                    done = Some(Outcome::Save(match editor.target {
                        Some(id) => Action::EditFeed(id, Box::new(spec)),
                        None => Action::AddFeed(Box::new(spec)),
                    }));
                }
                Err(e) => editor.error = Some(e),
            }
        }
        if ui.button("Cancel").clicked() {
            done = Some(Outcome::Cancel);
        }
    });
    done
}

/// The form's fields, each labelled for screen readers (and tests).
fn editor_fields(ui: &mut Ui, editor: &mut Editor) {
    let secret_hint = if editor.target.is_some() {
        "unchanged"
    } else {
        ""
    };
    Grid::new("feed-editor").num_columns(2).show(ui, |ui| {
        let label = ui.label("Name");
        ui.add(TextEdit::singleline(&mut editor.name).hint_text("Depot Traccar"))
            .labelled_by(label.id);
        ui.end_row();
        ui.label("Kind");
        ComboBox::from_id_salt("feed-kind")
            .selected_text(editor.kind.as_str())
            .show_ui(ui, |ui| {
                for kind in FeedKind::ALL {
                    ui.selectable_value(&mut editor.kind, kind, kind.as_str());
                }
            });
        ui.end_row();
        let label = ui.label("URL");
        let hint = match editor.kind {
            FeedKind::Fleetview => "ws://host:9000/feed",
            FeedKind::Traccar => "https://traccar.example.com",
            FeedKind::OwnTracks => "wss://recorder.example.com/ws/last",
            FeedKind::GtfsRt => "https://agency.example/gtfs-rt/vehicle-positions",
            FeedKind::Ais => "tcp://ais-receiver.local:10110",
            FeedKind::AisStream => "wss://stream.aisstream.io/v0/stream",
        };
        ui.add(TextEdit::singleline(&mut editor.url).hint_text(hint))
            .labelled_by(label.id);
        ui.end_row();
        let (user, password) = match editor.kind {
            FeedKind::Traccar => ("Email", "Password"),
            _ => ("User", "Password"),
        };
        if matches!(editor.kind, FeedKind::Traccar | FeedKind::OwnTracks) {
            let label = ui.label(user);
            ui.add(TextEdit::singleline(&mut editor.user))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label(password);
            ui.add(
                TextEdit::singleline(&mut editor.password)
                    .password(true)
                    .hint_text(secret_hint),
            )
            .labelled_by(label.id);
            ui.end_row();
        }
        if !matches!(editor.kind, FeedKind::OwnTracks | FeedKind::Ais) {
            let token = match editor.kind {
                FeedKind::GtfsRt | FeedKind::AisStream => "API key",
                _ => "Token",
            };
            let label = ui.label(token);
            ui.add(
                TextEdit::singleline(&mut editor.token)
                    .password(true)
                    .hint_text(secret_hint),
            )
            .labelled_by(label.id);
            ui.end_row();
        }
        let label = ui.label("Colour");
        ui.add(TextEdit::singleline(&mut editor.colour).hint_text("#1f77b4"))
            .labelled_by(label.id);
        ui.end_row();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_that_leaves_the_password_empty_keeps_the_one_set() {
        let mut old =
            FeedSpec::parse("traccar:https://ana%40x.com:secret@t.example.com").expect("spec");
        old.colour = Some([1, 2, 3]);
        let mut editor = Editor::edit(FeedId(1), &old);
        assert!(
            editor.password.is_empty(),
            "a secret is never put back on screen"
        );
        editor.name = "Depot".into();
        let spec = editor.spec(Some(&old)).expect("valid");
        assert_eq!(spec.credentials.password.as_deref(), Some("secret"));
        assert_eq!(spec.credentials.user.as_deref(), Some("ana@x.com"));
        assert_eq!(
            (spec.name.as_str(), spec.colour),
            ("Depot", Some([1, 2, 3]))
        );
    }

    #[test]
    fn a_bad_url_or_colour_is_refused_with_the_reason() {
        let editor = Editor {
            kind: FeedKind::Traccar,
            url: "ftp://x".into(),
            ..Editor::default()
        };
        assert!(editor.spec(None).expect_err("scheme").contains("http://"));
        let editor = Editor {
            url: "ws://x/feed".into(),
            colour: "blue".into(),
            ..Editor::default()
        };
        assert!(editor.spec(None).expect_err("colour").contains("blue"));
    }
}
