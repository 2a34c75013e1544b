//! Health, readiness, metrics (PLT-5) and the API description (PLT-3).

use actix_web::{HttpResponse, get, web};

use crate::AppState;

/// Liveness: the process serves requests.
#[utoipa::path(tag = "ops", responses((status = 200, description = "alive")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database answers.
#[utoipa::path(tag = "ops", responses((status = 200, description = "ready"), (status = 503, description = "database unreachable")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let probe = state.readiness.clone();
    match web::block(move || probe()).await {
        Ok(true) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        _ => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unreachable"),
    }
}

/// Prometheus metrics (docs/operations.md lists the series).
#[utoipa::path(tag = "ops", responses((status = 200, description = "Prometheus text format"), (status = 500, description = "the series could not be written out")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    // Some series are read when scraped (queue depths ask the database): off the event loop.
    let metrics = state.metrics.clone();
    match web::block(move || metrics.render()).await {
        Ok(Ok(text)) => HttpResponse::Ok()
            .content_type(prometheus::TEXT_FORMAT)
            .body(text),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "cannot render /metrics");
            HttpResponse::InternalServerError()
                .content_type("text/plain")
                .body("metrics unavailable")
        }
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("metrics unavailable"),
    }
}

/// The OpenAPI 3 document.
#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    document()
}

/// The same document where the interactive docs read it.
#[get("/api/docs/openapi.json")]
pub async fn docs_openapi_json() -> HttpResponse {
    document()
}

fn document() -> HttpResponse {
    match crate::openapi::document_json() {
        "" => HttpResponse::InternalServerError()
            .content_type("text/plain")
            .body("the API document cannot be rendered"),
        json => HttpResponse::Ok()
            .content_type("application/json")
            .body(json),
    }
}

/// The interactive API documentation lives at `/api/docs/`.
#[get("/api/docs")]
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header(("location", "/api/docs/"))
        .finish()
}
