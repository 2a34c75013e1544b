//! The outbox: claiming with a lease, completing, failing with retry or dead letter.
//! Claiming is the one dialect difference: PostgreSQL skips rows another process has
//! locked (`FOR UPDATE SKIP LOCKED`); SQLite has a single writer, so the claiming UPDATE is
//! already exclusive.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use servicedesk_core::events::DomainEvent;
use servicedesk_core::ids::EventId;
use servicedesk_core::ports::{Outbox, OutboxMessage, StoreError};

use crate::Store;
use crate::db::DbConn;
use crate::error::{corrupt, map};
use crate::schema::outbox;
use crate::time::{db, utc};

#[derive(QueryableByName)]
#[diesel(table_name = outbox)]
struct ClaimedRow {
    payload: String,
    attempts: i32,
    available_at: NaiveDateTime,
}

const CLAIM_PG: &str = "UPDATE outbox SET lease_until = $1 WHERE id IN ( \
     SELECT id FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND available_at <= $2 \
     AND (lease_until IS NULL OR lease_until <= $2) ORDER BY available_at, id LIMIT $3 \
     FOR UPDATE SKIP LOCKED) \
     AND (lease_until IS NULL OR lease_until <= $2) \
     RETURNING payload, attempts, available_at";

const CLAIM_SQLITE: &str = "UPDATE outbox SET lease_until = ?1 WHERE id IN ( \
     SELECT id FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL AND available_at <= ?2 \
     AND (lease_until IS NULL OR lease_until <= ?2) ORDER BY available_at, id LIMIT ?3) \
     RETURNING payload, attempts, available_at";

/// Event kinds whose payload holds a secret (a mailed token); their outbox messages and
/// deliveries are scrubbed once delivered or dead.
pub(crate) const SECRET_KINDS: [&str; 2] = [
    "user.email_verification_requested",
    "user.password_reset_requested",
];

/// Messages [`Outbox::complete_all`] marks per statement.
const COMPLETE_CHUNK: usize = 500;

/// What a delivered secret-bearing payload becomes.
pub(crate) const REDACTED: &str = "{\"redacted\":true}";

impl Outbox for Store {
    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError> {
        let mut conn = self.db.conn()?;
        let (lease, now, limit) = (db(lease_until), db(now), i64::from(limit));
        // What the claim wrote, as read back: the value `complete` and `fail` compare with.
        let lease_until = utc(lease);
        let rows: Vec<ClaimedRow> = match &mut *conn {
            DbConn::Postgresql(c) => diesel::sql_query(CLAIM_PG)
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(c),
            DbConn::Sqlite(c) => diesel::sql_query(CLAIM_SQLITE)
                .bind::<Timestamp, _>(lease)
                .bind::<Timestamp, _>(now)
                .bind::<BigInt, _>(limit)
                .load(c),
        }
        .map_err(map("outbox message"))?;
        let mut messages = rows
            .into_iter()
            .map(|r| {
                let event: DomainEvent = serde_json::from_str(&r.payload)
                    .map_err(|_| corrupt("outbox payload", &r.payload))?;
                Ok(OutboxMessage {
                    event,
                    attempts: u32::try_from(r.attempts).unwrap_or(0),
                    available_at: utc(r.available_at),
                    lease_until,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING does not keep the subquery's order.
        messages.sort_by_key(|m| (m.available_at, m.event.id));
        Ok(messages)
    }

    fn complete(
        &self,
        id: EventId,
        lease_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One message is a batch of one: the same lease check, mark and scrub.
        if self.complete_all(&[id], lease_until, at)? == 1 {
            return Ok(true);
        }
        lost_or_missing(&mut *self.db.conn()?, &id.to_string())
            .map_err(|e| e.into_store("outbox message"))
    }

    fn complete_all(
        &self,
        ids: &[EventId],
        lease_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let mut done = Vec::with_capacity(ids.len());
            // Bounded chunks: SQLite takes at most 32,766 parameters a statement.
            for chunk in ids.chunks(COMPLETE_CHUNK) {
                let marked: Vec<String> = crate::db::native!(&mut *conn, |c| diesel::update(
                    outbox::table
                        .filter(outbox::id.eq_any(chunk))
                        .filter(outbox::lease_until.eq(db(lease_until)))
                        .filter(outbox::delivered_at.is_null())
                        .filter(outbox::dead_at.is_null()),
                )
                .set((
                    outbox::delivered_at.eq(db(at)),
                    outbox::lease_until.eq(None::<NaiveDateTime>),
                ))
                .returning(outbox::id)
                .get_results(c))?;
                done.extend(marked);
            }
            // Only the messages this call marked: another claimer's are not ours to scrub.
            for chunk in done.chunks(COMPLETE_CHUNK) {
                crate::db::native!(&mut *conn, |c| diesel::update(
                    outbox::table
                        .filter(outbox::id.eq_any(chunk))
                        .filter(outbox::kind.eq_any(SECRET_KINDS)),
                )
                .set(outbox::payload.eq(REDACTED))
                .execute(c))?;
            }
            Ok(u32::try_from(done.len()).unwrap_or(u32::MAX))
        })
        .map_err(|e| e.into_store("outbox message"))
    }

    fn fail(
        &self,
        id: EventId,
        lease_until: DateTime<Utc>,
        error: &str,
        at: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        dead: bool,
    ) -> Result<bool, StoreError> {
        let id = id.to_string();
        let dead_at = dead.then(|| db(at));
        let error: String = error.chars().take(1000).collect();
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let changed = diesel::update(
                outbox::table
                    .filter(outbox::id.eq(&id))
                    .filter(outbox::lease_until.eq(db(lease_until)))
                    .filter(outbox::delivered_at.is_null())
                    .filter(outbox::dead_at.is_null()),
            )
            .set((
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(&error),
                outbox::available_at.eq(db(retry_at)),
                outbox::lease_until.eq(None::<NaiveDateTime>),
                outbox::dead_at.eq(dead_at),
            ))
            .execute(conn)?;
            if changed == 0 {
                return lost_or_missing(conn, &id);
            }
            // A dead letter is never sent: its single-use token has no use left.
            if dead {
                redact_secret(conn, &id)?;
            }
            Ok(true)
        })
        .map_err(|e| e.into_store("outbox message"))
    }
}

/// Nothing was settled: the lease passed to another claimer (or the message was settled
/// already), which is `false`; or there is no such message.
fn lost_or_missing(conn: &mut crate::db::DbConn, id: &str) -> Result<bool, crate::error::TxError> {
    let exists: i64 = outbox::table
        .filter(outbox::id.eq(id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        Err(StoreError::NotFound("outbox message").into())
    } else {
        Ok(false)
    }
}

/// Replaces the payload of a token-bearing account mail.
fn redact_secret(conn: &mut crate::db::DbConn, id: &str) -> Result<(), crate::error::TxError> {
    crate::db::native!(conn, |c| diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::kind.eq_any(SECRET_KINDS)),
    )
    .set(outbox::payload.eq(REDACTED))
    .execute(c))?;
    Ok(())
}
