//! Incident creates in one transaction (PostgreSQL). The creators of this process queue in
//! `combine`; the leader writes the whole queue with one insert per table, takes each
//! organization's numbers in one step (a block of consecutive numbers, in queue order)
//! and appends the creates' audit records to the chains in one call, then commits once.
//! One commit and one set of round trips per batch instead of per create, while each
//! organization's counter row still serializes its creators across processes and keeps
//! numbers gapless (a rolled-back batch gives its whole block back).
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
use crate::writes::{outbox_row, persist_audits};

/// Most creates in one transaction: enough to cover every connection of a pool waiting on
/// one organization, few enough that a batch's rows stay a small statement.
pub(crate) const MAX_BATCH: usize = 32;

/// The one key the creates queue under in the combiner, whatever their organization:
/// with many tenants creating at once, a queue each made batches of one or two, and a
/// batch's cost is mostly its round trips and its commit, not its rows.
pub(crate) const QUEUE: &str = "incident";

/// Batches written at once: one can be written while the other commits. A third measured
/// worse (the batches hold the same organizations' counter rows, so it mostly waits and
/// makes the others smaller), as did queues per group of organizations (their batches
/// were smaller, and the throughput moved with how the organizations fell into them).
pub(crate) const LEADERS: usize = 2;

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
    /// Creates `pending` (the creates queued in this process, of any organizations),
    /// answering one result per create in order. They are written as one transaction;
    /// if that is refused, each organization's creates are tried as one transaction of
    /// their own and, that refused too, one by one, so one organization's refused create
    /// costs the others one retry, never their answer.
    pub(crate) fn create_incidents(&self, pending: Vec<PendingCreate>) -> Vec<Answer> {
        let all: Vec<&PendingCreate> = pending.iter().collect();
        let mut orgs: Vec<OrgId> = pending.iter().map(|p| p.org).collect();
        orgs.sort_unstable_by_key(|o| o.0);
        orgs.dedup();
        if orgs.len() > 1 {
            match self.create_together(&all) {
                Ok(created) => return created,
                Err(Unbatched::Failed(e)) => return all.iter().map(|_| Err(e.clone())).collect(),
                Err(Unbatched::RolledBack) => {}
            }
        }
        let mut answers: Vec<Option<Answer>> = pending.iter().map(|_| None).collect();
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
            match self.create_together(group) {
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

    fn create_together(&self, group: &[&PendingCreate]) -> Result<Vec<Answer>, Unbatched> {
        // Counted like a `write_tx` for the ticket cache (inserts alone leave nothing it
        // holds stale today; counting keeps that true of whatever a batch writes later).
        let _ended = crate::db::WriteEnded;
        let mut conn = self.db.conn().map_err(Unbatched::Failed)?;
        let mut body_done = false;
        let result = conn.transaction::<_, TxError, _>(|conn| {
            let written = self.write_group(conn, group)?;
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

    /// Writes `group` in the open transaction. The organizations' counter rows are taken
    /// in the order of their ids (numbers first, then audit entries), the one order every
    /// batch uses, so two processes' batches queue on each other instead of deadlocking.
    fn write_group(
        &self,
        conn: &mut DbConn,
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
        // Queue order within an organization, organizations by id.
        let mut order: Vec<usize> = (0..group.len()).collect();
        order.sort_by_key(|&i| group[i].org.0);
        let runs: Vec<&[usize]> = order
            .chunk_by(|&a, &b| group[a].org == group[b].org)
            .collect();
        let by: Vec<(String, i64)> = runs
            .iter()
            .map(|run| {
                let count = i64::try_from(run.len()).unwrap_or(i64::MAX);
                (group[run[0]].org.to_string(), count)
            })
            .collect();
        let lasts = counters::advance_all(conn, "incident", &by)?;
        for ((run, (_, count)), last) in runs.iter().zip(&by).zip(lasts) {
            for (number, &i) in (last - count + 1..).zip(run.iter()) {
                rows[i].number = number;
                rows[i].version = 1;
            }
        }
        diesel::insert_into(tickets::table)
            .values(&rows)
            .execute(postgres(conn)?)?;
        let audit: Vec<_> = order.iter().flat_map(|&i| &group[i].write.audit).collect();
        persist_audits(self, conn, &audit)?;
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
