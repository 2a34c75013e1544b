//! Submitted forms: every console form is read as its list of (name, value) pairs, so one
//! reader serves fixed forms and the catalog's forms built from field definitions (a
//! multi-select sends one pair per choice), and every POST checks the CSRF token first.

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use serde::Serialize;
use servicedesk_core::error::FieldError;

use crate::error::WebError;
use crate::session::{Visitor, check_csrf};

/// The largest form body accepted (a long description and a form's answers fit).
const FORM_LIMIT: usize = 256 * 1024;

/// Form extraction settings: a body over the limit is 413 and a malformed one 400, both
/// as pages.
pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(FORM_LIMIT)
        .error_handler(|e, _req: &HttpRequest| {
            let status = match e {
                actix_web::error::UrlencodedError::Overflow { .. } => {
                    actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                }
                _ => actix_web::http::StatusCode::BAD_REQUEST,
            };
            actix_web::error::InternalError::from_response(
                e,
                actix_web::HttpResponse::build(status)
                    .content_type("text/html; charset=utf-8")
                    .body(crate::render::RENDERER.error_page(
                        status.as_u16(),
                        "The form could not be read",
                        "It was too large or malformed. Go back and try again.",
                    )),
            )
            .into()
        })
}

/// Query-string extraction for the console: a malformed query (a repeated or undecodable
/// parameter) is the 400 page, not the API's problem+json.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|e, _req: &HttpRequest| {
        actix_web::error::InternalError::from_response(
            e,
            actix_web::HttpResponse::BadRequest()
                .content_type("text/html; charset=utf-8")
                .body(crate::render::RENDERER.error_page(
                    400,
                    "That address is not valid",
                    "A parameter in the address could not be read. Go back and try again.",
                )),
        )
        .into()
    })
}

/// A submitted form.
pub(crate) type Posted = web::Form<Vec<(String, String)>>;

/// The pairs of a submitted form, with its CSRF token checked, and where each name first
/// occurs (a 256 KB form has tens of thousands of pairs: lookups must not scan them).
pub(crate) struct Fields(Vec<(String, String)>, HashMap<String, usize>);

impl Fields {
    /// The form's pairs once its CSRF token matched the visitor's.
    ///
    /// # Errors
    /// `Csrf` otherwise: nothing is done.
    pub(crate) fn checked(visitor: &Visitor, posted: Posted) -> Result<Self, WebError> {
        let pairs = posted.into_inner();
        let token = pairs
            .iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.as_str());
        check_csrf(visitor.csrf(), token)?;
        Ok(Self::indexed(pairs))
    }

    fn indexed(pairs: Vec<(String, String)>) -> Self {
        let mut first = HashMap::with_capacity(pairs.len());
        for (i, (k, _)) in pairs.iter().enumerate() {
            first.entry(k.clone()).or_insert(i);
        }
        Self(pairs, first)
    }

    /// Pairs as if posted with a valid token (unit tests of form parsing).
    #[cfg(test)]
    pub(crate) fn for_tests(pairs: &[(&str, &str)]) -> Self {
        Self::indexed(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub(crate) fn text(&self, name: &str) -> String {
        self.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// The first value of `name`, as sent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.1
            .get(name)
            .and_then(|i| self.0.get(*i))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` (a multi-select), non-empty ones only.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The values sent, for re-rendering a form with the user's input kept.
    pub(crate) fn values(&self) -> HashMap<String, String> {
        let mut out = HashMap::new();
        for (k, v) in &self.0 {
            if k != "csrf" && k != "password" {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        out
    }
}

/// Field errors by field name, for the templates (the first message per field).
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Errors(pub HashMap<String, String>);

impl Errors {
    /// From the use case's field errors.
    pub(crate) fn of(errors: &[FieldError]) -> Self {
        let mut map = HashMap::new();
        for e in errors {
            map.entry(e.field.clone())
                .or_insert_with(|| e.message.clone());
        }
        Self(map)
    }

    /// True when there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
