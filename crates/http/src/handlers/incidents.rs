//! `/incidents` and `/tasks` (INC, TKT-*).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use servicedesk_core::ids::{TaskId, TeamId, UserId};
use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::ports::{IncidentSort, SortDirection};
use servicedesk_core::priority::Priority;
use servicedesk_core::usecases::{
    Assignment, Escalation, IncidentRef, IncidentView, ListIncidents, NewTaskInput, OpenIncident,
    TransitionRequest, UpdateIncident,
};
use uuid::Uuid;

use crate::AppState;
use crate::dto::*;
use crate::extract::{ApiJson, AuthUser, etag, if_match};
use crate::handlers::block;
use crate::problem::{ApiError, ApiResult, Problem};

fn incident_ref(raw: &str) -> ApiResult<IncidentRef> {
    IncidentRef::parse(raw).ok_or_else(|| ApiError::not_found("incident"))
}

fn with_etag(status: actix_web::http::StatusCode, view: IncidentView) -> HttpResponse {
    let tag = etag(view.incident.version);
    HttpResponse::build(status)
        .insert_header((header::ETAG, tag))
        .json(IncidentDto::from(view))
}

/// The version a write names: `If-Match` or the body's `version`; both must agree.
pub(crate) fn named_version(req: &HttpRequest, body: Option<i64>) -> ApiResult<Option<i64>> {
    match (if_match(req)?, body) {
        (Some(a), Some(b)) if a != b => Err(ApiError::invalid(
            "version",
            "mismatch",
            "If-Match and version disagree",
        )),
        (a, b) => Ok(a.or(b)),
    }
}

pub(crate) fn csv<T: std::str::FromStr>(field: &str, raw: Option<&str>) -> ApiResult<Vec<T>> {
    raw.map(|r| {
        r.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<T>())
            .collect::<Result<Vec<_>, _>>()
    })
    .transpose()
    .map_err(|_| ApiError::invalid(field, "unknown", format!("unknown {field} value")))
    .map(Option::unwrap_or_default)
}

pub(crate) fn sort_of(raw: Option<&str>) -> ApiResult<(IncidentSort, SortDirection)> {
    let raw = raw.unwrap_or("-created");
    let (dir, key) = match raw.strip_prefix('-') {
        Some(k) => (SortDirection::Desc, k),
        None => (SortDirection::Asc, raw),
    };
    let sort = match key {
        "created" => IncidentSort::Created,
        "updated" => IncidentSort::Updated,
        "sla_due" => IncidentSort::SlaDue,
        // "priority" reads as most urgent first.
        "priority" => {
            return Ok((
                IncidentSort::Priority,
                if dir == SortDirection::Asc {
                    SortDirection::Desc
                } else {
                    SortDirection::Asc
                },
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "sort",
                "unknown",
                "sort by created, updated, priority or sla_due (prefix - to reverse)",
            ));
        }
    };
    Ok((sort, dir))
}

/// The queue: filtered, sorted, keyset-paginated.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(IncidentListQuery), responses(
    (status = 200, body = IncidentPage), (status = 422, body = Problem)))]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<IncidentListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let (sort, direction) = sort_of(q.sort.as_deref())?;
    let input = ListIncidents {
        statuses: csv::<IncidentState>("status", q.status.as_deref())?,
        priorities: csv::<Priority>("priority", q.priority.as_deref())?,
        team_id: q.team_id.map(TeamId),
        assignee_id: q.assignee_id.map(UserId),
        requester_id: q.requester_id.map(UserId),
        text: q.q,
        created_from: q.created_from,
        created_to: q.created_to,
        updated_from: q.updated_from,
        updated_to: q.updated_to,
        deleted: q.deleted,
        sort,
        direction,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = block(move || state.incidents.list(&user.actor, input)).await?;
    let page = IncidentPage {
        items: page.items.into_iter().map(IncidentDto::from).collect(),
        next_cursor: page.next_cursor,
    };
    // Sized for the page up front (an incident is about 1.1 KiB of JSON): `json()` starts
    // at 128 bytes and copies a 50-incident page some ten times while it doubles.
    let mut body = Vec::with_capacity(1280 * (page.items.len() + 1));
    serde_json::to_writer(&mut body, &page).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(header::ContentType::json())
        .body(body))
}

/// Open an incident; an `Idempotency-Key` header makes retries safe.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), request_body = CreateIncidentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeat-safe create")),
    responses((status = 201, body = IncidentDto), (status = 200, description = "Replayed: the first result", body = IncidentDto), (status = 422, body = Problem)))]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: ApiJson<CreateIncidentRequest>,
) -> ApiResult<HttpResponse> {
    let key = crate::extract::idempotency_key(&req)?;
    let b = body.into_inner();
    let input = OpenIncident {
        title: b.title,
        description: b.description,
        impact: b.impact.into(),
        urgency: b.urgency.into(),
        category: b.category,
        requester_id: b.requester_id.map(UserId),
    };
    let out = block(move || state.incidents.open(&user.actor, input, key.as_deref())).await?;
    let status = if out.events.is_empty() {
        actix_web::http::StatusCode::OK
    } else {
        actix_web::http::StatusCode::CREATED
    };
    let location = format!("/api/v1/incidents/{}", out.value.incident.id);
    let mut res = with_etag(status, out.value);
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One incident, by id or `INC-<n>`, with its `ETag`.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path, description = "UUID or INC-<n>")),
    responses((status = 200, body = IncidentDto), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let view = block(move || state.incidents.get(&user.actor, r)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, view))
}

/// Edit fields; needs `If-Match` (or `version` in the body).
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateIncidentRequest,
    responses((status = 200, body = IncidentDto), (status = 409, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
#[patch("/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<UpdateIncidentRequest>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let b = body.into_inner();
    let Some(version) = named_version(&req, b.version)? else {
        return Err(ApiError::new(Problem::new(
            actix_web::http::StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "Precondition required",
            "send If-Match with the ETag you read (or version in the body)",
        )));
    };
    let input = UpdateIncident {
        title: b.title,
        description: b.description,
        impact: b.impact.map(Into::into),
        urgency: b.urgency.map(Into::into),
        category: b.category,
    };
    let out = block(move || state.incidents.update(&user.actor, r, version, input)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out.value))
}

/// Soft-delete.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
#[delete("/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let version = if_match(&req)?;
    block(move || state.incidents.delete(&user.actor, r, version)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restore a soft-deleted incident.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = IncidentDto), (status = 404, body = Problem)))]
#[post("/{id}/restore")]
pub async fn restore(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let version = if_match(&req)?;
    let out = block(move || state.incidents.restore(&user.actor, r, version)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out.value))
}

/// A lifecycle move: start, hold, resume, resolve, reopen, close, cancel (assign has its own endpoint).
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = TransitionRequestDto,
    responses((status = 200, body = IncidentDto), (status = 409, description = "Illegal move or stale version", body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<TransitionRequestDto>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let b = body.into_inner();
    let version = named_version(&req, b.version)?;
    let request = TransitionRequest {
        action: b.action.into(),
        resolution_code: b.resolution_code,
        resolution_notes: b.resolution_notes,
    };
    let out = block(move || state.incidents.transition(&user.actor, r, version, request)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out.value))
}

/// Assign to a team and/or an agent.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = AssignRequest,
    responses((status = 200, body = IncidentDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/assign")]
pub async fn assign(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<AssignRequest>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let b = body.into_inner();
    let version = named_version(&req, b.version)?;
    let input = Assignment {
        team_id: b.team_id.map(TeamId),
        assignee_id: b.assignee_id.map(UserId),
    };
    let out = block(move || state.incidents.assign(&user.actor, r, version, input)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out.value))
}

/// Escalate functionally (`to_team_id`) or hierarchically (`hierarchical: true`).
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = EscalateRequest,
    responses((status = 200, body = IncidentDto), (status = 422, body = Problem)))]
#[post("/{id}/escalate")]
pub async fn escalate(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<EscalateRequest>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let b = body.into_inner();
    let version = named_version(&req, b.version)?;
    let input = match (b.to_team_id, b.hierarchical) {
        (Some(team), false) => Escalation::Functional {
            to_team_id: TeamId(team),
            reason: b.reason,
        },
        (None, true) => Escalation::Hierarchical { reason: b.reason },
        _ => {
            return Err(ApiError::invalid(
                "to_team_id",
                "one_of",
                "give either to_team_id or hierarchical: true",
            ));
        }
    };
    let out = block(move || state.incidents.escalate(&user.actor, r, version, input)).await?;
    Ok(with_etag(actix_web::http::StatusCode::OK, out.value))
}

/// Comments, oldest first, paged (internal notes only for staff).
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ChildPageQuery),
    responses((status = 200, body = CommentPage), (status = 404, body = Problem), (status = 422, description = "Bad limit or cursor", body = Problem)))]
#[get("/{id}/comments")]
pub async fn comments(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<ChildPageQuery>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let page = q.into_inner().into();
    let found = block(move || state.incidents.comments(&user.actor, r, &page)).await?;
    Ok(HttpResponse::Ok().json(CommentPage {
        items: found.items.into_iter().map(CommentDto::from).collect(),
        next_cursor: found.next_cursor,
    }))
}

/// Add a public comment or an internal work note.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = CommentRequest,
    responses((status = 201, body = CommentDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/comments")]
pub async fn add_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<CommentRequest>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let b = body.into_inner();
    let out = block(move || state.incidents.comment(&user.actor, r, &b.body, b.internal)).await?;
    Ok(HttpResponse::Created().json(CommentDto::from(out.value)))
}

/// Field-change history, oldest first, paged (internal-work rows only for staff).
#[utoipa::path(context_path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ChildPageQuery),
    responses((status = 200, body = HistoryPage), (status = 404, body = Problem), (status = 422, description = "Bad limit or cursor", body = Problem)))]
#[get("/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<ChildPageQuery>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let page = q.into_inner().into();
    let found = block(move || state.incidents.history(&user.actor, r, &page)).await?;
    Ok(HttpResponse::Ok().json(HistoryPage {
        items: found.items.into_iter().map(HistoryDto::from).collect(),
        next_cursor: found.next_cursor,
    }))
}

/// Tasks under an incident, oldest first, paged (needs task:read).
#[utoipa::path(context_path = "/api/v1/incidents", tag = "tasks", security(("bearer" = [])), params(("id" = String, Path), ChildPageQuery),
    responses((status = 200, body = TaskPage), (status = 403, description = "No task:read (requesters)", body = Problem), (status = 404, body = Problem), (status = 422, description = "Bad limit or cursor", body = Problem)))]
#[get("/{id}/tasks")]
pub async fn tasks(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<ChildPageQuery>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let page = q.into_inner().into();
    let found = block(move || state.incidents.tasks(&user.actor, r, &page)).await?;
    Ok(HttpResponse::Ok().json(TaskPage {
        items: found.items.into_iter().map(TaskDto::from).collect(),
        next_cursor: found.next_cursor,
    }))
}

/// Add a task under an incident.
#[utoipa::path(context_path = "/api/v1/incidents", tag = "tasks", security(("bearer" = [])), params(("id" = String, Path)), request_body = CreateTaskRequest,
    responses((status = 201, body = TaskDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/tasks")]
pub async fn add_task(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<CreateTaskRequest>,
) -> ApiResult<HttpResponse> {
    let r = incident_ref(&id)?;
    let b = body.into_inner();
    let input = NewTaskInput {
        title: b.title,
        assignee_id: b.assignee_id.map(UserId),
        deadline: b.deadline,
        priority: b.priority.map(Into::into),
    };
    let out = block(move || state.incidents.add_task(&user.actor, r, input)).await?;
    Ok(HttpResponse::Created().json(TaskDto::from(out.value)))
}

/// Move a task: start, complete, cancel.
#[utoipa::path(context_path = "/api/v1/tasks", tag = "tasks", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TaskTransitionRequest,
    responses((status = 200, body = TaskDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/{id}/transitions")]
pub async fn task_transition(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ApiJson<TaskTransitionRequest>,
) -> ApiResult<HttpResponse> {
    let id = TaskId(id.into_inner());
    let b = body.into_inner();
    let version = named_version(&req, b.version)?;
    // A task hangs off a ticket of any kind; its parent's use cases move it (and
    // fulfil a request whose last task is done).
    let task = block(move || {
        match state
            .incidents
            .transition_task(&user.actor, id, version, b.action.into())
        {
            Err(servicedesk_core::Error::NotFound { entity: "task" }) => state
                .requests
                .transition_task(&user.actor, id, version, b.action.into()),
            other => other.map(|out| out.value),
        }
    })
    .await?;
    Ok(HttpResponse::Ok().json(TaskDto::from(task)))
}
