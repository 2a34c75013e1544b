//! My pending approvals with approve / reject (a rejection needs a reason), and the
//! notifications inbox.

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use servicedesk_core::Error as CoreError;
use servicedesk_core::ids::{ApprovalId, NotificationId};

use super::{block, page, see_other, with_status};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Fields, Posted};
use crate::session::{SignedIn, Visitor};
use crate::view::Names;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(approvals)
        .service(decide)
        .service(notifications)
        .service(read_notification);
}

async fn approvals_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    notice: Option<String>,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let s2 = s.clone();
    let items: Vec<Value> = block(move || {
        let mut names = Names::load(&c, &s2.actor);
        Ok(c
            .requests
            .pending_approvals(&s2.actor)?
            .into_iter()
            .map(|(a, r)| {
                context! {
                    id => a.id.to_string(),
                    stage => a.stage_name.clone(),
                    due_at => a.due_at.to_rfc3339(),
                    on_behalf => (a.approver_id != s2.actor.user_id()).then(|| names.user_or(&c, &s2.actor, a.approver_id, "the approver who delegated to you")),
                    reference => r.reference(),
                    title => r.title.clone(),
                    requester => names.user_or(&c, &s2.actor, r.requester_id, "a colleague"),
                    answers => crate::view::answer_rows(&c, &s2.actor, &r.details),
                }
            })
            .collect())
    })
    .await??;
    Ok(with_status(
        page(
            console,
            s,
            "approvals.html",
            "approvals",
            "Approvals",
            context! { items, notice },
        )?,
        status,
    ))
}

#[get("/approvals")]
async fn approvals(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    approvals_page(&console, &s, None, 200).await
}

#[post("/approvals/{id}/{decision}")]
async fn decide(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let (id, decision) = path.into_inner();
    let id = ApprovalId(id.parse().map_err(|_| WebError::NotFound)?);
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(WebError::NotFound),
    };
    let comment = Some(f.text("comment")).filter(|c| !c.is_empty());
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.requests.decide(&actor, id, approve, comment)).await? {
        Ok(_) => Ok(see_other("/approvals")),
        Err(CoreError::Invalid(errors)) => {
            let message = errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" ");
            approvals_page(&console, &s, Some(format!("Not sent: {message}")), 422).await
        }
        Err(CoreError::Conflict { .. } | CoreError::IllegalTransition { .. }) => {
            approvals_page(
                &console,
                &s,
                Some("That approval was decided meanwhile.".into()),
                409,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[get("/notifications")]
async fn notifications(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let items: Vec<Value> = block(move || {
        Ok(c.notifications
            .inbox(&actor, false, None, 100)?
            .into_iter()
            .map(|n| {
                context! {
                    id => n.id.to_string(),
                    title => n.title,
                    body => n.body,
                    at => n.created_at.to_rfc3339(),
                    unread => n.read_at.is_none(),
                    ticket => n.incident_id.map(|i| i.to_string()),
                }
            })
            .collect())
    })
    .await??;
    page(
        &console,
        &s,
        "notifications.html",
        "notifications",
        "Notifications",
        context! { items },
    )
}

/// Marks a notification read and opens its ticket.
#[post("/notifications/{id}/read")]
async fn read_notification(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let _ = Fields::checked(&visitor, posted)?;
    let id = NotificationId(id.parse().map_err(|_| WebError::NotFound)?);
    let c = console.clone();
    let actor = s.actor.clone();
    let n = block(move || c.notifications.mark_read(&actor, id)).await??;
    Ok(see_other(&n.incident_id.map_or_else(
        || "/notifications".to_owned(),
        |t| format!("/tickets/{t}"),
    )))
}
