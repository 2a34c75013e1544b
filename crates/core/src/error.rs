//! What use cases answer when they refuse or fail.

use serde::Serialize;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name as the client sent it (`title`, `resolution_notes`, …).
    pub field: String,
    /// A stable machine code (`required`, `too_long`, `invalid`, `unknown`, …).
    pub code: &'static str,
    /// A sentence for humans.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code,
            message: message.into(),
        }
    }
}

/// The error every use case returns. The HTTP layer maps it to problem+json once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, belongs to another organization, or the actor may not see it.
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for.
        entity: &'static str,
    },
    /// The actor may see the thing but not do this to it.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Why, as decided by the access rules.
        reason: String,
    },
    /// The write named a version that is no longer current.
    #[error(
        "version conflict: the {entity} was changed by someone else (current version {current})"
    )]
    Conflict {
        /// What was written.
        entity: &'static str,
        /// The version now stored, so the client can re-read.
        current: i64,
    },
    /// The lifecycle does not allow the move.
    #[error("{message}")]
    IllegalTransition {
        /// The state machine's explanation.
        message: String,
        /// The actions allowed from the current state.
        legal_actions: Vec<String>,
    },
    /// Input failed validation; nothing was written.
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Too many attempts.
    #[error("too many requests; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A bound is full or a dependency is briefly unavailable (e.g. every password-hashing
    /// slot is busy): retry after the given seconds. Answered as 503 with `Retry-After`.
    #[error("temporarily unavailable ({reason}); retry after {retry_after_secs} s")]
    Unavailable {
        /// What is unavailable, for the client.
        reason: String,
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// A dependency failed (database down, …). The message is for logs, not clients.
    #[error("internal error: {0}")]
    Internal(String),
    /// A thing with this unique value exists already (409); nothing was written.
    #[error("{entity} with this {field} exists already")]
    Duplicate {
        /// What was created.
        entity: &'static str,
        /// The field that must be unique.
        field: &'static str,
    },
}

impl Error {
    /// A single-field validation error.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, code, message)])
    }
}

/// The result type of the use cases.
pub type Result<T, E = Error> = std::result::Result<T, E>;
