//! Persistence of incidents with their comments, tasks, history, audit and outbox rows.

use chrono::{DateTime, Utc};
use servicedesk_lifecycle::incident::IncidentState;

use crate::entities::{Comment, HistoryEntry, Incident, Task};
use crate::events::{AuditRecord, DomainEvent};
use crate::ids::{IncidentId, OrgId, TaskId, TeamId, UserId};
use crate::ports::StoreError;
use crate::priority::Priority;

/// Everything a write carries besides the aggregate row. The store commits all of it with
/// the row in one transaction, or nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSet {
    /// Comments to insert.
    pub comments: Vec<Comment>,
    /// History rows to insert.
    pub history: Vec<HistoryEntry>,
    /// Audit records to append to the organization's hash chain.
    pub audit: Vec<AuditRecord>,
    /// Domain events to put in the outbox.
    pub events: Vec<DomainEvent>,
}

/// A client's idempotency key for a creating request (TKT-12), scoped to the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey {
    /// Who sent it.
    pub user_id: UserId,
    /// The client's key (1–255 printable characters).
    pub key: String,
}

/// The result of a create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created<T> {
    /// The stored value (the first one when replayed).
    pub value: T,
    /// True when an earlier request with the same idempotency key created it; nothing was
    /// written this time.
    pub replayed: bool,
}

/// A task to insert; the store gives it its number.
pub type NewTask = Task;

/// Which incidents a listing may show, from the actor's widest read scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Visibility {
    /// Every incident of the organization.
    Org,
    /// Incidents the user raised or is assigned, those of the listed teams, and the
    /// unassigned ones (no team: the triage queue every team may pick from).
    Group {
        /// The actor.
        user_id: UserId,
        /// The actor's teams.
        team_ids: Vec<TeamId>,
    },
    /// Incidents the user raised or is assigned.
    Own {
        /// The actor.
        user_id: UserId,
    },
}

/// Sort keys of the queue listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum IncidentSort {
    /// By creation time (then id).
    #[default]
    Created,
    /// By last change (then id).
    Updated,
    /// By priority. `Desc` means most urgent first (critical before low), oldest first
    /// among equals; `Asc` the reverse.
    Priority,
    /// By next SLA instant (then id). An incident without one sorts as due at the end of
    /// time: last when ascending (the usual queue order), first when descending.
    SlaDue,
}

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum SortDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    #[default]
    Desc,
}

/// A filtered, sorted, keyset-paginated queue listing (TKT-10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IncidentQuery {
    /// Which rows the actor may see (applied by the store).
    pub visibility: Visibility,
    /// Any of these statuses (empty: any).
    pub statuses: Vec<IncidentState>,
    /// Any of these priorities (empty: any).
    pub priorities: Vec<Priority>,
    /// Assignment group.
    pub team_id: Option<TeamId>,
    /// Assigned agent.
    pub assignee_id: Option<UserId>,
    /// Requester.
    pub requester_id: Option<UserId>,
    /// Words to find in title or description (case-insensitive).
    pub text: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Updated at or after.
    pub updated_from: Option<DateTime<Utc>>,
    /// Updated before.
    pub updated_to: Option<DateTime<Utc>>,
    /// Show soft-deleted rows only (for restore); otherwise they are hidden.
    pub deleted: bool,
    /// Sort key.
    pub sort: IncidentSort,
    /// Sort direction.
    pub direction: SortDirection,
    /// Opaque cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: u32,
}

impl IncidentQuery {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 200;

    /// An unfiltered query with the given visibility.
    pub fn new(visibility: Visibility) -> Self {
        Self {
            visibility,
            statuses: Vec::new(),
            priorities: Vec::new(),
            team_id: None,
            assignee_id: None,
            requester_id: None,
            text: None,
            created_from: None,
            created_to: None,
            updated_from: None,
            updated_to: None,
            deleted: false,
            sort: IncidentSort::default(),
            direction: SortDirection::default(),
            cursor: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// A page of what hangs off one incident (comments, history, tasks): oldest first, keyset
/// paged on (time, id) like the incident queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildQuery {
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1..=[`ChildQuery::MAX_LIMIT`] (the store clamps).
    pub limit: u32,
    /// Comments: include internal work notes.
    pub internal: bool,
    /// History: leave out the rows about these fields.
    pub hidden_fields: Vec<String>,
}

impl ChildQuery {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 200;

    /// The first page of `limit` rows, everything included.
    pub fn first(limit: u32) -> Self {
        Self {
            cursor: None,
            limit,
            internal: true,
            hidden_fields: Vec::new(),
        }
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Incidents and what hangs off them.
///
/// Contract for every method: rows of another organization are never read or written —
/// an id from org A used under org B answers `NotFound`.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IncidentStore: Send + Sync {
    /// Inserts `incident` with the next per-organization number (no gaps, no duplicates
    /// under concurrency) and version 1, together with `write`.
    ///
    /// When `key` was seen before for the same organization and user, returns the incident
    /// that request created with `replayed: true` and writes nothing.
    ///
    /// # Errors
    /// `Unavailable` when the store fails; nothing is written then.
    fn create(
        &self,
        org: OrgId,
        incident: &Incident,
        write: &WriteSet,
        key: Option<IdempotencyKey>,
    ) -> Result<Created<Incident>, StoreError>;

    /// The incident `id`, soft-deleted or not.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn get(&self, org: OrgId, id: IncidentId) -> Result<Incident, StoreError>;

    /// The incident numbered `number` (`INC-<number>`), soft-deleted or not.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn get_by_number(&self, org: OrgId, number: i64) -> Result<Incident, StoreError>;

    /// Stores `incident` if the stored version is still `expected_version`, bumping the
    /// version by one, together with `write`. Returns the stored incident.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`; `Conflict` (nothing written) when the
    /// stored version differs.
    fn update(
        &self,
        org: OrgId,
        incident: &Incident,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Incident, StoreError>;

    /// Claims up to `limit` live incidents of every organization whose `next_sla_due_at`
    /// is at or before `now`, soonest first, hiding them from other claimers until
    /// `lease_until` (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so concurrent monitors split
    /// the work instead of racing for it). The one cross-organization read: it feeds the
    /// SLA monitor, which writes each incident back in its own organization with the
    /// version check, so the lease is an optimisation, never the correctness guarantee.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn sla_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError>;

    /// Up to `limit` live incidents of `org` in state `resolved` whose `resolved_at` is at
    /// or before `cutoff`, oldest first (auto-close).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn resolved_before(
        &self,
        org: OrgId,
        cutoff: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<Incident>, StoreError>;

    /// One page of incidents matching `query`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails; an undecodable cursor answers `NotFound("cursor")`.
    fn list(&self, org: OrgId, query: &IncidentQuery) -> Result<Page<Incident>, StoreError>;

    /// Every comment and note of the incident, oldest first (unbounded: for tools and
    /// tests; the API pages with [`IncidentStore::comments_page`]).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn comments(&self, org: OrgId, incident: IncidentId) -> Result<Vec<Comment>, StoreError>;

    /// The incident's history, oldest first (unbounded: for tools and tests; the API
    /// pages with [`IncidentStore::history_page`]).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn history(&self, org: OrgId, incident: IncidentId) -> Result<Vec<HistoryEntry>, StoreError>;

    /// One page of the incident's comments, oldest first (work notes only when
    /// `query.internal`).
    ///
    /// # Errors
    /// `NotFound("cursor")` for a cursor this listing did not make; `Unavailable`.
    fn comments_page(
        &self,
        org: OrgId,
        incident: IncidentId,
        query: &ChildQuery,
    ) -> Result<Page<Comment>, StoreError>;

    /// One comment of the incident.
    ///
    /// # Errors
    /// `NotFound` when the incident has no such comment in `org`; `Unavailable`.
    fn comment(
        &self,
        org: OrgId,
        incident: IncidentId,
        id: crate::ids::CommentId,
    ) -> Result<Comment, StoreError>;

    /// One page of the incident's history, oldest first, without `query.hidden_fields`.
    ///
    /// # Errors
    /// `NotFound("cursor")` for a cursor this listing did not make; `Unavailable`.
    fn history_page(
        &self,
        org: OrgId,
        incident: IncidentId,
        query: &ChildQuery,
    ) -> Result<Page<HistoryEntry>, StoreError>;

    /// One page of the tasks under the incident, oldest first.
    ///
    /// # Errors
    /// `NotFound("cursor")` for a cursor this listing did not make; `Unavailable`.
    fn tasks_page(
        &self,
        org: OrgId,
        incident: IncidentId,
        query: &ChildQuery,
    ) -> Result<Page<Task>, StoreError>;

    /// Tasks of the incident that are neither done nor cancelled.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn open_task_count(&self, org: OrgId, incident: IncidentId) -> Result<u32, StoreError>;

    /// Child tickets of any kind (targets of the ticket's `parent_of` links) that are
    /// still open or pending, soft-deleted ones left out.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn open_child_count(&self, org: OrgId, ticket: IncidentId) -> Result<u32, StoreError>;

    /// Inserts a task with the next per-organization task number and version 1.
    ///
    /// # Errors
    /// `NotFound` when the parent does not exist in `org`.
    fn create_task(&self, org: OrgId, task: &NewTask, write: &WriteSet)
    -> Result<Task, StoreError>;

    /// The task `id`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn get_task(&self, org: OrgId, id: TaskId) -> Result<Task, StoreError>;

    /// Tasks under the incident, oldest first (unbounded: for tools and tests; the API
    /// pages with [`IncidentStore::tasks_page`]).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn tasks(&self, org: OrgId, incident: IncidentId) -> Result<Vec<Task>, StoreError>;

    /// Stores `task` if its stored version is `expected_version`.
    ///
    /// # Errors
    /// `NotFound` or `Conflict` as for [`IncidentStore::update`].
    fn update_task(
        &self,
        org: OrgId,
        task: &Task,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Task, StoreError>;
}
