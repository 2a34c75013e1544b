//! Persistence of service requests with their extension, approvals and fulfilment tasks.

use chrono::{DateTime, Utc};

use super::entities::{Approval, ServiceRequest};
use crate::entities::{Comment, HistoryEntry, Task};
use crate::ids::{ApprovalId, OrgId, TicketId, UserId};
use crate::ports::{ChildQuery, Created, IdempotencyKey, Page, StoreError, WriteSet};

/// What a request write changes besides the request row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestChanges {
    /// Approvals to insert (a stage that starts).
    pub new_approvals: Vec<Approval>,
    /// Approvals to store, each only if its stored version is still the one it carries
    /// (a decision, a cancellation, a reminder); a stale one fails the whole write with
    /// `Conflict`.
    pub approvals: Vec<Approval>,
    /// Fulfilment tasks to insert (numbered by the store).
    pub new_tasks: Vec<Task>,
    /// Tasks to store, each only if its stored version is the one it carries (+1).
    pub updated_tasks: Vec<Task>,
}

/// Service requests.
///
/// Contract: rows of another organization are never read or written — an id from org A
/// used under org B answers `NotFound`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait RequestStore: Send + Sync {
    /// Inserts the request with the next `REQ` number and version 1, its approvals and
    /// tasks, and `write`, in one transaction. A seen idempotency key replays.
    ///
    /// # Errors
    /// `Unavailable`; nothing is written then.
    fn create_request(
        &self,
        org: OrgId,
        request: &ServiceRequest,
        changes: &RequestChanges,
        write: &WriteSet,
        key: Option<IdempotencyKey>,
    ) -> Result<Created<ServiceRequest>, StoreError>;

    /// The request `id`.
    ///
    /// # Errors
    /// `NotFound` when there is no request `id` in `org`.
    fn request(&self, org: OrgId, id: TicketId) -> Result<ServiceRequest, StoreError>;

    /// The request numbered `number` (`REQ-<number>`).
    ///
    /// # Errors
    /// `NotFound`.
    fn request_by_number(&self, org: OrgId, number: i64) -> Result<ServiceRequest, StoreError>;

    /// Stores the request if its version is `expected_version` (+1), with `changes` and
    /// `write`, in one transaction.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when the request or one of the approvals changed meanwhile.
    fn save_request(
        &self,
        org: OrgId,
        request: &ServiceRequest,
        expected_version: i64,
        changes: &RequestChanges,
        write: &WriteSet,
    ) -> Result<ServiceRequest, StoreError>;

    /// One page of the request's comments, oldest first (internal notes only with
    /// `query.internal`); the same listing as an incident's.
    ///
    /// # Errors
    /// `NotFound("cursor")` for a cursor this listing did not make; `Unavailable`.
    fn request_comments(
        &self,
        org: OrgId,
        request: TicketId,
        query: &ChildQuery,
    ) -> Result<Page<Comment>, StoreError>;

    /// One page of the request's history, oldest first, without `query.hidden_fields`.
    ///
    /// # Errors
    /// As [`RequestStore::request_comments`].
    fn request_history(
        &self,
        org: OrgId,
        request: TicketId,
        query: &ChildQuery,
    ) -> Result<Page<HistoryEntry>, StoreError>;

    /// Every approval of the request, by stage then creation.
    ///
    /// # Errors
    /// `Unavailable`.
    fn approvals(&self, org: OrgId, request: TicketId) -> Result<Vec<Approval>, StoreError>;

    /// One approval.
    ///
    /// # Errors
    /// `NotFound`.
    fn approval(&self, org: OrgId, id: ApprovalId) -> Result<Approval, StoreError>;

    /// Pending approvals whose approver is one of `approvers`, oldest first.
    ///
    /// # Errors
    /// `Unavailable`.
    fn pending_approvals(
        &self,
        org: OrgId,
        approvers: &[UserId],
    ) -> Result<Vec<Approval>, StoreError>;

    /// The tasks under the request, oldest first.
    ///
    /// # Errors
    /// `Unavailable`.
    fn tasks_of(&self, org: OrgId, request: TicketId) -> Result<Vec<Task>, StoreError>;

    /// One task (of any parent).
    ///
    /// # Errors
    /// `NotFound`.
    fn task(&self, org: OrgId, id: crate::ids::TaskId) -> Result<Task, StoreError>;

    /// Up to `limit` live requests of `org` in the resolved class (fulfilled, rejected)
    /// since at or before `cutoff`, oldest first (auto-close).
    ///
    /// # Errors
    /// `Unavailable`.
    fn resolved_before(
        &self,
        org: OrgId,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ServiceRequest>, StoreError>;

    /// Up to `limit` pending approvals of every organization whose reminder or due time
    /// has come and whose reminder or timeout has not run (for the approval sweeper, which
    /// writes each back with the version check).
    ///
    /// # Errors
    /// `Unavailable`.
    fn approvals_due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Approval>, StoreError>;
}
