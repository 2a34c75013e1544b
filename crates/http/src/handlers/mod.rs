//! Route handlers: extract, call a use case on the blocking pool, map the answer.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod incidents;
pub mod notifications;
pub mod ops;
pub mod sla;
pub mod stream;

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
