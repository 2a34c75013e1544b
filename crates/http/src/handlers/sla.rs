//! `/calendars` and `/sla-policies` (SLA-1, SLA-2, SLA-5), and the calendar math helpers
//! `/calendars/{id}/due` and `/calendars/{id}/business-minutes`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use servicedesk_core::ids::{CalendarId, SlaPolicyId};
use servicedesk_core::sla_settings::{DueQuery, RangeQuery};
use uuid::Uuid;

use crate::AppState;
use crate::dto::sla::*;
use crate::extract::{ApiJson, AuthUser, etag, if_match};
use crate::handlers::{block, json_list};
use crate::problem::{ApiError, ApiResult, Problem};

/// The version a PATCH names: `If-Match` or the body's `version` (both must agree); 428
/// without either.
fn required_version(req: &HttpRequest, body: Option<i64>) -> ApiResult<i64> {
    match (if_match(req)?, body) {
        (Some(a), Some(b)) if a != b => Err(ApiError::invalid(
            "version",
            "mismatch",
            "If-Match and version disagree",
        )),
        (Some(v), _) | (None, Some(v)) => Ok(v),
        (None, None) => Err(ApiError::new(Problem::new(
            StatusCode::PRECONDITION_REQUIRED,
            "precondition-required",
            "Precondition required",
            "send If-Match with the ETag you read (or version in the body)",
        ))),
    }
}

/// A JSON answer with the `ETag` of `version` (and `Location` when created).
pub(crate) fn versioned<T: serde::Serialize>(
    status: StatusCode,
    version: i64,
    location: Option<String>,
    body: T,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::ETAG, etag(version)));
    if let Some(location) = location {
        res.insert_header((header::LOCATION, location));
    }
    res.json(body)
}

/// Business calendars of the caller's organization, by name.
#[utoipa::path(context_path = "/api/v1/calendars", tag = "sla", security(("bearer" = [])), responses(
    (status = 200, body = [CalendarDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn list_calendars(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let found = block(move || state.sla.calendars(&user.actor)).await?;
    Ok(json_list::<_, CalendarDto>(found))
}

/// Create a business calendar (managers, admins).
#[utoipa::path(context_path = "/api/v1/calendars", tag = "sla", security(("bearer" = [])), request_body = CreateCalendarRequest, responses(
    (status = 201, body = CalendarDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateCalendarRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner().into();
    let created = block(move || state.sla.create_calendar(&user.actor, input)).await?;
    let location = format!("/api/v1/calendars/{}", created.id);
    Ok(versioned(
        StatusCode::CREATED,
        created.version,
        Some(location),
        CalendarDto::from(created),
    ))
}

/// One calendar, with its `ETag`.
#[utoipa::path(context_path = "/api/v1/calendars", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = CalendarDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = CalendarId(id.into_inner());
    let found = block(move || state.sla.calendar(&user.actor, id)).await?;
    Ok(versioned(
        StatusCode::OK,
        found.version,
        None,
        CalendarDto::from(found),
    ))
}

/// Change a calendar; needs `If-Match` (or `version` in the body).
#[utoipa::path(context_path = "/api/v1/calendars", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdateCalendarRequest, responses(
    (status = 200, body = CalendarDto), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
#[patch("/{id}")]
pub async fn update_calendar(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateCalendarRequest>,
) -> ApiResult<HttpResponse> {
    let id = CalendarId(id.into_inner());
    let b = body.into_inner();
    let version = required_version(&req, b.version)?;
    let patch = b.into();
    let updated = block(move || state.sla.update_calendar(&user.actor, id, version, patch)).await?;
    Ok(versioned(
        StatusCode::OK,
        updated.version,
        None,
        CalendarDto::from(updated),
    ))
}

/// When `minutes` of business time after `start` are used up in this calendar. A start
/// outside working hours counts from the next opening; a due instant landing on a closing
/// time is that closing time.
#[utoipa::path(context_path = "/api/v1/calendars", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path), DueParams), responses(
    (status = 200, body = DueDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[get("/{id}/due")]
pub async fn due(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: web::Query<DueParams>,
) -> ApiResult<HttpResponse> {
    let id = CalendarId(id.into_inner());
    let q = q.into_inner();
    let query = DueQuery {
        start: q.start,
        minutes: q.minutes,
    };
    let due = block(move || state.sla.due(&user.actor, id, &query)).await?;
    Ok(HttpResponse::Ok().json(DueDto { due }))
}

/// Business time between `from` (inclusive) and `to` (exclusive) in this calendar.
#[utoipa::path(context_path = "/api/v1/calendars", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path), BusinessMinutesParams), responses(
    (status = 200, body = BusinessMinutesDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[get("/{id}/business-minutes")]
pub async fn business_minutes(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    q: web::Query<BusinessMinutesParams>,
) -> ApiResult<HttpResponse> {
    let id = CalendarId(id.into_inner());
    let q = q.into_inner();
    let query = RangeQuery {
        from: q.from,
        to: q.to,
    };
    let minutes = block(move || state.sla.business_minutes(&user.actor, id, &query)).await?;
    Ok(HttpResponse::Ok().json(BusinessMinutesDto { minutes }))
}

/// SLA policies of the caller's organization (inactive ones too), by rank then name.
#[utoipa::path(context_path = "/api/v1/sla-policies", tag = "sla", security(("bearer" = [])), responses(
    (status = 200, body = [PolicyDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn list_policies(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let found = block(move || state.sla.policies(&user.actor)).await?;
    Ok(json_list::<_, PolicyDto>(found))
}

/// Create an SLA policy (managers, admins).
#[utoipa::path(context_path = "/api/v1/sla-policies", tag = "sla", security(("bearer" = [])), request_body = CreatePolicyRequest, responses(
    (status = 201, body = PolicyDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_policy(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreatePolicyRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner().into();
    let created = block(move || state.sla.create_policy(&user.actor, input)).await?;
    let location = format!("/api/v1/sla-policies/{}", created.id());
    Ok(versioned(
        StatusCode::CREATED,
        created.version,
        Some(location),
        PolicyDto::from(created),
    ))
}

/// One SLA policy, with its `ETag`.
#[utoipa::path(context_path = "/api/v1/sla-policies", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = PolicyDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_policy(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = SlaPolicyId(id.into_inner());
    let found = block(move || state.sla.policy(&user.actor, id)).await?;
    Ok(versioned(
        StatusCode::OK,
        found.version,
        None,
        PolicyDto::from(found),
    ))
}

/// Change an SLA policy; needs `If-Match` (or `version` in the body).
#[utoipa::path(context_path = "/api/v1/sla-policies", tag = "sla", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = UpdatePolicyRequest, responses(
    (status = 200, body = PolicyDto), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
#[patch("/{id}")]
pub async fn update_policy(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ApiJson<UpdatePolicyRequest>,
) -> ApiResult<HttpResponse> {
    let id = SlaPolicyId(id.into_inner());
    let b = body.into_inner();
    let version = required_version(&req, b.version)?;
    let patch = b.into();
    let updated = block(move || state.sla.update_policy(&user.actor, id, version, patch)).await?;
    Ok(versioned(
        StatusCode::OK,
        updated.version,
        None,
        PolicyDto::from(updated),
    ))
}
