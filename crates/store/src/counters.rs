//! Per-organization counters (`INC-1`, `INC-2`, …, and the audit sequence). The counter row
//! is incremented inside the creating transaction: its row lock (PostgreSQL) or the write
//! lock (SQLite) serializes concurrent creators, and a rolled-back create gives its number
//! back, so numbers have no gaps and no duplicates.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::DbConn;
use crate::schema::counters;

/// The next value of counter `kind` of `org`, starting at 1.
pub(crate) fn next(conn: &mut DbConn, org: &str, kind: &str) -> QueryResult<i64> {
    advance(conn, org, kind, 1)
}

/// Takes the next `by` values of counter `kind` of `org` at once: answers the last of
/// them (the first is `last - by + 1`).
pub(crate) fn advance(conn: &mut DbConn, org: &str, kind: &str, by: i64) -> QueryResult<i64> {
    match bump(conn, org, kind, by) {
        Err(diesel::result::Error::NotFound) => {
            create(conn, org, kind)?;
            bump(conn, org, kind, by)
        }
        other => other,
    }
}

fn bump(conn: &mut DbConn, org: &str, kind: &str, by: i64) -> QueryResult<i64> {
    diesel::update(
        counters::table
            .filter(counters::org_id.eq(org))
            .filter(counters::kind.eq(kind)),
    )
    .set(counters::value.eq(counters::value + by))
    .returning(counters::value)
    .get_result(conn)
}

/// Creates the counter row at 0 unless a concurrent transaction just did: the one place the
/// dialects differ in spelling "insert unless present".
fn create(conn: &mut DbConn, org: &str, kind: &str) -> QueryResult<usize> {
    match conn {
        DbConn::Postgresql(c) => create_pg(c, org, kind),
        DbConn::Sqlite(c) => diesel::sql_query(
            "INSERT OR IGNORE INTO counters (org_id, kind, value) VALUES (?, ?, 0)",
        )
        .bind::<Text, _>(org)
        .bind::<Text, _>(kind)
        .execute(c),
    }
}

fn create_pg(c: &mut PgConnection, org: &str, kind: &str) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO counters (org_id, kind, value) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(org)
    .bind::<Text, _>(kind)
    .execute(c)
}
