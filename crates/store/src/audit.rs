//! The audit log: append-only, each entry chained to the previous one of its organization by
//! SHA-256, so altering or removing a row breaks the chain at that row (AUD-1).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{AuditCheck, AuditEntry, AuditLog, AuditQuery, StoreError};
use sha2::{Digest, Sha256};

use crate::Store;
use crate::db::DbConn;
use crate::error::{corrupt, map};
use crate::rows::parse;
use crate::schema::audit_events;
use crate::time::{db, utc};

/// The `prev_hash` of an organization's first entry.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = audit_events)]
struct AuditRow {
    org_id: String,
    seq: i64,
    actor_id: Option<String>,
    action: String,
    target_kind: String,
    target_id: String,
    at: chrono::NaiveDateTime,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    /// The hash this row should carry given its content and `prev_hash`. Fields are
    /// length-prefixed so no two different rows serialize to the same bytes. PostgreSQL
    /// computes the same hash when it appends (migration 000066); `verify` checks every
    /// row with this one.
    fn expected_hash(&self) -> String {
        let at: DateTime<Utc> = utc(self.at);
        let mut h = Sha256::new();
        for part in [
            self.prev_hash.as_str(),
            self.org_id.as_str(),
            &self.seq.to_string(),
            self.actor_id.as_deref().unwrap_or(""),
            &self.action,
            &self.target_kind,
            &self.target_id,
            &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            &self.detail,
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        format!("{:x}", h.finalize())
    }

    fn into_entry(self) -> Result<AuditEntry, StoreError> {
        let detail = serde_json::from_str(&self.detail)
            .map_err(|_| corrupt("audit detail", &self.detail))?;
        Ok(AuditEntry {
            seq: self.seq,
            record: AuditRecord {
                org_id: OrgId(parse("org id", &self.org_id)?),
                actor_id: self
                    .actor_id
                    .as_deref()
                    .map(|a| parse("user id", a).map(UserId))
                    .transpose()?,
                action: self.action,
                target_kind: self.target_kind,
                target_id: self.target_id,
                at: utc(self.at),
                detail,
            },
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// Appends `record` to its organization's chain. Runs inside the caller's transaction; the
/// audit counter row serializes appenders of one organization, so the previous entry read
/// after it is the last committed one. On PostgreSQL the steps run inside the database, in
/// one round trip (migration 000066, `servicedesk_audit_append`): the counter row is held
/// until commit, and every statement after it lengthens the queue of the organization's
/// writers.
pub(crate) fn append(conn: &mut DbConn, record: &AuditRecord) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(c) => append_in_database(c, record),
        DbConn::Sqlite(_) => append_here(conn, record),
    }
}

/// Appends `records` in order, as [`append`] appends each. On PostgreSQL in one round trip
/// (migration 000070, `servicedesk_audit_append_all`), which a batch of creates uses so
/// its entries cost one statement, not one each.
pub(crate) fn append_all(conn: &mut DbConn, records: &[&AuditRecord]) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(c) if records.len() > 1 => append_all_in_database(c, records),
        _ => records.iter().try_for_each(|r| append(conn, r)),
    }
}

fn append_all_in_database(
    c: &mut diesel::PgConnection,
    records: &[&AuditRecord],
) -> QueryResult<()> {
    use diesel::sql_types::{Array, Nullable, Text, Timestamp};
    let texts = |f: fn(&AuditRecord) -> String| records.iter().map(|r| f(r)).collect::<Vec<_>>();
    diesel::sql_query("SELECT servicedesk_audit_append_all($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind::<Array<Text>, _>(texts(|r| r.org_id.to_string()))
        .bind::<Array<Nullable<Text>>, _>(
            records
                .iter()
                .map(|r| r.actor_id.map(|a| a.to_string()))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(texts(|r| r.action.clone()))
        .bind::<Array<Text>, _>(texts(|r| r.target_kind.clone()))
        .bind::<Array<Text>, _>(texts(|r| r.target_id.clone()))
        .bind::<Array<Timestamp>, _>(records.iter().map(|r| db(r.at)).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(texts(|r| r.detail.to_string()))
        .bind::<Text, _>(GENESIS)
        .execute(c)?;
    Ok(())
}

fn append_in_database(c: &mut diesel::PgConnection, record: &AuditRecord) -> QueryResult<()> {
    use diesel::sql_types::{Nullable, Text, Timestamp};
    diesel::sql_query("SELECT servicedesk_audit_append($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind::<Text, _>(record.org_id.to_string())
        .bind::<Nullable<Text>, _>(record.actor_id.map(|a| a.to_string()))
        .bind::<Text, _>(&record.action)
        .bind::<Text, _>(&record.target_kind)
        .bind::<Text, _>(&record.target_id)
        .bind::<Timestamp, _>(db(record.at))
        .bind::<Text, _>(record.detail.to_string())
        .bind::<Text, _>(GENESIS)
        .execute(c)?;
    Ok(())
}

fn append_here(conn: &mut DbConn, record: &AuditRecord) -> QueryResult<()> {
    let org = record.org_id.to_string();
    let seq = crate::counters::next(conn, &org, "audit")?;
    let prev_hash = crate::db::native!(&mut *conn, |c| audit_events::table
        .filter(audit_events::org_id.eq(&org))
        .filter(audit_events::seq.eq(seq - 1))
        .select(audit_events::hash)
        .first::<String>(c)
        .optional())?
    .unwrap_or_else(|| GENESIS.to_owned());
    let mut row = AuditRow {
        org_id: org,
        seq,
        actor_id: record.actor_id.map(|a| a.to_string()),
        action: record.action.clone(),
        target_kind: record.target_kind.clone(),
        target_id: record.target_id.clone(),
        at: db(record.at),
        detail: record.detail.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = row.expected_hash();
    crate::db::native!(conn, |c| diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(c))?;
    Ok(())
}

/// How many rows `verify` reads at a time.
const VERIFY_BATCH: i64 = 1000;

impl AuditLog for Store {
    fn entries(
        &self,
        org: OrgId,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conn = self.db.conn()?;
        audit_events::table
            .filter(audit_events::org_id.eq(org.to_string()))
            .filter(audit_events::seq.gt(after_seq))
            .order(audit_events::seq.asc())
            .limit(i64::from(limit))
            .load::<AuditRow>(&mut *conn)
            .map_err(map("audit entry"))?
            .into_iter()
            .map(AuditRow::into_entry)
            .collect()
    }

    fn search(
        &self,
        org: OrgId,
        query: &AuditQuery,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conn = self.db.conn()?;
        let mut q = audit_events::table
            .filter(audit_events::org_id.eq(org.to_string()))
            .into_boxed();
        if let Some(actor) = query.actor {
            q = q.filter(audit_events::actor_id.eq(actor.to_string()));
        }
        if let Some(action) = &query.action {
            q = q.filter(audit_events::action.eq(action.clone()));
        }
        if let Some(kind) = &query.target_kind {
            q = q.filter(audit_events::target_kind.eq(kind.clone()));
        }
        if let Some(id) = &query.target_id {
            q = q.filter(audit_events::target_id.eq(id.clone()));
        }
        if let Some(from) = query.from {
            q = q.filter(audit_events::at.ge(db(from)));
        }
        if let Some(to) = query.to {
            q = q.filter(audit_events::at.lt(db(to)));
        }
        if let Some(before) = query.before_seq {
            q = q.filter(audit_events::seq.lt(before));
        }
        q.order(audit_events::seq.desc())
            .limit(i64::from(limit))
            .load::<AuditRow>(&mut *conn)
            .map_err(map("audit entry"))?
            .into_iter()
            .map(AuditRow::into_entry)
            .collect()
    }

    fn verify(&self, org: OrgId) -> Result<AuditCheck, StoreError> {
        let mut conn = self.db.conn()?;
        let org = org.to_string();
        let mut expected_seq = 1;
        let mut prev = GENESIS.to_owned();
        loop {
            let batch = audit_events::table
                .filter(audit_events::org_id.eq(&org))
                .filter(audit_events::seq.ge(expected_seq))
                .order(audit_events::seq.asc())
                .limit(VERIFY_BATCH)
                .load::<AuditRow>(&mut *conn)
                .map_err(map("audit entry"))?;
            if batch.is_empty() {
                // The counter knows how many entries were appended: a missing tail shows.
                let appended = crate::schema::counters::table
                    .filter(crate::schema::counters::org_id.eq(&org))
                    .filter(crate::schema::counters::kind.eq("audit"))
                    .select(crate::schema::counters::value)
                    .first::<i64>(&mut *conn)
                    .optional()
                    .map_err(map("counter"))?
                    .unwrap_or(0);
                if appended >= expected_seq {
                    return Ok(AuditCheck::Broken {
                        seq: expected_seq,
                        reason: format!("entries {expected_seq}..={appended} are missing"),
                    });
                }
                return Ok(AuditCheck::Intact {
                    entries: u64::try_from(expected_seq - 1).unwrap_or(0),
                });
            }
            for row in batch {
                if row.seq != expected_seq {
                    return Ok(AuditCheck::Broken {
                        seq: expected_seq,
                        reason: "entry is missing".into(),
                    });
                }
                if row.prev_hash != prev {
                    return Ok(AuditCheck::Broken {
                        seq: row.seq,
                        reason: "link to the previous entry does not match".into(),
                    });
                }
                if row.hash != row.expected_hash() {
                    return Ok(AuditCheck::Broken {
                        seq: row.seq,
                        reason: "content does not match its hash".into(),
                    });
                }
                prev = row.hash;
                expected_seq += 1;
            }
        }
    }
}
