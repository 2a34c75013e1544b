//! Users, teams and organizations: the `Directory` port and the administration writes the
//! HTTP layer will reach through its own ports.

use diesel::prelude::*;
use servicedesk_core::entities::{Organization, Team, User};
use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{OrgId, TeamId, UserId};
use servicedesk_core::ports::{Directory, StoreError};

use crate::Store;
use crate::db::DbConn;
use crate::error::{TxError, map};
use crate::rows::{TeamRow, USER_COLUMNS, UserRow, parse};
use crate::schema::{organizations, team_members, teams, users};
use crate::time::db;

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow {
    id: String,
    org_id: String,
    email: String,
    name: String,
    roles: String,
    active: bool,
    manager_id: Option<String>,
    time_zone: Option<String>,
    platform_admin: bool,
    version: i64,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// The teams `user` of `org` belongs to, by id.
pub(crate) fn team_ids_of(
    conn: &mut DbConn,
    org: &str,
    user: &str,
) -> Result<Vec<TeamId>, StoreError> {
    team_members::table
        .filter(team_members::org_id.eq(org))
        .filter(team_members::user_id.eq(user))
        .order(team_members::team_id.asc())
        .select(team_members::team_id)
        .load::<String>(conn)
        .map_err(map("team"))?
        .iter()
        .map(|t| parse("team id", t).map(TeamId))
        .collect()
}

pub(crate) fn user_in_org(conn: &mut DbConn, org: &str, user: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::org_id.eq(org))
            .filter(users::id.eq(user)),
    ))
    .get_result(conn)
}

/// Inserts the membership unless it exists; `true` when it was inserted.
///
/// One statement that skips an existing row: a check followed by an insert lets two
/// concurrent adds of the same membership on PostgreSQL both see "absent", and the later
/// one then failed on the primary key instead of being the no-op it is.
fn insert_membership(
    conn: &mut DbConn,
    org: &str,
    team: &str,
    user: &str,
) -> Result<bool, TxError> {
    use diesel::sql_types::Text;
    if !user_in_org(conn, org, user)? {
        return Err(TxError::Store(StoreError::NotFound("user")));
    }
    let inserted = match conn {
        DbConn::Postgresql(c) => diesel::sql_query(
            "INSERT INTO team_members (org_id, team_id, user_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(org)
        .bind::<Text, _>(team)
        .bind::<Text, _>(user)
        .execute(c),
        // OR IGNORE skips key conflicts only; a foreign key violation still fails.
        DbConn::Sqlite(c) => diesel::sql_query(
            "INSERT OR IGNORE INTO team_members (org_id, team_id, user_id) VALUES (?, ?, ?)",
        )
        .bind::<Text, _>(org)
        .bind::<Text, _>(team)
        .bind::<Text, _>(user)
        .execute(c),
    }
    .map_err(|e| match e {
        // The (org, team) foreign key: no such team in this organization.
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        ) => TxError::Store(StoreError::NotFound("team")),
        other => TxError::Diesel(other),
    })?;
    Ok(inserted == 1)
}

impl Store {
    /// Creates an organization.
    ///
    /// # Errors
    /// `Duplicate{field:"name"}` when the name is taken.
    pub fn create_organization(&self, org: &Organization) -> Result<Organization, StoreError> {
        self.create_organization_audited(org, None)
    }

    /// [`Store::create_organization`] with an audit record in the same transaction.
    pub(crate) fn create_organization_audited(
        &self,
        org: &Organization,
        audit: Option<&AuditRecord>,
    ) -> Result<Organization, StoreError> {
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            diesel::insert_into(organizations::table)
                .values((
                    organizations::id.eq(org.id.to_string()),
                    organizations::name.eq(&org.name),
                    organizations::settings.eq("{}"),
                    organizations::created_at.eq(db(org.created_at)),
                ))
                .execute(conn)?;
            if let Some(audit) = audit {
                crate::audit::append(conn, audit)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))?;
        Ok(Organization {
            created_at: crate::time::utc(db(org.created_at)),
            ..org.clone()
        })
    }

    /// Creates a user with its team memberships.
    ///
    /// # Errors
    /// `Duplicate{field:"email"}` when the address is taken; `NotFound` when the
    /// organization or a team does not exist (in that organization).
    pub fn create_user(&self, user: &User) -> Result<User, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let mut conn = self.db.conn()?;
        let org = user.org_id.to_string();
        let id = user.id.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            let roles = serde_json::to_string(&user.roles)
                .map_err(|e| TxError::Store(StoreError::Unavailable(e.to_string())))?;
            diesel::insert_into(users::table)
                .values(NewUserRow {
                    id: id.clone(),
                    org_id: org.clone(),
                    email: user.email.clone(),
                    name: user.name.clone(),
                    roles,
                    active: user.active,
                    manager_id: user.manager_id.map(|m| m.to_string()),
                    time_zone: user.time_zone.clone(),
                    platform_admin: false,
                    version: 1,
                    created_at: db(user.created_at),
                    updated_at: db(user.created_at),
                })
                .execute(conn)?;
            for team in &user.team_ids {
                insert_membership(conn, &org, &team.to_string(), &id)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))?;
        self.user(user.org_id, user.id)
    }

    /// Creates a team.
    ///
    /// # Errors
    /// `Duplicate{field:"name"}` when the organization has a team of that name; `NotFound`
    /// when the organization or the manager does not exist (in that organization).
    pub fn create_team(&self, team: &Team) -> Result<Team, StoreError> {
        self.create_team_audited(team, None)
    }

    /// [`Store::create_team`] with an audit record in the same transaction.
    pub(crate) fn create_team_audited(
        &self,
        team: &Team,
        audit: Option<&AuditRecord>,
    ) -> Result<Team, StoreError> {
        let mut conn = self.db.conn()?;
        let org = team.org_id.to_string();
        crate::db::write_tx(&mut conn, |conn| {
            if let Some(manager) = team.manager_id
                && !user_in_org(conn, &org, &manager.to_string())?
            {
                return Err(TxError::Store(StoreError::NotFound("user")));
            }
            diesel::insert_into(teams::table)
                .values(TeamRow::from_team(team))
                .execute(conn)?;
            if let Some(audit) = audit {
                crate::audit::append(conn, audit)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))?;
        self.team(team.org_id, team.id)
    }

    /// Adds `user` to `team` (no-op when already a member).
    ///
    /// # Errors
    /// `NotFound` when the team or the user is not in `org`.
    pub fn add_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: UserId,
    ) -> Result<(), StoreError> {
        self.add_team_member_audited(org, team, user, None)
    }

    /// [`Store::add_team_member`] with an audit record in the same transaction, appended
    /// only when the membership is new.
    pub(crate) fn add_team_member_audited(
        &self,
        org: OrgId,
        team: TeamId,
        user: UserId,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let added =
                insert_membership(conn, &org.to_string(), &team.to_string(), &user.to_string())?;
            if added && let Some(audit) = audit {
                crate::audit::append(conn, audit)?;
            }
            Ok(())
        })
        .map_err(|e| e.into_store("team"))
    }
}

impl Directory for Store {
    fn custom_roles(&self, org: OrgId) -> Result<Vec<servicedesk_core::rbac::Role>, StoreError> {
        servicedesk_core::ports::AdminStore::roles(self, org)
    }

    fn user(&self, org: OrgId, id: UserId) -> Result<User, StoreError> {
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let id_s = id.to_string();
        let row = users::table
            .filter(users::org_id.eq(&org_s))
            .filter(users::id.eq(&id_s))
            .select(USER_COLUMNS)
            .first::<UserRow>(&mut *conn)
            .map_err(map("user"))?;
        let teams = team_ids_of(&mut conn, &org_s, &id_s)?;
        row.into_user(teams)
    }

    fn team(&self, org: OrgId, id: TeamId) -> Result<Team, StoreError> {
        teams::table
            .filter(teams::org_id.eq(org.to_string()))
            .filter(teams::id.eq(id.to_string()))
            .first::<TeamRow>(&mut *self.db.conn()?)
            .map_err(map("team"))?
            .into_team()
    }

    fn team_members(&self, org: OrgId, id: TeamId) -> Result<Vec<UserId>, StoreError> {
        team_members::table
            .filter(team_members::org_id.eq(org.to_string()))
            .filter(team_members::team_id.eq(id.to_string()))
            .order(team_members::user_id.asc())
            .select(team_members::user_id)
            .load::<String>(&mut *self.db.conn()?)
            .map_err(map("team"))?
            .iter()
            .map(|u| parse("user id", u).map(UserId))
            .collect()
    }
}
