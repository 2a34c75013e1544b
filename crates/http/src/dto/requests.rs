//! Bodies of `/service-requests` and `/approvals` (REQ).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::requests::{Approval, RequestView};
use servicedesk_core::tickets::KindState;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ImpactDto, UrgencyDto};

/// `POST /service-requests`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceRequest {
    /// The catalog item.
    pub item_id: Uuid,
    /// Answers to the item's form, by field key (checked against the form: 422 names each
    /// bad field as `answers.<key>`; answers to hidden fields are discarded).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// Who it is for (default: you). Staff, or the person's manager, may request for others.
    pub requested_for: Option<Uuid>,
    /// Save as a draft (answers may be incomplete; nothing starts).
    #[serde(default)]
    pub draft: bool,
    /// Summary (default: the item's name).
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// Business impact (default medium).
    pub impact: Option<ImpactDto>,
    /// Time pressure (default medium).
    pub urgency: Option<UrgencyDto>,
}

/// `POST /service-requests/{id}/transitions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestTransitionRequest {
    /// `submit` (a draft), `cancel`, `fulfil` or `close`.
    #[schema(pattern = r"^(submit|cancel|fulfil|close)$")]
    pub action: String,
    /// The version read (optional; `If-Match` works too).
    #[serde(default, deserialize_with = "super::whole::opt")]
    pub version: Option<i64>,
}

/// `POST /approvals/{id}/approve` and `/reject`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// Why (required to reject).
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

/// One approver's approval of one stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalDto {
    /// Id (for approve / reject).
    pub id: Uuid,
    /// The request.
    pub ticket_id: Uuid,
    /// The stage's position (0 first).
    pub stage_index: u32,
    /// The stage's name.
    pub stage: String,
    /// Who must decide.
    pub approver_id: Uuid,
    /// `pending`, `approved`, `rejected` or `cancelled`.
    pub state: String,
    /// Who decided: the approver, or their delegate ("on behalf of" the approver).
    pub decided_by: Option<Uuid>,
    /// The decision's comment.
    pub comment: Option<String>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// When the stage is due (business hours).
    pub due_at: DateTime<Utc>,
    /// When the approver is reminded.
    pub remind_at: Option<DateTime<Utc>>,
}

impl From<Approval> for ApprovalDto {
    fn from(a: Approval) -> Self {
        Self {
            id: a.id.0,
            ticket_id: a.ticket_id.0,
            stage_index: a.stage_index,
            stage: a.stage_name,
            approver_id: a.approver_id.0,
            state: a.state.as_str().to_owned(),
            decided_by: a.decided_by.map(|u| u.0),
            comment: a.comment,
            decided_at: a.decided_at,
            due_at: a.due_at,
            remind_at: a.remind_at,
        }
    }
}

/// One resolved approval stage.
#[derive(Debug, Serialize, ToSchema)]
pub struct StageDto {
    /// Name.
    pub name: String,
    /// The approvers resolved at submission (the requester left out).
    pub approvers: Vec<Uuid>,
    /// How many approvals decide it.
    pub required: u32,
}

/// A service request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequestDto {
    /// Id.
    pub id: Uuid,
    /// Always `request`.
    pub kind: &'static str,
    /// Per-organization number.
    pub number: i64,
    /// `REQ-<number>`.
    pub reference: String,
    /// Summary.
    pub title: String,
    /// State: draft, submitted, pending_approval, approved, rejected, fulfilling,
    /// fulfilled, closed, cancelled.
    pub status: String,
    /// `open`, `pending`, `resolved` or `closed`.
    pub status_class: &'static str,
    /// Priority.
    pub priority: String,
    /// Who it is for.
    pub requester_id: Uuid,
    /// Who placed it.
    pub created_by: Uuid,
    /// Fulfilment team.
    pub team_id: Option<Uuid>,
    /// Agent.
    pub assignee_id: Option<Uuid>,
    /// The catalog item.
    pub catalog_item_id: Uuid,
    /// The item version the answers were checked against.
    pub item_version: i64,
    /// The answers (hidden fields discarded).
    #[schema(value_type = Object)]
    pub answers: serde_json::Value,
    /// `not_required`, `not_started`, `pending`, `approved`, `rejected`, `cancelled`.
    pub approval_state: &'static str,
    /// The stage waiting for decisions.
    pub current_stage: u32,
    /// The stages resolved at submission.
    pub stages: Vec<StageDto>,
    /// Every approval, by stage.
    pub approvals: Vec<ApprovalDto>,
    /// Next SLA instant.
    pub next_sla_due_at: Option<DateTime<Utc>>,
    /// When staff first answered publicly (stops the first-response clock).
    pub first_responded_at: Option<DateTime<Utc>>,
    /// Lifecycle actions allowed now.
    pub legal_actions: Vec<String>,
    /// Version (the `ETag`).
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<RequestView> for ServiceRequestDto {
    fn from(v: RequestView) -> Self {
        let r = v.request;
        Self {
            id: r.id.0,
            kind: "request",
            number: r.number,
            reference: r.reference(),
            status_class: r.status.class().as_str(),
            status: r.status.to_string(),
            title: r.title,
            priority: r.priority.to_string(),
            requester_id: r.requester_id.0,
            created_by: r.created_by.0,
            team_id: r.team_id.map(|t| t.0),
            assignee_id: r.assignee_id.map(|u| u.0),
            catalog_item_id: r.details.catalog_item_id.0,
            item_version: r.details.item_version,
            answers: serde_json::to_value(&r.details.answers).unwrap_or_default(),
            approval_state: r.details.approval_state.as_str(),
            current_stage: r.details.current_stage,
            stages: r
                .details
                .stages
                .into_iter()
                .map(|p| StageDto {
                    name: p.stage.name,
                    approvers: p.stage.approvers.into_iter().map(|u| u.0).collect(),
                    required: p.stage.required,
                })
                .collect(),
            approvals: v.approvals.into_iter().map(ApprovalDto::from).collect(),
            next_sla_due_at: r.next_sla_due_at,
            first_responded_at: r.first_responded_at,
            legal_actions: v.legal_actions,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A pending approval with the request it decides.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingApprovalDto {
    /// The approval.
    #[serde(flatten)]
    pub approval: ApprovalDto,
    /// The request's reference.
    pub reference: String,
    /// The request's title.
    pub title: String,
    /// Who it is for.
    pub requester_id: Uuid,
}

/// `GET /approvals` filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ApprovalQuery {
    /// Only `pending` is supported: the approvals waiting for you (and for whoever
    /// delegated to you today).
    #[param(pattern = r"^pending$")]
    pub state: Option<String>,
}
