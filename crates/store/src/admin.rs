//! `AdminStore`: organizations, teams and custom roles.

use diesel::prelude::*;
use servicedesk_core::entities::{OrgSettings, Organization, Team};
use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{OrgId, TeamId, UserId};
use servicedesk_core::ports::{AdminStore, RoleDeletion, StoreError};
use servicedesk_rbac::{Grant, Role};

use crate::Store;
use crate::db::DbConn;
use crate::error::{TxError, corrupt, map};
use crate::rows::{TeamRow, parse};
use crate::schema::{organizations, roles, team_members, teams, users};
use crate::time::{db, utc};

/// How many users of `org` (active or not) hold the role `name`.
fn role_holders(conn: &mut DbConn, org: &str, name: &str) -> Result<u64, TxError> {
    // `roles` is a JSON list of names: LIKE narrows the rows (its `_` wildcard and
    // SQLite's case-folding only widen the match), the parsed list decides.
    let quoted = format!("%\"{name}\"%");
    let candidates: Vec<String> = users::table
        .filter(users::org_id.eq(org))
        .filter(users::roles.like(quoted))
        .select(users::roles)
        .load(conn)?;
    let held = candidates
        .iter()
        .filter(|text| {
            serde_json::from_str::<Vec<String>>(text).is_ok_and(|r| r.iter().any(|n| n == name))
        })
        .count();
    Ok(u64::try_from(held).unwrap_or(u64::MAX))
}

impl AdminStore for Store {
    fn create_organization(
        &self,
        org: &Organization,
        audit: &AuditRecord,
    ) -> Result<Organization, StoreError> {
        self.create_organization_audited(org, Some(audit))
    }

    fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        Store::organizations(self)
    }

    fn org_settings(&self, id: OrgId) -> Result<OrgSettings, StoreError> {
        let text = organizations::table
            .filter(organizations::id.eq(id.to_string()))
            .select(organizations::settings)
            .first::<String>(&mut *self.db.conn()?)
            .map_err(map("organization"))?;
        serde_json::from_str(&text).map_err(|_| corrupt("organization settings", &text))
    }

    fn save_org_settings(
        &self,
        id: OrgId,
        settings: &OrgSettings,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let text = serde_json::to_string(settings)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode: {e}")))?;
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let changed =
                diesel::update(organizations::table.filter(organizations::id.eq(id.to_string())))
                    .set(organizations::settings.eq(&text))
                    .execute(conn)?;
            if changed == 0 {
                return Err(StoreError::NotFound("organization").into());
            }
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))
    }

    fn organization(&self, id: OrgId) -> Result<Organization, StoreError> {
        let (id_s, name, created_at) = organizations::table
            .filter(organizations::id.eq(id.to_string()))
            .select((
                organizations::id,
                organizations::name,
                organizations::created_at,
            ))
            .first::<(String, String, chrono::NaiveDateTime)>(&mut *self.db.conn()?)
            .map_err(map("organization"))?;
        Ok(Organization {
            id: OrgId(parse("org id", &id_s)?),
            name,
            created_at: utc(created_at),
        })
    }

    fn create_team(&self, team: &Team, audit: &AuditRecord) -> Result<Team, StoreError> {
        self.create_team_audited(team, Some(audit))
    }

    fn teams(&self, org: OrgId) -> Result<Vec<Team>, StoreError> {
        teams::table
            .filter(teams::org_id.eq(org.to_string()))
            .order(teams::name.asc())
            .load::<TeamRow>(&mut *self.db.conn()?)
            .map_err(map("team"))?
            .into_iter()
            .map(TeamRow::into_team)
            .collect()
    }

    fn add_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: UserId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        self.add_team_member_audited(org, team, user, Some(audit))
    }

    fn remove_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: UserId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let (org, team, user) = (org.to_string(), team.to_string(), user.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let team_exists: bool = diesel::select(diesel::dsl::exists(
                teams::table
                    .filter(teams::org_id.eq(&org))
                    .filter(teams::id.eq(&team)),
            ))
            .get_result(conn)?;
            if !team_exists {
                return Err(StoreError::NotFound("team").into());
            }
            let removed = diesel::delete(
                team_members::table
                    .filter(team_members::org_id.eq(&org))
                    .filter(team_members::team_id.eq(&team))
                    .filter(team_members::user_id.eq(&user)),
            )
            .execute(conn)?;
            if removed == 0 {
                return Err(StoreError::NotFound("team member").into());
            }
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("team"))
    }

    fn create_role(&self, org: OrgId, role: &Role, audit: &AuditRecord) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let grants = serde_json::to_string(&role.grants)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            diesel::insert_into(roles::table)
                .values((
                    roles::org_id.eq(org.to_string()),
                    roles::id.eq(uuid::Uuid::now_v7().to_string()),
                    roles::name.eq(&role.name),
                    roles::grants.eq(&grants),
                    roles::created_at.eq(db(audit.at)),
                ))
                .execute(conn)?;
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))
    }

    fn update_role(&self, org: OrgId, role: &Role, audit: &AuditRecord) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let grants = serde_json::to_string(&role.grants)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let changed = diesel::update(
                roles::table
                    .filter(roles::org_id.eq(org.to_string()))
                    .filter(roles::name.eq(&role.name)),
            )
            .set(roles::grants.eq(&grants))
            .execute(conn)?;
            if changed == 0 {
                return Err(StoreError::NotFound("role").into());
            }
            crate::audit::append(conn, audit)?;
            Ok(())
        })
        .map_err(|e| e.into_store("role"))
    }

    fn delete_role(
        &self,
        org: OrgId,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<RoleDeletion, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let org = org.to_string();
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            // The lock every user write that grants a custom role takes first (accounts.rs,
            // `check_granted_roles`): no grant slips in between the count and the delete.
            crate::counters::next(conn, &org, "admin_guard")?;
            let exists: bool = diesel::select(diesel::dsl::exists(
                roles::table
                    .filter(roles::org_id.eq(&org))
                    .filter(roles::name.eq(name)),
            ))
            .get_result(conn)?;
            if !exists {
                return Err(StoreError::NotFound("role").into());
            }
            let holders = role_holders(conn, &org, name)?;
            if holders > 0 {
                return Ok(RoleDeletion::InUse { holders });
            }
            diesel::delete(
                roles::table
                    .filter(roles::org_id.eq(&org))
                    .filter(roles::name.eq(name)),
            )
            .execute(conn)?;
            crate::audit::append(conn, audit)?;
            Ok(RoleDeletion::Deleted)
        })
        .map_err(|e| e.into_store("role"))
    }

    fn roles(&self, org: OrgId) -> Result<Vec<Role>, StoreError> {
        self.caches.roles(org, || self.load_roles(org))
    }
}

impl Store {
    fn load_roles(&self, org: OrgId) -> Result<Vec<Role>, StoreError> {
        roles::table
            .filter(roles::org_id.eq(org.to_string()))
            .order(roles::name.asc())
            .select((roles::name, roles::grants))
            .load::<(String, String)>(&mut *self.db.conn()?)
            .map_err(map("role"))?
            .into_iter()
            .map(|(name, grants)| {
                let grants: Vec<Grant> =
                    serde_json::from_str(&grants).map_err(|_| corrupt("role grants", &grants))?;
                Ok(Role {
                    name,
                    builtin: false,
                    grants,
                })
            })
            .collect()
    }
}
