//! A position's descriptive fields (label, kind, status, route, attrs), declared once, and the
//! protocol's one rule for merging them: a value sent replaces the one held, a field left out
//! keeps it. The decoder, the feed's coalescing and the model all use this type and this rule.

/// The descriptive fields, over any string type: `Meta<&str>` borrowed from a frame,
/// `Meta<Box<str>>` held. `attrs` is the raw JSON text of an object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta<S> {
    pub label: Option<S>,
    pub kind: Option<S>,
    pub status: Option<S>,
    pub route: Option<S>,
    pub attrs: Option<S>,
}

/// The fields as a frame carries them.
pub type MetaRef<'a> = Meta<&'a str>;

/// The fields as the model (or a coalescing buffer) holds them.
pub type OwnedMeta = Meta<Box<str>>;

impl<S> Meta<S> {
    /// Each field with its name, in a fixed order (for validation and display).
    pub fn named(&self) -> [(&'static str, Option<&S>); 5] {
        [
            ("label", self.label.as_ref()),
            ("kind", self.kind.as_ref()),
            ("status", self.status.as_ref()),
            ("route", self.route.as_ref()),
            ("attrs", self.attrs.as_ref()),
        ]
    }
}

impl OwnedMeta {
    /// Takes what `sent` carries; a field it leaves out keeps its value. Allocates only on a
    /// change.
    #[inline]
    pub fn merge(&mut self, sent: &MetaRef<'_>) {
        update_text(&mut self.label, sent.label);
        update_text(&mut self.kind, sent.kind);
        update_text(&mut self.status, sent.status);
        update_text(&mut self.route, sent.route);
        update_text(&mut self.attrs, sent.attrs);
    }

    pub fn as_ref(&self) -> MetaRef<'_> {
        Meta {
            label: self.label.as_deref(),
            kind: self.kind.as_deref(),
            status: self.status.as_deref(),
            route: self.route.as_deref(),
            attrs: self.attrs.as_deref(),
        }
    }

    /// Bytes of text held.
    pub fn text_bytes(&self) -> usize {
        self.named()
            .iter()
            .map(|(_, v)| v.map_or(0, |s| s.len()))
            .sum()
    }
}

/// The merge rule for one field: a value sent replaces the one held; a field left out keeps it.
#[inline]
pub fn update_text(held: &mut Option<Box<str>>, sent: Option<&str>) {
    if let Some(v) = sent
        && held.as_deref() != Some(v)
    {
        *held = Some(v.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_left_out_keeps_its_value_and_a_field_sent_replaces_it() {
        let mut held = OwnedMeta::default();
        held.merge(&Meta {
            label: Some("Bus 1"),
            kind: Some("bus"),
            ..Meta::default()
        });
        held.merge(&Meta {
            route: Some("110"),
            kind: Some("coach"),
            ..Meta::default()
        });
        assert_eq!(held.as_ref().label, Some("Bus 1"));
        assert_eq!(held.as_ref().kind, Some("coach"));
        assert_eq!(held.as_ref().route, Some("110"));
        assert_eq!(held.as_ref().status, None);
        assert_eq!(
            held.text_bytes(),
            "Bus 1".len() + "coach".len() + "110".len()
        );
    }
}
