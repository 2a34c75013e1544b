//! `/catalog-categories` and `/catalog-items` (issue 10): managers and admins edit the
//! catalog; everyone reads the items they may request. Items are versioned: a `PUT`
//! writes a new version and every earlier one stays readable under `/versions/{version}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use servicedesk_core::ids::CatalogItemId;
use uuid::Uuid;

use crate::AppState;
use crate::dto::catalog::*;
use crate::extract::{ApiJson, AuthUser, if_match};
use crate::handlers::sla::versioned;
use crate::handlers::{block, json_list};
use crate::problem::{ApiResult, Problem};

/// The categories of the caller's organization, by name.
#[utoipa::path(context_path = "/api/v1/catalog-categories", tag = "catalog", security(("bearer" = [])), responses(
    (status = 200, body = [CategoryDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn list_categories(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<HttpResponse> {
    let found = block(move || state.catalog.categories(&user.actor)).await?;
    Ok(json_list::<_, CategoryDto>(found))
}

/// Create a category (managers, admins); the name is unique in the organization.
#[utoipa::path(context_path = "/api/v1/catalog-categories", tag = "catalog", security(("bearer" = [])), request_body = CreateCategoryRequest, responses(
    (status = 201, body = CategoryDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_category(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateCategoryRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner().into();
    let created = block(move || state.catalog.create_category(&user.actor, input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/catalog-categories/{}", created.id),
        ))
        .json(CategoryDto::from(created)))
}

/// The items you may see, by name: every item for managers and admins, the active items
/// whose audience admits you for everyone else.
#[utoipa::path(context_path = "/api/v1/catalog-items", tag = "catalog", security(("bearer" = [])), responses(
    (status = 200, body = [CatalogItemDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn list_items(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let found = block(move || state.catalog.items(&user.actor)).await?;
    Ok(json_list::<_, CatalogItemDto>(found))
}

/// Create an item as version 1 (managers, admins). Every reference (category, owner,
/// teams, SLA policy, approvers, task assignees) must be of your organization.
#[utoipa::path(context_path = "/api/v1/catalog-items", tag = "catalog", security(("bearer" = [])), request_body = CatalogItemRequest, responses(
    (status = 201, body = CatalogItemDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_item(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CatalogItemRequest>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner().into();
    let created = block(move || state.catalog.create_item(&user.actor, input)).await?;
    let location = format!("/api/v1/catalog-items/{}", created.id);
    Ok(versioned(
        StatusCode::CREATED,
        created.version,
        Some(location),
        CatalogItemDto::from(created),
    ))
}

/// The current version of an item, with its `ETag`. An item you may not request (or of
/// another organization) is 404.
#[utoipa::path(context_path = "/api/v1/catalog-items", tag = "catalog", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = CatalogItemDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_item(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = CatalogItemId(id.into_inner());
    let found = block(move || state.catalog.item(&user.actor, id)).await?;
    Ok(versioned(
        StatusCode::OK,
        found.version,
        None,
        CatalogItemDto::from(found),
    ))
}

/// Replace an item with a new version (managers, admins); requests keep the version they
/// were submitted with. `If-Match` names the version you read (409 when stale); without
/// it the current version is replaced. An unchanged body writes nothing.
#[utoipa::path(context_path = "/api/v1/catalog-items", tag = "catalog", security(("bearer" = [])), params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = CatalogItemRequest, responses(
    (status = 200, body = CatalogItemDto), (status = 403, body = Problem), (status = 404, body = Problem),
    (status = 409, body = Problem), (status = 422, body = Problem)))]
#[put("/{id}")]
pub async fn update_item(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: ApiJson<CatalogItemRequest>,
) -> ApiResult<HttpResponse> {
    let id = CatalogItemId(id.into_inner());
    let expected = if_match(&req)?;
    let input = body.into_inner().into();
    let updated =
        block(move || state.catalog.update_item(&user.actor, id, expected, input)).await?;
    Ok(versioned(
        StatusCode::OK,
        updated.version,
        None,
        CatalogItemDto::from(updated),
    ))
}

/// One version of an item, as it was written (the form a request of that version was
/// checked against). Who may read it follows the current version, as for `GET
/// /catalog-items/{id}`.
#[utoipa::path(context_path = "/api/v1/catalog-items", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("version" = i64, Path, minimum = 1)), responses(
    (status = 200, body = CatalogItemDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/{id}/versions/{version}")]
pub async fn get_item_version(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, i64)>,
) -> ApiResult<HttpResponse> {
    let (id, version) = path.into_inner();
    let id = CatalogItemId(id);
    let found = block(move || state.catalog.item_version(&user.actor, id, version)).await?;
    Ok(HttpResponse::Ok().json(CatalogItemDto::from(found)))
}
