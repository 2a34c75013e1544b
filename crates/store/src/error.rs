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
        // (the pool replaces it): busy for now, not broken (503, not 500).
        other if crate::db::is_busy(&other) => StoreError::Busy(other.to_string()),
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            StoreError::Busy(info.message().to_owned())
        }
        other => StoreError::Unavailable(other.to_string()),
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
