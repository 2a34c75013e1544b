//! What the dashboards read: grouped counts of the open backlog and the narrow facts of
//! recent tickets.

use chrono::{DateTime, Utc};

use crate::ids::{OrgId, UserId};
use crate::ports::{StoreError, Visibility};
use crate::priority::Priority;
use crate::tickets::{SlaState, TicketKind};

/// Which tickets a report covers: the kinds with what the actor may see of each (as
/// [`TicketQuery::scopes`](crate::tickets::TicketQuery)), optionally one assignee's.
/// Soft-deleted tickets never count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportScope {
    /// The kinds counted, each with the actor's visibility; empty counts nothing.
    pub scopes: Vec<(TicketKind, Visibility)>,
    /// Only tickets assigned to this person.
    pub assignee_id: Option<UserId>,
}

/// How many open or pending tickets have one priority and one SLA state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenCount {
    /// The tickets' priority.
    pub priority: Priority,
    /// The tickets' recorded SLA state.
    pub sla_state: SlaState,
    /// How many.
    pub count: u64,
}

/// The columns of one ticket a report needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFact {
    /// Its kind.
    pub kind: TicketKind,
    /// Its priority.
    pub priority: Priority,
    /// Its recorded SLA state (breached once a target was missed, also after resolution).
    pub sla_state: SlaState,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// When it reached its kind's resolution (resolved, fulfilled), if it did and was not
    /// reopened since.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The first public answer by staff.
    pub first_responded_at: Option<DateTime<Utc>>,
}

/// The report reads. Contract for every method: only tickets of `org` within `scope` and
/// not soft-deleted; an empty `scope.scopes` reads nothing.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait ReportStore: Send + Sync {
    /// The open and pending tickets created in `[created_from, created_to)` (an absent
    /// bound is open), counted by priority and SLA state; combinations without tickets are
    /// absent.
    ///
    /// # Errors
    /// `Unavailable`.
    fn open_counts(
        &self,
        org: OrgId,
        scope: &ReportScope,
        created_from: Option<DateTime<Utc>>,
        created_to: Option<DateTime<Utc>>,
    ) -> Result<Vec<OpenCount>, StoreError>;

    /// The tickets created at or after `from`, newest first, at most `limit`.
    ///
    /// # Errors
    /// `Unavailable`.
    fn created_since(
        &self,
        org: OrgId,
        scope: &ReportScope,
        from: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TicketFact>, StoreError>;

    /// The tickets resolved at or after `from`, most recently resolved first, at most
    /// `limit`.
    ///
    /// # Errors
    /// `Unavailable`.
    fn resolved_since(
        &self,
        org: OrgId,
        scope: &ReportScope,
        from: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<TicketFact>, StoreError>;
}
