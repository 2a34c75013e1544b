//! The audit log (AUD-1): `GET /audit-events`.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{AuditEntry, AuditQuery};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::extract::AuthUser;
use crate::handlers::{block, page_limit};
use crate::problem::{ApiResult, Problem};

/// One audit record with its place in the organization's hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    /// Position in the organization's chain, from 1 (also what the cursor counts by).
    pub seq: i64,
    /// The organization.
    pub org_id: Uuid,
    /// Who acted; absent for the system.
    pub actor_id: Option<Uuid>,
    /// What was done, e.g. `user.role_change`, `team.create`, `webhook.update`.
    pub action: String,
    /// The kind of thing acted on, e.g. `user`.
    pub target_kind: String,
    /// Its id (a role's name for roles).
    pub target_id: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Details (changed fields as `{from, to}`, …).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// Hash of the previous entry (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this entry's fields, hex.
    pub hash: String,
}

impl From<AuditEntry> for AuditEventDto {
    fn from(e: AuditEntry) -> Self {
        Self {
            seq: e.seq,
            org_id: e.record.org_id.0,
            actor_id: e.record.actor_id.map(|a| a.0),
            action: e.record.action,
            target_kind: e.record.target_kind,
            target_id: e.record.target_id,
            at: e.record.at,
            detail: e.record.detail,
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// A page of audit records, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventPage {
    /// The records.
    pub items: Vec<AuditEventDto>,
    /// Pass as `cursor` for the next (older) page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Filters and page of `GET /audit-events`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditEventQuery {
    /// Another organization (platform admin only; anyone else gets 404).
    pub org: Option<Uuid>,
    /// Only records of this actor.
    pub actor: Option<Uuid>,
    /// Only this action, e.g. `user.update` (1–100 characters, no control character).
    #[param(required = false, schema_with = crate::dto::fields::audit_filter)]
    pub action: Option<String>,
    /// Only this kind of target, e.g. `user` (1–100 characters, no control character).
    #[param(required = false, schema_with = crate::dto::fields::audit_filter)]
    pub target_kind: Option<String>,
    /// Only this target id (1–200 characters, no control character).
    #[param(required = false, schema_with = crate::dto::fields::audit_target_id)]
    pub target_id: Option<String>,
    /// Recorded at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before this instant (not before `from`).
    pub to: Option<DateTime<Utc>>,
    /// The `next_cursor` of the previous page.
    #[param(required = false, schema_with = crate::dto::fields::audit_cursor)]
    pub cursor: Option<String>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// The audit log of the caller's organization (admins: `audit_event:read` for the
/// organization), newest first, filtered and cursor-paged.
#[utoipa::path(context_path = "/api/v1/audit-events", tag = "audit", security(("bearer" = [])), params(AuditEventQuery), responses(
    (status = 200, body = AuditEventPage),
    (status = 401, body = Problem), (status = 403, body = Problem),
    (status = 404, body = Problem, description = "another organization (not the platform admin), or no such organization"),
    (status = 422, body = Problem), (status = 429, body = Problem)))]
#[get("")]
pub async fn list_audit_events(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<AuditEventQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let query = AuditQuery {
        actor: q.actor.map(UserId),
        action: q.action,
        target_kind: q.target_kind,
        target_id: q.target_id,
        from: q.from,
        to: q.to,
        before_seq: None,
    };
    let page = block(move || {
        state.audit.events(
            &user.actor,
            q.org.map(OrgId),
            query,
            q.cursor.as_deref(),
            Some(limit),
        )
    })
    .await?;
    Ok(HttpResponse::Ok().json(AuditEventPage {
        items: page.items.into_iter().map(AuditEventDto::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
