use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_lifecycle::task::TaskState;

use crate::ids::{OrgId, TaskId, TeamId, TicketId, UserId};
use crate::priority::Priority;

/// A unit of work under a ticket (TASK). A parent cannot close while its tasks are open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Opaque id.
    pub id: TaskId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The parent ticket.
    pub ticket_id: TicketId,
    /// Per-organization number (`TSK-12`).
    pub number: i64,
    /// What to do.
    pub title: String,
    /// Lifecycle state.
    pub status: TaskState,
    /// Which team does it (a fulfilment template routes each task; `None`: the parent's).
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Who does it.
    pub assignee_id: Option<UserId>,
    /// Due by.
    pub deadline: Option<DateTime<Utc>>,
    /// How urgent.
    pub priority: Priority,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}
