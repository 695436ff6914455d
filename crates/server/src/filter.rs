//! What a viewer subscribed to, normalised so that viewers asking the same share one group
//! (and so one serialisation of every batch): which vehicles, and in which encoding; and the
//! scope of its token, which no subscription can widen.

use std::collections::BTreeSet;
use std::sync::Arc;

use fleetview_core::protocol::{BBox, Encoding, Subscribe};

use crate::scopes::Scope;

#[derive(Debug, Clone)]
pub struct Filter {
    bbox: Option<BBox>,
    ids: Option<BTreeSet<String>>,
    encoding: Encoding,
    /// What the viewer's token may see; `None`: everything.
    scope: Option<Arc<Scope>>,
}

impl Filter {
    /// Everything, in protocol v1.
    pub fn all() -> Self {
        Self {
            bbox: None,
            ids: None,
            encoding: Encoding::V1,
            scope: None,
        }
    }

    /// The same, within `scope`.
    pub fn within(mut self, scope: Option<Arc<Scope>>) -> Self {
        self.scope = scope;
        self
    }

    pub fn scope(&self) -> Option<&Arc<Scope>> {
        self.scope.as_ref()
    }

    /// The same vehicles in `encoding`.
    pub fn with_encoding(mut self, encoding: Encoding) -> Self {
        self.encoding = encoding;
        self
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Checks a subscription; the error says what is wrong with it.
    pub fn from_subscribe(s: &Subscribe) -> Result<Self, String> {
        if let Some(b) = s.bbox
            && !b.is_valid()
        {
            return Err(format!(
                "bbox {:?} is not [west, south, east, north] in degrees with south <= north",
                [b.west, b.south, b.east, b.north]
            ));
        }
        if let Some(ids) = &s.ids
            && ids.len() > 100_000
        {
            return Err(format!("{} ids is over the limit of 100000", ids.len()));
        }
        Ok(Self {
            bbox: s.bbox,
            ids: s.ids.as_ref().map(|ids| ids.iter().cloned().collect()),
            encoding: Encoding::from_name(s.encoding.as_deref()),
            scope: None,
        })
    }

    pub fn matches(&self, id: &str, lat: f64, lon: f64) -> bool {
        self.bbox.is_none_or(|b| b.contains(lat, lon))
            && self.ids.as_ref().is_none_or(|ids| ids.contains(id))
            && self.scope.as_ref().is_none_or(|s| s.sees(id, lat, lon))
    }

    /// Equal for equal filters (bbox by its exact numbers, ids as a set, the same encoding,
    /// the same token: a token's viewers share groups with nobody else's, whatever it sees).
    pub fn key(&self) -> String {
        let bbox = self
            .bbox
            .map(|b| format!("{:?}", [b.west, b.south, b.east, b.north]))
            .unwrap_or_default();
        let ids = self
            .ids
            .as_ref()
            .map(|ids| {
                ids.iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("\u{1f}")
            })
            .unwrap_or_else(|| "*".into());
        let scope = self.scope.as_ref().map_or("", |s| &s.name);
        format!("{}|{bbox}|{ids}|{scope}", self.encoding.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_asking_the_same_share_a_key_whatever_the_id_order() {
        let a = Filter::from_subscribe(&Subscribe {
            ids: Some(vec!["b".into(), "a".into()]),
            ..Subscribe::default()
        })
        .expect("valid");
        let b = Filter::from_subscribe(&Subscribe {
            ids: Some(vec!["a".into(), "b".into(), "a".into()]),
            ..Subscribe::default()
        })
        .expect("valid");
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), Filter::all().key());
        assert!(a.matches("a", 0.0, 0.0));
        assert!(!a.matches("c", 0.0, 0.0));
    }

    #[test]
    fn a_scope_narrows_a_filter_and_keeps_its_viewers_in_a_group_of_their_own() {
        let scope = Arc::new(Scope::new(
            "contractor",
            [0; 32],
            1,
            crate::scopes::Rules {
                devices: vec!["van-*".into()],
                ..Default::default()
            },
        ));
        let scoped = Filter::all().within(Some(scope));
        assert!(scoped.matches("van-1", 0.0, 0.0));
        assert!(!scoped.matches("bus-1", 0.0, 0.0));
        assert!(Filter::all().matches("bus-1", 0.0, 0.0));
        assert_ne!(scoped.key(), Filter::all().key());
    }

    #[test]
    fn an_invalid_bbox_is_refused_with_a_reason() {
        let err = Filter::from_subscribe(&Subscribe {
            bbox: Some(BBox::from([0.0, 10.0, 1.0, -10.0])),
            ..Subscribe::default()
        })
        .expect_err("invalid");
        assert!(err.contains("south <= north"), "{err}");
    }
}
