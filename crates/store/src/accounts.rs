//! `AccountStore`: users with credentials and second factor.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use servicedesk_core::entities::Organization;
use servicedesk_core::entities::User;
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{Account, AccountStore, MfaState, StoreError, WriteSet};

use crate::Store;
use crate::db::DbConn;
use crate::error::{TxError, corrupt, map, stale_or_missing};
use crate::rows::{USER_COLUMNS, UserRow};
use crate::schema::{
    delegations, notification_preferences, organizations, roles, team_members, user_tokens, users,
};
use crate::time::{db, db_opt, utc};
use crate::writes::persist;

#[derive(Queryable)]
struct CredentialRow {
    platform_admin: bool,
    password_hash: Option<String>,
    email_verified_at: Option<NaiveDateTime>,
    mfa_secret_enc: Option<String>,
    mfa_enabled: bool,
    recovery_codes: Option<String>,
    version: i64,
}

type CredentialColumns = (
    users::platform_admin,
    users::password_hash,
    users::email_verified_at,
    users::mfa_secret_enc,
    users::mfa_enabled,
    users::recovery_codes,
    users::version,
);

const CREDENTIAL_COLUMNS: CredentialColumns = (
    users::platform_admin,
    users::password_hash,
    users::email_verified_at,
    users::mfa_secret_enc,
    users::mfa_enabled,
    users::recovery_codes,
    users::version,
);

fn load_account<F>(conn: &mut DbConn, filter: F) -> Result<Account, StoreError>
where
    F: FnOnce(
        users::BoxedQuery<'static, crate::db::MultiBackend>,
    ) -> users::BoxedQuery<'static, crate::db::MultiBackend>,
{
    let (user_row, cred): (UserRow, CredentialRow) = filter(users::table.into_boxed())
        .select((USER_COLUMNS, CREDENTIAL_COLUMNS))
        .first(conn)
        .map_err(map("user"))?;
    let teams = crate::directory::team_ids_of(conn, &user_row.org_id, &user_row.id)?;
    let user = user_row.into_user(teams)?;
    let recovery_codes = match cred.recovery_codes.as_deref() {
        None => Vec::new(),
        Some(text) => serde_json::from_str(text).map_err(|_| corrupt("recovery codes", text))?,
    };
    Ok(Account {
        user,
        platform_admin: cred.platform_admin,
        password_hash: cred.password_hash,
        email_verified_at: cred.email_verified_at.map(utc),
        mfa: MfaState {
            secret_sealed: cred.mfa_secret_enc,
            enabled: cred.mfa_enabled,
            recovery_codes,
        },
        version: cred.version,
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, TxError> {
    serde_json::to_string(value).map_err(|e| TxError::Store(StoreError::Unavailable(e.to_string())))
}

/// Whether a stored `roles` JSON list names the built-in admin role.
fn names_admin(roles: &str) -> bool {
    serde_json::from_str::<Vec<String>>(roles).is_ok_and(|r| r.iter().any(|n| n == "admin"))
}

/// Refuses an update that would leave organization `org` without an active admin, or the
/// installation without an active platform admin.
///
/// Runs first in the update's transaction. Its first statement takes the organization's
/// `admin_guard` counter row (a write: PostgreSQL's row lock, SQLite's write lock), so of
/// two concurrent updates in one organization the second waits for the first to commit and
/// then counts what it left. Taking the last platform admin away additionally locks the rows
/// of every platform admin (a no-op update) before counting the others, which serializes
/// demotions across organizations.
fn guard_last_admins(
    conn: &mut DbConn,
    org: &str,
    id: &str,
    after: &Account,
) -> Result<(), TxError> {
    crate::counters::next(conn, org, "admin_guard")?;
    let Some((roles, active, platform_admin)) = users::table
        .filter(users::org_id.eq(org))
        .filter(users::id.eq(id))
        .select((users::roles, users::active, users::platform_admin))
        .first::<(String, bool, bool)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let stays_admin = after.user.active && after.user.roles.iter().any(|r| r == "admin");
    if active && names_admin(&roles) && !stays_admin {
        let others: Vec<String> = users::table
            .filter(users::org_id.eq(org))
            .filter(users::id.ne(id))
            .filter(users::active.eq(true))
            .filter(users::roles.like("%\"admin\"%"))
            .select(users::roles)
            .load(conn)?;
        if !others.iter().any(|r| names_admin(r)) {
            return Err(StoreError::Refused(
                "the last active admin of the organization cannot be demoted or deactivated".into(),
            )
            .into());
        }
    }
    if active && platform_admin && !(after.user.active && after.platform_admin) {
        // A no-op update: its only effect is the row locks on every platform admin.
        diesel::update(users::table.filter(users::platform_admin.eq(true)))
            .set(users::platform_admin.eq(true))
            .execute(conn)?;
        let others: i64 = users::table
            .filter(users::id.ne(id))
            .filter(users::platform_admin.eq(true))
            .filter(users::active.eq(true))
            .select(count_star())
            .first(conn)?;
        if others == 0 {
            return Err(StoreError::Refused(
                "the last active platform admin cannot be demoted or deactivated".into(),
            )
            .into());
        }
    }
    Ok(())
}

/// Whether `name` is one of the built-in roles every organization has.
fn is_builtin(name: &str) -> bool {
    name.parse::<servicedesk_rbac::BuiltinRole>().is_ok()
}

/// Refuses the roles of `after` that the account does not hold already (`before`) and that
/// are neither built in nor custom roles of `org` (`NotFound("role")`).
///
/// Runs after the organization's `admin_guard` counter row is taken, a lock role deletions
/// take too (`AdminStore::delete_role`): a deletion that committed first is seen here, and a
/// deletion waiting for the lock counts this grant once it commits.
fn check_granted_roles(
    conn: &mut DbConn,
    org: &str,
    before: &[String],
    after: &[String],
) -> Result<(), TxError> {
    for name in after {
        if is_builtin(name) || before.contains(name) {
            continue;
        }
        let exists: bool = diesel::select(diesel::dsl::exists(
            roles::table
                .filter(roles::org_id.eq(org))
                .filter(roles::name.eq(name)),
        ))
        .get_result(conn)?;
        if !exists {
            return Err(StoreError::NotFound("role").into());
        }
    }
    Ok(())
}

impl AccountStore for Store {
    fn user_count(&self) -> Result<u64, StoreError> {
        let n: i64 = users::table
            .select(count_star())
            .first(&mut *self.db.conn()?)
            .map_err(map("user"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn find_by_email(&self, email: &str) -> Result<Account, StoreError> {
        let email = email.to_owned();
        load_account(&mut *self.db.conn()?, move |q| {
            q.filter(users::email.eq(email))
        })
    }

    fn account(&self, org: OrgId, user: UserId) -> Result<Account, StoreError> {
        self.caches.account(org, user, || {
            let (org, user) = (org.to_string(), user.to_string());
            load_account(&mut *self.db.conn()?, move |q| {
                q.filter(users::org_id.eq(org)).filter(users::id.eq(user))
            })
        })
    }

    fn create_account(&self, account: &Account, write: &WriteSet) -> Result<Account, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let u = &account.user;
        let (org, id) = (u.org_id.to_string(), u.id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            if !u.roles.iter().all(|r| is_builtin(r)) {
                // The lock a role deletion takes: see `check_granted_roles`.
                crate::counters::next(conn, &org, "admin_guard")?;
                check_granted_roles(conn, &org, &[], &u.roles)?;
            }
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(&id),
                    users::org_id.eq(&org),
                    users::email.eq(&u.email),
                    users::name.eq(&u.name),
                    users::roles.eq(encode(&u.roles)?),
                    users::active.eq(u.active),
                    users::manager_id.eq(u.manager_id.map(|m| m.to_string())),
                    users::time_zone.eq(&u.time_zone),
                    users::platform_admin.eq(account.platform_admin),
                    users::password_hash.eq(&account.password_hash),
                    users::email_verified_at.eq(db_opt(account.email_verified_at)),
                    users::mfa_secret_enc.eq(&account.mfa.secret_sealed),
                    users::mfa_enabled.eq(account.mfa.enabled),
                    users::recovery_codes.eq(encode(&account.mfa.recovery_codes)?),
                    users::version.eq(1),
                    users::created_at.eq(db(u.created_at)),
                    users::updated_at.eq(db(u.created_at)),
                ))
                .execute(conn)?;
            for team in &u.team_ids {
                diesel::insert_into(team_members::table)
                    .values((
                        team_members::org_id.eq(&org),
                        team_members::team_id.eq(team.to_string()),
                        team_members::user_id.eq(&id),
                    ))
                    .execute(conn)?;
            }
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("organization"))?;
        self.account(u.org_id, u.id)
    }

    fn update_account(
        &self,
        account: &Account,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Account, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let u = &account.user;
        let (org, id) = (u.org_id.to_string(), u.id.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            guard_last_admins(conn, &org, &id, account)?;
            // `guard_last_admins` took the `admin_guard` lock: see `check_granted_roles`.
            if !u.roles.iter().all(|r| is_builtin(r)) {
                let stored: Option<String> = users::table
                    .filter(users::org_id.eq(&org))
                    .filter(users::id.eq(&id))
                    .select(users::roles)
                    .first(conn)
                    .optional()?;
                let before: Vec<String> = stored
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default();
                check_granted_roles(conn, &org, &before, &u.roles)?;
            }
            let changed = diesel::update(
                users::table
                    .filter(users::org_id.eq(&org))
                    .filter(users::id.eq(&id))
                    .filter(users::version.eq(expected_version)),
            )
            .set((
                users::name.eq(&u.name),
                users::platform_admin.eq(account.platform_admin),
                users::roles.eq(encode(&u.roles)?),
                users::active.eq(u.active),
                users::manager_id.eq(u.manager_id.map(|m| m.to_string())),
                users::time_zone.eq(&u.time_zone),
                users::password_hash.eq(&account.password_hash),
                users::email_verified_at.eq(db_opt(account.email_verified_at)),
                users::mfa_secret_enc.eq(&account.mfa.secret_sealed),
                users::mfa_enabled.eq(account.mfa.enabled),
                users::recovery_codes.eq(encode(&account.mfa.recovery_codes)?),
                users::version.eq(expected_version + 1),
            ))
            .execute(conn)?;
            if changed == 0 {
                let current = users::table
                    .filter(users::org_id.eq(&org))
                    .filter(users::id.eq(&id))
                    .select(users::version)
                    .first::<i64>(conn)
                    .optional()?;
                return Err(stale_or_missing("user", current));
            }
            persist(self, conn, write)?;
            Ok(())
        })
        .map_err(|e| e.into_store("user"))?;
        self.account(u.org_id, u.id)
    }

    fn record_security_event(&self, write: &WriteSet) -> Result<(), StoreError> {
        let mut conn = self.db.conn()?;
        conn.transaction::<_, TxError, _>(|conn| persist(self, conn, write))
            .map_err(|e| e.into_store("user"))
    }

    fn purge_unverified(
        &self,
        created_before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let mut conn = self.db.conn()?;
        let stale = || {
            users::email_verified_at
                .is_null()
                .and(users::platform_admin.eq(false))
                .and(users::created_at.lt(db(created_before)))
        };
        let ids: Vec<String> = users::table
            .filter(stale())
            .select(users::id)
            .order(users::id)
            .limit(i64::from(limit))
            .load(&mut *conn)
            .map_err(map("user"))?;
        let mut purged = 0;
        for id in ids {
            // One account per transaction; one that gained references elsewhere in the
            // meantime (a foreign key refuses) is left alone.
            let gone = conn.transaction::<_, TxError, _>(|conn| {
                diesel::delete(user_tokens::table.filter(user_tokens::user_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(
                    notification_preferences::table
                        .filter(notification_preferences::user_id.eq(&id)),
                )
                .execute(conn)?;
                // Nobody can have counted on an account that never signed in.
                diesel::delete(
                    delegations::table.filter(
                        delegations::user_id
                            .eq(&id)
                            .or(delegations::delegate_id.eq(&id)),
                    ),
                )
                .execute(conn)?;
                diesel::delete(team_members::table.filter(team_members::user_id.eq(&id)))
                    .execute(conn)?;
                Ok(
                    diesel::delete(users::table.filter(users::id.eq(&id)).filter(stale()))
                        .execute(conn)?,
                )
            });
            match gone {
                Ok(n) => purged += u64::try_from(n).unwrap_or(0),
                Err(e) => tracing::warn!(user = %id, error = ?e, "unverified account not purged"),
            }
        }
        Ok(purged)
    }

    fn accept_totp_step(&self, org: OrgId, user: UserId, step: u64) -> Result<bool, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let step = i64::try_from(step)
            .map_err(|_| StoreError::Unavailable("TOTP step out of range".into()))?;
        let (org, user) = (org.to_string(), user.to_string());
        let mut conn = self.db.conn()?;
        let changed = diesel::update(
            users::table
                .filter(users::org_id.eq(&org))
                .filter(users::id.eq(&user))
                .filter(
                    users::mfa_last_step
                        .is_null()
                        .or(users::mfa_last_step.lt(step)),
                ),
        )
        .set(users::mfa_last_step.eq(step))
        .execute(&mut *conn)
        .map_err(map("user"))?;
        if changed == 1 {
            return Ok(true);
        }
        let exists: bool = diesel::select(diesel::dsl::exists(
            users::table
                .filter(users::org_id.eq(&org))
                .filter(users::id.eq(&user)),
        ))
        .get_result(&mut *conn)
        .map_err(map("user"))?;
        if exists {
            Ok(false)
        } else {
            Err(StoreError::NotFound("user"))
        }
    }

    fn list_users(
        &self,
        org: OrgId,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError> {
        let mut conn = self.db.conn()?;
        let org_s = org.to_string();
        let mut q = users::table.filter(users::org_id.eq(&org_s)).into_boxed();
        if let Some(after) = after {
            q = q.filter(users::id.gt(after.to_string()));
        }
        let rows = q
            .order(users::id.asc())
            .limit(i64::from(limit))
            .select(USER_COLUMNS)
            .load::<UserRow>(&mut *conn)
            .map_err(map("user"))?;
        rows.into_iter()
            .map(|row| {
                let teams = crate::directory::team_ids_of(&mut conn, &org_s, &row.id)?;
                row.into_user(teams)
            })
            .collect()
    }
}

impl Store {
    /// Every organization, by name.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    pub fn organizations(&self) -> Result<Vec<Organization>, StoreError> {
        organizations::table
            .order(organizations::name.asc())
            .select((
                organizations::id,
                organizations::name,
                organizations::created_at,
            ))
            .load::<(String, String, NaiveDateTime)>(&mut *self.db.conn()?)
            .map_err(map("organization"))?
            .into_iter()
            .map(|(id, name, created_at)| {
                Ok(Organization {
                    id: OrgId(crate::rows::parse("org id", &id)?),
                    name,
                    created_at: utc(created_at),
                })
            })
            .collect()
    }
}
