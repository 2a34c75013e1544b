//! Planner statistics kept fresh from the server itself, on PostgreSQL.
//!
//! The queue and list queries are fast only with the right index, and the planner picks it
//! from the table's statistics. Autovacuum refreshes them, but at most once a minute per
//! database (`autovacuum_naptime`), and a table that was empty when it was last analyzed
//! looks empty until then: on a fresh database filled by an import or a burst of creates
//! the first page of the queue was measured at 14 ms (the organization's incidents read
//! and sorted) instead of 0.2 ms. The server's housekeeping asks every few seconds.

use diesel::prelude::*;
use diesel::sql_types::{Array, Text};
use servicedesk_core::ports::StoreError;

use crate::Store;
use crate::db::DbConn;
use crate::error::map;

/// The tables whose statistics the hot queries depend on. Names are ours, never input.
const WATCHED: &[&str] = &[
    "tickets",
    "incident_details",
    "request_details",
    "ticket_history",
    "outbox",
    "deliveries",
    "notifications",
];

/// Rows changed since the last analysis before a table is analyzed again: at least this
/// many, and at least a tenth of the rows it has (autovacuum's default proportion).
const MIN_CHANGED: i64 = 1_000;

#[derive(QueryableByName)]
struct Stale {
    #[diesel(sql_type = Text)]
    relname: String,
}

impl Store {
    /// Analyzes each watched table that changed a lot since its statistics were taken;
    /// answers the tables analyzed. Nothing on SQLite (its connections run
    /// `PRAGMA optimize` when they open).
    ///
    /// # Errors
    /// `Unavailable` when the database fails.
    pub fn analyze_stale_tables(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.db.conn()?;
        let DbConn::Postgresql(pg) = &mut *conn else {
            return Ok(Vec::new());
        };
        let watched: Vec<&str> = WATCHED.to_vec();
        let stale: Vec<Stale> = diesel::sql_query(
            "SELECT relname::text AS relname FROM pg_stat_user_tables \
             WHERE schemaname = current_schema() AND relname = ANY($1) \
             AND n_mod_since_analyze >= $2 \
             AND n_mod_since_analyze * 10 >= n_live_tup",
        )
        .bind::<Array<Text>, _>(&watched)
        .bind::<diesel::sql_types::BigInt, _>(MIN_CHANGED)
        .load(pg)
        .map_err(map("statistics"))?;
        let mut done = Vec::new();
        for table in stale {
            // Only a name of the constant list reaches the statement.
            let Some(name) = WATCHED.iter().find(|w| **w == table.relname) else {
                continue;
            };
            diesel::sql_query(format!("ANALYZE {name}"))
                .execute(pg)
                .map_err(map("statistics"))?;
            done.push((*name).to_owned());
        }
        Ok(done)
    }
}
