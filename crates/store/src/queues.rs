//! How deep the work queues are, for `/metrics`: outbox messages not yet dispatched,
//! deliveries (mails, webhook posts) not yet sent, the dead letters of both, and the SLA
//! monitor's next instant to handle. One statement over the partial indexes
//! (`outbox_pending`, `deliveries_pending`, `outbox_dead`, `deliveries_dead`,
//! `tickets_sla_monitor`), each count stopping at [`QUEUE_COUNT_CAP`] so a scrape stays
//! cheap however large a backlog grows.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use servicedesk_core::ports::StoreError;

use crate::Store;
use crate::db::DbConn;
use crate::error::map;
use crate::time::utc;

/// The most rows one queue count reads; a deeper queue reports this number.
pub const QUEUE_COUNT_CAP: u64 = 100_000;

/// Queue depths at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepths {
    /// Outbox messages neither delivered nor dead (at most [`QUEUE_COUNT_CAP`]).
    pub outbox_pending: u64,
    /// The earliest `available_at` among them (a retry's is in the future).
    pub outbox_oldest: Option<DateTime<Utc>>,
    /// Outbox messages given up on (at most [`QUEUE_COUNT_CAP`]).
    pub outbox_dead: u64,
    /// Deliveries neither sent nor dead (at most [`QUEUE_COUNT_CAP`]).
    pub deliveries_pending: u64,
    /// The earliest `available_at` among them.
    pub deliveries_oldest: Option<DateTime<Utc>>,
    /// Deliveries given up on (`GET /api/v1/deliveries?state=dead`; at most the cap).
    pub deliveries_dead: u64,
    /// The earliest warning or breach instant the SLA monitor has yet to handle (in the
    /// past: it is that far behind).
    pub sla_next_due: Option<DateTime<Utc>>,
}

#[derive(QueryableByName)]
struct DepthRow {
    #[diesel(sql_type = BigInt)]
    outbox_pending: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    outbox_oldest: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    outbox_dead: i64,
    #[diesel(sql_type = BigInt)]
    deliveries_pending: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    deliveries_oldest: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    deliveries_dead: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    sla_next_due: Option<NaiveDateTime>,
}

/// The same text on both backends; the predicates are those of the partial indexes, so
/// each subquery reads an index only (and at most the cap's worth of it).
const DEPTHS: &str = "SELECT \
     (SELECT COUNT(*) FROM (SELECT 1 AS one FROM outbox \
        WHERE delivered_at IS NULL AND dead_at IS NULL LIMIT 100000) p) AS outbox_pending, \
     (SELECT MIN(available_at) FROM outbox \
        WHERE delivered_at IS NULL AND dead_at IS NULL) AS outbox_oldest, \
     (SELECT COUNT(*) FROM (SELECT 1 AS one FROM outbox \
        WHERE dead_at IS NOT NULL LIMIT 100000) d) AS outbox_dead, \
     (SELECT COUNT(*) FROM (SELECT 1 AS one FROM deliveries \
        WHERE delivered_at IS NULL AND dead_at IS NULL LIMIT 100000) q) AS deliveries_pending, \
     (SELECT MIN(available_at) FROM deliveries \
        WHERE delivered_at IS NULL AND dead_at IS NULL) AS deliveries_oldest, \
     (SELECT COUNT(*) FROM (SELECT 1 AS one FROM deliveries \
        WHERE dead_at IS NOT NULL LIMIT 100000) e) AS deliveries_dead, \
     (SELECT MIN(next_sla_due_at) FROM tickets \
        WHERE next_sla_due_at IS NOT NULL AND deleted_at IS NULL) AS sla_next_due";

impl Store {
    /// The queue depths now, on a connection that is idle now: `Busy` rather than a wait
    /// when the pool is exhausted (a scrape must not queue behind the requests it reports).
    ///
    /// # Errors
    /// `Busy` when no connection is idle, `Unavailable` when the query fails.
    pub fn queue_depths(&self) -> Result<QueueDepths, StoreError> {
        let mut conn = self
            .database()
            .try_conn()
            .ok_or_else(|| StoreError::Busy("no idle connection for queue depths".into()))?;
        let row: DepthRow = match &mut *conn {
            DbConn::Postgresql(c) => diesel::sql_query(DEPTHS).get_result(c),
            DbConn::Sqlite(c) => diesel::sql_query(DEPTHS).get_result(c),
        }
        .map_err(map("queue depths"))?;
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        Ok(QueueDepths {
            outbox_pending: count(row.outbox_pending),
            outbox_oldest: row.outbox_oldest.map(utc),
            outbox_dead: count(row.outbox_dead),
            deliveries_pending: count(row.deliveries_pending),
            deliveries_oldest: row.deliveries_oldest.map(utc),
            deliveries_dead: count(row.deliveries_dead),
            sla_next_due: row.sla_next_due.map(utc),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_in_the_statement_is_the_constant() {
        assert_eq!(
            DEPTHS.matches(&format!("LIMIT {QUEUE_COUNT_CAP})")).count(),
            4,
            "{DEPTHS}"
        );
    }

    #[test]
    fn an_empty_database_has_empty_queues() {
        let dir = std::env::temp_dir().join(format!("sd-queues-{}", uuid::Uuid::now_v7()));
        let url = dir.join("q.db");
        let store = Store::open(url.to_str().unwrap(), 2).unwrap();
        assert_eq!(store.queue_depths().unwrap(), QueueDepths::default());
        let _ = std::fs::remove_dir_all(dir);
    }
}
