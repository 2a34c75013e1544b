//! Webhooks and dead letters: the organization's endpoints (name, where they post — the
//! origin only, as a Slack or Teams path is a credential —, events, format, paused or
//! active), creating one (its signing secret shown once), deleting one after a
//! confirmation, and the deliveries that were given up on with their last error and a
//! retry.

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use servicedesk_core::Error as CoreError;
use servicedesk_core::ids::{DeliveryId, WebhookId};
use servicedesk_core::notify::{NewWebhook, WEBHOOK_EVENTS};
use servicedesk_core::ports::{Channel, DeliveryFilter, DeliveryState, WebhookFormat, url_origin};

use super::{NoticeQuery, admin_page, notice_text, path_id};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

/// Dead letters per page.
const PAGE: u32 = 50;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(delete)
        .service(dead_letters)
        .service(retry);
}

async fn webhooks_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let hooks = block(move || c.notifications.webhooks(&actor)).await??;
    let rows: Vec<Value> = hooks
        .iter()
        .map(|h| {
            context! {
                id => h.id.to_string(),
                name => h.name.clone(),
                origin => url_origin(&h.url),
                events => if h.events.iter().any(|e| e == "*") { "every event".to_owned() } else { h.events.join(", ") },
                format => h.format.as_str(),
                active => h.active,
                created_at => h.created_at.to_rfc3339(),
            }
        })
        .collect();
    let events: Vec<(&str, String)> = WEBHOOK_EVENTS
        .iter()
        .map(|e| (*e, e.replace(['.', '_'], " ")))
        .collect();
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_webhooks.html",
            "webhooks",
            "Webhooks",
            context! { rows, events => ser(events), ..extra },
        )?,
        status,
    ))
}

#[get("/admin/webhooks")]
async fn list(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    webhooks_page(
        &console,
        &s,
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
    .await
}

/// Field errors of the webhook form, by the form's field names: `events[3]` is the
/// events field's error.
fn webhook_errors(errors: &[servicedesk_core::FieldError]) -> Errors {
    let mut e = Errors::of(errors);
    let moved: Vec<String> =
        e.0.keys()
            .filter(|k| k.starts_with("events["))
            .cloned()
            .collect();
    for k in moved {
        if let Some(m) = e.0.remove(&k) {
            e.0.entry("events".into()).or_insert(m);
        }
    }
    e
}

#[post("/admin/webhooks")]
async fn create(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let mut form = f.values();
    // The secret is not shown again on a refused form (like a password).
    form.remove("secret");
    let chosen = f.all("events");
    let form_ctx = context! { form => ser(&form), chosen => chosen.clone() };
    let Some(format) = WebhookFormat::parse(&f.text("format")) else {
        let errors = Errors::of(&[servicedesk_core::FieldError::new(
            "format",
            "invalid",
            "choose one",
        )]);
        return webhooks_page(
            &console,
            &s,
            context! { errors => ser(errors.0), ..form_ctx },
            422,
        )
        .await;
    };
    let secret = f.get("secret").map(str::trim).filter(|v| !v.is_empty());
    let all = chosen.iter().any(|e| e == "*");
    let input = NewWebhook {
        name: f.text("name"),
        url: f.text("url"),
        events: if all {
            vec!["*".into()]
        } else {
            chosen.clone()
        },
        format,
        secret: secret.map(str::to_owned),
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.notifications.create_webhook(&actor, input)).await? {
        // The secret is shown once, on this answer (never in an address or a log).
        Ok((hook, secret)) => {
            webhooks_page(&console, &s, context! { created => hook.name, secret }, 200).await
        }
        Err(CoreError::Invalid(errors)) => {
            let errors = webhook_errors(&errors);
            webhooks_page(
                &console,
                &s,
                context! { errors => ser(errors.0), ..form_ctx },
                422,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/admin/webhooks/{id}/delete")]
async fn delete(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    Fields::checked(&visitor, posted)?;
    let id = WebhookId(path_id(&id)?);
    let c = console.clone();
    let actor = s.actor.clone();
    block(move || c.notifications.delete_webhook(&actor, id)).await??;
    Ok(see_other("/admin/webhooks?notice=deleted"))
}

#[derive(Debug, Default, serde::Deserialize)]
struct DeadQuery {
    before: Option<String>,
    notice: Option<String>,
}

#[get("/admin/webhooks/dead-letters")]
async fn dead_letters(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<DeadQuery>,
) -> Result<HttpResponse, WebError> {
    let before = match q.before.as_deref() {
        Some(b) if !b.is_empty() => Some(DeliveryId(path_id(b)?)),
        _ => None,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let (dead, hooks) = block(move || {
        let filter = DeliveryFilter {
            state: Some(DeliveryState::Dead),
            ..DeliveryFilter::default()
        };
        let dead = c.notifications.deliveries(&actor, filter, before, PAGE)?;
        let hooks = c.notifications.webhooks(&actor)?;
        Ok((dead, hooks))
    })
    .await??;
    let next = (dead.len() == PAGE as usize)
        .then(|| dead.last().map(|d| d.id.to_string()))
        .flatten();
    let rows: Vec<Value> = dead
        .iter()
        .map(|d| {
            let to = match d.channel {
                Channel::Webhook => hooks
                    .iter()
                    .find(|h| h.id.to_string() == d.target)
                    .map(|h| h.name.clone())
                    .unwrap_or_else(|| "a deleted webhook".into()),
                Channel::Email => "e-mail to a user".into(),
            };
            context! {
                id => d.id.to_string(),
                event => d.kind.clone(),
                channel => d.channel.as_str(),
                to,
                attempts => d.attempts,
                error => d.last_error.clone(),
                created_at => d.created_at.to_rfc3339(),
                dead_at => d.dead_at.map(|t| t.to_rfc3339()),
            }
        })
        .collect();
    admin_page(
        &console,
        &s,
        "admin_dead_letters.html",
        "webhooks",
        "Dead letters",
        context! { rows, next, notice => notice_text(q.notice.as_deref()) },
    )
}

#[post("/admin/deliveries/{id}/retry")]
async fn retry(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    Fields::checked(&visitor, posted)?;
    let id = DeliveryId(path_id(&id)?);
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.notifications.retry_delivery(&actor, id)).await? {
        Ok(_) => Ok(see_other("/admin/webhooks/dead-letters?notice=retried")),
        Err(CoreError::Conflict { .. }) => Err(WebError::Conflict(
            "This delivery is not a dead letter any more (it was retried already).".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_error_is_the_events_fields() {
        let e = webhook_errors(&[
            servicedesk_core::FieldError::new("events[2]", "unknown_event", "bad"),
            servicedesk_core::FieldError::new("url", "invalid_url", "bad url"),
        ]);
        assert_eq!(e.0.get("events").map(String::as_str), Some("bad"));
        assert_eq!(e.0.get("url").map(String::as_str), Some("bad url"));
        assert!(!e.0.contains_key("events[2]"));
    }
}
