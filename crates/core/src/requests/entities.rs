//! What a service request holds beyond the kernel, and its approvals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_lifecycle::request::RequestState;

use crate::approvals::{ResolvedStage, TimeoutAction};
use crate::catalog::{CatalogItemId, CleanAnswers, TaskTemplate};
use crate::ids::{ApprovalId, OrgId, TicketId, UserId};
use crate::tickets::Ticket;

/// A service request (REQ): the kernel's ticket with the request lifecycle and extension.
pub type ServiceRequest = Ticket<RequestState, RequestDetails>;

/// One approval stage as resolved at submission, with what its timing needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagePlan {
    /// Approvers, decision threshold, name and position.
    pub stage: ResolvedStage,
    /// Business hours to decide in.
    pub due_hours: u32,
    /// Share of the due time after which approvers are reminded (0: no reminder).
    pub reminder_percent: u8,
    /// What a timeout does.
    pub on_timeout: TimeoutAction,
}

/// Where the approvals of a request stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalState {
    /// The item needs no approval.
    NotRequired,
    /// A draft: nothing resolved yet.
    NotStarted,
    /// Stage `current_stage` is waiting for decisions.
    Pending,
    /// Every stage approved.
    Approved,
    /// A stage rejected.
    Rejected,
    /// The request was cancelled while approvals were open.
    Cancelled,
}

impl ApprovalState {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotRequired => "not_required",
            Self::NotStarted => "not_started",
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}

/// What only service requests have (the `request_details` extension table).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetails {
    /// The catalog item requested.
    pub catalog_item_id: CatalogItemId,
    /// The item's version the form was submitted with (the request keeps it).
    pub item_version: i64,
    /// The answers, checked against that version's form; hidden fields discarded.
    pub answers: CleanAnswers,
    /// The approval stages resolved at submission (empty for a draft or no approval).
    pub stages: Vec<StagePlan>,
    /// Where approvals stand.
    pub approval_state: ApprovalState,
    /// Index of the stage waiting for decisions.
    pub current_stage: u32,
    /// The item's fulfilment task template (created on approval).
    pub task_template: Option<TaskTemplate>,
}

/// One approver's approval of one stage of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Id.
    pub id: ApprovalId,
    /// Organization.
    pub org_id: OrgId,
    /// The request.
    pub ticket_id: TicketId,
    /// The stage's position.
    pub stage_index: u32,
    /// The stage's name.
    pub stage_name: String,
    /// Who must decide.
    pub approver_id: UserId,
    /// Pending, approved, rejected, cancelled.
    pub state: ApprovalDecision,
    /// Who decided (the approver, or their delegate).
    pub decided_by: Option<UserId>,
    /// The comment given with the decision (required for a rejection).
    pub comment: Option<String>,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// When the stage is due.
    pub due_at: DateTime<Utc>,
    /// When to remind the approver (`None`: no reminder).
    pub remind_at: Option<DateTime<Utc>>,
    /// When the reminder went out.
    pub reminded_at: Option<DateTime<Utc>>,
    /// When the timeout action ran.
    pub timed_out_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version (a decision names it, so one decision wins).
    pub version: i64,
}

/// The state of one approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalDecision {
    /// Waiting for the approver.
    Pending,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// No longer needed: the stage was decided by others, or the request was cancelled or
    /// rejected.
    Cancelled,
}

impl ApprovalDecision {
    /// Every state.
    pub const ALL: &'static [ApprovalDecision] = &[
        Self::Pending,
        Self::Approved,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }
}

impl std::str::FromStr for ApprovalDecision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| s.to_owned())
    }
}

impl std::str::FromStr for ApprovalState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::NotRequired,
            Self::NotStarted,
            Self::Pending,
            Self::Approved,
            Self::Rejected,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
        .ok_or_else(|| s.to_owned())
    }
}
