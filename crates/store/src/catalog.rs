//! `CatalogStore`: catalog categories, and items with every version kept.
//!
//! An item is two things: its row in `catalog_items` (what lists filter and sort on, and
//! the version that optimistic concurrency checks) and one row per version in
//! `catalog_item_versions` holding the whole item as JSON. The current item is the
//! version row its item row points at; earlier ones are never changed or deleted, since
//! requests keep the form version they were submitted with.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use servicedesk_core::catalog::{CatalogCategory, CatalogItem, CatalogStore};
use servicedesk_core::ids::{CatalogCategoryId, CatalogItemId, OrgId};
use servicedesk_core::ports::{StoreError, WriteSet};

use crate::Store;
use crate::db::DbConn;
use crate::error::{TxError, corrupt, map, stale_or_missing};
use crate::rows::parse;
use crate::schema::{catalog_categories, catalog_item_versions, catalog_items};
use crate::sla_catalog::json;
use crate::time::{db, utc};
use crate::writes::persist;

#[derive(Queryable)]
struct CategoryRow {
    id: String,
    name: String,
    description: String,
    parent_id: Option<String>,
}

impl CategoryRow {
    fn into_category(self, org: OrgId) -> Result<CatalogCategory, StoreError> {
        Ok(CatalogCategory {
            id: CatalogCategoryId(parse("catalog category id", &self.id)?),
            org_id: org,
            name: self.name,
            description: self.description,
            parent_id: self
                .parent_id
                .map(|p| parse("catalog category id", &p).map(CatalogCategoryId))
                .transpose()?,
        })
    }
}

const CATEGORY_COLUMNS: (
    catalog_categories::id,
    catalog_categories::name,
    catalog_categories::description,
    catalog_categories::parent_id,
) = (
    catalog_categories::id,
    catalog_categories::name,
    catalog_categories::description,
    catalog_categories::parent_id,
);

/// A stored version's JSON back into the item; the organization comes from the key the
/// row was found under, not from the document.
fn decode(org: OrgId, body: &str) -> Result<CatalogItem, StoreError> {
    let item: CatalogItem =
        serde_json::from_str(body).map_err(|_| corrupt("catalog item version", body))?;
    Ok(CatalogItem {
        org_id: org,
        ..item
    })
}

/// `NotFound("catalog category")` unless `org` has category `id`.
fn require_category(conn: &mut DbConn, org: &str, id: &str) -> Result<(), TxError> {
    let found = catalog_categories::table
        .filter(catalog_categories::org_id.eq(org))
        .filter(catalog_categories::id.eq(id))
        .select(catalog_categories::id)
        .first::<String>(conn)
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(TxError::Store(StoreError::NotFound("catalog category"))),
    }
}

/// Appends one version row.
fn insert_version(
    conn: &mut DbConn,
    org: &str,
    item: &CatalogItem,
    at: NaiveDateTime,
) -> Result<(), TxError> {
    let body = json(item)?;
    diesel::insert_into(catalog_item_versions::table)
        .values((
            catalog_item_versions::org_id.eq(org),
            catalog_item_versions::item_id.eq(item.id.to_string()),
            catalog_item_versions::version.eq(item.version),
            catalog_item_versions::body.eq(&body),
            catalog_item_versions::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

impl Store {
    /// The current version's body of every item of `org` matching `id` (all when `None`),
    /// by name.
    fn current_items(
        &self,
        org: OrgId,
        id: Option<CatalogItemId>,
    ) -> Result<Vec<CatalogItem>, StoreError> {
        let org_s = org.to_string();
        let mut query = catalog_items::table
            .inner_join(
                catalog_item_versions::table.on(catalog_item_versions::org_id
                    .eq(catalog_items::org_id)
                    .and(catalog_item_versions::item_id.eq(catalog_items::id))
                    .and(catalog_item_versions::version.eq(catalog_items::version))),
            )
            .filter(catalog_items::org_id.eq(org_s))
            .select(catalog_item_versions::body)
            .order((catalog_items::name.asc(), catalog_items::id.asc()))
            .into_boxed();
        if let Some(id) = id {
            query = query.filter(catalog_items::id.eq(id.to_string()));
        }
        query
            .load::<String>(&mut *self.db.conn()?)
            .map_err(map("catalog item"))?
            .iter()
            .map(|body| decode(org, body))
            .collect()
    }
}

impl CatalogStore for Store {
    fn create_category(
        &self,
        org: OrgId,
        c: &CatalogCategory,
        write: &WriteSet,
    ) -> Result<CatalogCategory, StoreError> {
        let (org_s, id) = (org.to_string(), c.id.to_string());
        let parent = c.parent_id.map(|p| p.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            if let Some(parent) = &parent {
                require_category(conn, &org_s, parent)?;
            }
            let inserted = diesel::insert_into(catalog_categories::table)
                .values((
                    catalog_categories::org_id.eq(&org_s),
                    catalog_categories::id.eq(&id),
                    catalog_categories::name.eq(&c.name),
                    catalog_categories::description.eq(&c.description),
                    catalog_categories::parent_id.eq(&parent),
                    // The category carries no time of its own; the database's clock
                    // (UTC on both backends) is good enough for a row nobody reads back.
                    catalog_categories::created_at.eq(diesel::dsl::now),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => {}
                // The one unique rule besides the key, which a fresh UUID does not repeat.
                Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                    return Err(TxError::Store(StoreError::Duplicate { field: "name" }));
                }
                Err(e) => return Err(e.into()),
            }
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("catalog category"))?;
        drop(conn);
        catalog_categories::table
            .filter(catalog_categories::org_id.eq(&org_s))
            .filter(catalog_categories::id.eq(&id))
            .select(CATEGORY_COLUMNS)
            .first::<CategoryRow>(&mut *self.db.conn()?)
            .map_err(map("catalog category"))?
            .into_category(org)
    }

    fn categories(&self, org: OrgId) -> Result<Vec<CatalogCategory>, StoreError> {
        catalog_categories::table
            .filter(catalog_categories::org_id.eq(org.to_string()))
            .order((catalog_categories::name.asc(), catalog_categories::id.asc()))
            .select(CATEGORY_COLUMNS)
            .load::<CategoryRow>(&mut *self.db.conn()?)
            .map_err(map("catalog category"))?
            .into_iter()
            .map(|row| row.into_category(org))
            .collect()
    }

    fn create_item(
        &self,
        org: OrgId,
        item: &CatalogItem,
        write: &WriteSet,
    ) -> Result<CatalogItem, StoreError> {
        let stored = CatalogItem {
            org_id: org,
            version: 1,
            ..item.clone()
        };
        let (org_s, id, category) = (
            org.to_string(),
            item.id.to_string(),
            item.category_id.to_string(),
        );
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            require_category(conn, &org_s, &category)?;
            diesel::insert_into(catalog_items::table)
                .values((
                    catalog_items::org_id.eq(&org_s),
                    catalog_items::id.eq(&id),
                    catalog_items::category_id.eq(&category),
                    catalog_items::name.eq(&stored.name),
                    catalog_items::active.eq(stored.active),
                    catalog_items::version.eq(1_i64),
                    catalog_items::created_at.eq(db(stored.created_at)),
                    catalog_items::updated_at.eq(db(stored.updated_at)),
                ))
                .execute(conn)?;
            insert_version(conn, &org_s, &stored, db(stored.updated_at))?;
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("catalog item"))?;
        drop(conn);
        self.item(org, item.id)
    }

    fn update_item(
        &self,
        org: OrgId,
        item: &CatalogItem,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<CatalogItem, StoreError> {
        let (org_s, id, category) = (
            org.to_string(),
            item.id.to_string(),
            item.category_id.to_string(),
        );
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let current = catalog_items::table
                .filter(catalog_items::org_id.eq(&org_s))
                .filter(catalog_items::id.eq(&id))
                .select((catalog_items::version, catalog_items::created_at))
                .first::<(i64, NaiveDateTime)>(conn)
                .optional()?;
            let Some((_, created_at)) = current else {
                return Err(stale_or_missing("catalog item", None));
            };
            require_category(conn, &org_s, &category)?;
            let changed = diesel::update(
                catalog_items::table
                    .filter(catalog_items::org_id.eq(&org_s))
                    .filter(catalog_items::id.eq(&id))
                    .filter(catalog_items::version.eq(expected_version)),
            )
            .set((
                catalog_items::category_id.eq(&category),
                catalog_items::name.eq(&item.name),
                catalog_items::active.eq(item.active),
                catalog_items::version.eq(expected_version + 1),
                catalog_items::updated_at.eq(db(item.updated_at)),
            ))
            .execute(conn)?;
            if changed == 0 {
                // Re-read inside the transaction: the version now stored, for the client.
                let now = catalog_items::table
                    .filter(catalog_items::org_id.eq(&org_s))
                    .filter(catalog_items::id.eq(&id))
                    .select(catalog_items::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("catalog item", now));
            }
            let stored = CatalogItem {
                org_id: org,
                version: expected_version + 1,
                created_at: utc(created_at),
                ..item.clone()
            };
            insert_version(conn, &org_s, &stored, db(stored.updated_at))?;
            persist(self, conn, write)
        })
        .map_err(|e| e.into_store("catalog item"))?;
        drop(conn);
        self.item(org, item.id)
    }

    fn item(&self, org: OrgId, id: CatalogItemId) -> Result<CatalogItem, StoreError> {
        self.current_items(org, Some(id))?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound("catalog item"))
    }

    fn item_version(
        &self,
        org: OrgId,
        id: CatalogItemId,
        version: i64,
    ) -> Result<CatalogItem, StoreError> {
        let body = catalog_item_versions::table
            .filter(catalog_item_versions::org_id.eq(org.to_string()))
            .filter(catalog_item_versions::item_id.eq(id.to_string()))
            .filter(catalog_item_versions::version.eq(version))
            .select(catalog_item_versions::body)
            .first::<String>(&mut *self.db.conn()?)
            .map_err(map("catalog item version"))?;
        decode(org, &body)
    }

    fn items(&self, org: OrgId) -> Result<Vec<CatalogItem>, StoreError> {
        self.current_items(org, None)
    }
}
