//! The profile page: the password, two-step verification (enrolment with a QR code drawn as
//! SVG on the server, confirmation, recovery codes shown once, turning it off), and the
//! notification preferences per event and channel.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use qrcode::QrCode;
use qrcode::render::svg;
use servicedesk_core::Error as CoreError;
use servicedesk_core::ports::Preference;

use super::{block, page, see_other, with_status};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(profile)
        .service(about_you)
        .service(password)
        .service(mfa_start)
        .service(mfa_confirm)
        .service(mfa_disable)
        .service(preferences);
}

/// The otpauth URI as an SVG QR code (dark modules on white, quiet zone kept).
fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

async fn profile_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let (mfa, prefs) = block(move || {
        Ok((
            c.auth.mfa_enabled(&actor)?,
            c.notifications.preferences(&actor)?,
        ))
    })
    .await??;
    let prefs: Vec<Value> = prefs
        .into_iter()
        .map(|p| {
            context! {
                label => p.event.replace(['.', '_'], " "),
                event => p.event,
                email => p.email,
                in_app => p.in_app,
            }
        })
        .collect();
    // Every zone chrono-tz knows, for the zone field's suggestions.
    let zones: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|z| z.name()).collect();
    Ok(with_status(
        page(
            console,
            s,
            "profile.html",
            "profile",
            "Profile",
            context! { mfa, prefs, zones, ..extra },
        )?,
        status,
    ))
}

#[derive(serde::Deserialize)]
struct ProfileQuery {
    notice: Option<String>,
}

#[get("/profile")]
async fn profile(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<ProfileQuery>,
) -> Result<HttpResponse, WebError> {
    // Only the notices this page knows are shown: the query cannot put words on it.
    let notice = (q.notice.as_deref() == Some("saved")).then_some("saved");
    profile_page(&console, &s, context! { notice }, 200).await
}

/// Name and time zone: the person's own, through the same use case as `PATCH /users/{id}`
/// (which refuses anything else a self-service change might try).
#[post("/profile/you")]
async fn about_you(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let name = f.get("name").unwrap_or("").trim().to_owned();
    let zone = f.get("time_zone").unwrap_or("").trim().to_owned();
    let input = servicedesk_core::identity::UpdateUser {
        name: Some(name.clone()),
        time_zone: Some((!zone.is_empty() && zone != "UTC").then(|| zone.clone())),
        ..Default::default()
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.update_user(&actor, actor.user_id(), input)).await? {
        Ok(_) => Ok(see_other("/profile?notice=saved")),
        Err(CoreError::Invalid(errors)) => {
            let errors = Errors::of(&errors);
            profile_page(
                &console,
                &s,
                context! { you_errors => ser(errors.0), you => context! { name, time_zone => zone } },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/profile/password")]
async fn password(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (current, new) = (
        f.get("current_password").unwrap_or("").to_owned(),
        f.get("new_password").unwrap_or("").to_owned(),
    );
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.auth.change_password(&actor, &current, &new)).await? {
        // Every session ends with a password change, this one too.
        Ok(()) => Ok(see_other("/sign-in?notice=reset")),
        Err(CoreError::Invalid(errors)) => {
            let errors = Errors::of(&errors);
            profile_page(
                &console,
                &s,
                context! { password_errors => ser(errors.0) },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/profile/mfa/start")]
async fn mfa_start(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let pass = f.get("password").unwrap_or("").to_owned();
    let ip = super::client(&console, &req);
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.auth.enable_mfa(&actor, &pass, &ip)).await? {
        Ok(enrolment) => {
            let qr = qr_svg(&enrolment.otpauth_uri);
            profile_page(
                &console,
                &s,
                context! {
                    enrolling => true,
                    secret => enrolment.secret,
                    qr => qr.map(Value::from_safe_string),
                },
                200,
            )
            .await
        }
        Err(CoreError::Invalid(errors)) => {
            let message = errors.first().map(|e| e.message.clone());
            profile_page(&console, &s, context! { mfa_error => message }, 422).await
        }
        Err(CoreError::RateLimited { retry_after_secs }) => {
            Err(WebError::RateLimited(retry_after_secs))
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/profile/mfa/confirm")]
async fn mfa_confirm(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (pass, code) = (f.get("password").unwrap_or("").to_owned(), f.text("code"));
    let ip = super::client(&console, &req);
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.auth.confirm_mfa(&actor, &pass, &code, &ip)).await? {
        Ok(codes) => profile_page(&console, &s, context! { recovery_codes => codes }, 200).await,
        Err(CoreError::Invalid(errors)) => {
            let message = errors.first().map(|e| e.message.clone());
            profile_page(&console, &s, context! { mfa_error => message }, 422).await
        }
        Err(CoreError::RateLimited { retry_after_secs }) => {
            Err(WebError::RateLimited(retry_after_secs))
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/profile/mfa/disable")]
async fn mfa_disable(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    req: HttpRequest,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (pass, code) = (f.get("password").unwrap_or("").to_owned(), f.text("code"));
    let ip = super::client(&console, &req);
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.auth.disable_mfa(&actor, &pass, &code, &ip)).await? {
        Ok(()) => Ok(see_other("/profile")),
        Err(CoreError::Invalid(errors)) => {
            let message = errors.first().map(|e| e.message.clone());
            profile_page(&console, &s, context! { mfa_error => message }, 422).await
        }
        Err(CoreError::Unauthenticated) => {
            profile_page(
                &console,
                &s,
                context! { mfa_error => "That code is not right." },
                422,
            )
            .await
        }
        Err(CoreError::RateLimited { retry_after_secs }) => {
            Err(WebError::RateLimited(retry_after_secs))
        }
        Err(e) => Err(e.into()),
    }
}

/// The preference grid: one e-mail and one in-app checkbox per event type; an unchecked
/// box sends nothing, so every listed type is set from what came.
#[post("/profile/preferences")]
async fn preferences(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let events = f.all("event");
    // The grid lists each known type once: anything longer is not our form.
    if events.len() > servicedesk_core::notify::PREFERENCE_EVENTS.len() {
        return Err(WebError::Invalid("Too many notification choices.".into()));
    }
    let email: std::collections::HashSet<String> = f.all("email").into_iter().collect();
    let in_app: std::collections::HashSet<String> = f.all("in_app").into_iter().collect();
    let choices: Vec<Preference> = events
        .iter()
        .map(|e| Preference {
            event: e.clone(),
            email: email.contains(e),
            in_app: in_app.contains(e),
        })
        .collect();
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.notifications.set_preferences(&actor, &choices)).await? {
        Ok(_) => Ok(see_other("/profile?saved=preferences#preferences")),
        Err(CoreError::Invalid(_)) => Err(WebError::Invalid(
            "One of the event types is not known any more. Reload the page.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
