//! What the peers have been told about each vehicle's descriptive fields, so live messages carry
//! a fix's label, kind, status, route and attrs only when they say something new, as viewer
//! batches do. They are told again every so often, for a peer that started after the first
//! telling and before the bucket held it (a peer starting reads full fixes from the bucket).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use fleetview_core::protocol::{FixRef, Meta, MetaRef, OwnedMeta};

/// How long the peers are trusted to hold what they were told.
pub const RETELL: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct Described {
    told: HashMap<Box<str>, (OwnedMeta, Instant)>,
}

impl Described {
    /// `fix` as the peers need it: without its descriptive fields when every field it carries
    /// was told within [`RETELL`].
    pub fn lean<'a>(&mut self, fix: FixRef<'a>, now: Instant) -> FixRef<'a> {
        if fix.meta == MetaRef::default() {
            return fix;
        }
        if let Some((held, at)) = self.told.get_mut(fix.id) {
            if now.duration_since(*at) < RETELL && covers(held, &fix.meta) {
                return FixRef {
                    meta: Meta::default(),
                    ..fix
                };
            }
            held.merge(&fix.meta);
            *at = now;
            return fix;
        }
        let mut held = OwnedMeta::default();
        held.merge(&fix.meta);
        self.told.insert(fix.id.into(), (held, now));
        fix
    }

    /// Forgets vehicles not told for long (the map stays the size of the live fleet).
    pub fn forget_older_than(&mut self, age: Duration, now: Instant) {
        self.told.retain(|_, (_, at)| now.duration_since(*at) < age);
    }

    pub(super) fn len(&self) -> usize {
        self.told.len()
    }
}

/// Whether every field `sent` carries is already `held`.
fn covers(held: &OwnedMeta, sent: &MetaRef<'_>) -> bool {
    held.as_ref()
        .named()
        .iter()
        .zip(sent.named())
        .all(|((_, h), (_, s))| s.is_none() || s.copied() == h.copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix<'a>(label: Option<&'a str>, kind: Option<&'a str>) -> FixRef<'a> {
        FixRef {
            meta: Meta {
                label,
                kind,
                ..Meta::default()
            },
            ..FixRef::bare("bus-1", 1.0, 2.0, 3)
        }
    }

    #[test]
    fn fields_go_to_the_peers_when_new_or_changed_and_again_after_a_while() {
        let mut d = Described::default();
        let t = Instant::now();
        let first = d.lean(fix(Some("Bus 1"), Some("bus")), t);
        assert_eq!(first.meta.label, Some("Bus 1"), "new: told");
        let again = d.lean(fix(Some("Bus 1"), Some("bus")), t + Duration::from_secs(1));
        assert_eq!(again.meta, Meta::default(), "the same: left out");
        let part = d.lean(fix(Some("Bus 1"), None), t + Duration::from_secs(2));
        assert_eq!(part.meta, Meta::default(), "a field already told: left out");
        let renamed = d.lean(fix(Some("Bus 1X"), None), t + Duration::from_secs(3));
        assert_eq!(renamed.meta.label, Some("Bus 1X"), "changed: told");
        let later = d.lean(
            fix(Some("Bus 1X"), Some("bus")),
            t + RETELL + Duration::from_secs(4),
        );
        assert_eq!(later.meta.kind, Some("bus"), "told again after a while");
        assert_eq!(later.lat, 1.0);
        d.forget_older_than(Duration::from_secs(1), t + RETELL * 3);
        assert_eq!(d.len(), 0);
    }
}
