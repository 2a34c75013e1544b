//! `AttemptStore`: attempt counters of sign-in, MFA, reset and registration, and the record
//! of failed sign-ins (issue 9 points 4 and 5).
//!
//! Check-and-count is one transaction whose first statement is a write on every counter,
//! taken in key order: on SQLite that takes the database's write lock before anything is
//! read (no stale snapshot, the busy timeout applies); on PostgreSQL the no-op `UPDATE`
//! locks each row until commit, so concurrent attempts on one counter from any number of
//! server processes are serialised. The transaction never inserts: a counter that does not
//! exist yet aborts it, is created empty on its own (a concurrent creation is fine), and
//! the transaction runs again. (Inserting inside it could deadlock on PostgreSQL: the
//! primary-key check of an insert waits for a transaction that updated the same key.)

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{
    AttemptCounter, AttemptKey, AttemptStore, FailedLogin, Settle, StoreError,
};

use crate::Store;
use crate::db::DbConn;
use crate::error::TxError;
use crate::rows::parse;
use crate::schema::{auth_attempts, failed_logins};
use crate::time::{db, db_opt, utc};

/// How often a transaction that found a counter missing is retried after creating it.
const CREATE_RETRIES: usize = 3;

/// Aborts a check-and-count transaction that found counter `0` missing.
const MISSING: &str = "attempt counter";

type CounterRow = (i32, NaiveDateTime, Option<NaiveDateTime>);

fn counter(row: CounterRow) -> AttemptCounter {
    AttemptCounter {
        failures: u32::try_from(row.0).unwrap_or(0),
        window_started_at: utc(row.1),
        next_allowed_at: row.2.map(utc),
    }
}

/// Locks the counter `key` (a no-op write) and reads it.
fn lock(
    conn: &mut DbConn,
    key: &str,
    now: NaiveDateTime,
) -> Result<Option<AttemptCounter>, TxError> {
    let touched = diesel::update(auth_attempts::table.find(key))
        .set(auth_attempts::updated_at.eq(now))
        .execute(conn)?;
    if touched == 0 {
        return Ok(None);
    }
    let row = auth_attempts::table
        .find(key)
        .select((
            auth_attempts::failures,
            auth_attempts::window_started_at,
            auth_attempts::next_allowed_at,
        ))
        .first::<CounterRow>(conn)?;
    Ok(Some(counter(row)))
}

/// Stores counter `key` (which exists: [`lock`] found it).
fn write(
    conn: &mut DbConn,
    key: &str,
    c: &AttemptCounter,
    now: NaiveDateTime,
) -> Result<(), TxError> {
    diesel::update(auth_attempts::table.find(key))
        .set((
            auth_attempts::failures.eq(i32::try_from(c.failures).unwrap_or(i32::MAX)),
            auth_attempts::window_started_at.eq(db(c.window_started_at)),
            auth_attempts::next_allowed_at.eq(db_opt(c.next_allowed_at)),
            auth_attempts::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// `keys` in key order without repeats (a stable lock order rules out deadlocks).
fn ordered<T: Clone>(keys: &[T], name: impl Fn(&T) -> &str) -> Vec<T> {
    let mut v = keys.to_vec();
    v.sort_by(|a, b| name(a).cmp(name(b)));
    v.dedup_by(|a, b| name(a) == name(b));
    v
}

/// Creates counter `key` empty (no attempt counted) unless it exists.
fn create_empty(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> Result<(), StoreError> {
    match diesel::insert_into(auth_attempts::table)
        .values((
            auth_attempts::key.eq(key),
            auth_attempts::failures.eq(0),
            auth_attempts::window_started_at.eq(now),
            auth_attempts::next_allowed_at.eq(None::<NaiveDateTime>),
            auth_attempts::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(crate::error::map(MISSING))
    {
        Ok(_) | Err(StoreError::Duplicate { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

impl AttemptStore for Store {
    fn attempt(&self, keys: &[AttemptKey], now: DateTime<Utc>) -> Result<Option<u64>, StoreError> {
        let keys = ordered(keys, |k| k.key.as_str());
        let at = db(now);
        let mut pooled = self.db.conn()?;
        let conn: &mut DbConn = &mut pooled;
        for tries in 0.. {
            let mut missing: Vec<&str> = Vec::new();
            let outcome = conn.transaction::<_, TxError, _>(|conn| {
                let mut read = Vec::with_capacity(keys.len());
                for k in &keys {
                    match lock(conn, &k.key, at)? {
                        Some(c) => read.push(c),
                        None => missing.push(&k.key),
                    }
                }
                if !missing.is_empty() {
                    return Err(TxError::Store(StoreError::NotFound(MISSING)));
                }
                let refusal = keys
                    .iter()
                    .zip(&read)
                    .filter_map(|(k, c)| k.policy.refusal(Some(c), now))
                    .max();
                if refusal.is_some() {
                    return Ok(refusal);
                }
                for (k, c) in keys.iter().zip(&read) {
                    write(conn, &k.key, &k.policy.count(Some(c), now), at)?;
                }
                Ok(None)
            });
            match outcome.map_err(|e| e.into_store(MISSING)) {
                Err(StoreError::NotFound(MISSING)) if tries < CREATE_RETRIES => {
                    for key in missing {
                        create_empty(conn, key, at)?;
                    }
                }
                other => return other,
            }
        }
        Err(StoreError::Unavailable(
            "attempt counters kept vanishing".into(),
        ))
    }

    fn settle(&self, keys: &[(AttemptKey, Settle)], now: DateTime<Utc>) -> Result<(), StoreError> {
        let keys = ordered(keys, |(k, _)| k.key.as_str());
        let at = db(now);
        let mut conn = self.db.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            for (k, settle) in &keys {
                let Some(c) = lock(conn, &k.key, at)? else {
                    continue;
                };
                match settle {
                    Settle::Reset => {
                        diesel::delete(auth_attempts::table.find(&k.key)).execute(conn)?;
                    }
                    Settle::Refund => write(conn, &k.key, &k.policy.refund(&c, now), at)?,
                }
            }
            Ok(())
        })
        .map_err(|e| e.into_store(MISSING))
    }

    fn record_failed_login(&self, f: &FailedLogin) -> Result<(), StoreError> {
        diesel::insert_into(failed_logins::table)
            .values((
                failed_logins::id.eq(f.id.to_string()),
                failed_logins::org_id.eq(f.org_id.to_string()),
                failed_logins::user_id.eq(f.user_id.to_string()),
                failed_logins::email.eq(&f.email),
                failed_logins::client.eq(&f.client),
                failed_logins::reason.eq(&f.reason),
                failed_logins::at.eq(db(f.at)),
            ))
            .execute(&mut *self.db.conn()?)
            .map_err(crate::error::map("failed login"))?;
        Ok(())
    }

    fn failed_logins(
        &self,
        org: OrgId,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<FailedLogin>, StoreError> {
        let mut q = failed_logins::table
            .filter(failed_logins::org_id.eq(org.to_string()))
            .order(failed_logins::id.desc())
            .limit(i64::from(limit))
            .into_boxed();
        if let Some(before) = before {
            q = q.filter(failed_logins::id.lt(before.to_string()));
        }
        let rows = q
            .select((
                failed_logins::id,
                failed_logins::user_id,
                failed_logins::email,
                failed_logins::client,
                failed_logins::reason,
                failed_logins::at,
            ))
            .load::<(String, String, String, String, String, NaiveDateTime)>(&mut *self.db.conn()?)
            .map_err(crate::error::map("failed login"))?;
        rows.into_iter()
            .map(|(id, user, email, client, reason, at)| {
                Ok(FailedLogin {
                    id: parse("failed login id", &id)?,
                    org_id: org,
                    user_id: UserId(parse("user id", &user)?),
                    email,
                    client,
                    reason,
                    at: utc(at),
                })
            })
            .collect()
    }

    fn prune_attempts(
        &self,
        stale_before: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut conn = self.db.conn()?;
        let stale = db(stale_before);
        let counters = diesel::delete(
            auth_attempts::table
                .filter(auth_attempts::window_started_at.lt(stale))
                .filter(
                    auth_attempts::next_allowed_at
                        .is_null()
                        .or(auth_attempts::next_allowed_at.lt(stale)),
                ),
        )
        .execute(&mut *conn)
        .map_err(crate::error::map("attempt counter"))?;
        let failures =
            diesel::delete(failed_logins::table.filter(failed_logins::at.lt(db(forget_before))))
                .execute(&mut *conn)
                .map_err(crate::error::map("failed login"))?;
        Ok(u64::try_from(counters + failures).unwrap_or(u64::MAX))
    }
}
