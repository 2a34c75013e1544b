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
    match bump(conn, org, kind) {
        Err(diesel::result::Error::NotFound) => {
            create(conn, org, kind)?;
            bump(conn, org, kind)
        }
        other => other,
    }
}

fn bump(conn: &mut DbConn, org: &str, kind: &str) -> QueryResult<i64> {
    diesel::update(
        counters::table
            .filter(counters::org_id.eq(org))
            .filter(counters::kind.eq(kind)),
    )
    .set(counters::value.eq(counters::value + 1))
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

/// The number a new ticket row holds until [`number_ticket`] gives it its own: negative, so
/// no committed ticket has it, and drawn from the row's random id bits, so two creators in
/// flight at once never wait on each other's row in the `(org, kind, number)` index.
pub(crate) fn provisional_number(ticket_id: &str) -> i64 {
    let random = uuid::Uuid::parse_str(ticket_id).map_or(0, |u| u.as_u128() as u64);
    -1 - i64::try_from(random >> 2).unwrap_or(0)
}

/// Takes the next value of counter `kind` of `org` and writes it into ticket `ticket_id`
/// (inserted earlier in this transaction with a [`provisional_number`]); the number.
///
/// The counter row serializes the organization's creators of that kind until commit, so
/// creates take it last, when everything else is written: on PostgreSQL it is one
/// statement, and the row is held only for it and the commit.
pub(crate) fn number_ticket(
    conn: &mut DbConn,
    org: &str,
    kind: &str,
    ticket_id: &str,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Numbered {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        number: i64,
    }
    let c = match conn {
        DbConn::Postgresql(c) => c,
        DbConn::Sqlite(_) => {
            let number = next(conn, org, kind)?;
            diesel::update(
                crate::schema::tickets::table
                    .filter(crate::schema::tickets::org_id.eq(org))
                    .filter(crate::schema::tickets::id.eq(ticket_id)),
            )
            .set(crate::schema::tickets::number.eq(number))
            .execute(conn)?;
            return Ok(number);
        }
    };
    let take = |c: &mut PgConnection| {
        diesel::sql_query(
            "WITH n AS (UPDATE counters SET value = value + 1 \
                        WHERE org_id = $1 AND kind = $2 RETURNING value) \
             UPDATE tickets SET number = n.value FROM n \
             WHERE tickets.org_id = $1 AND tickets.id = $3 RETURNING tickets.number",
        )
        .bind::<Text, _>(org)
        .bind::<Text, _>(kind)
        .bind::<Text, _>(ticket_id)
        .get_result::<Numbered>(c)
        .map(|n| n.number)
    };
    match take(c) {
        // The organization's first ticket of this kind: no counter row yet.
        Err(diesel::result::Error::NotFound) => {
            create_pg(c, org, kind)?;
            take(c)
        }
        other => other,
    }
}
