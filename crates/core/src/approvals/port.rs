//! The approvals' store port for delegations.

use chrono::NaiveDate;

use super::delegation::Delegation;
use crate::ids::{DelegationId, OrgId, UserId};
use crate::ports::{StoreError, WriteSet};

/// Delegations of approvals, per organization.
///
/// Contract for every method: rows of another organization are never read or written — an
/// id from org A used under org B answers `NotFound` (or an empty list). Dates are stored
/// as `YYYY-MM-DD` and compared as such, so they must lie in the years 1 to 9999 (the use
/// case keeps them within a year or two of today).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait DelegationStore: Send + Sync {
    /// Stores delegation `d` under `id`, with `write` (its audit record) in the same
    /// transaction. The delegation's creation time is the instant of `write`'s first audit
    /// record.
    ///
    /// # Errors
    /// `NotFound` when the organization, the user or the delegate does not exist in `org`;
    /// `Unavailable` when `write` holds no audit record or the store fails.
    fn create_delegation(
        &self,
        org: OrgId,
        id: DelegationId,
        d: &Delegation,
        write: &WriteSet,
    ) -> Result<(), StoreError>;

    /// The delegations given by `user`, in force, past or future, ordered by start date
    /// (then id).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn delegations_of(
        &self,
        org: OrgId,
        user: UserId,
    ) -> Result<Vec<(DelegationId, Delegation)>, StoreError>;

    /// The delegations received by `delegate` that cover `today` (both ends inclusive),
    /// ordered by start date.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn delegations_to(
        &self,
        org: OrgId,
        delegate: UserId,
        today: NaiveDate,
    ) -> Result<Vec<Delegation>, StoreError>;

    /// Deletes delegation `id`, given by `user`, with `write` in the same transaction.
    ///
    /// # Errors
    /// `NotFound` unless `user` gave delegation `id` in `org` (someone else's delegation is
    /// not found, so its existence does not leak); `Unavailable`.
    fn delete_delegation(
        &self,
        org: OrgId,
        user: UserId,
        id: DelegationId,
        write: &WriteSet,
    ) -> Result<(), StoreError>;
}
