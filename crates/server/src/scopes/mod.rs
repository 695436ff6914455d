//! Scoped tokens (`--viewer-tokens FILE`): each viewer or publisher token, stored as its
//! SHA-256, with a name and a scope. A viewer sees only the vehicles in its scope, on every path
//! a position can leave the server by; a publisher may report only the ids in its scope.
//!
//! ```toml
//! [[viewer]]
//! name = "depot"                # logs, and what a reload finds again
//! hash = "sha256:5e88...42d8"   # printf %s "$TOKEN" | sha256sum
//! all = true
//!
//! [[viewer]]
//! name = "contractor-a"
//! hash = "sha256:..."
//! groups = ["contractor-a"]     # the registry's `group`s
//! devices = ["van-1*", "truck-12"]
//! bbox = [145.6, -17.1, 145.9, -16.7]   # optional: only while inside
//!
//! [[publisher]]
//! name = "acme-gateway"
//! hash = "sha256:..."
//! devices = ["acme-*"]
//! ```
//!
//! Tokens are long random secrets, not passwords, so one SHA-256 is enough to keep the file
//! harmless if read (as services store API tokens) and lets a token be found in one lookup, so
//! thousands of viewers reconnecting at once cost nothing to check. The file is read again on
//! SIGHUP or when it changes ([`reload`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use fleetview_core::protocol::BBox;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::registry::Registry;
pub use access::{Access, Denied, publisher_access, viewer_access};
pub use scope::{Rules, Scope, TokenHash};

mod access;
pub(crate) mod reload;
mod scope;

#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {why}")]
    Invalid { path: String, why: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    hash: String,
    #[serde(default)]
    all: bool,
    #[serde(default)]
    devices: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    bbox: Option<[f64; 4]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    viewer: Vec<Entry>,
    #[serde(default)]
    publisher: Vec<Entry>,
}

/// Tokens by their hash, and viewers' by name too.
#[derive(Debug, Default)]
struct Side {
    by_hash: HashMap<TokenHash, Arc<Scope>>,
    by_name: HashMap<Arc<str>, Arc<Scope>>,
}

/// The tokens file as last loaded.
#[derive(Debug, Default)]
pub struct Tokens {
    viewers: Side,
    publishers: Side,
    generation: u64,
}

/// A token's SHA-256.
pub fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Reads the file; `generation` tells this load from the ones before.
    pub fn load(
        path: &Path,
        registry: Option<&Registry>,
        generation: u64,
    ) -> Result<Self, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, registry, generation).map_err(|why| TokensError::Invalid {
            path: path.display().to_string(),
            why,
        })
    }

    /// The file's text; an error says which token is wrong and why.
    pub fn parse(text: &str, registry: Option<&Registry>, generation: u64) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut tokens = Self {
            generation,
            ..Self::default()
        };
        for entry in file.viewer {
            let scope = scope_of(entry, registry, generation, "viewer")?;
            tokens.viewers.add(scope)?;
        }
        for entry in file.publisher {
            if entry.bbox.is_some() {
                return Err(format!(
                    "publisher {:?}: a publisher's scope is ids and groups, not a bbox",
                    entry.name
                ));
            }
            let scope = scope_of(entry, registry, generation, "publisher")?;
            tokens.publishers.add(scope)?;
        }
        if let Some(same) = tokens
            .viewers
            .by_hash
            .keys()
            .find(|h| tokens.publishers.by_hash.contains_key(*h))
        {
            let name = &tokens.viewers.by_hash[same].name;
            return Err(format!(
                "viewer {name:?} has a publisher's token: give each its own"
            ));
        }
        Ok(tokens)
    }

    /// Tokens made in a test: these viewers' scopes, as load `generation`.
    #[cfg(test)]
    pub(crate) fn of_viewers(generation: u64, scopes: impl IntoIterator<Item = Scope>) -> Self {
        let mut tokens = Self {
            generation,
            ..Self::default()
        };
        for scope in scopes {
            tokens.viewers.add(scope).expect("distinct test tokens");
        }
        tokens
    }

    /// The scope of the viewer whose token is `token`.
    pub fn viewer(&self, token: &str) -> Option<Arc<Scope>> {
        self.viewers.by_hash.get(&hash_token(token)).cloned()
    }

    /// The viewer token called `name`, as this load has it.
    pub fn viewer_named(&self, name: &str) -> Option<&Arc<Scope>> {
        self.viewers.by_name.get(name)
    }

    /// The scope of the publisher whose token is `token`.
    pub fn publisher(&self, token: &str) -> Option<Arc<Scope>> {
        self.publishers.by_hash.get(&hash_token(token)).cloned()
    }

    pub fn viewers(&self) -> usize {
        self.viewers.by_hash.len()
    }

    pub fn publishers(&self) -> usize {
        self.publishers.by_hash.len()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl Side {
    fn add(&mut self, scope: Scope) -> Result<(), String> {
        let scope = Arc::new(scope);
        if self.by_name.contains_key(&scope.name) {
            return Err(format!("{:?} is named twice", scope.name));
        }
        let hash = scope.hash();
        if let Some(other) = self.by_hash.insert(hash, scope.clone()) {
            return Err(format!(
                "{:?} and {:?} have the same token",
                other.name, scope.name
            ));
        }
        self.by_name.insert(scope.name.clone(), scope);
        Ok(())
    }
}

/// One entry checked and made a scope.
fn scope_of(
    entry: Entry,
    registry: Option<&Registry>,
    generation: u64,
    side: &str,
) -> Result<Scope, String> {
    let name = entry.name.trim();
    if name.is_empty() {
        return Err(format!("a {side} token with no name"));
    }
    let hash = parse_hash(&entry.hash).map_err(|why| format!("{side} {name:?}: {why}"))?;
    if !entry.all && entry.devices.is_empty() && entry.groups.is_empty() {
        return Err(format!(
            "{side} {name:?} may see nothing: give it devices, groups or all = true"
        ));
    }
    if entry.devices.iter().any(|d| d.trim().is_empty()) {
        return Err(format!("{side} {name:?}: an empty device id"));
    }
    let bbox = entry.bbox.map(BBox::from);
    if let Some(b) = bbox
        && !b.is_valid()
    {
        return Err(format!(
            "{side} {name:?}: bbox is not [west, south, east, north] in degrees with south <= north"
        ));
    }
    let mut group_ids = Vec::new();
    if !entry.groups.is_empty() {
        let Some(registry) = registry else {
            return Err(format!(
                "{side} {name:?} names groups, which come from the device registry (--registry)"
            ));
        };
        for group in &entry.groups {
            group_ids.extend(registry.members(group).map(str::to_owned));
        }
    }
    let rules = Rules {
        all: entry.all,
        devices: entry.devices,
        group_ids,
        bbox,
    };
    Ok(Scope::new(name, hash, generation, rules))
}

fn parse_hash(text: &str) -> Result<TokenHash, String> {
    let hex = text.trim().strip_prefix("sha256:").ok_or_else(|| {
        "hash must be \"sha256:\" and the token's SHA-256 in hex (printf %s \"$TOKEN\" | sha256sum)"
            .to_owned()
    })?;
    let bytes = hex::decode(hex).map_err(|e| format!("hash is not hex: {e}"))?;
    bytes
        .try_into()
        .map_err(|_| "hash is not 32 bytes (64 hex digits)".to_owned())
}

/// The tokens file, shared by every connection and replaced whole when it is read again.
#[derive(Debug)]
pub struct TokensFile {
    pub path: PathBuf,
    current: RwLock<Arc<Tokens>>,
}

impl TokensFile {
    /// Reads `path` for the first time (an error stops the server from starting).
    pub fn open(path: PathBuf, registry: Option<&Registry>) -> Result<Self, TokensError> {
        let tokens = Tokens::load(&path, registry, 1)?;
        Ok(Self {
            path,
            current: RwLock::new(Arc::new(tokens)),
        })
    }

    /// The tokens in force.
    pub fn current(&self) -> Arc<Tokens> {
        match self.current.read() {
            Ok(t) => Arc::clone(&t),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, tokens: Arc<Tokens>) {
        match self.current.write() {
            Ok(mut t) => *t = tokens,
            Err(p) => *p.into_inner() = tokens,
        }
    }
}

#[cfg(test)]
mod tests;
