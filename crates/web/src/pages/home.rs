//! The start page, by role: everyone sees their own open tickets and what waits for their
//! approval; staff also see the work assigned to them by priority, what is due soon and
//! what is breached. `/search` jumps to a reference or searches titles.

use actix_web::{HttpResponse, get, web};
use minijinja::context;
use serde::Deserialize;
use servicedesk_core::ports::SortDirection;
use servicedesk_core::tickets::{ListTickets, SlaState, StatusClass, TicketName, TicketSort};

use super::{block, page, see_other};
use crate::Console;
use crate::error::WebError;
use crate::render::ser;
use crate::session::SignedIn;
use crate::view::{Names, Row, row};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home).service(search);
}

fn rows(
    console: &Console,
    s: &SignedIn,
    names: &mut Names,
    input: ListTickets,
) -> Result<Vec<Row>, servicedesk_core::Error> {
    let now = console.clock.now();
    Ok(console
        .tickets
        .list(&s.actor, input)?
        .items
        .iter()
        .map(|t| row(console, &s.actor, names, t, now))
        .collect())
}

#[get("/")]
async fn home(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let s2 = s.clone();
    let (mine, closed, assigned, breached, approvals, work) = block(move || {
        let mut names = Names::load(&c, &s2.actor);
        let me = s2.actor.user_id();
        let open = vec![
            StatusClass::Open,
            StatusClass::Pending,
            StatusClass::Resolved,
        ];
        let mine = rows(
            &c,
            &s2,
            &mut names,
            ListTickets {
                requester_id: Some(me),
                status_classes: open.clone(),
                limit: Some(20),
                ..ListTickets::default()
            },
        )?;
        let closed = rows(
            &c,
            &s2,
            &mut names,
            ListTickets {
                requester_id: Some(me),
                status_classes: vec![StatusClass::Closed],
                sort: TicketSort::Updated,
                limit: Some(5),
                ..ListTickets::default()
            },
        )?;
        let work = if s2.actor.is_staff() {
            Some(c.reports.my_work(&s2.actor)?)
        } else {
            None
        };
        let (assigned, breached) = if s2.actor.is_staff() {
            let assigned = rows(
                &c,
                &s2,
                &mut names,
                ListTickets {
                    assignee_id: Some(me),
                    status_classes: vec![StatusClass::Open, StatusClass::Pending],
                    sort: TicketSort::Priority,
                    direction: SortDirection::Desc,
                    limit: Some(20),
                    ..ListTickets::default()
                },
            )?;
            let breached = rows(
                &c,
                &s2,
                &mut names,
                ListTickets {
                    sla_states: vec![SlaState::Warning, SlaState::Breached],
                    status_classes: vec![StatusClass::Open, StatusClass::Pending],
                    sort: TicketSort::SlaDue,
                    direction: SortDirection::Asc,
                    limit: Some(10),
                    ..ListTickets::default()
                },
            )?;
            (assigned, breached)
        } else {
            (Vec::new(), Vec::new())
        };
        let approvals = c.requests.pending_approvals(&s2.actor)?.len();
        Ok((mine, closed, assigned, breached, approvals, work))
    })
    .await??;
    page(
        &console,
        &s,
        "home.html",
        "home",
        "Home",
        context! { mine => ser(mine), closed => ser(closed), assigned => ser(assigned), breached => ser(breached), approvals, work => ser(work) },
    )
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
}

/// A reference (`INC-42`, `req-7`) goes straight to its ticket; words search the queue
/// (staff) or the person's own tickets.
#[get("/search")]
async fn search(s: SignedIn, q: web::Query<SearchQuery>) -> Result<HttpResponse, WebError> {
    let text = q.q.clone().unwrap_or_default();
    let text = text.trim();
    if let Some(TicketName::Ref(r)) = TicketName::parse(text) {
        return Ok(see_other(&format!("/tickets/{r}")));
    }
    let enc = percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC);
    Ok(see_other(&if s.actor.is_staff() {
        format!("/queue?view=all&q={enc}")
    } else {
        format!("/queue?view=mine&q={enc}")
    }))
}
