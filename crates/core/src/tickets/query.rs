//! The cross-kind queue (GET /tickets) and the cross-parent task list (GET /tasks) as the
//! store sees them.

use chrono::{DateTime, Utc};
use servicedesk_lifecycle::task::TaskState;

use super::kind::TicketKind;
use super::status::StatusClass;
use super::ticket::SlaState;
use crate::ids::{TeamId, UserId};
use crate::ports::{IncidentSort, SortDirection, Visibility};
use crate::priority::Priority;

/// Sort keys of a ticket queue (the incident queue's keys, for every kind).
pub type TicketSort = IncidentSort;

/// A filtered, sorted, keyset-paginated listing over tickets of several kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketQuery {
    /// The kinds listed, each with what the actor may see of it. A kind the actor may not
    /// read is absent; an empty list matches nothing.
    pub scopes: Vec<(TicketKind, Visibility)>,
    /// Any of these stored state names (the use case allows them with one kind only).
    pub statuses: Vec<String>,
    /// Any of these classes (empty: any).
    pub status_classes: Vec<StatusClass>,
    /// Any of these priorities (empty: any).
    pub priorities: Vec<Priority>,
    /// Any of these SLA states (empty: any).
    pub sla_states: Vec<SlaState>,
    /// Assignment group.
    pub team_id: Option<TeamId>,
    /// Tickets without a team (the triage queue).
    pub unassigned_team: bool,
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
    pub sort: TicketSort,
    /// Sort direction.
    pub direction: SortDirection,
    /// Opaque cursor from the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: u32,
}

impl TicketQuery {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 200;

    /// An unfiltered query over `scopes`.
    pub fn new(scopes: Vec<(TicketKind, Visibility)>) -> Self {
        Self {
            scopes,
            statuses: Vec::new(),
            status_classes: Vec::new(),
            priorities: Vec::new(),
            sla_states: Vec::new(),
            team_id: None,
            unassigned_team: false,
            assignee_id: None,
            requester_id: None,
            text: None,
            created_from: None,
            created_to: None,
            updated_from: None,
            updated_to: None,
            deleted: false,
            sort: TicketSort::default(),
            direction: SortDirection::default(),
            cursor: None,
            limit: Self::DEFAULT_LIMIT,
        }
    }
}

/// Tasks across parents ("my work"), oldest first, keyset paged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskQuery {
    /// Which tasks the actor may see: by the parent's visibility, per parent kind (as
    /// [`TicketQuery::scopes`]); an assignee always sees the tasks assigned to them.
    pub scopes: Vec<(TicketKind, Visibility)>,
    /// The actor, whose own tasks are always visible.
    pub actor_id: UserId,
    /// Assigned to.
    pub assignee_id: Option<UserId>,
    /// The task's team.
    pub team_id: Option<TeamId>,
    /// Any of these states (empty: any).
    pub statuses: Vec<TaskState>,
    /// Deadline before.
    pub deadline_before: Option<DateTime<Utc>>,
    /// From the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200.
    pub limit: u32,
}
