//! What a console request that cannot be served answers: the sign-in page for a visitor
//! who is not signed in, and otherwise an HTML page saying what went wrong in words — 403,
//! 404, 409, 429, 503 — never a stack trace or an internal message.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use servicedesk_core::Error as CoreError;

use crate::render::RENDERER;

/// The console's error.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Not signed in: go to the sign-in page and come back to `next` afterwards.
    #[error("sign in first")]
    SignIn {
        /// Where to return.
        next: String,
    },
    /// The form's CSRF token is missing or wrong.
    #[error("the form has expired")]
    Csrf,
    /// Not allowed.
    #[error("forbidden")]
    Forbidden,
    /// Not there (or not visible).
    #[error("not found")]
    NotFound,
    /// Changed meanwhile, or not possible in its current state.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests.
    #[error("too many requests")]
    RateLimited(u64),
    /// Briefly unavailable.
    #[error("unavailable")]
    Unavailable(u64),
    /// Bad input with no form to show it on.
    #[error("{0}")]
    Invalid(String),
    /// Anything else (logged, never shown).
    #[error("internal error")]
    Internal,
}

impl From<CoreError> for WebError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound { .. } => Self::NotFound,
            CoreError::Forbidden { .. } => Self::Forbidden,
            CoreError::Unauthenticated => Self::SignIn { next: "/".into() },
            CoreError::Conflict { entity, .. } => Self::Conflict(format!(
                "The {entity} was changed by someone else meanwhile. Reload to see the current version."
            )),
            CoreError::IllegalTransition { message, .. } => Self::Conflict(message),
            CoreError::Duplicate { entity, field } => {
                Self::Conflict(format!("A {entity} with this {field} exists already."))
            }
            CoreError::Invalid(errors) => Self::Invalid(
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            CoreError::RateLimited { retry_after_secs } => Self::RateLimited(retry_after_secs),
            CoreError::Unavailable {
                retry_after_secs, ..
            } => Self::Unavailable(retry_after_secs),
            CoreError::Internal(message) => {
                tracing::error!(%message, "console request failed");
                Self::Internal
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for WebError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::Internal
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Csrf | Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignIn { next } = self {
            let to = format!(
                "/sign-in?next={}",
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
            );
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish();
        }
        let (title, message) = match self {
            Self::Csrf => (
                "This form has expired",
                "Go back, reload the page and send it again.".to_owned(),
            ),
            Self::Forbidden => (
                "Not allowed",
                "Your role does not give you access to this page.".to_owned(),
            ),
            Self::NotFound => (
                "Not found",
                "There is nothing here, or it is not yours to see.".to_owned(),
            ),
            Self::Conflict(m) => ("That did not work", m.clone()),
            Self::RateLimited(_) => (
                "Slow down",
                "Too many requests in a short time. Wait a moment and try again.".to_owned(),
            ),
            Self::Unavailable(_) => (
                "Briefly unavailable",
                "The service is busy. Try again in a few seconds.".to_owned(),
            ),
            Self::Invalid(m) => ("Check your input", m.clone()),
            Self::Internal | Self::SignIn { .. } => (
                "Something went wrong",
                "The error was logged. Try again later.".to_owned(),
            ),
        };
        let mut res = HttpResponse::build(self.status_code());
        if let Self::RateLimited(s) | Self::Unavailable(s) = self {
            res.insert_header((header::RETRY_AFTER, s.to_string()));
        }
        res.content_type("text/html; charset=utf-8")
            .body(RENDERER.error_page(self.status_code().as_u16(), title, &message))
    }
}
