//! The catalog's store port: categories, and items with every version kept.

use crate::ids::{CatalogItemId, OrgId};
use crate::ports::{StoreError, WriteSet};

use super::item::{CatalogCategory, CatalogItem};

/// Categories and versioned items of an organization's service catalog.
///
/// Every write commits the rows together with the [`WriteSet`]'s audit records (and any
/// other companions) in one transaction, or nothing.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait CatalogStore: Send + Sync {
    /// Stores a new category of `org` and returns it as stored.
    ///
    /// # Errors
    /// `Duplicate { field: "name" }` when `org` has a category of that name;
    /// `NotFound` when `parent_id` names no category of `org`; `Unavailable` / `Busy` when
    /// the store fails.
    fn create_category(
        &self,
        org: OrgId,
        c: &CatalogCategory,
        write: &WriteSet,
    ) -> Result<CatalogCategory, StoreError>;

    /// The categories of `org`, by name.
    ///
    /// # Errors
    /// `Unavailable` / `Busy` when the store fails.
    fn categories(&self, org: OrgId) -> Result<Vec<CatalogCategory>, StoreError>;

    /// Stores a new item of `org` as version 1 (whatever `item.version` says) and returns
    /// it as stored.
    ///
    /// # Errors
    /// `NotFound` when `item.category_id` names no category of `org`; `Duplicate` when the
    /// id is taken; `Unavailable` / `Busy` when the store fails.
    fn create_item(
        &self,
        org: OrgId,
        item: &CatalogItem,
        write: &WriteSet,
    ) -> Result<CatalogItem, StoreError>;

    /// Stores `item` as version `expected_version + 1`, provided the current version is
    /// `expected_version`; every earlier version stays readable through
    /// [`CatalogStore::item_version`]. `created_at` stays as first stored.
    ///
    /// # Errors
    /// `Conflict` with the current version when `expected_version` is stale; `NotFound`
    /// when `org` has no such item, or `item.category_id` names no category of `org`;
    /// `Unavailable` / `Busy` when the store fails.
    fn update_item(
        &self,
        org: OrgId,
        item: &CatalogItem,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<CatalogItem, StoreError>;

    /// The current version of item `id` of `org`.
    ///
    /// # Errors
    /// `NotFound` when `org` has no such item (an item of another organization is not
    /// found); `Unavailable` / `Busy` when the store fails.
    fn item(&self, org: OrgId, id: CatalogItemId) -> Result<CatalogItem, StoreError>;

    /// Version `version` of item `id` of `org`, as it was stored.
    ///
    /// # Errors
    /// `NotFound` when `org` has no such item or the item no such version;
    /// `Unavailable` / `Busy` when the store fails.
    fn item_version(
        &self,
        org: OrgId,
        id: CatalogItemId,
        version: i64,
    ) -> Result<CatalogItem, StoreError>;

    /// The current versions of every item of `org` (inactive ones too), by name.
    ///
    /// # Errors
    /// `Unavailable` / `Busy` when the store fails.
    fn items(&self, org: OrgId) -> Result<Vec<CatalogItem>, StoreError>;
}
