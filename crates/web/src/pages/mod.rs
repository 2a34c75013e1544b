//! The console's pages, one module per feature: sign-in and accounts, home (the role's
//! dashboard), tickets (queue, view, actions), the catalog and requests, approvals, the
//! notifications inbox.

mod account;
pub(crate) mod admin;
mod approvals;
mod catalog;
mod dashboard;
mod home;
mod profile;
mod tickets;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::{Value, context};

use crate::Console;
use crate::error::WebError;
use crate::render::RENDERER;
use crate::session::{SignedIn, Visitor};
use crate::view::{Me, me};

/// Every console route.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    account::routes(cfg);
    home::routes(cfg);
    dashboard::routes(cfg);
    tickets::routes(cfg);
    catalog::routes(cfg);
    approvals::routes(cfg);
    profile::routes(cfg);
    admin::routes(cfg);
}

/// The 404 page for any other path.
pub(crate) async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&WebError::NotFound)
}

/// A full page for a signed-in person: the layout's data (name, unread count, CSRF token,
/// the active section) merged with the page's own context.
pub(crate) fn page(
    console: &Console,
    s: &SignedIn,
    template: &str,
    section: &str,
    title: &str,
    ctx: Value,
) -> Result<HttpResponse, WebError> {
    let me: Me = me(console, s);
    let zone = crate::view::zone_name(Some(&me.zone));
    page_with(
        template,
        context! { me => crate::render::ser(me), csrf => s.csrf.clone(), section, page_title => title, ..ctx },
        zone,
    )
}

/// A page for a visitor who is not (or not necessarily) signed in.
pub(crate) fn public_page(
    visitor: &Visitor,
    template: &str,
    title: &str,
    ctx: Value,
) -> Result<HttpResponse, WebError> {
    page_with(
        template,
        context! { csrf => visitor.csrf().to_owned(), page_title => title, ..ctx },
        chrono_tz::Tz::UTC,
    )
}

fn page_with(template: &str, ctx: Value, zone: chrono_tz::Tz) -> Result<HttpResponse, WebError> {
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(RENDERER.render_in(template, ctx, zone)?))
}

/// The same page again with a status (a form with errors is 422, so scripts and tests can
/// tell it from a success).
pub(crate) fn with_status(mut res: HttpResponse, status: u16) -> HttpResponse {
    if let Ok(s) = actix_web::http::StatusCode::from_u16(status) {
        *res.status_mut() = s;
    }
    res
}

/// POST-redirect-GET: where to go after a form succeeded.
pub(crate) fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// A local path to return to after sign-in; anything else (another host, a scheme,
/// `//host`) becomes `/`, so the parameter cannot send anyone off-site.
pub(crate) fn local_path(next: &str) -> String {
    // Browsers drop tabs and newlines inside URLs (`/\t/evil` becomes `//evil`): any
    // control character or space makes the path suspect.
    if next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.bytes().any(|b| b <= 0x20 || b == 0x7f)
    {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// The client as the API counts it (trusted proxies applied), for sign-in throttling.
pub(crate) fn client(console: &Console, req: &actix_web::HttpRequest) -> String {
    (console.settings.client_ip)(req)
}

/// Runs blocking use-case code off the async workers.
pub(crate) async fn block<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, servicedesk_core::Error> + Send + 'static,
) -> Result<Result<T, servicedesk_core::Error>, WebError> {
    Ok(web::block(f).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path("/queue?view=mine"), "/queue?view=mine");
        assert_eq!(local_path("//evil.example/x"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("/\t/evil.example"), "/");
        assert_eq!(local_path("/\n/evil.example"), "/");
        assert_eq!(local_path("/ /x"), "/");
    }
}
