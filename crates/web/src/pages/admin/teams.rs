//! Teams (assignment groups) and their members: the list with member counts, creating a
//! team (name and the manager escalations go to), and a team's page to add and remove
//! members.

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use servicedesk_core::Error as CoreError;
use servicedesk_core::identity::NewTeam;
use servicedesk_core::ids::{TeamId, UserId};

use super::{NoticeQuery, admin_page, all_users, notice_text, path_id};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(show)
        .service(add_member)
        .service(remove_member);
}

async fn teams_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let (rows, people) = block(move || {
        let mut teams = c.admin.teams(&actor)?;
        teams.sort_by_key(|t| t.name.to_lowercase());
        let users = all_users(&c, &actor).unwrap_or_default();
        let rows: Vec<Value> = teams
            .iter()
            .map(|t| {
                let members = users.iter().filter(|u| u.team_ids.contains(&t.id)).count();
                let manager = t
                    .manager_id
                    .and_then(|m| users.iter().find(|u| u.id == m).map(|u| u.name.clone()));
                context! {
                    id => t.id.to_string(),
                    name => t.name.clone(),
                    members,
                    manager,
                    created_at => t.created_at.to_rfc3339(),
                }
            })
            .collect();
        let people: Vec<(String, String)> = users
            .into_iter()
            .filter(|u| u.active && u.roles.iter().any(|r| r != "requester"))
            .map(|u| (u.id.to_string(), u.name))
            .collect();
        Ok((rows, people))
    })
    .await??;
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_teams.html",
            "teams",
            "Teams",
            context! { rows, people => ser(people), ..extra },
        )?,
        status,
    ))
}

#[get("/admin/teams")]
async fn list(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    teams_page(
        &console,
        &s,
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
    .await
}

#[post("/admin/teams")]
async fn create(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let form = ser(f.values());
    let manager = f.text("manager_id");
    let manager_id = if manager.is_empty() {
        None
    } else {
        match manager.parse() {
            Ok(m) => Some(UserId(m)),
            Err(_) => {
                let errors = Errors::of(&[servicedesk_core::FieldError::new(
                    "manager_id",
                    "unknown",
                    "choose someone from the list",
                )]);
                return teams_page(
                    &console,
                    &s,
                    context! { form, errors => ser(errors.0) },
                    422,
                )
                .await;
            }
        }
    };
    let input = NewTeam {
        name: f.text("name"),
        manager_id,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.create_team(&actor, input)).await? {
        Ok(team) => Ok(see_other(&format!(
            "/admin/teams/{}?notice=created",
            team.id
        ))),
        Err(CoreError::Invalid(errors)) => {
            let errors = Errors::of(&errors);
            teams_page(
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

async fn team_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    id: TeamId,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let ctx = block(move || {
        let team = c
            .admin
            .teams(&actor)?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(CoreError::NotFound { entity: "team" })?;
        let users = all_users(&c, &actor).unwrap_or_default();
        let (members, others): (Vec<_>, Vec<_>) =
            users.into_iter().partition(|u| u.team_ids.contains(&id));
        let manager = team
            .manager_id
            .and_then(|m| members.iter().chain(others.iter()).find(|u| u.id == m))
            .map(|u| u.name.clone());
        let members: Vec<Value> = members
            .iter()
            .map(|u| {
                context! {
                    id => u.id.to_string(),
                    name => u.name.clone(),
                    email => u.email.clone(),
                    roles => u.roles.join(", "),
                    active => u.active,
                }
            })
            .collect();
        let candidates: Vec<(String, String)> = others
            .into_iter()
            .filter(|u| u.active)
            .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.email)))
            .collect();
        Ok(context! {
            team => context! { id => team.id.to_string(), name => team.name.clone(), manager },
            members,
            candidates => ser(candidates),
        })
    })
    .await??;
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_team.html",
            "teams",
            "Team",
            context! { ..ctx, ..extra },
        )?,
        status,
    ))
}

fn team_id(raw: &str) -> Result<TeamId, WebError> {
    Ok(TeamId(path_id(raw)?))
}

#[get("/admin/teams/{id}")]
async fn show(
    console: web::Data<Console>,
    s: SignedIn,
    id: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let id = team_id(&id)?;
    team_page(
        &console,
        &s,
        id,
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
    .await
}

/// The member chosen in a form, or the field error saying to choose one.
fn member(f: &Fields) -> Result<UserId, CoreError> {
    f.text("user_id")
        .parse()
        .map(UserId)
        .map_err(|_| CoreError::invalid("user_id", "required", "choose someone from the list"))
}

async fn member_refused(
    console: &web::Data<Console>,
    s: &SignedIn,
    id: TeamId,
    e: CoreError,
) -> Result<HttpResponse, WebError> {
    match e {
        CoreError::Invalid(errors) => {
            let errors = Errors::of(&errors);
            team_page(console, s, id, context! { errors => ser(errors.0) }, 422).await
        }
        other => Err(other.into()),
    }
}

#[post("/admin/teams/{id}/members")]
async fn add_member(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let id = team_id(&id)?;
    let user = match member(&f) {
        Ok(u) => u,
        Err(e) => return member_refused(&console, &s, id, e).await,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.add_team_member(&actor, id, user)).await? {
        Ok(()) => Ok(see_other(&format!("/admin/teams/{id}?notice=added"))),
        Err(e) => member_refused(&console, &s, id, e).await,
    }
}

#[post("/admin/teams/{id}/members/remove")]
async fn remove_member(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let id = team_id(&id)?;
    let user = match member(&f) {
        Ok(u) => u,
        Err(e) => return member_refused(&console, &s, id, e).await,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.remove_team_member(&actor, id, user)).await? {
        Ok(()) => Ok(see_other(&format!("/admin/teams/{id}?notice=removed"))),
        Err(e) => member_refused(&console, &s, id, e).await,
    }
}
