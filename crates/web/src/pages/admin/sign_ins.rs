//! Recent failed sign-ins of the organization, newest first: when, which address, from
//! which client, and what failed (password, second step, a deactivated account, throttled).

use actix_web::{HttpResponse, get, web};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{admin_page, path_id};
use crate::Console;
use crate::error::WebError;
use crate::pages::block;
use crate::session::SignedIn;

/// Rows per page.
const PAGE: u32 = 50;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list);
}

#[derive(Debug, Default, Deserialize)]
struct Query {
    before: Option<String>,
}

/// What failed, in words.
fn reason(code: &str) -> &'static str {
    match code {
        "password" => "wrong password",
        "mfa" => "wrong second-step code",
        "inactive" => "account deactivated",
        "throttled" => "too many attempts",
        _ => "other",
    }
}

#[get("/admin/sign-ins")]
async fn list(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<Query>,
) -> Result<HttpResponse, WebError> {
    let before = match q.before.as_deref() {
        Some(b) if !b.is_empty() => Some(path_id(b)?),
        _ => None,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let failed = block(move || c.auth.failed_logins(&actor, before, PAGE)).await??;
    let next = (failed.len() == PAGE as usize)
        .then(|| failed.last().map(|f| f.id.to_string()))
        .flatten();
    let rows: Vec<Value> = failed
        .iter()
        .map(|f| {
            context! {
                at => f.at.to_rfc3339(),
                email => f.email.clone(),
                user_id => f.user_id.to_string(),
                client => f.client.clone(),
                reason => reason(&f.reason),
            }
        })
        .collect();
    admin_page(
        &console,
        &s,
        "admin_sign_ins.html",
        "sign_ins",
        "Failed sign-ins",
        context! { rows, next },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_words() {
        assert_eq!(reason("password"), "wrong password");
        assert_eq!(reason("inactive"), "account deactivated");
        assert_eq!(reason("something new"), "other");
    }
}
