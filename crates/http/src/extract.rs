//! Extractors: the signed-in user, the client address, `If-Match`, and problem+json errors
//! for bodies, queries and paths the framework could not read.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use servicedesk_core::Actor;
use servicedesk_core::Error;
use servicedesk_core::ports::Claims;

use crate::AppState;
use crate::problem::{ApiError, Problem};

/// The authenticated caller: a handler that takes it cannot run unauthenticated.
pub struct AuthUser {
    /// Who acts.
    pub actor: Actor,
    /// The verified token.
    pub claims: Claims,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(Error::Unauthenticated.into());
            };
            AuthUser::verify(&state, token).await
        })
    }
}

impl AuthUser {
    /// Verifies an access token (on the blocking pool: the check reads the store) and
    /// builds the caller it stands for. The one way a token becomes an [`AuthUser`].
    ///
    /// # Errors
    /// 401 for a missing, invalid, expired or revoked token.
    pub async fn verify(state: &web::Data<AppState>, token: String) -> Result<Self, ApiError> {
        let state = state.clone();
        let (actor, claims) = web::block(move || state.auth.authenticate(&token))
            .await
            .map_err(ApiError::internal)??;
        Ok(AuthUser { actor, claims })
    }
}

/// The token of an `Authorization: Bearer <token>` header, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
}

/// The client's address for throttling (the peer address; `Forwarded` headers are only
/// trusted when the operator says a proxy sets them, which the app decides).
pub fn client_ip(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

/// The version named by `If-Match` (`"3"` or `W/"3"`), if any.
///
/// # Errors
/// 400 for an `If-Match` that is not a version tag.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("If-Match must be an entity tag"))?
        .trim();
    let tag = text.strip_prefix("W/").unwrap_or(text);
    // A bare number (`3`, as clients that drop the quotes send) names the same version.
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag)
        .parse::<i64>()
        .ok()
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request("If-Match must be an entity tag like \"3\" from the ETag header")
        })
}

/// The `ETag` of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A JSON body: not JSON → 415, too big → 413, not well-formed → 400, well-formed but
/// the wrong shape (types, unknown enum values, missing fields) → 422. Syntax is checked
/// before shape so a truncated document is always 400, whatever its first bytes look like.
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    /// The parsed body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(crate::DEFAULT_BODY_LIMIT, |s| s.body_limit);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "send the body as application/json",
                )));
            }
            let bytes =
                bytes
                    .await
                    .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                        Some(actix_web::error::PayloadError::Overflow) => too_large(limit),
                        _ => ApiError::bad_request("the body could not be read"),
                    })?;
            if bytes.len() > limit {
                return Err(too_large(limit));
            }
            let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-json",
                    "Malformed JSON",
                    e.to_string(),
                ))
            })?;
            serde_json::from_value(value).map(ApiJson).map_err(|e| {
                ApiError::new(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                    e.to_string(),
                ))
            })
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        format!("the body is larger than {limit} bytes"),
    ))
}

/// JSON bodies read by `web::Json` (kept for embedders): the same mapping as [`ApiJson`]
/// as far as actix reports it.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _| {
            let problem = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "Payload too large",
                    format!("the body is larger than {limit} bytes"),
                ),
                JsonPayloadError::ContentType => Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "send the body as application/json",
                ),
                JsonPayloadError::Deserialize(e) if e.is_data() => Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                    e.to_string(),
                ),
                other => Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-json",
                    "Malformed JSON",
                    other.to_string(),
                ),
            };
            ApiError::new(problem).into()
        })
}

/// Query strings that do not parse → 422.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _| {
        ApiError::new(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid query",
            err.to_string(),
        ))
        .into()
    })
}

/// Path segments that do not parse (e.g. a malformed id) → 404: no such resource.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e: PathError, req| {
        match crate::fallback::literal_path_refusal(req) {
            Some(refusal) => actix_web::error::InternalError::from_response(e, refusal).into(),
            None => ApiError::not_found("resource").into(),
        }
    })
}
