//! Signing in (with the TOTP step) and out, registering, confirming an address and
//! resetting a password: the pages the links in our own mails land on.

use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use servicedesk_core::Error as CoreError;
use servicedesk_core::identity::LoginOutcome;

use super::{block, local_path, public_page, see_other, with_status};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::render::ser;
use crate::session::{SignedIn, Visitor, cleared, session_cookies};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in_page)
        .service(sign_in)
        .service(mfa)
        .service(sign_out)
        .service(register_page)
        .service(register)
        .service(verify_page)
        .service(verify)
        .service(reset_page)
        .service(reset_request)
        .service(reset_confirm)
        .service(keepalive);
}

/// Renews the session's access cookie (the middleware does, for any console request) and
/// answers nothing: the script calls it before it reopens the live feed, whose socket the
/// server closes when the access token it was opened with expires.
#[get("/session/keepalive")]
async fn keepalive(_s: SignedIn) -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Where to go once signed in.
fn signed_in(
    console: &Console,
    pair: &servicedesk_core::identity::TokenPair,
    next: &str,
) -> HttpResponse {
    let mut res = see_other(&local_path(next));
    for c in session_cookies(console, pair) {
        set(&mut res, &c);
    }
    res
}

fn set(res: &mut HttpResponse, c: &Cookie<'_>) {
    if let Ok(v) = header::HeaderValue::from_str(&c.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "verified" => Some("Your address is confirmed. Sign in to continue."),
        "registered" => Some("Check your mailbox: we sent you a link to confirm your address."),
        "reset" => Some("Your password was changed. Sign in with the new one."),
        "signed-out" => Some("You are signed out."),
        _ => None,
    }
}

#[get("/sign-in")]
async fn sign_in_page(
    visitor: Visitor,
    q: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    if matches!(visitor, Visitor::Member(_)) {
        return Ok(see_other(&local_path(q.next.as_deref().unwrap_or("/"))));
    }
    public_page(
        &visitor,
        "sign_in.html",
        "Sign in",
        context! {
            next => local_path(q.next.as_deref().unwrap_or("/")),
            notice => notice_text(q.notice.as_deref()),
        },
    )
}

#[post("/sign-in")]
async fn sign_in(
    console: web::Data<Console>,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (email, password, next) = (
        f.text("email"),
        f.get("password").unwrap_or("").to_owned(),
        f.text("next"),
    );
    let ip = super::client(&console, &req);
    let auth = console.auth.clone();
    let e2 = email.clone();
    let outcome = block(move || auth.login(&e2, &password, &ip)).await?;
    let error = match outcome {
        Ok(LoginOutcome::Tokens(pair)) => return Ok(signed_in(&console, &pair, &next)),
        Ok(LoginOutcome::MfaRequired { mfa_token }) => {
            return public_page(
                &visitor,
                "mfa.html",
                "Two-step verification",
                context! { mfa_token, next => local_path(&next) },
            );
        }
        Err(CoreError::Forbidden { .. }) => {
            "Your address is not confirmed yet: follow the link we mailed you.".to_owned()
        }
        Err(CoreError::RateLimited { retry_after_secs }) => format!(
            "Too many attempts. Try again in {} minute(s).",
            retry_after_secs.div_ceil(60).max(1)
        ),
        Err(CoreError::Unavailable { .. }) => {
            "The service is busy. Try again in a few seconds.".to_owned()
        }
        Err(CoreError::Unauthenticated | CoreError::Invalid(_)) => {
            "The e-mail address or the password is not right.".to_owned()
        }
        Err(e) => return Err(e.into()),
    };
    Ok(with_status(
        public_page(
            &visitor,
            "sign_in.html",
            "Sign in",
            context! { email, error, next => local_path(&next) },
        )?,
        401,
    ))
}

#[post("/sign-in/mfa")]
async fn mfa(
    console: web::Data<Console>,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (token, code, next) = (f.text("mfa_token"), f.text("code"), f.text("next"));
    let ip = super::client(&console, &req);
    let auth = console.auth.clone();
    let t2 = token.clone();
    match block(move || auth.verify_mfa(&t2, &code, &ip)).await? {
        Ok(pair) => Ok(signed_in(&console, &pair, &next)),
        Err(CoreError::RateLimited { .. }) => Err(WebError::RateLimited(60)),
        Err(CoreError::Unauthenticated) if token.is_empty() => Err(WebError::SignIn { next }),
        Err(_) => Ok(with_status(
            public_page(
                &visitor,
                "mfa.html",
                "Two-step verification",
                context! { mfa_token => token, next => local_path(&next), error => "That code is not right. Try the current one." },
            )?,
            401,
        )),
    }
}

/// Signs out: the login session is revoked on the server (every device using it), and the
/// cookies are cleared.
#[post("/sign-out")]
async fn sign_out(
    console: web::Data<Console>,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let _ = Fields::checked(&visitor, posted)?;
    if let Visitor::Member(m) = &visitor {
        let SignedIn { claims, .. } = (**m).clone();
        let auth = console.auth.clone();
        block(move || auth.logout(&claims)).await??;
    }
    let mut res = see_other("/sign-in?notice=signed-out");
    for c in cleared(&console) {
        set(&mut res, &c);
    }
    Ok(res)
}

#[get("/register")]
async fn register_page(visitor: Visitor) -> Result<HttpResponse, WebError> {
    public_page(&visitor, "register.html", "Create an account", context! {})
}

#[post("/register")]
async fn register(
    console: web::Data<Console>,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (email, name, password) = (
        f.text("email"),
        f.text("name"),
        f.get("password").unwrap_or("").to_owned(),
    );
    let ip = super::client(&console, &req);
    let auth = console.auth.clone();
    let form = f.values();
    let (error, errors) = match block(move || auth.register(&email, &name, &password, &ip)).await? {
        // Known and new addresses answer alike (the API does the same).
        Ok(()) => return Ok(see_other("/sign-in?notice=registered")),
        Err(CoreError::Invalid(errors)) => (None, Errors::of(&errors)),
        Err(CoreError::Forbidden { .. }) => (
            Some("Self-registration is turned off here. Ask your service desk for an account."),
            Errors::default(),
        ),
        Err(CoreError::RateLimited { .. }) => (
            Some("Too many attempts from here. Try again later."),
            Errors::default(),
        ),
        Err(e) => return Err(e.into()),
    };
    Ok(with_status(
        public_page(
            &visitor,
            "register.html",
            "Create an account",
            context! { form => ser(form), errors => ser(errors.0), error },
        )?,
        422,
    ))
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The link in the verification mail: a page with one button, so a mail scanner that
/// fetches links does not use the token up.
#[get("/verify-email")]
async fn verify_page(
    visitor: Visitor,
    q: web::Query<TokenQuery>,
) -> Result<HttpResponse, WebError> {
    let token = q.token.clone().unwrap_or_default();
    public_page(
        &visitor,
        "verify.html",
        "Confirm your e-mail address",
        context! { token },
    )
}

#[post("/verify-email")]
async fn verify(
    console: web::Data<Console>,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let token = f.text("token");
    let auth = console.auth.clone();
    let t2 = token.clone();
    match block(move || auth.verify_email(&t2)).await? {
        Ok(()) => Ok(see_other("/sign-in?notice=verified")),
        Err(CoreError::Invalid(_) | CoreError::NotFound { .. } | CoreError::Unauthenticated) => {
            Ok(with_status(
                public_page(
                    &visitor,
                    "verify.html",
                    "Confirm your e-mail address",
                    context! { token, error => "This link is not valid any more. Sign in to have a new one sent, or register again." },
                )?,
                422,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/reset-password")]
async fn reset_page(visitor: Visitor, q: web::Query<TokenQuery>) -> Result<HttpResponse, WebError> {
    public_page(
        &visitor,
        "reset.html",
        "Reset your password",
        context! { token => q.token.clone() },
    )
}

#[post("/reset-password/request")]
async fn reset_request(
    console: web::Data<Console>,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let email = f.text("email");
    let ip = super::client(&console, &req);
    let auth = console.auth.clone();
    match block(move || auth.request_password_reset(&email, &ip)).await? {
        // The same answer whether or not the address has an account.
        Ok(()) | Err(CoreError::Invalid(_)) => public_page(
            &visitor,
            "message.html",
            "Check your mailbox",
            context! { message => "If the address has an account, a link to choose a new password is on its way. It is valid for one hour.", link => "/sign-in", link_text => "Back to sign-in" },
        ),
        Err(CoreError::RateLimited { retry_after_secs }) => {
            Err(WebError::RateLimited(retry_after_secs))
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/reset-password")]
async fn reset_confirm(
    console: web::Data<Console>,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (token, password) = (f.text("token"), f.get("password").unwrap_or("").to_owned());
    let auth = console.auth.clone();
    let t2 = token.clone();
    let (errors, error) = match block(move || auth.confirm_password_reset(&t2, &password)).await? {
        Ok(()) => return Ok(see_other("/sign-in?notice=reset")),
        Err(CoreError::Invalid(mut errors)) if errors.iter().any(|e| e.field == "new_password") => {
            // The form's field is `password`: the message goes next to it.
            for e in &mut errors {
                if e.field == "new_password" {
                    "password".clone_into(&mut e.field);
                }
            }
            (Errors::of(&errors), None)
        }
        Err(CoreError::Invalid(_) | CoreError::NotFound { .. } | CoreError::Unauthenticated) => (
            Errors::default(),
            Some("This link is not valid any more. Ask for a new one."),
        ),
        Err(e) => return Err(e.into()),
    };
    Ok(with_status(
        public_page(
            &visitor,
            "reset.html",
            "Choose a new password",
            context! { token, errors => ser(errors.0), error },
        )?,
        422,
    ))
}
