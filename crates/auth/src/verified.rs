//! Tokens whose signature was already checked, so a client's next request with the same
//! token skips the HMAC and the decoding.
//!
//! Only tokens that verified completely are kept, keyed by their whole text: a hit is the
//! same bytes that passed the signature check, and their times and purpose are checked
//! again at every use. Revocation (logout, deactivation) is not decided here: the caller
//! checks the deny-list, the session and the account after every verification, hit or not.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use servicedesk_core::ports::{Claims, TokenError, TokenPurpose};

/// Most tokens kept; when full the map is emptied (the signed-in clients of a busy
/// minute fill it again with one verification each). About 0.5 MiB at most.
pub(crate) const KEPT: usize = 1024;

/// A token's content once its signature, issuer and audience held.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// `nbf`, Unix seconds.
    pub(crate) not_before: i64,
    /// `exp`, Unix seconds.
    pub(crate) expires: i64,
    /// The claims it carries.
    pub(crate) claims: Claims,
}

impl Signed {
    /// The claims when the token may be used for `purpose` at `now` (zero leeway).
    pub(crate) fn valid_at(
        &self,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError> {
        let now_s = now.timestamp();
        if self.not_before > now_s {
            return Err(TokenError::Invalid);
        }
        if now_s >= self.expires {
            return Err(TokenError::Expired);
        }
        if self.claims.purpose != purpose {
            return Err(TokenError::WrongPurpose);
        }
        Ok(self.claims.clone())
    }
}

/// The verified tokens of one issuer.
#[derive(Debug, Default)]
pub(crate) struct Verified(Mutex<HashMap<Box<str>, Signed>>);

impl Verified {
    /// The token's checked content, if it was seen valid before.
    pub(crate) fn get(&self, token: &str) -> Option<Signed> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    }

    /// Keeps a token that verified completely.
    pub(crate) fn insert(&self, token: &str, signed: Signed) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= KEPT {
            map.clear();
        }
        map.insert(token.into(), signed);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}
