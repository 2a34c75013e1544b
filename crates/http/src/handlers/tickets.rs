//! `/tickets` (one queue across kinds, links) and `GET /tasks` (TKT).

use actix_web::{HttpResponse, delete, get, post, web};
use servicedesk_core::ids::{LinkId, TeamId, UserId};
use servicedesk_core::lifecycle::task::TaskState;
use servicedesk_core::priority::Priority;
use servicedesk_core::tickets::{
    LinkType, ListTasks, ListTickets, NewLink, SlaState, StatusClass, TicketKind, TicketName,
};
use uuid::Uuid;

use crate::AppState;
use crate::dto::*;
use crate::extract::{ApiJson, AuthUser};
use crate::handlers::block;
use crate::handlers::incidents::{csv, sort_of};
use crate::problem::{ApiError, ApiResult, Problem};

fn ticket_name(raw: &str) -> ApiResult<TicketName> {
    TicketName::parse(raw).ok_or_else(|| ApiError::not_found("ticket"))
}

/// `me` or a user id.
fn user_or_me(user: &AuthUser, field: &str, raw: Option<&str>) -> ApiResult<Option<UserId>> {
    match raw {
        None => Ok(None),
        Some("me") => Ok(Some(user.actor.user_id())),
        Some(id) => id
            .parse::<Uuid>()
            .map(|u| Some(UserId(u)))
            .map_err(|_| ApiError::invalid(field, "invalid", "a user id or `me`")),
    }
}

/// One queue across kinds: my work (`assignee_id=me`), a team's queue, triage
/// (`unassigned=true`), filtered by class, SLA state and priority.
#[utoipa::path(context_path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])), params(TicketListQuery), responses(
    (status = 200, body = TicketPage), (status = 422, body = Problem)))]
#[get("")]
pub async fn list_tickets(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<TicketListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let (sort, direction) = sort_of(q.sort.as_deref())?;
    let kinds = match q.kind.as_deref() {
        None => Vec::new(),
        Some(k) => vec![k.parse::<TicketKind>().map_err(|_| {
            ApiError::invalid("kind", "unknown", "incident, request, problem or change")
        })?],
    };
    let statuses: Vec<String> = q
        .status
        .as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let input = ListTickets {
        kinds,
        status_classes: csv::<StatusClass>("status_class", q.status_class.as_deref())?,
        statuses,
        priorities: csv::<Priority>("priority", q.priority.as_deref())?,
        sla_states: csv_sla(q.sla_state.as_deref())?,
        team_id: q.team_id.map(TeamId),
        unassigned_team: q.unassigned,
        assignee_id: user_or_me(&user, "assignee_id", q.assignee_id.as_deref())?,
        requester_id: q.requester_id.map(UserId),
        text: q.q,
        sort,
        direction,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = block(move || state.tickets.list(&user.actor, input)).await?;
    Ok(HttpResponse::Ok().json(TicketPage {
        items: page.items.into_iter().map(TicketDto::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

fn csv_sla(raw: Option<&str>) -> ApiResult<Vec<SlaState>> {
    let mut out = Vec::new();
    for part in raw
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let state = SlaState::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == part)
            .ok_or_else(|| {
                ApiError::invalid("sla_state", "unknown", "none, ok, warning or breached")
            })?;
        out.push(state);
    }
    Ok(out)
}

/// A ticket of any kind by id or reference (`INC-12`, `REQ-7`): the search box's jump.
#[utoipa::path(context_path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or reference")),
    responses((status = 200, body = TicketDto), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_ticket(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = ticket_name(&id)?;
    let t = block(move || state.tickets.get(&user.actor, name)).await?;
    Ok(HttpResponse::Ok().json(TicketDto::from(t)))
}

/// The ticket's links, each seen from it, with the other end.
#[utoipa::path(context_path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or reference")),
    responses((status = 200, body = [LinkDto]), (status = 404, body = Problem)))]
#[get("/{id}/links")]
pub async fn list_links(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = ticket_name(&id)?;
    let links = block(move || state.tickets.links(&user.actor, name)).await?;
    Ok(HttpResponse::Ok().json(links.into_iter().map(LinkDto::from).collect::<Vec<_>>()))
}

/// Link the ticket to another of any kind.
#[utoipa::path(context_path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or reference")), request_body = CreateLinkRequest,
    responses((status = 201, body = LinkDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/links")]
pub async fn add_link(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<String>,
    body: ApiJson<CreateLinkRequest>,
) -> ApiResult<HttpResponse> {
    let name = ticket_name(&id)?;
    let body = body.into_inner();
    let link_type = body.link_type.parse::<LinkType>().map_err(|_| {
        ApiError::invalid(
            "type",
            "unknown",
            "duplicate_of, caused_by, parent_of, child_of or relates_to",
        )
    })?;
    let target = TicketName::parse(body.target.trim())
        .ok_or_else(|| ApiError::invalid("target", "invalid", "a ticket id or reference"))?;
    let link = block(move || {
        state
            .tickets
            .link(&user.actor, name, NewLink { link_type, target })
    })
    .await?;
    Ok(HttpResponse::Created().json(LinkDto::from(link)))
}

/// Remove one of the ticket's links.
#[utoipa::path(context_path = "/api/v1/tickets", tag = "tickets", security(("bearer" = [])),
    params(("id" = String, Path, description = "UUID or reference"), ("link_id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
#[delete("/{id}/links/{link_id}")]
pub async fn remove_link(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, link) = path.into_inner();
    let name = ticket_name(&id)?;
    block(move || state.tickets.unlink(&user.actor, name, LinkId(link))).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Tasks across parents of every kind: "my work" (`assignee_id=me`), a team's tasks.
#[utoipa::path(context_path = "/api/v1/tasks", tag = "tasks", security(("bearer" = [])), params(TaskListQuery), responses(
    (status = 200, body = TaskPage), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[get("")]
pub async fn list_tasks(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<TaskListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let input = ListTasks {
        assignee_id: user_or_me(&user, "assignee_id", q.assignee_id.as_deref())?,
        team_id: q.team_id.map(TeamId),
        statuses: csv::<TaskState>("status", q.status.as_deref())?,
        deadline_before: q.deadline_before,
        cursor: q.cursor,
        limit: q.limit,
    };
    let page = block(move || state.tickets.list_tasks(&user.actor, input)).await?;
    Ok(HttpResponse::Ok().json(TaskPage {
        items: page.items.into_iter().map(TaskDto::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
