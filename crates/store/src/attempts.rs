//! `AttemptStore`: attempt counters of sign-in, MFA, reset and registration, and the record
//! of failed sign-ins (issue 9 points 4 and 5).
//!
//! Check-and-count is one transaction whose first statement is a write on every counter,
//! taken in key order: on SQLite that takes the database's write lock before anything is
//! read (no stale snapshot, the busy timeout applies); on PostgreSQL the no-op `UPDATE`
//! locks each existing row until commit, so concurrent attempts on one counter from any
//! number of server processes are serialised. A counter two transactions create at once
//! makes one of them fail on the primary key; it is retried and then finds the row.

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

/// How often a transaction that lost the race to create a counter is retried.
const CREATE_RETRIES: usize = 3;

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

fn write(
    conn: &mut DbConn,
    key: &str,
    existed: bool,
    c: &AttemptCounter,
    now: NaiveDateTime,
) -> Result<(), TxError> {
    let failures = i32::try_from(c.failures).unwrap_or(i32::MAX);
    if existed {
        diesel::update(auth_attempts::table.find(key))
            .set((
                auth_attempts::failures.eq(failures),
                auth_attempts::window_started_at.eq(db(c.window_started_at)),
                auth_attempts::next_allowed_at.eq(db_opt(c.next_allowed_at)),
                auth_attempts::updated_at.eq(now),
            ))
            .execute(conn)?;
    } else {
        diesel::insert_into(auth_attempts::table)
            .values((
                auth_attempts::key.eq(key),
                auth_attempts::failures.eq(failures),
                auth_attempts::window_started_at.eq(db(c.window_started_at)),
                auth_attempts::next_allowed_at.eq(db_opt(c.next_allowed_at)),
                auth_attempts::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// `keys` in key order without repeats (a stable lock order rules out deadlocks).
fn ordered<T: Clone>(keys: &[T], name: impl Fn(&T) -> &str) -> Vec<T> {
    let mut v = keys.to_vec();
    v.sort_by(|a, b| name(a).cmp(name(b)));
    v.dedup_by(|a, b| name(a) == name(b));
    v
}

impl Store {
    fn retrying<T>(
        &self,
        mut tx: impl FnMut(&mut DbConn) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        let mut pooled = self.db.conn()?;
        let conn: &mut DbConn = &mut pooled;
        let mut tries = 0;
        loop {
            match conn
                .transaction::<_, TxError, _>(|c| tx(c))
                .map_err(|e| e.into_store("attempt counter"))
            {
                Err(StoreError::Duplicate { .. }) if tries < CREATE_RETRIES => tries += 1,
                other => return other,
            }
        }
    }
}

impl AttemptStore for Store {
    fn attempt(&self, keys: &[AttemptKey], now: DateTime<Utc>) -> Result<Option<u64>, StoreError> {
        let keys = ordered(keys, |k| k.key.as_str());
        let at = db(now);
        self.retrying(|conn| {
            let mut read = Vec::with_capacity(keys.len());
            for k in &keys {
                read.push(lock(conn, &k.key, at)?);
            }
            let refusal = keys
                .iter()
                .zip(&read)
                .filter_map(|(k, c)| k.policy.refusal(c.as_ref(), now))
                .max();
            if refusal.is_some() {
                return Ok(refusal);
            }
            for (k, c) in keys.iter().zip(&read) {
                let next = k.policy.count(c.as_ref(), now);
                write(conn, &k.key, c.is_some(), &next, at)?;
            }
            Ok(None)
        })
    }

    fn settle(&self, keys: &[(AttemptKey, Settle)], now: DateTime<Utc>) -> Result<(), StoreError> {
        let keys = ordered(keys, |(k, _)| k.key.as_str());
        let at = db(now);
        self.retrying(|conn| {
            for (k, settle) in &keys {
                let Some(c) = lock(conn, &k.key, at)? else {
                    continue;
                };
                match settle {
                    Settle::Reset => {
                        diesel::delete(auth_attempts::table.find(&k.key)).execute(conn)?;
                    }
                    Settle::Refund => write(conn, &k.key, true, &k.policy.refund(&c, now), at)?,
                }
            }
            Ok(())
        })
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
