//! Route handlers: extract, call a use case on the blocking pool, map the answer.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod delegations;
pub mod incidents;
pub mod notifications;
pub mod ops;
pub mod requests;
pub mod sla;
pub mod stream;
pub mod tickets;

use actix_web::web;

use crate::problem::{ApiError, ApiResult};

/// Runs a synchronous use case on actix's blocking pool (diesel is synchronous).
pub(crate) async fn block<T, F>(f: F) -> ApiResult<T>
where
    F: FnOnce() -> servicedesk_core::Result<T> + Send + 'static,
    T: Send + 'static,
{
    web::block(f)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// A 200 answer with `items` converted to their DTOs.
pub(crate) fn json_list<T, D: From<T> + serde::Serialize>(
    items: Vec<T>,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(items.into_iter().map(D::from).collect::<Vec<D>>())
}

/// Largest page any list answers.
pub(crate) const MAX_PAGE: u32 = 200;

/// A list's `limit`: 50 when absent; 1 to [`MAX_PAGE`], else 422 naming `limit` (as the
/// OpenAPI document declares: a value outside it is refused, not silently changed).
pub(crate) fn page_limit(limit: Option<u32>) -> ApiResult<u32> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=MAX_PAGE) => Ok(n),
        Some(_) => Err(ApiError::invalid(
            "limit",
            "out_of_range",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}
