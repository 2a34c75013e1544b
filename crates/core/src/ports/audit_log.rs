//! Reading and verifying the tamper-evident audit log (AUD-1). Records are appended by the
//! store inside each write's transaction (see [`WriteSet`](crate::ports::WriteSet)).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::events::AuditRecord;
use crate::ids::{OrgId, UserId};
use crate::ports::StoreError;

/// What [`AuditLog::search`] looks for; absent fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only records of this actor.
    pub actor: Option<UserId>,
    /// Only this action (`user.update`, …).
    pub action: Option<String>,
    /// Only this kind of target (`user`, `team`, …).
    pub target_kind: Option<String>,
    /// Only this target id.
    pub target_id: Option<String>,
    /// Only records at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only records before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Only entries with a sequence number below this one (the cursor of the next page).
    pub before_seq: Option<i64>,
}

/// One stored audit record with its place in the organization's hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the organization's chain, from 1.
    pub seq: i64,
    /// What was recorded.
    pub record: AuditRecord,
    /// Hash of the previous entry (`"0"×64` for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this entry's fields, hex.
    pub hash: String,
}

/// The outcome of checking an organization's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AuditCheck {
    /// Every link holds.
    Intact {
        /// How many entries were checked.
        entries: u64,
    },
    /// The first entry whose stored hash or link does not match its content.
    Broken {
        /// Its sequence number.
        seq: i64,
        /// What does not match.
        reason: String,
    },
}

/// The audit log of an organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AuditLog: Send + Sync {
    /// Up to `limit` entries after `after_seq`, in chain order.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn entries(
        &self,
        org: OrgId,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Up to `limit` entries of `org` matching `query`, newest first.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn search(
        &self,
        org: OrgId,
        query: &AuditQuery,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;

    /// Recomputes the chain of `org` and names the first broken link.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn verify(&self, org: OrgId) -> Result<AuditCheck, StoreError>;
}
