//! The consuming side of the transactional outbox. Messages are written by the store in
//! the same transaction as the change that produced them; dispatchers claim and deliver them.

use chrono::{DateTime, Utc};

use crate::events::DomainEvent;
use crate::ids::EventId;
use crate::ports::StoreError;

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// The event (its id is the message id).
    pub event: DomainEvent,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not to be tried before this instant (backoff).
    pub available_at: DateTime<Utc>,
    /// The lease it was claimed with (as stored): [`Outbox::complete`] and
    /// [`Outbox::fail`] name it, so only the claimer still holding it can settle.
    pub lease_until: DateTime<Utc>,
}

/// Claiming and settling outbox messages. Claims are exclusive across server processes.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Outbox: Send + Sync {
    /// Claims up to `limit` messages available at `now`, hiding them from other claimers
    /// until `lease_until`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<OutboxMessage>, StoreError>;

    /// Marks a message delivered at `at` if it is still held under `lease_until` (the
    /// claimer's lease: not re-claimed by another dispatcher after it expired, not settled
    /// yet); it is never handed out again. Messages that carry a single-use token (account
    /// mails) lose their payload.
    ///
    /// Returns `false` when the lease is no longer the caller's: nothing is written.
    ///
    /// # Errors
    /// `NotFound` for an unknown id.
    fn complete(
        &self,
        id: EventId,
        lease_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// [`Outbox::complete`] for many messages claimed under the same `lease_until`, in one
    /// write: marks delivered at `at` those of `ids` still held under it and answers how
    /// many that was; the others (their lease passed to another claimer, or settled
    /// already, or unknown) are left as they are.
    ///
    /// # Errors
    /// `Unavailable` when the store fails: then nothing is written.
    fn complete_all(
        &self,
        ids: &[EventId],
        lease_until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    /// Records a failed attempt made at `at` if the message is still held under
    /// `lease_until`; the message comes back at `retry_at`, or goes to the dead-letter list
    /// when `dead` is true (a dead account mail loses its token-bearing payload).
    ///
    /// Returns `false` when the lease is no longer the caller's: nothing is written.
    ///
    /// # Errors
    /// `NotFound` for an unknown id.
    fn fail(
        &self,
        id: EventId,
        lease_until: DateTime<Utc>,
        error: &str,
        at: DateTime<Utc>,
        retry_at: DateTime<Utc>,
        dead: bool,
    ) -> Result<bool, StoreError>;
}
