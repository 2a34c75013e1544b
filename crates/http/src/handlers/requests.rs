//! `/service-requests` and `/approvals` (REQ).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use servicedesk_core::catalog::CatalogItemId;
use servicedesk_core::ids::{ApprovalId, TicketId, UserId};
use servicedesk_core::requests::{RequestView, SubmitRequest};
use servicedesk_core::tickets::{TicketKind, TicketName};
use uuid::Uuid;

use crate::AppState;
use crate::dto::*;
use crate::extract::{ApiJson, AuthUser, etag};
use crate::handlers::block;
use crate::handlers::incidents::named_version;
use crate::problem::{ApiError, ApiResult, Problem};

fn with_etag(status: StatusCode, view: RequestView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(view.request.version)))
        .json(ServiceRequestDto::from(view))
}

/// The request named by a UUID or `REQ-<n>`; anything else, or a request the caller may
/// not read, is `NotFound`.
fn request_id(
    state: &AppState,
    user: &AuthUser,
    raw: &str,
) -> Result<TicketId, servicedesk_core::Error> {
    let not_found = servicedesk_core::Error::NotFound {
        entity: "service request",
    };
    match TicketName::parse(raw) {
        Some(TicketName::Id(id)) => Ok(id),
        Some(TicketName::Ref(r)) if r.kind == TicketKind::Request => state
            .requests
            .get_by_number(&user.actor, r.number)
            .map(|v| v.request.id)
            .map_err(|_| not_found),
        _ => Err(not_found),
    }
}

/// Request a catalog item: its form's answers are checked at submission, approvers are
/// resolved for every stage, and the first stage's approvals (or, without approval,
/// fulfilment and its tasks) start. `draft: true` saves it without starting anything.
/// An `Idempotency-Key` header makes retries safe.
#[utoipa::path(context_path = "/api/v1/service-requests", tag = "service-requests", security(("bearer" = [])), request_body = CreateServiceRequest,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = ServiceRequestDto), (status = 200, description = "Replayed", body = ServiceRequestDto),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_service_request(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    body: ApiJson<CreateServiceRequest>,
) -> ApiResult<HttpResponse> {
    let key = crate::extract::idempotency_key(&req)?;
    let b = body.into_inner();
    let input = SubmitRequest {
        item_id: CatalogItemId(b.item_id),
        answers: b.answers.into_iter().collect(),
        requested_for: b.requested_for.map(UserId),
        draft: b.draft,
        title: b.title,
        impact: b.impact.map(Into::into),
        urgency: b.urgency.map(Into::into),
    };
    let out = block(move || state.requests.submit(&user.actor, input, key.as_deref())).await?;
    let status = if out.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let location = format!("/api/v1/service-requests/{}", out.value.request.id);
    let mut res = with_etag(status, out.value);
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One request, by id or `REQ-<n>`, with its approvals and `ETag`.
#[utoipa::path(context_path = "/api/v1/service-requests", tag = "service-requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or REQ-<n>")),
    responses((status = 200, body = ServiceRequestDto), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_service_request(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let view = block(move || {
        let id = request_id(&state, &user, &id)?;
        state.requests.get(&user.actor, id)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// The request's comments, oldest first, paged (internal notes only for staff).
#[utoipa::path(context_path = "/api/v1/service-requests", tag = "service-requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or REQ-<n>"), ChildPageQuery),
    responses((status = 200, body = CommentPage), (status = 404, body = Problem), (status = 422, description = "Bad limit or cursor", body = Problem)))]
#[get("/{id}/comments")]
pub async fn service_request_comments(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<ChildPageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.into_inner().into();
    let found = block(move || {
        let id = request_id(&state, &user, &id)?;
        state.requests.comments(&user.actor, id, &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(CommentPage {
        items: found.items.into_iter().map(CommentDto::from).collect(),
        next_cursor: found.next_cursor,
    }))
}

/// Add a public comment or (staff) an internal work note to a request.
#[utoipa::path(context_path = "/api/v1/service-requests", tag = "service-requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or REQ-<n>")), request_body = CommentRequest,
    responses((status = 201, body = CommentDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/comments")]
pub async fn add_service_request_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<CommentRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let comment = block(move || {
        let id = request_id(&state, &user, &id)?;
        state.requests.comment(&user.actor, id, &b.body, b.internal)
    })
    .await?;
    Ok(HttpResponse::Created().json(CommentDto::from(comment)))
}

/// The request's field-change history, oldest first, paged (internal-work rows for staff).
#[utoipa::path(context_path = "/api/v1/service-requests", tag = "service-requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or REQ-<n>"), ChildPageQuery),
    responses((status = 200, body = HistoryPage), (status = 404, body = Problem), (status = 422, description = "Bad limit or cursor", body = Problem)))]
#[get("/{id}/history")]
pub async fn service_request_history(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    q: web::Query<ChildPageQuery>,
) -> ApiResult<HttpResponse> {
    let page = q.into_inner().into();
    let found = block(move || {
        let id = request_id(&state, &user, &id)?;
        state.requests.history(&user.actor, id, &page)
    })
    .await?;
    Ok(HttpResponse::Ok().json(HistoryPage {
        items: found.items.into_iter().map(HistoryDto::from).collect(),
        next_cursor: found.next_cursor,
    }))
}

/// A lifecycle move: `submit` a draft, `cancel` (open approvals and tasks are cancelled
/// with it), `fulfil` (staff; no open tasks), `close`.
#[utoipa::path(context_path = "/api/v1/service-requests", tag = "service-requests", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or REQ-<n>"), ("If-Match" = Option<String>, Header)),
    request_body = RequestTransitionRequest,
    responses((status = 200, body = ServiceRequestDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/transitions")]
pub async fn service_request_transition(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<String>,
    body: ApiJson<RequestTransitionRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let version = named_version(&req, b.version)?;
    let action = b.action;
    let view = block(move || {
        let id = request_id(&state, &user, &id)?;
        match action.as_str() {
            "submit" => state.requests.submit_draft(&user.actor, id, version),
            "cancel" => state.requests.cancel(&user.actor, id, version),
            "fulfil" => state.requests.fulfil(&user.actor, id, version),
            "close" => state.requests.close(&user.actor, id, version),
            _ => Err(servicedesk_core::Error::invalid(
                "action",
                "unknown",
                "submit, cancel, fulfil or close",
            )),
        }
    })
    .await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// The approvals waiting for you: your own, and those of people who delegated to you for
/// today (never of your own requests).
#[utoipa::path(context_path = "/api/v1/approvals", tag = "approvals", security(("bearer" = [])), params(ApprovalQuery),
    responses((status = 200, body = [PendingApprovalDto]), (status = 422, body = Problem)))]
#[get("")]
pub async fn list_approvals(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<ApprovalQuery>,
) -> ApiResult<HttpResponse> {
    if q.state.as_deref().is_some_and(|s| s != "pending") {
        return Err(ApiError::invalid(
            "state",
            "unknown",
            "only pending is listed",
        ));
    }
    let list = block(move || state.requests.pending_approvals(&user.actor)).await?;
    let out: Vec<PendingApprovalDto> = list
        .into_iter()
        .map(|(a, r)| PendingApprovalDto {
            reference: r.reference(),
            title: r.title,
            requester_id: r.requester_id.0,
            approval: ApprovalDto::from(a),
        })
        .collect();
    Ok(HttpResponse::Ok().json(out))
}

async fn decide(
    state: web::Data<AppState>,
    user: AuthUser,
    id: Uuid,
    approved: bool,
    comment: Option<String>,
) -> ApiResult<HttpResponse> {
    let view = block(move || {
        state
            .requests
            .decide(&user.actor, ApprovalId(id), approved, comment)
    })
    .await?;
    Ok(with_etag(StatusCode::OK, view))
}

/// Approve (as the approver, or their delegate today). Decisions are final: a second one
/// answers 409.
#[utoipa::path(context_path = "/api/v1/approvals", tag = "approvals", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = ServiceRequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
#[post("/{id}/approve")]
pub async fn approve_approval(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: Option<ApiJson<DecisionRequest>>,
) -> ApiResult<HttpResponse> {
    let comment = body.and_then(|b| b.into_inner().comment);
    decide(state, user, id.into_inner(), true, comment).await
}

/// Reject with a comment: the request is rejected and its open approvals cancelled.
#[utoipa::path(context_path = "/api/v1/approvals", tag = "approvals", security(("bearer" = [])), params(("id" = Uuid, Path)),
    request_body = DecisionRequest,
    responses((status = 200, body = ServiceRequestDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/reject")]
pub async fn reject_approval(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<DecisionRequest>,
) -> ApiResult<HttpResponse> {
    decide(
        state,
        user,
        id.into_inner(),
        false,
        body.into_inner().comment,
    )
    .await
}
