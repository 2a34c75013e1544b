//! Bodies of the kernel's endpoints: `/tickets` (every kind), links, `/tasks`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::tickets::{AnyTicket, LinkView};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::TaskDto;

/// A ticket of any kind, as the kernel keeps it (a kind's own fields are on its endpoint,
/// e.g. `/incidents/{id}`).
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketDto {
    /// Id.
    pub id: Uuid,
    /// `incident`, `request`, `problem` or `change`.
    pub kind: String,
    /// Per-(organization, kind) number.
    pub number: i64,
    /// `INC-12`, `REQ-7`, …
    pub reference: String,
    /// Summary.
    pub title: String,
    /// The kind's lifecycle state.
    pub status: String,
    /// `open`, `pending`, `resolved` or `closed`.
    pub status_class: Option<String>,
    /// Priority.
    pub priority: String,
    /// Category path.
    pub category: String,
    /// Who it is for.
    pub requester_id: Uuid,
    /// Assignment group.
    pub team_id: Option<Uuid>,
    /// Agent.
    pub assignee_id: Option<Uuid>,
    /// `none`, `ok`, `warning` or `breached`.
    pub sla_state: String,
    /// Next SLA warning or breach instant.
    pub next_sla_due_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted at.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<AnyTicket> for TicketDto {
    fn from(t: AnyTicket) -> Self {
        Self {
            id: t.id.0,
            kind: t.kind.as_str().to_owned(),
            number: t.number,
            reference: t.reference(),
            status_class: t.status_class().map(|c| c.as_str().to_owned()),
            sla_state: servicedesk_core::tickets::SlaState::of(t.sla.as_ref())
                .as_str()
                .to_owned(),
            title: t.title,
            status: t.status,
            priority: t.priority.to_string(),
            category: t.category,
            requester_id: t.requester_id.0,
            team_id: t.team_id.map(|x| x.0),
            assignee_id: t.assignee_id.map(|x| x.0),
            next_sla_due_at: t.next_sla_due_at,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            deleted_at: t.deleted_at,
        }
    }
}

/// A page of tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketPage {
    /// The rows.
    pub items: Vec<TicketDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Filters, sort and page of `GET /tickets`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TicketListQuery {
    /// One kind (default: every kind you may read).
    #[param(pattern = r"^(incident|request|problem|change)$")]
    pub kind: Option<String>,
    /// Comma-separated classes.
    #[param(
        pattern = r"^ *(open|pending|resolved|closed)? *(, *(open|pending|resolved|closed)? *)*$"
    )]
    pub status_class: Option<String>,
    /// Comma-separated state names of the one `kind` (422 without `kind`).
    #[param(max_length = 400)]
    pub status: Option<String>,
    /// Comma-separated priorities.
    #[param(pattern = r"^ *(critical|high|medium|low)? *(, *(critical|high|medium|low)? *)*$")]
    pub priority: Option<String>,
    /// Comma-separated SLA states.
    #[param(pattern = r"^ *(none|ok|warning|breached)? *(, *(none|ok|warning|breached)? *)*$")]
    pub sla_state: Option<String>,
    /// Assignment group.
    pub team_id: Option<Uuid>,
    /// Only tickets without a team (triage).
    #[serde(default)]
    pub unassigned: bool,
    /// Agent, or `me`.
    #[param(
        pattern = r"^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub assignee_id: Option<String>,
    /// Requester.
    pub requester_id: Option<Uuid>,
    /// Text in title or description.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// `created`, `updated`, `priority` or `sla_due`; prefix `-` for descending.
    #[param(pattern = r"^-?(created|updated|priority|sla_due)$")]
    pub sort: Option<String>,
    /// Page size (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From the previous page.
    pub cursor: Option<String>,
}

/// A link seen from the ticket it was asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkDto {
    /// Id (for `DELETE`).
    pub id: Uuid,
    /// The relation from this ticket's side: `duplicate_of`, `duplicated_by`, `caused_by`,
    /// `causes`, `parent_of`, `child_of`, `relates_to`.
    pub relation: String,
    /// The other ticket.
    pub ticket: TicketDto,
    /// Who linked them.
    pub created_by: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<LinkView> for LinkDto {
    fn from(l: LinkView) -> Self {
        Self {
            id: l.id.0,
            relation: l.relation.to_owned(),
            ticket: TicketDto::from(l.other),
            created_by: l.created_by.0,
            created_at: l.created_at,
        }
    }
}

/// `POST /tickets/{id}/links`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLinkRequest {
    /// How this ticket relates to the other.
    #[serde(rename = "type")]
    #[schema(pattern = r"^(duplicate_of|caused_by|parent_of|child_of|relates_to)$")]
    pub link_type: String,
    /// The other ticket: UUID or reference (`INC-12`, `REQ-7`).
    #[schema(max_length = 64)]
    pub target: String,
}

/// Filters and page of `GET /tasks`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct TaskListQuery {
    /// Agent, or `me`.
    #[param(
        pattern = r"^(me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
    )]
    pub assignee_id: Option<String>,
    /// The task's team.
    pub team_id: Option<Uuid>,
    /// Comma-separated states.
    #[param(
        pattern = r"^ *(open|in_progress|done|cancelled)? *(, *(open|in_progress|done|cancelled)? *)*$"
    )]
    pub status: Option<String>,
    /// Deadline before.
    pub deadline_before: Option<DateTime<Utc>>,
    /// Page size (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From the previous page.
    pub cursor: Option<String>,
}

/// A page of tasks.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    /// The rows.
    pub items: Vec<TaskDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}
