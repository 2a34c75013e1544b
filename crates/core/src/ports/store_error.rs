//! How a store adapter reports failure.

use crate::error::Error;

/// A store failure, free of any database library's types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such row in this organization.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The version named is not the stored one.
    #[error("version conflict on {entity}: current version is {current}")]
    Conflict {
        /// What was written.
        entity: &'static str,
        /// The stored version.
        current: i64,
    },
    /// A uniqueness rule was violated (e.g. an e-mail address already in use).
    #[error("{field} already exists")]
    Duplicate {
        /// The field that must be unique.
        field: &'static str,
    },
    /// The database could not be reached or failed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// The database is busy for now: its write lock stayed held past the bounded retries,
    /// or no pooled connection came free in time. The same call may succeed shortly.
    #[error("store busy: {0}")]
    Busy(String),
    /// The write would break a rule the store guards atomically (the last active admin of
    /// an organization, the last platform admin); nothing was written.
    #[error("refused: {0}")]
    Refused(String),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(entity) => Error::NotFound { entity },
            StoreError::Conflict { entity, current } => Error::Conflict { entity, current },
            StoreError::Duplicate { field } => {
                Error::invalid(field, "duplicate", format!("{field} is already in use"))
            }
            StoreError::Unavailable(msg) => Error::Internal(msg),
            StoreError::Busy(_) => Error::Unavailable {
                reason: "the database is busy".into(),
                retry_after_secs: 1,
            },
            StoreError::Refused(reason) => Error::Forbidden { reason },
        }
    }
}
