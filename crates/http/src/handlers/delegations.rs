//! The caller's delegations: who decides their approvals over a date range.

use actix_web::{HttpResponse, delete, get, post, web};
use servicedesk_core::ids::{DelegationId, UserId};
use uuid::Uuid;

use crate::AppState;
use crate::dto::{CreateDelegationRequest, DelegationDto};
use crate::extract::{ApiJson, AuthUser};
use crate::handlers::{block, json_list};
use crate::problem::{ApiError, ApiResult, Problem};

/// The delegations the caller gave (past, current and future), by start date.
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = [DelegationDto])))]
#[get("/me/delegations")]
pub async fn list_delegations(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<HttpResponse> {
    let mine = block(move || state.delegations.mine(&user.actor)).await?;
    Ok(json_list::<_, DelegationDto>(mine))
}

/// Let another user of the organization decide the caller's approvals from `starts_on` to
/// `ends_on` (both days included); their decisions read "B on behalf of A".
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateDelegationRequest, responses(
    (status = 201, body = DelegationDto),
    (status = 422, body = Problem, description = "a bad date or range, or `delegate_id` is the caller, unknown in the organization or deactivated")))]
#[post("/me/delegations")]
pub async fn create_delegation(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateDelegationRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let (starts_on, ends_on) = b.dates().map_err(ApiError::from)?;
    let delegate = UserId(b.delegate_id);
    let created = block(move || {
        state
            .delegations
            .create(&user.actor, delegate, starts_on, ends_on)
    })
    .await?;
    Ok(HttpResponse::Created().json(DelegationDto::from(created)))
}

/// Withdraw one of the caller's delegations.
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 204),
    (status = 404, body = Problem, description = "not a delegation the caller gave")))]
#[delete("/me/delegations/{id}")]
pub async fn remove_delegation(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = DelegationId(id.into_inner());
    block(move || state.delegations.delete(&user.actor, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
