//! Domain events: what happened, returned by the use cases and stored in the outbox in the
//! same transaction as the change. Notifications, webhooks, the live feed and automation
//! rules consume them; nothing is sent inline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::entities::SlaTarget;
use crate::ids::{CommentId, EventId, IncidentId, OrgId, TaskId, TeamId, UserId};
use crate::priority::Priority;

/// One thing that happened, with its envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// Unique id; consumers de-duplicate on it.
    pub id: EventId,
    /// The organization it happened in; events never cross organizations.
    pub org_id: OrgId,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who caused it (`None` for the system).
    pub actor_id: Option<UserId>,
    /// What happened.
    pub payload: EventPayload,
}

impl DomainEvent {
    /// The event's type name, e.g. `incident.created` (webhook subscriptions filter on it).
    pub fn kind(&self) -> &'static str {
        self.payload.kind()
    }

    /// The ticket (of any kind) the event is about, if any. Named for the first kind;
    /// request events answer their request.
    pub fn incident_id(&self) -> Option<IncidentId> {
        self.payload.incident_id()
    }
}

/// One changed field, old → new as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// Before.
    pub old: Option<String>,
    /// After.
    pub new: Option<String>,
}

/// A group of people an escalation rule notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// The ticket's assignee.
    Assignee,
    /// Every member of the ticket's team.
    Team,
    /// The manager of the ticket's team.
    Manager,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventPayload {
    /// An incident was opened.
    IncidentCreated {
        /// The incident.
        incident_id: IncidentId,
        /// Its priority.
        priority: Priority,
        /// Its requester.
        requester_id: UserId,
    },
    /// Fields of an incident changed (title, description, impact, urgency, priority, category).
    IncidentUpdated {
        /// The incident.
        incident_id: IncidentId,
        /// What changed.
        changes: Vec<FieldChange>,
    },
    /// An incident was (re)assigned.
    IncidentAssigned {
        /// The incident.
        incident_id: IncidentId,
        /// The new group.
        team_id: Option<TeamId>,
        /// The new agent.
        assignee_id: Option<UserId>,
    },
    /// An incident was escalated.
    IncidentEscalated {
        /// The incident.
        incident_id: IncidentId,
        /// Functional escalation target.
        to_team_id: Option<TeamId>,
        /// Hierarchical escalation target (the team's manager).
        to_manager_id: Option<UserId>,
        /// The new escalation level.
        level: i32,
        /// Why.
        reason: String,
    },
    /// An incident moved in its lifecycle.
    IncidentStatusChanged {
        /// The incident.
        incident_id: IncidentId,
        /// The state before.
        from: String,
        /// The state after.
        to: String,
        /// The action that moved it.
        action: String,
    },
    /// A comment or work note was added to a ticket: `incident.comment_added` on an
    /// incident (the name and fields it always had), `request.comment_added` on a request.
    CommentAdded {
        /// The ticket (named for the first kind).
        incident_id: IncidentId,
        /// The comment.
        comment_id: CommentId,
        /// True for an internal work note.
        internal: bool,
        /// The ticket's kind when it is not an incident (absent for incidents, so their
        /// payload is unchanged; old outbox rows decode as incidents').
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ticket_kind: Option<crate::tickets::TicketKind>,
    },
    /// An incident was soft-deleted.
    IncidentDeleted {
        /// The incident.
        incident_id: IncidentId,
    },
    /// A soft-deleted incident was restored.
    IncidentRestored {
        /// The incident.
        incident_id: IncidentId,
    },
    /// An SLA clock passed its warning threshold.
    SlaWarning {
        /// The incident.
        incident_id: IncidentId,
        /// Which clock.
        target: SlaTarget,
        /// The clock's due instant.
        due_at: DateTime<Utc>,
        /// Who the policy's escalation rules asked to be told, besides the default
        /// recipients (absent in events written before escalations existed).
        #[serde(default)]
        notify: Vec<Audience>,
    },
    /// An SLA clock passed its due instant.
    SlaBreached {
        /// The incident.
        incident_id: IncidentId,
        /// Which clock.
        target: SlaTarget,
        /// The clock's due instant.
        due_at: DateTime<Utc>,
        /// Who the policy's escalation rules asked to be told, besides the default
        /// recipients (absent in events written before escalations existed).
        #[serde(default)]
        notify: Vec<Audience>,
    },
    /// A task was created under an incident.
    TaskCreated {
        /// The parent.
        incident_id: IncidentId,
        /// The task.
        task_id: TaskId,
    },
    /// A requester registered and must verify the address (AUTH-6). Carries the raw token
    /// for the mail; the outbox row is scrubbed once delivered.
    EmailVerificationRequested {
        /// The new user.
        user_id: UserId,
        /// Where to send it.
        email: String,
        /// The user's display name.
        name: String,
        /// The single-use verification token (stored hashed in the token table).
        token: String,
    },
    /// Someone asked to reset the password of an existing account (AUTH-5).
    PasswordResetRequested {
        /// The user.
        user_id: UserId,
        /// Where to send it.
        email: String,
        /// The user's display name.
        name: String,
        /// The single-use reset token (stored hashed in the token table).
        token: String,
    },
    /// A security notice to an account holder (issue 9): someone tried to register their
    /// address, MFA was turned off or reset by an admin, the password changed.
    AccountNotice {
        /// The user.
        user_id: UserId,
        /// Where to send it.
        email: String,
        /// The user's display name.
        name: String,
        /// What happened.
        notice: AccountNoticeKind,
    },
    /// A service request was saved as a draft or submitted (REQ).
    RequestSubmitted {
        /// The request.
        ticket_id: IncidentId,
        /// Who it is for.
        requester_id: UserId,
        /// Who placed it.
        created_by: UserId,
        /// Saved as a draft (not yet handed in).
        draft: bool,
    },
    /// A service request moved in its lifecycle.
    RequestStatusChanged {
        /// The request.
        ticket_id: IncidentId,
        /// The state before.
        from: String,
        /// The state after.
        to: String,
        /// The action that moved it.
        action: String,
    },
    /// An approver was asked to decide a stage of a request.
    ApprovalRequested {
        /// The request.
        ticket_id: IncidentId,
        /// Who must decide.
        approver_id: UserId,
        /// The stage.
        stage: String,
        /// When the stage is due.
        due_at: DateTime<Utc>,
    },
    /// An approver (or their delegate) decided.
    ApprovalDecided {
        /// The request.
        ticket_id: IncidentId,
        /// The approver asked.
        approver_id: UserId,
        /// Who decided (the delegate when acting on the approver's behalf).
        decided_by: UserId,
        /// The stage.
        stage: String,
        /// Approved (else rejected).
        approved: bool,
    },
    /// An approver's reminder time came without a decision.
    ApprovalReminder {
        /// The request.
        ticket_id: IncidentId,
        /// Who must decide.
        approver_id: UserId,
        /// The stage.
        stage: String,
        /// When the stage is due.
        due_at: DateTime<Utc>,
    },
    /// Two tickets were linked (`link_type` as stored: never `child_of`).
    TicketLinked {
        /// The link's source: the duplicate, the caused ticket, the parent, …
        ticket_id: IncidentId,
        /// The other end: the original, the cause, the child, …
        target_id: IncidentId,
        /// How the source relates to the target.
        link_type: String,
    },
    /// A task moved in its lifecycle.
    TaskStatusChanged {
        /// The parent.
        incident_id: IncidentId,
        /// The task.
        task_id: TaskId,
        /// The state before.
        from: String,
        /// The state after.
        to: String,
    },
}

impl EventPayload {
    /// The event's type name, e.g. `incident.created`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::IncidentCreated { .. } => "incident.created",
            Self::IncidentUpdated { .. } => "incident.updated",
            Self::IncidentAssigned { .. } => "incident.assigned",
            Self::IncidentEscalated { .. } => "incident.escalated",
            Self::IncidentStatusChanged { .. } => "incident.status_changed",
            Self::CommentAdded {
                ticket_kind: Some(crate::tickets::TicketKind::Request),
                ..
            } => "request.comment_added",
            Self::CommentAdded { .. } => "incident.comment_added",
            Self::IncidentDeleted { .. } => "incident.deleted",
            Self::IncidentRestored { .. } => "incident.restored",
            Self::SlaWarning { .. } => "sla.warning",
            Self::SlaBreached { .. } => "sla.breached",
            Self::TaskCreated { .. } => "task.created",
            Self::TaskStatusChanged { .. } => "task.status_changed",
            Self::EmailVerificationRequested { .. } => "user.email_verification_requested",
            Self::PasswordResetRequested { .. } => "user.password_reset_requested",
            Self::AccountNotice { .. } => "user.account_notice",
            Self::RequestSubmitted { .. } => "request.submitted",
            Self::RequestStatusChanged { .. } => "request.status_changed",
            Self::ApprovalRequested { .. } => "approval.requested",
            Self::ApprovalDecided { .. } => "approval.decided",
            Self::ApprovalReminder { .. } => "approval.reminder",
            Self::TicketLinked { .. } => "ticket.linked",
        }
    }

    /// The ticket (of any kind) the event is about, if any. Named for the first kind;
    /// request events answer their request.
    pub fn incident_id(&self) -> Option<IncidentId> {
        match self {
            Self::IncidentCreated { incident_id, .. }
            | Self::IncidentUpdated { incident_id, .. }
            | Self::IncidentAssigned { incident_id, .. }
            | Self::IncidentEscalated { incident_id, .. }
            | Self::IncidentStatusChanged { incident_id, .. }
            | Self::CommentAdded { incident_id, .. }
            | Self::IncidentDeleted { incident_id }
            | Self::IncidentRestored { incident_id }
            | Self::SlaWarning { incident_id, .. }
            | Self::SlaBreached { incident_id, .. }
            | Self::TaskCreated { incident_id, .. }
            | Self::TaskStatusChanged { incident_id, .. } => Some(*incident_id),
            Self::RequestSubmitted { ticket_id, .. }
            | Self::RequestStatusChanged { ticket_id, .. }
            | Self::ApprovalRequested { ticket_id, .. }
            | Self::ApprovalDecided { ticket_id, .. }
            | Self::ApprovalReminder { ticket_id, .. }
            | Self::TicketLinked { ticket_id, .. } => Some(*ticket_id),
            Self::EmailVerificationRequested { .. }
            | Self::PasswordResetRequested { .. }
            | Self::AccountNotice { .. } => None,
        }
    }
}

/// What an [`EventPayload::AccountNotice`] tells the account holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountNoticeKind {
    /// Someone tried to register an account with this (already registered) address.
    RegistrationAttempted,
    /// The account holder turned MFA off.
    MfaDisabled,
    /// An administrator reset the account's MFA and signed it out everywhere.
    MfaResetByAdmin,
    /// The password was changed (or reset).
    PasswordChanged,
}

impl AccountNoticeKind {
    /// The stored name, e.g. `mfa_disabled`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RegistrationAttempted => "registration_attempted",
            Self::MfaDisabled => "mfa_disabled",
            Self::MfaResetByAdmin => "mfa_reset_by_admin",
            Self::PasswordChanged => "password_changed",
        }
    }
}

/// One line of the audit log (AUD-1), written in the same transaction as the change.
/// The store chains each record to the previous one of its organization by hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// The organization.
    pub org_id: OrgId,
    /// Who acted (`None` for the system).
    pub actor_id: Option<UserId>,
    /// What was done, e.g. `incident.update`.
    pub action: String,
    /// The kind of thing acted on, e.g. `incident`.
    pub target_kind: String,
    /// Its id.
    pub target_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details (changed fields, …) as JSON.
    pub detail: serde_json::Value,
}
