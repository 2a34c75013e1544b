//! Diesel errors as port errors.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use servicedesk_core::ports::StoreError;

/// Maps a diesel error to the port's error; `entity` names what was looked for.
pub(crate) fn map(entity: &'static str) -> impl Fn(DieselError) -> StoreError {
    move |e| match e {
        DieselError::NotFound => StoreError::NotFound(entity),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Duplicate {
                field: unique_field(info.message()),
            }
        }
        // A reference to a row that does not exist (in this organization).
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
            StoreError::NotFound("referenced row")
        }
        // Still locked after write_tx's bounded retries, or a connection the server closed
        // or is closing (the pool replaces it): busy for now, not broken (503, not 500).
        other if crate::db::is_busy(&other) || lost_connection(&other) => {
            StoreError::Busy(other.to_string())
        }
        // A commit that failed, whatever its rollback did: what the commit met decides.
        DieselError::RollbackErrorOnCommit { commit_error, .. } => map(entity)(*commit_error),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// The connection is gone or going: the server closed it (a restart, a fast or immediate
/// shutdown, an administrator terminating the session), libpq lost the socket, or diesel
/// gave up on the connection's transaction state after such a loss. The same call on a
/// fresh connection may succeed once the server is back.
fn lost_connection(e: &DieselError) -> bool {
    match e {
        DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            [
                // SQLSTATE 57P01 (admin_shutdown), 57P02 (crash_shutdown), 57P03
                // (cannot_connect_now): the server is stopping, restarting or starting.
                "terminating connection due to",
                "the database system is shutting down",
                "the database system is starting up",
                "the database system is in recovery mode",
                // libpq's own messages when the socket goes away.
                "server closed the connection unexpectedly",
                "no connection to the server",
                "could not receive data from server",
                "could not send data to server",
                "SSL connection has been closed unexpectedly",
                "SSL SYSCALL error",
            ]
            .iter()
            .any(|needle| m.contains(needle))
        }
        _ => false,
    }
}

/// Best-effort name of the field a uniqueness violation is about.
fn unique_field(message: &str) -> &'static str {
    ["email", "name", "number", "key", "jti", "token_hash"]
        .into_iter()
        .find(|f| message.contains(f))
        .unwrap_or("id")
}

/// A stored value that does not parse: the database holds something the code never wrote.
pub(crate) fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Unavailable(format!("corrupt {what} in database: {value:?}"))
}

/// Lets store closures use `?` on diesel calls and port errors alike inside a transaction.
#[derive(Debug)]
pub(crate) enum TxError {
    Diesel(DieselError),
    Store(StoreError),
    /// An idempotency key seen before: roll back and answer with this earlier row's id.
    Replay(String),
}

impl From<DieselError> for TxError {
    fn from(e: DieselError) -> Self {
        Self::Diesel(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl TxError {
    pub(crate) fn into_store(self, entity: &'static str) -> StoreError {
        match self {
            Self::Diesel(e) => map(entity)(e),
            Self::Store(e) => e,
            Self::Replay(_) => StoreError::Unavailable("unexpected idempotent replay".into()),
        }
    }
}

/// Why a versioned update matched no row: the row moved on (`Conflict` with the version now
/// stored) or is not there (`NotFound`).
pub(crate) fn stale_or_missing(entity: &'static str, current: Option<i64>) -> TxError {
    TxError::Store(match current {
        Some(current) => StoreError::Conflict { entity, current },
        None => StoreError::NotFound(entity),
    })
}

#[cfg(test)]
mod tests {
    use diesel::result::{DatabaseErrorKind, Error as DieselError};
    use servicedesk_core::ports::StoreError;

    use super::map;

    fn db_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    fn is_busy(e: DieselError) -> bool {
        matches!(map("ticket")(e), StoreError::Busy(_))
    }

    #[test]
    fn a_server_going_away_is_busy_for_now_not_an_internal_error() {
        use DatabaseErrorKind::{ClosedConnection, Unknown};
        assert!(is_busy(db_error(
            ClosedConnection,
            "server closed the connection unexpectedly"
        )));
        // What PostgreSQL sends to its sessions on `pg_ctl stop -m fast`, and to new
        // connections while it stops or starts.
        assert!(is_busy(db_error(
            Unknown,
            "terminating connection due to administrator command"
        )));
        assert!(is_busy(db_error(
            Unknown,
            "FATAL:  the database system is shutting down"
        )));
        assert!(is_busy(db_error(Unknown, "no connection to the server\n")));
        // A transaction whose connection died under it.
        assert!(is_busy(DieselError::BrokenTransactionManager));
        assert!(is_busy(DieselError::RollbackErrorOnCommit {
            commit_error: Box::new(db_error(ClosedConnection, "server closed the connection")),
            rollback_error: Box::new(DieselError::BrokenTransactionManager),
        }));
    }

    #[test]
    fn other_failures_keep_their_meaning() {
        assert_eq!(
            map("ticket")(DieselError::NotFound),
            StoreError::NotFound("ticket")
        );
        assert!(matches!(
            map("ticket")(db_error(
                DatabaseErrorKind::UniqueViolation,
                "duplicate key value violates unique constraint \"tickets_number\""
            )),
            StoreError::Duplicate { field: "number" }
        ));
        assert!(matches!(
            map("ticket")(db_error(
                DatabaseErrorKind::Unknown,
                "column \"x\" does not exist"
            )),
            StoreError::Unavailable(_)
        ));
    }
}
