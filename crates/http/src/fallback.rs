//! The answer to a request no route takes: 405 with `Allow` when the path is one the API
//! documents under other methods, 404 otherwise. The documented paths come from the OpenAPI
//! document, so the two cannot disagree.

use std::sync::OnceLock;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use utoipa::OpenApi;

use crate::openapi::ApiDoc;
use crate::problem::{ApiError, Problem};

/// A documented path template split into segments (`{id}` matches any one segment) and the
/// methods it answers.
struct Route {
    segments: Vec<Option<String>>,
    methods: Vec<&'static str>,
}

fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .strip_prefix('/')
                    .unwrap_or(path)
                    .split('/')
                    .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                    .collect();
                let mut methods = Vec::new();
                for (name, op) in [
                    ("GET", &item.get),
                    ("PUT", &item.put),
                    ("POST", &item.post),
                    ("DELETE", &item.delete),
                    ("PATCH", &item.patch),
                ] {
                    if op.is_some() {
                        methods.push(name);
                    }
                }
                if methods.contains(&"GET") {
                    methods.push("HEAD");
                }
                Route { segments, methods }
            })
            .collect()
    })
}

/// The methods the documented path matching `path` answers, if any.
fn allowed(path: &str) -> Option<&'static [&'static str]> {
    let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    routes()
        .iter()
        .find(|r| {
            r.segments.len() == parts.len()
                && r.segments
                    .iter()
                    .zip(&parts)
                    .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got) && !got.is_empty())
        })
        .map(|r| r.methods.as_slice())
}

/// The methods of the documented path that is exactly `path`, without path parameters
/// (`/api/v1/users/me`, not `/api/v1/users/{id}`).
fn literal(path: &str) -> Option<&'static [&'static str]> {
    let parts: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    routes()
        .iter()
        .find(|r| {
            r.segments.len() == parts.len()
                && r.segments
                    .iter()
                    .zip(&parts)
                    .all(|(want, got)| want.as_deref() == Some(*got))
        })
        .map(|r| r.methods.as_slice())
}

/// For a path parameter that did not parse: when the path is really a documented literal
/// path asked with a method it does not answer (`PATCH /users/me` reaching
/// `PATCH /users/{id}`), the 405 that path deserves; `None` otherwise (then 404).
pub fn literal_path_refusal(req: &HttpRequest) -> Option<HttpResponse> {
    let methods = literal(req.path())?;
    (!methods.contains(&req.method().as_str())).then(|| not_allowed(req, methods))
}

fn not_allowed(req: &HttpRequest, methods: &[&str]) -> HttpResponse {
    let mut res = ApiError::new(Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!(
            "{} {} is not supported; use {}",
            req.method(),
            req.path(),
            methods.join(", ")
        ),
    ))
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&methods.join(", ")) {
        res.headers_mut().insert(header::ALLOW, value);
    }
    res
}

/// The default service: 405 + `Allow` for a documented path, else a problem+json 404.
pub async fn unmatched(req: HttpRequest) -> HttpResponse {
    match allowed(req.path()) {
        // A method the path answers that still reached the fallback had a parameter no
        // route took: no such resource.
        Some(methods) if !methods.contains(&req.method().as_str()) => not_allowed(&req, methods),
        _ => ApiError::not_found("resource").error_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_paths_name_their_methods() {
        assert_eq!(allowed("/healthz"), Some(&["GET", "HEAD"][..]));
        let incident = allowed("/api/v1/incidents/0193a5e0-0000-7000-8000-000000000000").unwrap();
        assert!(
            incident.contains(&"PATCH") && incident.contains(&"DELETE"),
            "{incident:?}"
        );
        assert_eq!(allowed("/api/v1/incidents//"), None);
        assert_eq!(allowed("/api/v1/nothing"), None);
        assert_eq!(allowed("/"), None);
        assert_eq!(literal("/api/v1/users/me"), Some(&["GET", "HEAD"][..]));
        assert_eq!(
            literal("/api/v1/users/0193a5e0-0000-7000-8000-000000000000"),
            None
        );
    }
}
