//! Who may see or report what: a token looked up among the server-wide tokens
//! (`--viewer-token`, `--publisher-token`, which see and report everything) and the tokens file,
//! and what an [`Access`] keeps of a batch of fixes.

use std::sync::Arc;

use fleetview_core::protocol::{FixBatch, RejectReason, RejectTally, truncate};

use super::{Scope, Tokens, TokensFile};

/// What a viewer (or publisher) may see (or report).
#[derive(Debug, Clone)]
pub enum Access {
    /// Everything: no token is needed, or it showed the server-wide token.
    Everything,
    Scoped(Arc<Scope>),
}

impl Access {
    pub fn scope(&self) -> Option<&Arc<Scope>> {
        match self {
            Self::Everything => None,
            Self::Scoped(s) => Some(s),
        }
    }

    /// Whether the vehicle `id` at (`lat`, `lon`) may be shown.
    pub fn sees(&self, id: &str, lat: f64, lon: f64) -> bool {
        self.scope().is_none_or(|s| s.sees(id, lat, lon))
    }

    /// Whether the vehicle `id` may be shown somewhere.
    pub fn sees_id(&self, id: &str) -> bool {
        self.scope().is_none_or(|s| s.sees_id(id))
    }

    /// The fixes of `batch` this viewer may see (all of them without a scope).
    pub fn visible(&self, batch: FixBatch) -> FixBatch {
        let Some(scope) = self.scope() else {
            return batch;
        };
        let mut kept = FixBatch::with_capacity(batch.len(), 0);
        for fix in batch.iter() {
            if scope.sees(fix.id, fix.lat, fix.lon) {
                kept.push(&fix);
            }
        }
        kept
    }

    /// A publisher's fixes for the ids it may report; the others refused (`out_of_scope`).
    pub fn reportable(&self, batch: FixBatch, refused: &mut RejectTally) -> FixBatch {
        let Some(scope) = self.scope() else {
            return batch;
        };
        if batch.iter().all(|f| scope.sees_id(f.id)) {
            return batch;
        }
        let mut kept = FixBatch::with_capacity(batch.len(), 0);
        for fix in batch.iter() {
            if scope.sees_id(fix.id) {
                kept.push(&fix);
            } else {
                refused.record(
                    RejectReason::OutOfScope,
                    &format!(
                        "{:?} is not among the devices this publisher token may report",
                        truncate(fix.id, 64)
                    ),
                );
            }
        }
        kept
    }
}

/// Why a token was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("token required")]
    Missing,
    #[error("wrong token")]
    Wrong,
}

/// Who checks tokens: the server-wide tokens (`--viewer-token`, `--publisher-token`) and the
/// tokens file.
pub fn viewer_access(
    wide: Option<&str>,
    file: Option<&TokensFile>,
    token: Option<&str>,
) -> Result<Access, Denied> {
    access(wide, file, token, |tokens, t| tokens.viewer(t))
}

pub fn publisher_access(
    wide: Option<&str>,
    file: Option<&TokensFile>,
    token: Option<&str>,
) -> Result<Access, Denied> {
    access(wide, file, token, |tokens, t| tokens.publisher(t))
}

fn access(
    wide: Option<&str>,
    file: Option<&TokensFile>,
    token: Option<&str>,
    find: impl Fn(&Tokens, &str) -> Option<Arc<Scope>>,
) -> Result<Access, Denied> {
    if wide.is_none() && file.is_none() {
        return Ok(Access::Everything);
    }
    let token = token.ok_or(Denied::Missing)?;
    if wide.is_some_and(|w| crate::auth::token_matches(w, token)) {
        return Ok(Access::Everything);
    }
    file.and_then(|f| find(&f.current(), token))
        .map(Access::Scoped)
        .ok_or(Denied::Wrong)
}
