//! Persisting a write's companions (comments, history, audit, outbox) inside the aggregate's
//! transaction.

use diesel::prelude::*;
use servicedesk_core::events::{AuditRecord, DomainEvent};
use servicedesk_core::ports::{StoreError, WriteSet};

use crate::Store;
use crate::db::DbConn;
use crate::error::TxError;
use crate::rows::{CommentRow, HistoryRow};
use crate::schema::{comments, outbox, ticket_history};
use crate::time::db;

/// An outbox row as inserted.
#[derive(Insertable)]
#[diesel(table_name = outbox)]
pub(crate) struct NewOutboxRow {
    id: String,
    org_id: String,
    kind: String,
    payload: String,
    created_at: chrono::NaiveDateTime,
    available_at: chrono::NaiveDateTime,
    attempts: i32,
}

/// Inserts everything in `write`. Multi-row inserts are not portable across the two
/// backends in diesel's `MultiConnection`, so rows go one by one; writes carry few of them.
///
/// The outbox rows go first and the audit record last: appending to the audit chain takes
/// the organization's audit counter row, which serializes every writer of the organization
/// until commit, so as little as possible runs after it.
pub(crate) fn persist(store: &Store, conn: &mut DbConn, write: &WriteSet) -> Result<(), TxError> {
    persist_events(conn, write)?;
    persist_records(store, conn, write)
}

/// The outbox rows of `write`: they reference nothing, so a create can insert them before
/// it takes its organization's number.
pub(crate) fn persist_events(conn: &mut DbConn, write: &WriteSet) -> Result<(), TxError> {
    for e in &write.events {
        enqueue(conn, e)?;
    }
    Ok(())
}

/// Everything of `write` but its outbox rows: comments, history, then the audit record.
pub(crate) fn persist_records(
    store: &Store,
    conn: &mut DbConn,
    write: &WriteSet,
) -> Result<(), TxError> {
    persist_children(conn, write)?;
    persist_audit(store, conn, write)
}

/// The comments and history rows of `write`. A create inserts them before its ticket row,
/// so before it takes the organization's number: their foreign keys to `tickets` are
/// checked at commit (see [`defer_foreign_keys`]).
pub(crate) fn persist_children(conn: &mut DbConn, write: &WriteSet) -> Result<(), TxError> {
    for c in &write.comments {
        let row = CommentRow::from_comment(c);
        crate::db::native!(&mut *conn, |c| diesel::insert_into(comments::table)
            .values(&row)
            .execute(c))?;
    }
    for h in &write.history {
        let row = HistoryRow::from_entry(h);
        crate::db::native!(&mut *conn, |c| diesel::insert_into(ticket_history::table)
            .values(&row)
            .execute(c))?;
    }
    Ok(())
}

/// The audit records of `write`, last: appending takes the organization's audit counter
/// row, held until commit.
pub(crate) fn persist_audit(
    store: &Store,
    conn: &mut DbConn,
    write: &WriteSet,
) -> Result<(), TxError> {
    let records: Vec<_> = write.audit.iter().collect();
    persist_audits(store, conn, &records)
}

/// Appends the audit records of several writes of one transaction, in order.
pub(crate) fn persist_audits(
    store: &Store,
    conn: &mut DbConn,
    records: &[&AuditRecord],
) -> Result<(), TxError> {
    crate::audit::append_all(conn, records)?;
    if store.fault_after_audit() {
        return Err(TxError::Store(StoreError::Unavailable(
            "injected fault after the audit insert".into(),
        )));
    }
    Ok(())
}

/// Lets the current transaction insert a ticket's detail, comment and history rows before
/// the ticket row itself, the foreign keys checked at commit. A ticket's number is taken
/// right before its row is inserted, and the number's counter row serializes the
/// organization's creators until commit, so whatever can be written before it is.
/// PostgreSQL declares those keys `DEFERRABLE INITIALLY DEFERRED` (migration 000068);
/// SQLite defers its foreign keys for one transaction with a pragma.
pub(crate) fn defer_foreign_keys(conn: &mut DbConn) -> Result<(), TxError> {
    if let DbConn::Sqlite(c) = conn {
        diesel::sql_query("PRAGMA defer_foreign_keys = ON").execute(c)?;
    }
    Ok(())
}

/// Puts one event in the outbox.
pub(crate) fn enqueue(conn: &mut DbConn, event: &DomainEvent) -> Result<(), TxError> {
    let row = outbox_row(event)?;
    crate::db::native!(conn, |c| diesel::insert_into(outbox::table)
        .values(&row)
        .execute(c))?;
    Ok(())
}

/// The outbox row of `event`, its payload the event encoded.
pub(crate) fn outbox_row(event: &DomainEvent) -> Result<NewOutboxRow, TxError> {
    let payload = serde_json::to_string(event).map_err(|e| {
        TxError::Store(StoreError::Unavailable(format!("cannot encode event: {e}")))
    })?;
    Ok(NewOutboxRow {
        id: event.id.to_string(),
        org_id: event.org_id.to_string(),
        kind: event.kind().to_owned(),
        payload,
        created_at: db(event.occurred_at),
        available_at: db(event.occurred_at),
        attempts: 0,
    })
}
