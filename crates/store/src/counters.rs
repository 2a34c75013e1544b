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

/// The last value counter `kind` of `org` has handed out (0 before the first). A create
/// advances it in the transaction that inserts, so a reader that sees the same value twice
/// knows no create committed in between.
pub(crate) fn current(conn: &mut DbConn, org: &str, kind: &str) -> QueryResult<i64> {
    counters::table
        .filter(counters::org_id.eq(org))
        .filter(counters::kind.eq(kind))
        .select(counters::value)
        .first(conn)
        .optional()
        .map(Option::unwrap_or_default)
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

#[derive(QueryableByName)]
struct Advanced {
    #[diesel(sql_type = Text)]
    org_id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

/// Locks the counter rows in the order of their organization ids (byte order, which for
/// the ids' lowercase text is the order of the ids themselves), then advances each, so
/// that two transactions taking several never wait on each other in a cycle. Answers
/// nothing when a row is missing (and then has locked the others).
const ADVANCE_ALL: &str = "WITH locked AS MATERIALIZED ( \
     SELECT org_id FROM counters WHERE kind = $1 AND org_id = ANY($2) \
     ORDER BY org_id COLLATE \"C\" FOR UPDATE), \
     taken AS MATERIALIZED (SELECT count(*) AS n FROM locked) \
     UPDATE counters c SET value = c.value + u.by \
     FROM unnest($2::text[], $3::bigint[]) AS u(org_id, by), taken \
     WHERE c.kind = $1 AND c.org_id = u.org_id AND taken.n = cardinality($2::text[]) \
     RETURNING c.org_id, c.value";

/// [`advance`] for several organizations (each at most once, in the order of their ids)
/// in one round trip on PostgreSQL: answers the last value taken for each, in the order
/// asked. SQLite, and a single organization, take them one by one.
///
/// # Errors
/// `NotFound` when an organization has no counter row yet (its first tickets): the
/// statement has then locked the others' rows, and creating the missing one now would take
/// it out of order (another batch may hold it and wait for ours), so the caller rolls back
/// and takes them one organization at a time.
pub(crate) fn advance_all(
    conn: &mut DbConn,
    kind: &str,
    by: &[(String, i64)],
) -> QueryResult<Vec<i64>> {
    let DbConn::Postgresql(c) = &mut *conn else {
        return by
            .iter()
            .map(|(org, n)| advance(conn, org, kind, *n))
            .collect();
    };
    if let [(org, n)] = by {
        return advance(conn, org, kind, *n).map(|last| vec![last]);
    }
    let orgs: Vec<&str> = by.iter().map(|(o, _)| o.as_str()).collect();
    let counts: Vec<i64> = by.iter().map(|(_, n)| *n).collect();
    let rows: Vec<Advanced> = diesel::sql_query(ADVANCE_ALL)
        .bind::<Text, _>(kind)
        .bind::<diesel::sql_types::Array<Text>, _>(&orgs)
        .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(&counts)
        .load(c)?;
    by.iter()
        .map(|(org, _)| {
            rows.iter()
                .find(|r| &r.org_id == org)
                .map(|r| r.value)
                .ok_or(diesel::result::Error::NotFound)
        })
        .collect()
}
