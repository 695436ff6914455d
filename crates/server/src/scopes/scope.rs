//! One token's scope: which vehicles its holder may see (a viewer) or report (a publisher).
//!
//! A vehicle is in scope when the token sees every vehicle (`all = true`), or its id is listed,
//! matches one of the `devices` patterns (`*` any run of characters, `?` one), or belongs to one
//! of the registry's `groups`; and, with a `bbox`, when it is inside it.

use std::collections::HashSet;
use std::sync::Arc;

use fleetview_core::protocol::BBox;
use wildmatch::WildMatch;

/// A token's SHA-256, what the tokens file stores.
pub type TokenHash = [u8; 32];

#[derive(Debug, Clone)]
pub struct Scope {
    /// The token's name in the file: logs, and the key under which a reload finds it again.
    pub name: Arc<str>,
    hash: TokenHash,
    /// Which load of the file it came from: a newer one wins.
    generation: u64,
    all: bool,
    /// Listed ids and the members of the listed groups.
    ids: HashSet<String>,
    patterns: Vec<WildMatch>,
    bbox: Option<BBox>,
}

/// What a scope is made of, as the file says it.
#[derive(Debug, Default, Clone)]
pub struct Rules {
    pub all: bool,
    /// Ids, or patterns with `*` and `?`.
    pub devices: Vec<String>,
    /// Ids the registry's groups hold.
    pub group_ids: Vec<String>,
    pub bbox: Option<BBox>,
}

impl Scope {
    pub fn new(name: &str, hash: TokenHash, generation: u64, rules: Rules) -> Self {
        let (patterns, exact): (Vec<String>, Vec<String>) = rules
            .devices
            .into_iter()
            .partition(|d| d.contains(['*', '?']));
        Self {
            name: name.into(),
            hash,
            generation,
            all: rules.all,
            ids: exact.into_iter().chain(rules.group_ids).collect(),
            patterns: patterns.iter().map(|p| WildMatch::new(p)).collect(),
            bbox: rules.bbox,
        }
    }

    /// Whether the vehicle `id` is one this token may see or report (wherever it is).
    pub fn sees_id(&self, id: &str) -> bool {
        self.all || self.ids.contains(id) || self.patterns.iter().any(|p| p.matches(id))
    }

    /// Whether the vehicle `id` at (`lat`, `lon`) is in scope.
    pub fn sees(&self, id: &str, lat: f64, lon: f64) -> bool {
        self.sees_id(id) && self.bbox.is_none_or(|b| b.contains(lat, lon))
    }

    pub fn bbox(&self) -> Option<BBox> {
        self.bbox
    }

    /// Whether `other` is this token (same name and secret) as loaded again.
    pub fn same_token(&self, other: &Scope) -> bool {
        self.name == other.name && self.hash == other.hash
    }

    pub fn hash(&self) -> TokenHash {
        self.hash
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(rules: Rules) -> Scope {
        Scope::new("t", [0; 32], 1, rules)
    }

    #[test]
    fn listed_ids_patterns_and_group_members_are_in_scope_and_nothing_else() {
        let s = scope(Rules {
            devices: vec!["truck-12".into(), "van-1*".into(), "bus-?".into()],
            group_ids: vec!["358240051111110".into()],
            ..Rules::default()
        });
        for id in ["truck-12", "van-1", "van-17", "bus-7", "358240051111110"] {
            assert!(s.sees_id(id), "{id}");
        }
        for id in [
            "truck-1",
            "truck-123",
            "van-2",
            "bus-77",
            "",
            "358240051111111",
        ] {
            assert!(!s.sees_id(id), "{id}");
        }
    }

    #[test]
    fn a_bbox_narrows_what_the_ids_allow() {
        let s = scope(Rules {
            all: true,
            bbox: Some(BBox::from([145.0, -17.5, 146.0, -16.5])),
            ..Rules::default()
        });
        assert!(s.sees("anything", -17.0, 145.5));
        assert!(!s.sees("anything", -18.0, 145.5));
        assert!(s.sees_id("anything"));
    }

    #[test]
    fn a_scope_with_nothing_listed_sees_nothing() {
        let s = scope(Rules::default());
        assert!(!s.sees("a", 0.0, 0.0));
    }

    #[test]
    fn a_token_loaded_again_is_the_same_token_only_with_the_same_secret() {
        let a = Scope::new("depot", [1; 32], 1, Rules::default());
        let again = Scope::new("depot", [1; 32], 2, Rules::default());
        let new_secret = Scope::new("depot", [2; 32], 2, Rules::default());
        assert!(a.same_token(&again));
        assert!(!a.same_token(&new_secret));
        assert!(again.generation() > a.generation());
    }
}
