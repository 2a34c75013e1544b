//! TEMPORARY: the ports of the catalog and of delegations as their modules will declare
//! them (being built in parallel); replaced by `crate::catalog::CatalogStore` and
//! `crate::approvals::DelegationStore` when those land.

use chrono::NaiveDate;

use crate::approvals::Delegation;
use crate::catalog::{CatalogItem, CatalogItemId};
use crate::ids::{OrgId, UserId};
use crate::ports::StoreError;

/// Catalog items (the part requests read).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait CatalogStore: Send + Sync {
    /// The current version.
    ///
    /// # Errors
    /// `NotFound`.
    fn item(&self, org: OrgId, id: CatalogItemId) -> Result<CatalogItem, StoreError>;
}

/// Delegations (the part requests read).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait DelegationStore: Send + Sync {
    /// Delegations received by `delegate` covering `today`.
    ///
    /// # Errors
    /// `Unavailable`.
    fn delegations_to(
        &self,
        org: OrgId,
        delegate: UserId,
        today: NaiveDate,
    ) -> Result<Vec<Delegation>, StoreError>;
}

/// The user's line manager. TEMPORARY: users gain `manager_id` in a parallel change.
pub(crate) fn manager_of(_user: &crate::entities::User) -> Option<UserId> {
    None
}
