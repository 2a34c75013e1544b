//! Incident creates of one organization in one transaction (PostgreSQL). The creators of
//! this process queue in `combine`; the leader writes the whole queue with one insert per
//! table, takes the organization's numbers in one step (a block of consecutive numbers,
//! in queue order) and appends each create's audit records to the chain in turn, then
//! commits once. One commit and one set of round trips per batch instead of per create,
//! while the counter row still serializes this organization's creators across processes
//! and keeps numbers gapless (a rolled-back batch gives its whole block back).
//!
//! A batch whose body fails (a key or check refused, an injected fault) is rolled back and
//! its creates run one by one through the single path, so each caller gets exactly the
//! answer it would have had alone; so is one whose commit PostgreSQL refused (a deferred
//! key). A batch whose commit got no answer (the connection went away) answers every caller
//! with that error, as a lone create in that case does: whether it committed is unknown,
//! and running it again could create it twice.

use diesel::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use servicedesk_core::entities::Incident;
use servicedesk_core::ids::OrgId;
use servicedesk_core::ports::{Created, StoreError, WriteSet};

use crate::Store;
use crate::counters;
use crate::db::DbConn;
use crate::error::TxError;
use crate::rows::{CommentRow, HistoryRow, IncidentDetailsRow, TicketRow};
use crate::schema::{comments, incident_details, ticket_history, tickets};
use crate::writes::{outbox_row, persist_audit};

/// Most creates in one transaction: enough to cover every connection of a pool waiting on
/// one organization, few enough that a batch's rows stay a small statement.
pub(crate) const MAX_BATCH: usize = 32;

/// A create waiting for its organization's batch.
pub(crate) struct PendingCreate {
    pub(crate) org: OrgId,
    pub(crate) incident: Incident,
    pub(crate) write: WriteSet,
}

type Answer = Result<Created<Incident>, StoreError>;

/// How a batch ended when it did not commit.
enum Unbatched {
    /// Rolled back before its commit: nothing of it is stored, each create may run alone.
    RolledBack,
    /// Its commit (or the connection) failed: the callers get this error.
    Failed(StoreError),
}

impl Store {
    /// Creates `pending` (creates of one organization, or of a few whose queues share a
    /// stripe), answering one result per create in order.
    pub(crate) fn create_incidents(&self, pending: Vec<PendingCreate>) -> Vec<Answer> {
        let mut answers: Vec<Option<Answer>> = pending.iter().map(|_| None).collect();
        let mut orgs: Vec<OrgId> = pending.iter().map(|p| p.org).collect();
        orgs.sort_unstable_by_key(|o| o.0);
        orgs.dedup();
        for org in orgs {
            let (indexes, group): (Vec<usize>, Vec<&PendingCreate>) = pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.org == org)
                .unzip();
            for (i, answer) in indexes.into_iter().zip(self.create_group(org, &group)) {
                answers[i] = Some(answer);
            }
        }
        answers
            .into_iter()
            .map(|a| {
                a.unwrap_or_else(|| Err(StoreError::Unavailable("a create was not run".into())))
            })
            .collect()
    }

    fn create_group(&self, org: OrgId, group: &[&PendingCreate]) -> Vec<Answer> {
        if group.len() > 1 {
            match self.create_together(org, group) {
                Ok(created) => return created,
                Err(Unbatched::Failed(e)) => return group.iter().map(|_| Err(e.clone())).collect(),
                Err(Unbatched::RolledBack) => {}
            }
        }
        group
            .iter()
            .map(|p| self.create_once(org, &p.incident, &p.write, None))
            .collect()
    }

    fn create_together(
        &self,
        org: OrgId,
        group: &[&PendingCreate],
    ) -> Result<Vec<Answer>, Unbatched> {
        let mut conn = self.db.conn().map_err(Unbatched::Failed)?;
        let org_s = org.to_string();
        let mut body_done = false;
        let result = conn.transaction::<_, TxError, _>(|conn| {
            let written = self.write_group(conn, &org_s, group)?;
            body_done = true;
            Ok(written)
        });
        match result {
            // Committed: each caller gets its own row, or the error reading it back (its
            // ticket is stored all the same, as on the single path).
            Ok(written) => Ok(written
                .into_iter()
                .map(|(row, details)| {
                    row.into_incident(details).map(|value| Created {
                        value,
                        replayed: false,
                    })
                })
                .collect()),
            Err(e) if !lost_connection(&e) && (!body_done || refused_at_commit(&e)) => {
                Err(Unbatched::RolledBack)
            }
            Err(e) => Err(Unbatched::Failed(e.into_store("incident"))),
        }
    }

    fn write_group(
        &self,
        conn: &mut DbConn,
        org: &str,
        group: &[&PendingCreate],
    ) -> Result<Vec<(TicketRow, IncidentDetailsRow)>, TxError> {
        let outbox: Vec<_> = group
            .iter()
            .flat_map(|p| &p.write.events)
            .map(outbox_row)
            .collect::<Result<_, _>>()?;
        let mut rows: Vec<TicketRow> = group
            .iter()
            .map(|p| TicketRow::from_ticket(&p.incident))
            .collect::<Result<_, _>>()?;
        let details: Vec<_> = group
            .iter()
            .map(|p| IncidentDetailsRow::from_incident(&p.incident))
            .collect();
        let comments: Vec<_> = group
            .iter()
            .flat_map(|p| &p.write.comments)
            .map(CommentRow::from_comment)
            .collect();
        let history: Vec<_> = group
            .iter()
            .flat_map(|p| &p.write.history)
            .map(HistoryRow::from_entry)
            .collect();
        {
            let c = postgres(conn)?;
            diesel::insert_into(crate::schema::outbox::table)
                .values(&outbox)
                .execute(c)?;
            diesel::insert_into(incident_details::table)
                .values(&details)
                .execute(c)?;
            if !comments.is_empty() {
                diesel::insert_into(comments::table)
                    .values(&comments)
                    .execute(c)?;
            }
            if !history.is_empty() {
                diesel::insert_into(ticket_history::table)
                    .values(&history)
                    .execute(c)?;
            }
        }
        let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let last = counters::advance(conn, org, "incident", count)?;
        for (number, row) in (last - count + 1..).zip(rows.iter_mut()) {
            row.number = number;
            row.version = 1;
        }
        diesel::insert_into(tickets::table)
            .values(&rows)
            .execute(postgres(conn)?)?;
        for p in group {
            persist_audit(self, conn, &p.write)?;
        }
        Ok(rows.into_iter().zip(details).collect())
    }
}

/// The PostgreSQL connection behind `conn`: batches run on PostgreSQL only (SQLite has one
/// writer at a time, and diesel's multi-row insert differs there).
fn postgres(conn: &mut DbConn) -> Result<&mut PgConnection, TxError> {
    match conn {
        DbConn::Postgresql(c) => Ok(c),
        DbConn::Sqlite(_) => Err(TxError::Store(StoreError::Unavailable(
            "batched creates run on PostgreSQL only".into(),
        ))),
    }
}

/// Whether a failed commit certainly rolled back: PostgreSQL refused it (a deferred key,
/// a serialization failure) rather than the answer being lost.
fn refused_at_commit(e: &TxError) -> bool {
    matches!(
        e,
        TxError::Diesel(DieselError::DatabaseError(
            DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::CheckViolation
                | DatabaseErrorKind::NotNullViolation
                | DatabaseErrorKind::SerializationFailure,
            _
        ))
    )
}

/// Whether `e` says the connection went away (the creates would fail alone too: answer
/// them now rather than try each on a dead server).
fn lost_connection(e: &TxError) -> bool {
    match e {
        TxError::Diesel(DieselError::DatabaseError(kind, _)) => {
            matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
            )
        }
        TxError::Diesel(DieselError::BrokenTransactionManager) => true,
        TxError::Store(StoreError::Busy(_)) => true,
        _ => false,
    }
}
