//! Every error as RFC 9457 `application/problem+json`, mapped once from `core::Error`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use servicedesk_core::{Error, FieldError};
use utoipa::ToSchema;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field (`title`, `resolution_notes`, …).
    pub field: String,
    /// Stable code (`required`, `too_long`, `invalid`, `unknown`, …).
    pub code: String,
    /// Human explanation.
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the problem type (a URN; the same for every occurrence).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What happened this time.
    pub detail: String,
    /// The request's id (also in the `X-Request-Id` header); quote it in support requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Field-level validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For a refused lifecycle move: what may be done instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_actions: Option<Vec<String>>,
    /// For 409 conflicts: the current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For 429 and 503: seconds to wait (also in the `Retry-After` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl Problem {
    /// A problem of `status` with a type slug and a detail.
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:servicedesk:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            request_id: None,
            errors: Vec::new(),
            legal_actions: None,
            current_version: None,
            retry_after: None,
        }
    }

    /// With field errors.
    pub fn with_fields(mut self, fields: &[FieldError]) -> Self {
        self.errors = fields
            .iter()
            .map(|f| ProblemField {
                field: f.field.clone(),
                code: f.code.to_owned(),
                message: f.message.clone(),
            })
            .collect();
        self
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.status, self.0.detail)
    }
}

impl ApiError {
    /// Wraps a problem document.
    pub fn new(problem: Problem) -> Self {
        Self(Box::new(problem))
    }

    /// 400 for a request that could not be read.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        ))
    }

    /// 422 for one invalid field.
    pub fn invalid(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Error::invalid(field, code, message).into()
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("{what} not found"),
        ))
    }

    /// 500 for a failure that is not the client's; details go to the log only.
    pub fn internal(log: impl std::fmt::Display) -> Self {
        tracing::error!(error = %log, "internal error");
        Self::new(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side",
        ))
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let p = match &e {
            Error::NotFound { entity } => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                format!("{entity} not found"),
            ),
            Error::Forbidden { reason } => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                reason.clone(),
            ),
            Error::Conflict { current, .. } => Problem {
                current_version: Some(*current),
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "version-conflict",
                    "Version conflict",
                    e.to_string(),
                )
            },
            Error::IllegalTransition {
                message,
                legal_actions,
            } => Problem {
                legal_actions: Some(legal_actions.clone()),
                ..Problem::new(
                    StatusCode::CONFLICT,
                    "illegal-transition",
                    "Transition not allowed",
                    message.clone(),
                )
            },
            Error::Invalid(fields) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid input",
                "some fields are invalid",
            )
            .with_fields(fields),
            Error::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
                "missing, invalid or expired credentials",
            ),
            Error::RateLimited { retry_after_secs } => Problem {
                retry_after: Some(*retry_after_secs),
                ..Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate-limited",
                    "Too many requests",
                    "slow down and retry later",
                )
            },
            Error::Unavailable {
                reason,
                retry_after_secs,
            } => Problem {
                retry_after: Some(*retry_after_secs),
                ..Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    format!("{reason}; retry later"),
                )
            },
            Error::Internal(msg) => return Self::internal(msg),
            Error::Duplicate { .. } => Problem::new(
                StatusCode::CONFLICT,
                "duplicate",
                "Already exists",
                e.to_string(),
            ),
        };
        Self::new(p)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Some(secs) = self.0.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.0.status == 401 {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        res.json(&self.0)
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
