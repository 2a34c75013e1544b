//! Tickets in the browser: the queue (mine, my teams, triage, all visible; any kind) with
//! filters, sort and cursor paging; opening an incident; the ticket view with its fields,
//! history, comments and work notes, links, and the lifecycle moves the actor may make now
//! as buttons; assigning. Every write names the version the page showed, so a stale page
//! gets the current state and a conflict message instead of overwriting.

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};
use servicedesk_core::Error as CoreError;
use servicedesk_core::entities::{Comment, HistoryEntry};
use servicedesk_core::ids::{TeamId, TicketId, UserId};
use servicedesk_core::ports::SortDirection;
use servicedesk_core::priority::{Impact, Urgency};
use servicedesk_core::tickets::{ListTickets, StatusClass, TicketKind, TicketName, TicketSort};
use servicedesk_core::usecases::{
    Assignment, IncidentRef, OpenIncident, PageRequest, TransitionRequest,
};
use servicedesk_lifecycle::incident::IncidentAction;

use super::{block, page, see_other, with_status};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};
use crate::view::{Names, Row, row, timer};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(queue)
        .service(new_incident_page)
        .service(new_incident)
        .service(old_incident_link)
        .service(ticket)
        .service(comment)
        .service(transition)
        .service(assign);
}

#[derive(Debug, Default, Deserialize, Serialize, Clone)]
struct QueueQuery {
    view: Option<String>,
    kind: Option<String>,
    class: Option<String>,
    priority: Option<String>,
    sort: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
}

/// The queue's filters as the listing's input, and the names the page shows for them.
fn listing(s: &SignedIn, q: &QueueQuery) -> ListTickets {
    let me = s.actor.user_id();
    let mut input = ListTickets {
        limit: Some(50),
        cursor: q.cursor.clone().filter(|c| !c.is_empty()),
        text: q.q.clone().filter(|t| !t.trim().is_empty()),
        ..ListTickets::default()
    };
    match q.view.as_deref().unwrap_or("mine") {
        "all" => {}
        "triage" => input.unassigned_team = true,
        "teams" => {}
        "requested" => input.requester_id = Some(me),
        _ => input.assignee_id = Some(me),
    }
    if let Some(kind) = q.kind.as_deref().and_then(|k| k.parse::<TicketKind>().ok()) {
        input.kinds = vec![kind];
    }
    input.status_classes = match q.class.as_deref().unwrap_or("active") {
        "open" => vec![StatusClass::Open],
        "pending" => vec![StatusClass::Pending],
        "resolved" => vec![StatusClass::Resolved],
        "closed" => vec![StatusClass::Closed],
        "any" => vec![],
        _ => vec![StatusClass::Open, StatusClass::Pending],
    };
    if let Some(p) = q.priority.as_deref().and_then(|p| p.parse().ok()) {
        input.priorities = vec![p];
    }
    (input.sort, input.direction) = match q.sort.as_deref().unwrap_or("priority") {
        "newest" => (TicketSort::Created, SortDirection::Desc),
        "oldest" => (TicketSort::Created, SortDirection::Asc),
        "updated" => (TicketSort::Updated, SortDirection::Desc),
        "sla" => (TicketSort::SlaDue, SortDirection::Asc),
        _ => (TicketSort::Priority, SortDirection::Desc),
    };
    input
}

#[get("/queue")]
async fn queue(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<QueueQuery>,
) -> Result<HttpResponse, WebError> {
    let q = q.into_inner();
    let view = q.view.clone().unwrap_or_else(|| "mine".into());
    if !s.actor.is_staff() && view != "mine" && view != "requested" {
        return Err(WebError::Forbidden);
    }
    let input = listing(&s, &q);
    let teams_view = view == "teams";
    let c = console.clone();
    let s2 = s.clone();
    let (rows, next, teams) = block(move || {
        let mut names = Names::load(&c, &s2.actor);
        let now = c.clock.now();
        let mut rows: Vec<Row> = Vec::new();
        let mut next = None;
        if teams_view {
            // My teams: one listing per team, merged (each team's queue is its own index walk).
            for team in s2.actor.team_ids() {
                let page = c.tickets.list(
                    &s2.actor,
                    ListTickets {
                        team_id: Some(team),
                        ..input.clone()
                    },
                )?;
                rows.extend(
                    page.items
                        .iter()
                        .map(|t| row(&c, &s2.actor, &mut names, t, now)),
                );
            }
        } else {
            let page = c.tickets.list(&s2.actor, input)?;
            next = page.next_cursor;
            rows = page
                .items
                .iter()
                .map(|t| row(&c, &s2.actor, &mut names, t, now))
                .collect();
        }
        Ok((rows, next, names.teams()))
    })
    .await?
    .map_err(|e| match e {
        CoreError::Invalid(_) => WebError::Invalid("That filter or page link is not valid.".into()),
        other => other.into(),
    })?;
    let next_link = next.map(|c| {
        let mut nq = q.clone();
        nq.cursor = Some(c);
        format!("/queue?{}", serde_urlencoded_lite(&nq))
    });
    page(
        &console,
        &s,
        "queue.html",
        "queue",
        "Queue",
        context! { rows => ser(rows), q => ser(q), view, next_link, teams => ser(teams), live => "queue" },
    )
}

/// `a=b&c=d` of the queue's filters (values percent-encoded).
fn serde_urlencoded_lite(q: &QueueQuery) -> String {
    let enc = |v: &str| {
        percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    [
        ("view", &q.view),
        ("kind", &q.kind),
        ("class", &q.class),
        ("priority", &q.priority),
        ("sort", &q.sort),
        ("q", &q.q),
        ("cursor", &q.cursor),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_deref()
            .filter(|v| !v.is_empty())
            .map(|v| format!("{k}={}", enc(v)))
    })
    .collect::<Vec<_>>()
    .join("&")
}

/// Impact and urgency in plain words (the priority matrix does the rest).
const IMPACTS: &[(&str, &str)] = &[
    ("low", "Only me, and I can work around it"),
    ("medium", "Me or a few people, work is slowed"),
    ("high", "A team or a service, work is stopped"),
    ("critical", "Many people or the whole company"),
];
const URGENCIES: &[(&str, &str)] = &[
    ("low", "It can wait a few days"),
    ("medium", "Today would be good"),
    ("high", "Within the hour"),
    ("critical", "Right now: money or safety is at stake"),
];

fn incident_form(
    console: &Console,
    s: &SignedIn,
    values: Value,
    errors: Errors,
) -> Result<HttpResponse, WebError> {
    let status = if errors.is_empty() { 200 } else { 422 };
    Ok(with_status(
        page(
            console,
            s,
            "new_incident.html",
            "new",
            "Report a problem",
            context! { form => values, errors => ser(errors.0), impacts => ser(IMPACTS), urgencies => ser(URGENCIES) },
        )?,
        status,
    ))
}

#[get("/tickets/new")]
async fn new_incident_page(
    console: web::Data<Console>,
    s: SignedIn,
) -> Result<HttpResponse, WebError> {
    incident_form(
        &console,
        &s,
        context! { impact => "medium", urgency => "medium" },
        Errors::default(),
    )
}

#[post("/tickets/new")]
async fn new_incident(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let values = ser(f.values());
    let mut errors = Vec::new();
    let impact = f.text("impact").parse::<Impact>().map_err(|_| {
        errors.push(servicedesk_core::FieldError::new(
            "impact",
            "invalid",
            "choose one",
        ));
    });
    let urgency = f.text("urgency").parse::<Urgency>().map_err(|_| {
        errors.push(servicedesk_core::FieldError::new(
            "urgency",
            "invalid",
            "choose one",
        ));
    });
    let (Ok(impact), Ok(urgency)) = (impact, urgency) else {
        return incident_form(&console, &s, values, Errors::of(&errors));
    };
    let input = OpenIncident {
        title: f.text("title"),
        description: f.text("description"),
        impact,
        urgency,
        category: None,
        requester_id: None,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    // The form's CSRF token and a per-form nonce make a double submit open one incident.
    let key = f.get("nonce").map(|n| format!("console-{n}"));
    match block(move || c.incidents.open(&actor, input, key.as_deref())).await? {
        Ok(out) => Ok(see_other(&format!(
            "/tickets/{}",
            out.value.incident.reference()
        ))),
        Err(CoreError::Invalid(errors)) => incident_form(&console, &s, values, Errors::of(&errors)),
        Err(e) => Err(e.into()),
    }
}

/// Links in mails sent before the console: `/incidents/{id}` goes to the ticket page.
#[get("/incidents/{id}")]
async fn old_incident_link(id: web::Path<String>) -> HttpResponse {
    see_other(&format!(
        "/tickets/{}",
        percent_encoding::utf8_percent_encode(&id, percent_encoding::NON_ALPHANUMERIC)
    ))
}

#[derive(Serialize)]
struct CommentView {
    author: String,
    body: String,
    internal: bool,
    at: String,
    mine: bool,
}

#[derive(Serialize)]
struct HistoryView {
    who: String,
    at: String,
    field: String,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Serialize)]
struct LinkRow {
    relation: String,
    reference: String,
    title: String,
    status: String,
}

#[derive(Serialize)]
struct Action {
    name: String,
    label: String,
    /// A resolve needs a code and notes; a reject a reason.
    needs_notes: bool,
}

fn label(action: &str) -> String {
    match action {
        "start" => "Start work",
        "hold" => "Put on hold",
        "resume" => "Resume",
        "resolve" => "Resolve",
        "reopen" => "Reopen",
        "close" => "Confirm and close",
        "cancel" => "Cancel ticket",
        "fulfil" => "Mark fulfilled",
        "submit" => "Submit",
        other => other,
    }
    .to_owned()
}

fn comments_view(
    console: &Console,
    s: &SignedIn,
    names: &mut Names,
    items: Vec<Comment>,
) -> Vec<CommentView> {
    items
        .into_iter()
        .map(|c| CommentView {
            author: names.user(console, &s.actor, c.author_id),
            mine: c.author_id == s.actor.user_id(),
            body: c.body,
            internal: c.internal,
            at: c.created_at.to_rfc3339(),
        })
        .collect()
}

fn history_view(
    console: &Console,
    s: &SignedIn,
    names: &mut Names,
    items: Vec<HistoryEntry>,
) -> Vec<HistoryView> {
    // Ids read as names: "team: Network", not the team's uuid.
    let shown = |names: &mut Names, field: &str, v: Option<String>| -> Option<String> {
        let v = v?;
        let id = v.parse::<uuid::Uuid>().ok();
        Some(match (field, id) {
            ("team_id", Some(_)) => names.team(&v),
            ("assignee_id" | "requester_id", Some(u)) => names.user_or(
                console,
                &s.actor,
                servicedesk_core::ids::UserId(u),
                "someone",
            ),
            _ => v,
        })
    };
    items
        .into_iter()
        .map(|h| HistoryView {
            who: h.actor_id.map_or_else(
                || "Servicedesk".into(),
                |a| names.user(console, &s.actor, a),
            ),
            at: h.at.to_rfc3339(),
            old: shown(names, &h.field, h.old_value),
            new: shown(names, &h.field, h.new_value),
            field: h
                .field
                .strip_suffix("_id")
                .unwrap_or(&h.field)
                .replace('_', " "),
        })
        .collect()
}

/// Everything the ticket page shows, read in one blocking step.
fn ticket_context(console: &Console, s: &SignedIn, name: TicketName) -> Result<Value, CoreError> {
    let actor = &s.actor;
    let any = console
        .tickets
        .get(actor, name)
        .or_else(|e| match (e, name) {
            // A request's approver reads it through the request's own rule.
            (CoreError::NotFound { .. }, TicketName::Ref(r)) if r.kind == TicketKind::Request => {
                console
                    .requests
                    .get_by_number(actor, r.number)
                    .map(|v| v.request.erased())
            }
            (CoreError::NotFound { .. }, TicketName::Id(id)) => {
                console.requests.get(actor, id).map(|v| v.request.erased())
            }
            (e, _) => Err(e),
        })?;
    let mut names = Names::load(console, actor);
    let now = console.clock.now();
    let page = PageRequest {
        cursor: None,
        limit: Some(200),
    };
    let links: Vec<LinkRow> = console
        .tickets
        .links(actor, TicketName::Id(any.id))
        .unwrap_or_default()
        .into_iter()
        .map(|l| LinkRow {
            relation: l.relation.replace('_', " "),
            reference: l.other.reference(),
            title: l.other.title.clone(),
            status: l.other.status.clone(),
        })
        .collect();
    let summary = row(console, actor, &mut names, &any, now);
    let staff = actor.is_staff();
    match any.kind {
        TicketKind::Incident => {
            let r = IncidentRef::Id(any.id);
            let view = console.incidents.get(actor, r)?;
            let comments = comments_view(
                console,
                s,
                &mut names,
                console.incidents.comments(actor, r, &page)?.items,
            );
            let history = history_view(
                console,
                s,
                &mut names,
                console.incidents.history(actor, r, &page)?.items,
            );
            let actions: Vec<Action> = view
                .legal_actions
                .iter()
                .filter(|a| **a != IncidentAction::Assign)
                .map(|a| Action {
                    name: a.to_string(),
                    label: label(&a.to_string()),
                    needs_notes: *a == IncidentAction::Resolve,
                })
                .collect();
            let i = &view.incident;
            Ok(context! {
                t => ser(summary),
                kind => "incident",
                version => i.version,
                description => i.description.clone(),
                impact => i.impact.to_string(),
                urgency => i.urgency.to_string(),
                category => i.category.clone(),
                resolution_code => i.details.resolution_code.clone(),
                resolution_notes => i.details.resolution_notes.clone(),
                escalation_level => i.details.escalation_level,
                first_response => ser(view.sla.as_ref().map(|v| v.first_response.clone())),
                resolution_sla => ser(view.sla.as_ref().map(|v| v.resolution.clone())),
                comments => ser(comments), history => ser(history), links => ser(&links), actions => ser(actions),
                can_assign => staff && view.legal_actions.contains(&IncidentAction::Assign),
                people => ser(names.people()),
                teams => ser(names.teams()),
                staff,
                timer => ser(timer(&any, now)),
            })
        }
        _ => {
            let view = console.requests.get(actor, any.id)?;
            let comments = comments_view(
                console,
                s,
                &mut names,
                console.requests.comments(actor, any.id, &page)?.items,
            );
            let history = history_view(
                console,
                s,
                &mut names,
                console.requests.history(actor, any.id, &page)?.items,
            );
            let actions: Vec<Action> = view
                .legal_actions
                .iter()
                .filter(|a| matches!(a.as_str(), "cancel" | "fulfil" | "close" | "submit"))
                .filter(|a| staff || a.as_str() != "fulfil")
                .map(|a| Action {
                    name: a.clone(),
                    label: label(a),
                    needs_notes: false,
                })
                .collect();
            let approvals: Vec<Value> = view
                .approvals
                .iter()
                .map(|a| {
                    context! {
                        stage => a.stage_name.clone(),
                        approver => names.user(console, actor, a.approver_id),
                        state => a.state.as_str(),
                        comment => a.comment.clone(),
                        at => a.decided_at.map(|t| t.to_rfc3339()),
                    }
                })
                .collect();
            let r = &view.request;
            Ok(context! {
                t => ser(summary),
                kind => "request",
                version => r.version,
                description => r.description.clone(),
                answers => crate::view::answer_rows(console, actor, &r.details),
                approval_state => r.details.approval_state.as_str(),
                approvals, comments => ser(comments), history => ser(history), links => ser(&links), actions => ser(actions),
                can_assign => false,
                staff,
                timer => ser(timer(&any, now)),
            })
        }
    }
}

async fn show(
    console: &web::Data<Console>,
    s: &SignedIn,
    name: TicketName,
    notice: Option<String>,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let s2 = s.clone();
    let ctx = block(move || ticket_context(&c, &s2, name)).await??;
    let title = ctx
        .get_attr("t")
        .ok()
        .and_then(|t| t.get_attr("reference").ok())
        .map(|r| r.to_string())
        .unwrap_or_else(|| "Ticket".into());
    Ok(with_status(
        page(
            console,
            s,
            "ticket.html",
            "ticket",
            &title,
            context! { notice, live => "ticket", ..ctx },
        )?,
        status,
    ))
}

/// The path segment naming a ticket.
fn path_of(name: TicketName) -> String {
    match name {
        TicketName::Id(id) => id.to_string(),
        TicketName::Ref(r) => r.to_string(),
    }
}

fn parse_name(raw: &str) -> Result<TicketName, WebError> {
    TicketName::parse(raw).ok_or(WebError::NotFound)
}

#[get("/tickets/{name}")]
async fn ticket(
    console: web::Data<Console>,
    s: SignedIn,
    name: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    show(&console, &s, parse_name(&name)?, None, 200).await
}

/// Resolves a page's ticket name to its id and kind, through the visibility rule.
fn locate(
    console: &Console,
    s: &SignedIn,
    name: TicketName,
) -> Result<(TicketId, TicketKind), CoreError> {
    match console.tickets.get(&s.actor, name) {
        Ok(t) => Ok((t.id, t.kind)),
        Err(CoreError::NotFound { .. }) => {
            let v = match name {
                TicketName::Ref(r) if r.kind == TicketKind::Request => {
                    console.requests.get_by_number(&s.actor, r.number)?
                }
                TicketName::Id(id) => console.requests.get(&s.actor, id)?,
                TicketName::Ref(_) => return Err(CoreError::NotFound { entity: "ticket" }),
            };
            Ok((v.request.id, TicketKind::Request))
        }
        Err(e) => Err(e),
    }
}

/// What a failed write shows: the ticket as it is now, with the reason.
async fn refused(
    console: &web::Data<Console>,
    s: &SignedIn,
    name: TicketName,
    e: CoreError,
) -> Result<HttpResponse, WebError> {
    let (message, status) = match e {
        CoreError::Conflict { .. } => (
            "Someone changed this ticket while you were looking at it. Here is its current state; nothing was overwritten.".to_owned(),
            409,
        ),
        CoreError::IllegalTransition { message, .. } => (message, 409),
        CoreError::Invalid(errors) => (
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
            422,
        ),
        CoreError::Forbidden { .. } => ("You may not do that on this ticket.".to_owned(), 403),
        other => return Err(other.into()),
    };
    show(console, s, name, Some(message), status).await
}

#[post("/tickets/{name}/comments")]
async fn comment(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    name: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let name = parse_name(&name)?;
    let body = f.get("body").unwrap_or("").to_owned();
    let internal = f.get("internal") == Some("on") || f.get("internal") == Some("true");
    let c = console.clone();
    let s2 = s.clone();
    let result = block(move || {
        let (id, kind) = locate(&c, &s2, name)?;
        match kind {
            TicketKind::Incident => c
                .incidents
                .comment(&s2.actor, IncidentRef::Id(id), &body, internal)
                .map(|_| ()),
            _ => c
                .requests
                .comment(&s2.actor, id, &body, internal)
                .map(|_| ()),
        }
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!("/tickets/{}#comments", path_of(name)))),
        Err(e) => refused(&console, &s, name, e).await,
    }
}

#[post("/tickets/{name}/transition")]
async fn transition(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    name: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let name = parse_name(&name)?;
    let action = f.text("action");
    let version: Option<i64> = f.text("version").parse().ok();
    let (code, notes) = (f.text("resolution_code"), f.text("resolution_notes"));
    let c = console.clone();
    let s2 = s.clone();
    let result = block(move || {
        let (id, kind) = locate(&c, &s2, name)?;
        match kind {
            TicketKind::Incident => {
                let action: IncidentAction = action.parse().map_err(|_| {
                    CoreError::invalid("action", "unknown", "that is not a move of an incident")
                })?;
                let request = if action == IncidentAction::Resolve {
                    TransitionRequest::resolve(&code, &notes)
                } else {
                    TransitionRequest::new(action)
                };
                c.incidents
                    .transition(&s2.actor, IncidentRef::Id(id), version, request)
                    .map(|_| ())
            }
            _ => match action.as_str() {
                "cancel" => c.requests.cancel(&s2.actor, id, version).map(|_| ()),
                "fulfil" => c.requests.fulfil(&s2.actor, id, version).map(|_| ()),
                "close" => c.requests.close(&s2.actor, id, version).map(|_| ()),
                "submit" => c.requests.submit_draft(&s2.actor, id, version).map(|_| ()),
                _ => Err(CoreError::invalid(
                    "action",
                    "unknown",
                    "that is not a move of a request",
                )),
            },
        }
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!("/tickets/{}", path_of(name)))),
        Err(e) => refused(&console, &s, name, e).await,
    }
}

#[post("/tickets/{name}/assign")]
async fn assign(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    name: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let name = parse_name(&name)?;
    let version: Option<i64> = f.text("version").parse().ok();
    let me = s.actor.user_id();
    let assignee = match f.text("assignee_id").as_str() {
        "" => None,
        "me" => Some(me),
        other => Some(UserId(other.parse().map_err(|_| {
            WebError::Invalid("Choose a person from the list.".into())
        })?)),
    };
    let team = match f.text("team_id").as_str() {
        "" => None,
        other => Some(TeamId(other.parse().map_err(|_| {
            WebError::Invalid("Choose a team from the list.".into())
        })?)),
    };
    let c = console.clone();
    let s2 = s.clone();
    let result = block(move || {
        let (id, kind) = locate(&c, &s2, name)?;
        if kind != TicketKind::Incident {
            return Err(CoreError::Forbidden {
                reason: "requests are routed by their catalog item".into(),
            });
        }
        c.incidents
            .assign(
                &s2.actor,
                IncidentRef::Id(id),
                version,
                Assignment {
                    team_id: team,
                    assignee_id: assignee,
                },
            )
            .map(|_| ())
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!("/tickets/{}", path_of(name)))),
        Err(e) => refused(&console, &s, name, e).await,
    }
}
