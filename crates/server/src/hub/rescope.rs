//! A reload of the tokens file through the hub: every group of a scoped token follows the
//! token's new scope (its viewers sent a `remove` for what they may no longer see and the
//! vehicles they now may), and the viewers of a revoked token are told and let go. A viewer
//! whose session checked its token before a reload joins with the newer load of it.

use std::sync::Arc;

use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::{Filter, Hub, Outgoing, Tokens, offer};

/// What a viewer whose token was revoked is sent before it is let go: its session closes the
/// connection once it has written it.
pub fn revoked_bundle() -> Outgoing {
    static REVOKED: std::sync::OnceLock<Outgoing> = std::sync::OnceLock::new();
    REVOKED
        .get_or_init(|| {
            let text = r#"{"type":"error","code":"unauthorized","message":"this viewer token was revoked"}"#;
            Arc::from(vec![Utf8Bytes::from(text)])
        })
        .clone()
}

/// Whether `bundle` is the revocation (the session hangs up after writing it).
pub fn is_revocation(bundle: &Outgoing) -> bool {
    Arc::ptr_eq(bundle, &revoked_bundle())
}

impl Hub {
    /// `filter` with its token as the newest load has it; `None` if that load revoked it.
    pub(super) fn current_scope(&self, filter: Filter) -> Option<Filter> {
        let (Some(scope), Some(tokens)) = (filter.scope(), &self.tokens) else {
            return Some(filter);
        };
        if scope.generation() >= tokens.generation() {
            return Some(filter);
        }
        let newer = tokens.viewer_named(&scope.name)?;
        scope
            .same_token(newer)
            .then(|| filter.clone().within(Some(newer.clone())))
    }

    /// Brings the group `key` (if there is one) to `filter`'s scope when that is a newer load
    /// of its token, sending its viewers what changed for them.
    pub(super) fn rescope_group(&mut self, key: &str, filter: &Filter, now_ms: i64) {
        let Some(new) = filter.scope() else { return };
        let Some(group) = self.groups.get_mut(key) else {
            return;
        };
        if group
            .filter
            .scope()
            .is_some_and(|old| old.generation() >= new.generation())
        {
            return;
        }
        let frames = group.rescope(new.clone(), &self.vehicles, now_ms);
        self.stats.frames_serialised += frames.len() as u64;
        if frames.is_empty() {
            return;
        }
        let bundle: Outgoing = frames.into();
        for id in &group.viewers {
            if let Some(viewer) = self.viewers.get_mut(id) {
                offer(viewer, &bundle, &mut self.stats);
            }
        }
    }

    /// Takes a new load of the tokens file: every scoped group follows its token's new scope;
    /// the viewers of a token gone (or given a new secret) are told and let go.
    pub fn rescope(&mut self, tokens: Arc<Tokens>, now_ms: i64) {
        let mut revoked = Vec::new();
        let mut moved: Vec<(String, Filter)> = Vec::new();
        for (key, group) in &self.groups {
            let Some(old) = group.filter.scope() else {
                continue;
            };
            match tokens.viewer_named(&old.name) {
                Some(new) if new.same_token(old) => {
                    moved.push((key.clone(), group.filter.clone().within(Some(new.clone()))));
                }
                _ => revoked.extend(group.viewers.iter().copied()),
            }
        }
        self.tokens = Some(tokens);
        for (key, filter) in moved {
            self.rescope_group(&key, &filter, now_ms);
        }
        for id in revoked {
            if let Some(v) = self.viewers.get(&id) {
                let _ = v.tx.try_send(revoked_bundle());
            }
            self.leave(id);
        }
    }
}
