//! Request and response bodies (JSON, snake_case, RFC 3339 UTC times).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::entities::{Comment, HistoryEntry, Organization, Task, Team, User};
use servicedesk_core::lifecycle::incident::IncidentAction;
use servicedesk_core::lifecycle::task::TaskAction;
use servicedesk_core::priority::{Impact, Priority, Urgency};
use servicedesk_core::rbac::{Role, Scope};
use servicedesk_core::usecases::{IncidentView, SlaTargetView};
use utoipa::ToSchema;
use uuid::Uuid;

pub mod catalog;
pub mod catalog_schema;
mod delegations;
pub mod fields;
pub mod instant;
pub mod nullable;
pub mod requests;
mod security;
pub mod sla;
pub mod tickets;
pub mod whole;

pub use delegations::*;
pub use requests::*;
pub use security::*;
pub use tickets::*;

macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident => $core:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $(#[allow(missing_docs)] $variant),+ }

        impl From<$name> for $core {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => <$core>::$variant),+ }
            }
        }
    };
}

wire_enum!(
    /// Business impact.
    ImpactDto => Impact { High, Medium, Low }
);
wire_enum!(
    /// Time pressure.
    UrgencyDto => Urgency { High, Medium, Low }
);
wire_enum!(
    /// Priority (also raised by SLA escalations).
    PriorityDto => Priority { Critical, High, Medium, Low }
);
wire_enum!(
    /// Incident lifecycle moves.
    IncidentActionDto => IncidentAction { Assign, Start, Hold, Resume, Resolve, Reopen, Close, Cancel }
);
wire_enum!(
    /// Task lifecycle moves.
    TaskActionDto => TaskAction { Start, Complete, Cancel }
);
wire_enum!(
    /// How far a custom role's permission reaches.
    ScopeDto => Scope { Own, Group, Org }
);

// ---- auth ----

/// `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// Login address.
    pub email: String,
    /// Password.
    pub password: String,
}

/// Tokens after sign-in or refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque, single-use refresh token.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// A login that needs a TOTP code next.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaRequiredResponse {
    /// Always true.
    pub mfa_required: bool,
    /// Challenge for `POST /auth/mfa/verify`.
    pub mfa_token: String,
}

/// `POST /auth/mfa/verify`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MfaVerifyRequest {
    /// From the login answer.
    pub mfa_token: String,
    /// TOTP code or a recovery code.
    pub code: String,
}

/// `POST /auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The current refresh token.
    pub refresh_token: String,
}

/// A body with a one-time code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// TOTP code (or recovery code where accepted).
    pub code: String,
}

/// `POST /auth/mfa/enable`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaEnableResponse {
    /// Base32 secret for manual entry.
    pub secret: String,
    /// For a QR code.
    pub otpauth_uri: String,
}

/// `POST /auth/mfa/confirm`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    /// Ten single-use codes; shown once.
    pub recovery_codes: Vec<String>,
}

/// `POST /auth/register` (the role is always requester).
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Login address (receives the verification mail).
    #[schema(schema_with = fields::email)]
    pub email: String,
    /// Display name.
    #[schema(schema_with = fields::name)]
    pub name: String,
    /// Password (10–128 characters).
    #[schema(schema_with = fields::new_password)]
    pub password: String,
}

/// A body with a mailed token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The token from the link's `?token=` parameter.
    pub token: String,
}

/// `POST /auth/password-reset`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetRequest {
    /// The account's address.
    pub email: String,
}

/// `POST /auth/password-confirm`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordConfirmRequest {
    /// From the reset mail.
    pub token: String,
    /// The new password.
    #[schema(schema_with = fields::new_password)]
    pub new_password: String,
}

/// `POST /users/me/password`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    /// The current password.
    pub current_password: String,
    /// The new password.
    #[schema(schema_with = fields::new_password)]
    pub new_password: String,
}

// ---- administration ----

/// A user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDto {
    /// Id.
    pub id: Uuid,
    /// Organization.
    pub org_id: Uuid,
    /// Login address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role names.
    pub roles: Vec<String>,
    /// Teams.
    pub team_ids: Vec<Uuid>,
    /// Can sign in and be assigned work.
    pub active: bool,
    /// Their line manager: approvals route to them.
    pub manager_id: Option<Uuid>,
    /// The IANA time zone the user reads times in (e.g. `Europe/Berlin`); `null` means
    /// UTC. Times in the API stay UTC whatever it says.
    pub time_zone: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id.0,
            org_id: u.org_id.0,
            email: u.email,
            name: u.name,
            roles: u.roles,
            team_ids: u.team_ids.into_iter().map(|t| t.0).collect(),
            active: u.active,
            manager_id: u.manager_id.map(|m| m.0),
            time_zone: u.time_zone,
            created_at: u.created_at,
        }
    }
}

/// `POST /users`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUserRequest {
    /// Login address.
    #[schema(schema_with = fields::email)]
    pub email: String,
    /// Display name.
    #[schema(schema_with = fields::name)]
    pub name: String,
    /// Initial password.
    #[schema(schema_with = fields::new_password)]
    pub password: String,
    /// admin, manager, agent, requester or a custom role's name.
    #[schema(schema_with = fields::builtin_role)]
    pub role: String,
    /// Another organization (platform admin only).
    pub org_id: Option<Uuid>,
    /// Teams to join.
    #[serde(default)]
    pub team_ids: Vec<Uuid>,
}

/// `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserRequest {
    /// New name.
    #[schema(schema_with = fields::name_opt)]
    pub name: Option<String>,
    /// New role.
    #[schema(schema_with = fields::builtin_role_opt)]
    pub role: Option<String>,
    /// Activate / deactivate.
    pub active: Option<bool>,
    /// Grant or withdraw the platform admin flag: only a platform admin may send it, and
    /// `true` needs the admin role. Dropped when the user loses the admin role.
    pub platform_admin: Option<bool>,
    /// The line manager (an active user of the organization, not the user, not below them
    /// in the manager chain), or `null` to clear it; absent leaves it. Administrators only.
    #[serde(default, deserialize_with = "nullable::present")]
    #[schema(schema_with = fields::user_id_nullable)]
    pub manager_id: Option<Option<Uuid>>,
    /// The user's IANA time zone (e.g. `Europe/Berlin`), or `null` for UTC; absent leaves
    /// it. Users may set their own.
    #[serde(default, deserialize_with = "nullable::present")]
    #[schema(schema_with = fields::time_zone_opt)]
    pub time_zone: Option<Option<String>>,
}

/// Pagination of user lists.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct UserListQuery {
    /// Users after this id.
    pub after: Option<Uuid>,
    /// At most this many (default 50, max 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// An organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationDto {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Organization> for OrganizationDto {
    fn from(o: Organization) -> Self {
        Self {
            id: o.id.0,
            name: o.name,
            created_at: o.created_at,
        }
    }
}

/// A body with just a name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NameRequest {
    /// The name.
    #[schema(schema_with = fields::name)]
    pub name: String,
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamDto {
    /// Id.
    pub id: Uuid,
    /// Organization.
    pub org_id: Uuid,
    /// Name.
    pub name: String,
    /// Manager (hierarchical escalations).
    pub manager_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Team> for TeamDto {
    fn from(t: Team) -> Self {
        Self {
            id: t.id.0,
            org_id: t.org_id.0,
            name: t.name,
            manager_id: t.manager_id.map(|m| m.0),
            created_at: t.created_at,
        }
    }
}

/// `POST /teams`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTeamRequest {
    /// Name.
    #[schema(schema_with = fields::name)]
    pub name: String,
    /// Manager.
    pub manager_id: Option<Uuid>,
}

/// `POST /teams/{id}/members`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMemberRequest {
    /// The user to add.
    pub user_id: Uuid,
}

/// A permission granted with a scope.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantDto {
    /// `resource:action`, e.g. `incident:read`.
    #[schema(schema_with = fields::permission)]
    pub permission: String,
    /// own, group or org (default org).
    #[serde(default = "org_scope")]
    pub scope: ScopeDto,
}

fn org_scope() -> ScopeDto {
    ScopeDto::Org
}

/// A role.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleDto {
    /// Name.
    pub name: String,
    /// Built-in roles cannot be changed.
    pub builtin: bool,
    /// What it grants.
    pub permissions: Vec<GrantDto>,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        let permissions = r
            .grants()
            .iter()
            .map(|g| GrantDto {
                permission: g.permission.to_string(),
                scope: match g.scope {
                    Scope::Own => ScopeDto::Own,
                    Scope::Group => ScopeDto::Group,
                    Scope::Org => ScopeDto::Org,
                },
            })
            .collect();
        Self {
            name: r.name,
            builtin: r.builtin,
            permissions,
        }
    }
}

/// `POST /roles`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateRoleRequest {
    /// Name (lower-case letters, digits, `-`, `_`).
    #[schema(schema_with = fields::role_name)]
    pub name: String,
    /// Permissions with scopes.
    pub permissions: Vec<GrantDto>,
}

/// `PUT /roles/{name}`: the role's new grants (replacing the old ones).
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateRoleRequest {
    /// Permissions with scopes.
    pub permissions: Vec<GrantDto>,
}

// ---- incidents ----

/// `POST /incidents`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateIncidentRequest {
    /// One line (1–200 characters).
    #[schema(schema_with = fields::title)]
    pub title: String,
    /// What happened.
    #[schema(schema_with = fields::body)]
    pub description: String,
    /// high, medium or low.
    pub impact: ImpactDto,
    /// high, medium or low.
    pub urgency: UrgencyDto,
    /// Category path.
    #[schema(schema_with = fields::category_opt)]
    pub category: Option<String>,
    /// Raise it for this requester (staff only).
    pub requester_id: Option<Uuid>,
}

/// `PATCH /incidents/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateIncidentRequest {
    /// New title.
    #[schema(schema_with = fields::title_opt)]
    pub title: Option<String>,
    /// New description.
    #[schema(schema_with = fields::body_opt)]
    pub description: Option<String>,
    /// New impact.
    pub impact: Option<ImpactDto>,
    /// New urgency.
    pub urgency: Option<UrgencyDto>,
    /// New category.
    #[schema(schema_with = fields::category_opt)]
    pub category: Option<String>,
    /// The version read (alternative to `If-Match`).
    #[serde(default, deserialize_with = "whole::opt")]
    pub version: Option<i64>,
}

/// `POST /incidents/{id}/transitions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TransitionRequestDto {
    /// The move.
    pub action: IncidentActionDto,
    /// Required with resolve.
    #[schema(schema_with = fields::resolution_code_opt)]
    pub resolution_code: Option<String>,
    /// Required with resolve.
    #[schema(schema_with = fields::notes_opt)]
    pub resolution_notes: Option<String>,
    /// The version read (optional; `If-Match` works too).
    #[serde(default, deserialize_with = "whole::opt")]
    pub version: Option<i64>,
}

/// `POST /incidents/{id}/assign`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignRequest {
    /// Assignment group.
    pub team_id: Option<Uuid>,
    /// Agent.
    pub assignee_id: Option<Uuid>,
    /// The version read (optional).
    #[serde(default, deserialize_with = "whole::opt")]
    pub version: Option<i64>,
}

/// `POST /incidents/{id}/escalate`: a team, or `hierarchical: true`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EscalateRequest {
    /// Functional escalation target.
    pub to_team_id: Option<Uuid>,
    /// Escalate to the team's manager instead.
    #[serde(default)]
    pub hierarchical: bool,
    /// Why.
    #[schema(schema_with = fields::body)]
    pub reason: String,
    /// The version read (optional).
    #[serde(default, deserialize_with = "whole::opt")]
    pub version: Option<i64>,
}

/// `POST /incidents/{id}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentRequest {
    /// Text.
    #[schema(schema_with = fields::body)]
    pub body: String,
    /// An internal work note (staff only).
    #[serde(default)]
    pub internal: bool,
}

/// A comment or work note.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentDto {
    /// Id.
    pub id: Uuid,
    /// Author.
    pub author_id: Uuid,
    /// Text.
    pub body: String,
    /// Internal work note.
    pub internal: bool,
    /// Written.
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentDto {
    fn from(c: Comment) -> Self {
        Self {
            id: c.id.0,
            author_id: c.author_id.0,
            body: c.body,
            internal: c.internal,
            created_at: c.created_at,
        }
    }
}

/// One field change.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryDto {
    /// Who (absent for the system).
    pub actor_id: Option<Uuid>,
    /// When.
    pub at: DateTime<Utc>,
    /// Field.
    pub field: String,
    /// Before.
    pub old_value: Option<String>,
    /// After.
    pub new_value: Option<String>,
}

impl From<HistoryEntry> for HistoryDto {
    fn from(h: HistoryEntry) -> Self {
        Self {
            actor_id: h.actor_id.map(|a| a.0),
            at: h.at,
            field: h.field,
            old_value: h.old_value,
            new_value: h.new_value,
        }
    }
}

/// One SLA clock.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaTargetDto {
    /// Due instant (absent while paused or stopped).
    #[serde(serialize_with = "instant::utc_opt")]
    pub due_at: Option<DateTime<Utc>>,
    /// Business minutes left; negative once overdue.
    pub remaining_minutes: i64,
    /// Paused.
    pub paused: bool,
    /// Stopped (met or missed for good).
    pub stopped: bool,
    /// Warning threshold passed.
    pub warned: bool,
    /// Target missed.
    pub breached: bool,
}

impl From<SlaTargetView> for SlaTargetDto {
    fn from(v: SlaTargetView) -> Self {
        Self {
            due_at: v.due_at,
            remaining_minutes: v.remaining_minutes,
            paused: v.paused,
            stopped: v.stopped,
            warned: v.warned,
            breached: v.breached,
        }
    }
}

/// SLA state of an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaDto {
    /// The policy applied.
    pub policy_id: Uuid,
    /// First response.
    pub first_response: SlaTargetDto,
    /// Resolution.
    pub resolution: SlaTargetDto,
}

/// An incident as the caller sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentDto {
    /// Id.
    pub id: Uuid,
    /// Always `incident` (the ticket kernel's kind).
    pub kind: &'static str,
    /// Per-organization number.
    pub number: i64,
    /// `INC-<number>`.
    pub reference: String,
    /// Summary.
    pub title: String,
    /// Details.
    pub description: String,
    /// Impact.
    pub impact: &'static str,
    /// Urgency.
    pub urgency: &'static str,
    /// Priority.
    pub priority: &'static str,
    /// Category.
    pub category: String,
    /// Lifecycle state.
    pub status: &'static str,
    /// The status's class: `open`, `pending`, `resolved` or `closed` (what every kind's
    /// queue filters on).
    pub status_class: &'static str,
    /// Requester.
    pub requester_id: Uuid,
    /// Who logged it.
    pub created_by: Uuid,
    /// Assignment group.
    pub team_id: Option<Uuid>,
    /// Agent.
    pub assignee_id: Option<Uuid>,
    /// Escalations so far.
    pub escalation_level: i32,
    /// Resolution code.
    pub resolution_code: Option<String>,
    /// Resolution notes.
    pub resolution_notes: Option<String>,
    /// Resolved.
    #[serde(serialize_with = "instant::utc_opt")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Closed or cancelled.
    #[serde(serialize_with = "instant::utc_opt")]
    pub closed_at: Option<DateTime<Utc>>,
    /// First public staff reply.
    #[serde(serialize_with = "instant::utc_opt")]
    pub first_responded_at: Option<DateTime<Utc>>,
    /// Version for `If-Match`.
    pub version: i64,
    /// Moves the caller may make now.
    pub legal_actions: Vec<&'static str>,
    /// SLA state.
    pub sla: Option<SlaDto>,
    /// Created.
    #[serde(serialize_with = "instant::utc")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(serialize_with = "instant::utc")]
    pub updated_at: DateTime<Utc>,
    /// Soft-deleted.
    #[serde(serialize_with = "instant::utc_opt")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl From<IncidentView> for IncidentDto {
    fn from(v: IncidentView) -> Self {
        let i = v.incident;
        Self {
            id: i.id.0,
            kind: "incident",
            number: i.number,
            reference: i.reference(),
            title: i.title,
            description: i.description,
            impact: i.impact.as_str(),
            urgency: i.urgency.as_str(),
            priority: i.priority.as_str(),
            category: i.category,
            status: i.status.as_str(),
            status_class: servicedesk_core::tickets::KindState::class(i.status).as_str(),
            requester_id: i.requester_id.0,
            created_by: i.created_by.0,
            team_id: i.team_id.map(|t| t.0),
            assignee_id: i.assignee_id.map(|u| u.0),
            escalation_level: i.details.escalation_level,
            resolution_code: i.details.resolution_code,
            resolution_notes: i.details.resolution_notes,
            resolved_at: i.resolved_at,
            closed_at: i.closed_at,
            first_responded_at: i.first_responded_at,
            version: i.version,
            legal_actions: v.legal_actions.iter().map(|a| a.as_str()).collect(),
            sla: v.sla.map(|s| SlaDto {
                policy_id: s.policy_id.0,
                first_response: s.first_response.into(),
                resolution: s.resolution.into(),
            }),
            created_at: i.created_at,
            updated_at: i.updated_at,
            deleted_at: i.deleted_at,
        }
    }
}

/// Which page of an incident's comments, history or tasks.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChildPageQuery {
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page (of the same list).
    pub cursor: Option<String>,
}

impl From<ChildPageQuery> for servicedesk_core::usecases::PageRequest {
    fn from(q: ChildPageQuery) -> Self {
        Self {
            cursor: q.cursor,
            limit: q.limit,
        }
    }
}

/// A page of comments, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentPage {
    /// The rows.
    pub items: Vec<CommentDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A page of history rows, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryPage {
    /// The rows.
    pub items: Vec<HistoryDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A page of tasks, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskPage {
    /// The rows.
    pub items: Vec<TaskDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// A page of incidents.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentPage {
    /// The rows.
    pub items: Vec<IncidentDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Filters, sort and page of `GET /incidents`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct IncidentListQuery {
    /// Comma-separated statuses.
    #[param(
        pattern = r"^ *(new|open|in_progress|on_hold|resolved|closed|cancelled)? *(, *(new|open|in_progress|on_hold|resolved|closed|cancelled)? *)*$"
    )]
    pub status: Option<String>,
    /// Comma-separated priorities.
    #[param(pattern = r"^ *(critical|high|medium|low)? *(, *(critical|high|medium|low)? *)*$")]
    pub priority: Option<String>,
    /// Assignment group.
    pub team_id: Option<Uuid>,
    /// Agent.
    pub assignee_id: Option<Uuid>,
    /// Requester.
    pub requester_id: Option<Uuid>,
    /// Text in title or description.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_to: Option<DateTime<Utc>>,
    /// Updated at or after.
    pub updated_from: Option<DateTime<Utc>>,
    /// Updated before.
    pub updated_to: Option<DateTime<Utc>>,
    /// `created`, `updated`, `priority` or `sla_due`; prefix `-` for descending
    /// (default `-created`; `priority` is most urgent first).
    #[param(pattern = r"^-?(created|updated|priority|sla_due)$")]
    pub sort: Option<String>,
    /// Page size (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From the previous page.
    pub cursor: Option<String>,
    /// Soft-deleted incidents only (needs incident:restore).
    #[serde(default)]
    pub deleted: bool,
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    /// Id.
    pub id: Uuid,
    /// Parent ticket (kept under its first name: every parent was an incident then).
    pub incident_id: Uuid,
    /// Parent ticket, of any kind.
    pub ticket_id: Uuid,
    /// The task's own team, when it has one (fulfilment tasks).
    pub team_id: Option<Uuid>,
    /// `TSK-<number>`.
    pub reference: String,
    /// What to do.
    pub title: String,
    /// State.
    pub status: String,
    /// Who.
    pub assignee_id: Option<Uuid>,
    /// Due by.
    pub deadline: Option<DateTime<Utc>>,
    /// Priority.
    pub priority: String,
    /// Version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Task> for TaskDto {
    fn from(t: Task) -> Self {
        Self {
            id: t.id.0,
            incident_id: t.ticket_id.0,
            ticket_id: t.ticket_id.0,
            team_id: t.team_id.map(|x| x.0),
            reference: format!("TSK-{}", t.number),
            title: t.title,
            status: t.status.to_string(),
            assignee_id: t.assignee_id.map(|u| u.0),
            deadline: t.deadline,
            priority: t.priority.to_string(),
            version: t.version,
            created_at: t.created_at,
        }
    }
}

/// `POST /incidents/{id}/tasks`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateTaskRequest {
    /// What to do.
    #[schema(schema_with = fields::title)]
    pub title: String,
    /// Who.
    pub assignee_id: Option<Uuid>,
    /// Due by.
    pub deadline: Option<DateTime<Utc>>,
    /// Priority (default: the incident's).
    pub priority: Option<PriorityDto>,
}

/// `POST /tasks/{id}/transitions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TaskTransitionRequest {
    /// The move.
    pub action: TaskActionDto,
    /// The version read (optional).
    #[serde(default, deserialize_with = "whole::opt")]
    pub version: Option<i64>,
}
