//! The organization's settings (auto-close delay, self-registration) and, for the platform
//! admin, the organizations of the installation with a form to create one.

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use servicedesk_core::Error as CoreError;
use servicedesk_core::entities::OrgSettings;

use super::{NoticeQuery, admin_page, notice_text};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(settings)
        .service(save_settings)
        .service(organizations)
        .service(create_organization);
}

/// The settings page: the stored settings, or `sent` (a refused form, as it was sent).
async fn settings_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    sent: Option<Value>,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let current = block(move || c.admin.org_settings(&actor, actor.org_id())).await??;
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_settings.html",
            "settings",
            "Organization settings",
            context! {
                current => sent.unwrap_or_else(|| context! {
                    auto_close_days => current.auto_close_days.map(|d| d.to_string()).unwrap_or_default(),
                    registration_open => !current.registration_closed,
                }),
                max_days => OrgSettings::MAX_AUTO_CLOSE_DAYS,
                ..extra
            },
        )?,
        status,
    ))
}

#[get("/admin/settings")]
async fn settings(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    settings_page(
        &console,
        &s,
        None,
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
    .await
}

/// The auto-close field: empty is "never", otherwise a whole number of days (its range is
/// the use case's to check).
fn auto_close(raw: &str) -> Result<Option<u32>, servicedesk_core::FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<u32>().map(Some).map_err(|_| {
        servicedesk_core::FieldError::new(
            "auto_close_days",
            "invalid",
            "a whole number of days, or empty for never",
        )
    })
}

#[post("/admin/settings")]
async fn save_settings(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let sent = context! {
        auto_close_days => f.text("auto_close_days"),
        registration_open => f.get("registration_open").is_some(),
    };
    let days = match auto_close(&f.text("auto_close_days")) {
        Ok(d) => d,
        Err(e) => {
            let errors = Errors::of(&[e]);
            return settings_page(
                &console,
                &s,
                Some(sent),
                context! { errors => ser(errors.0) },
                422,
            )
            .await;
        }
    };
    let wanted = OrgSettings {
        auto_close_days: days,
        registration_closed: f.get("registration_open").is_none(),
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.update_org_settings(&actor, actor.org_id(), wanted)).await? {
        Ok(_) => Ok(see_other("/admin/settings?notice=saved")),
        Err(CoreError::Invalid(errors)) => {
            let errors = Errors::of(&errors);
            settings_page(
                &console,
                &s,
                Some(sent),
                context! { errors => ser(errors.0) },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn organizations_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    // The list answers every admin with their own organization; the page is the platform
    // admin's, who creates organizations.
    if !s.actor.platform_admin {
        return Err(WebError::Forbidden);
    }
    let c = console.clone();
    let actor = s.actor.clone();
    let mut orgs = block(move || c.admin.organizations(&actor)).await??;
    orgs.sort_by_key(|o| o.name.to_lowercase());
    let mine = s.actor.org_id();
    let rows: Vec<Value> = orgs
        .iter()
        .map(|o| {
            context! {
                id => o.id.to_string(),
                name => o.name.clone(),
                created_at => o.created_at.to_rfc3339(),
                mine => o.id == mine,
            }
        })
        .collect();
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_organizations.html",
            "organizations",
            "Organizations",
            context! { rows, ..extra },
        )?,
        status,
    ))
}

#[get("/admin/organizations")]
async fn organizations(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    organizations_page(
        &console,
        &s,
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
    .await
}

#[post("/admin/organizations")]
async fn create_organization(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let name = f.text("name");
    let form = ser(f.values());
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.create_organization(&actor, &name)).await? {
        Ok(_) => Ok(see_other("/admin/organizations?notice=created")),
        Err(CoreError::Invalid(errors)) => {
            let errors = Errors::of(&errors);
            organizations_page(
                &console,
                &s,
                context! { form, errors => ser(errors.0) },
                422,
            )
            .await
        }
        Err(CoreError::Duplicate { .. }) => {
            let errors = Errors::of(&[servicedesk_core::FieldError::new(
                "name",
                "taken",
                "an organization of this name exists",
            )]);
            organizations_page(
                &console,
                &s,
                context! { form, errors => ser(errors.0) },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_close_is_empty_for_never_or_whole_days() {
        assert_eq!(auto_close(""), Ok(None));
        assert_eq!(auto_close("  "), Ok(None));
        assert_eq!(auto_close("7"), Ok(Some(7)));
        for bad in ["-1", "1.5", "seven", "99999999999"] {
            assert_eq!(
                auto_close(bad).unwrap_err().field,
                "auto_close_days",
                "{bad}"
            );
        }
    }
}
