//! Users: the list (name, e-mail, role, teams, active, two-step verification), creating an
//! agent, manager, admin or requester with a password, role and teams, changing the role
//! and the line manager, deactivating and reactivating, and — each after a confirmation
//! page — resetting a user's two-step verification or signing them out everywhere.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use servicedesk_core::Error as CoreError;
use servicedesk_core::entities::User;
use servicedesk_core::identity::{NewUser, UpdateUser};
use servicedesk_core::ids::{TeamId, UserId};

use super::{NoticeQuery, admin_page, all_users, notice_text, path_id};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

/// Users per page of the list.
const PAGE: u32 = 50;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(show)
        .service(update)
        .service(set_active)
        .service(confirm_page)
        .service(confirmed);
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    after: Option<String>,
    notice: Option<String>,
}

/// The role names the actor may pick from.
fn role_names(console: &Console, s: &SignedIn) -> Vec<String> {
    console
        .admin
        .roles(&s.actor)
        .map(|roles| roles.into_iter().map(|r| r.name).collect())
        .unwrap_or_else(|_| {
            ["requester", "agent", "manager", "admin"]
                .iter()
                .map(|r| (*r).to_owned())
                .collect()
        })
}

fn team_names(console: &Console, s: &SignedIn) -> HashMap<TeamId, String> {
    console
        .admin
        .teams(&s.actor)
        .map(|t| t.into_iter().map(|t| (t.id, t.name)).collect())
        .unwrap_or_default()
}

fn teams_of(user: &User, names: &HashMap<TeamId, String>) -> Vec<String> {
    let mut t: Vec<String> = user
        .team_ids
        .iter()
        .filter_map(|id| names.get(id).cloned())
        .collect();
    t.sort();
    t
}

#[get("/admin/users")]
async fn list(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, WebError> {
    let after = match q.after.as_deref() {
        Some(a) if !a.is_empty() => Some(UserId(path_id(a)?)),
        _ => None,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let s2 = s.clone();
    let (rows, next) = block(move || {
        let users = c.admin.users(&actor, after, PAGE)?;
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        // Two-step verification is shown to those who may reset it; others see a dash.
        let mfa: HashMap<UserId, bool> = c
            .auth
            .mfa_status(&actor, &ids)
            .map(|v| v.into_iter().collect())
            .unwrap_or_default();
        let teams = team_names(&c, &s2);
        let next = (users.len() == PAGE as usize)
            .then(|| users.last().map(|u| u.id.to_string()))
            .flatten();
        let rows: Vec<Value> = users
            .iter()
            .map(|u| {
                context! {
                    id => u.id.to_string(),
                    name => u.name.clone(),
                    email => u.email.clone(),
                    roles => u.roles.join(", "),
                    teams => teams_of(u, &teams).join(", "),
                    active => u.active,
                    mfa => mfa.get(&u.id).copied(),
                }
            })
            .collect();
        Ok((rows, next))
    })
    .await??;
    admin_page(
        &console,
        &s,
        "admin_users.html",
        "users",
        "Users",
        context! { rows, next, notice => notice_text(q.notice.as_deref()) },
    )
}

/// The new-user form, with what was sent and its errors when refused.
fn new_user_page(
    console: &Console,
    s: &SignedIn,
    form: Value,
    chosen_teams: Vec<String>,
    errors: Errors,
    alert: Option<String>,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let roles = role_names(console, s);
    let mut teams: Vec<(String, String)> = team_names(console, s)
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    teams.sort_by_key(|a| a.1.to_lowercase());
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_user_new.html",
            "users",
            "New user",
            context! {
                form,
                roles,
                teams => ser(teams),
                chosen_teams,
                errors => ser(errors.0),
                alert,
                min_password => servicedesk_core::identity::MIN_PASSWORD,
            },
        )?,
        status,
    ))
}

#[get("/admin/users/new")]
async fn new_form(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !super::Powers::of(&s.actor).users {
        return Err(WebError::Forbidden);
    }
    new_user_page(
        &console,
        &s,
        context! { role => "agent" },
        Vec::new(),
        Errors::default(),
        None,
        200,
    )
}

#[post("/admin/users/new")]
async fn create(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let values = ser(f.values());
    let chosen = f.all("team_ids");
    let mut team_ids = Vec::new();
    for t in &chosen {
        match t.parse() {
            Ok(id) => team_ids.push(TeamId(id)),
            Err(_) => {
                let errors = Errors::of(&[servicedesk_core::FieldError::new(
                    "team_ids",
                    "unknown",
                    "a team does not exist",
                )]);
                return new_user_page(&console, &s, values, chosen, errors, None, 422);
            }
        }
    }
    let input = NewUser {
        email: f.text("email"),
        name: f.text("name"),
        password: f.get("password").unwrap_or("").to_owned(),
        role: f.text("role"),
        org_id: None,
        team_ids,
    };
    let c = console.clone();
    let actor = s.actor.clone();
    match block(move || c.admin.create_user(&actor, input)).await? {
        Ok(user) => Ok(see_other(&format!(
            "/admin/users/{}?notice=created",
            user.id
        ))),
        Err(CoreError::Invalid(errors)) => {
            new_user_page(&console, &s, values, chosen, Errors::of(&errors), None, 422)
        }
        // The privilege ceiling: a role above the actor's own, said on the form.
        Err(CoreError::Forbidden { reason }) if super::Powers::of(&s.actor).users => {
            let errors = Errors::of(&[servicedesk_core::FieldError::new(
                "role",
                "forbidden",
                format!("You cannot give this role: {reason}."),
            )]);
            new_user_page(&console, &s, values, chosen, errors, None, 403)
        }
        Err(e) => Err(e.into()),
    }
}

/// The user page: facts, the role and manager form, access, and security actions.
async fn user_page(
    console: &web::Data<Console>,
    s: &SignedIn,
    id: UserId,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let s2 = s.clone();
    let ctx = block(move || {
        let user = c.admin.user(&s2.actor, id)?;
        let teams = team_names(&c, &s2);
        let people: Vec<(String, String)> = all_users(&c, &s2.actor)
            .unwrap_or_default()
            .into_iter()
            .filter(|u| u.id != id && u.active)
            .map(|u| (u.id.to_string(), format!("{} ({})", u.name, u.email)))
            .collect();
        let manager = user.manager_id.and_then(|m| {
            c.admin
                .user(&s2.actor, m)
                .ok()
                .map(|u| format!("{} ({})", u.name, u.email))
        });
        let mfa = c
            .auth
            .mfa_status(&s2.actor, &[id])
            .ok()
            .and_then(|v| v.first().map(|(_, on)| *on));
        Ok(context! {
            user => context! {
                id => user.id.to_string(),
                name => user.name.clone(),
                email => user.email.clone(),
                role => user.roles.first().cloned().unwrap_or_default(),
                roles => user.roles.join(", "),
                teams => teams_of(&user, &teams),
                active => user.active,
                manager_id => user.manager_id.map(|m| m.to_string()).unwrap_or_default(),
                manager,
                created_at => user.created_at.to_rfc3339(),
                mfa,
                is_me => user.id == s2.actor.user_id(),
            },
            roles => role_names(&c, &s2),
            people => ser(people),
        })
    })
    .await??;
    let title = "User";
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_user.html",
            "users",
            title,
            context! { ..ctx, ..extra },
        )?,
        status,
    ))
}

fn user_id(raw: &str) -> Result<UserId, WebError> {
    Ok(UserId(path_id(raw)?))
}

#[get("/admin/users/{id}")]
async fn show(
    console: web::Data<Console>,
    s: SignedIn,
    id: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let id = user_id(&id)?;
    user_page(
        &console,
        &s,
        id,
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
    .await
}

/// A refusal shown on the user page: field errors beside their field (422), a rule the
/// core holds (the privilege ceiling, the last admin) or a stale page as a message.
async fn refused(
    console: &web::Data<Console>,
    s: &SignedIn,
    id: UserId,
    e: CoreError,
    form: Value,
) -> Result<HttpResponse, WebError> {
    match e {
        CoreError::Invalid(errors) => {
            let errors = Errors::of(&errors);
            user_page(
                console,
                s,
                id,
                context! { errors => ser(errors.0), form },
                422,
            )
            .await
        }
        CoreError::Forbidden { reason } => {
            let alert = format!("Not changed: {reason}.");
            user_page(console, s, id, context! { alert, form }, 403).await
        }
        CoreError::Conflict { .. } => {
            let alert = "The user was changed by someone else meanwhile; nothing was overwritten. Here is the current state.";
            user_page(console, s, id, context! { alert }, 409).await
        }
        other => Err(other.into()),
    }
}

/// The role and manager form: only what changed is sent to the use case.
#[post("/admin/users/{id}")]
async fn update(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let id = user_id(&id)?;
    let form = ser(f.values());
    let c = console.clone();
    let actor = s.actor.clone();
    let role = f.text("role");
    let manager = f.text("manager_id");
    let manager = if manager.is_empty() {
        None
    } else {
        match manager.parse() {
            Ok(m) => Some(UserId(m)),
            Err(_) => {
                let e = CoreError::invalid("manager_id", "unknown", "choose someone from the list");
                return refused(&console, &s, id, e, form).await;
            }
        }
    };
    let result = block(move || {
        let current = c.admin.user(&actor, id)?;
        let input = UpdateUser {
            role: (!role.is_empty() && current.roles.first() != Some(&role)).then_some(role),
            manager_id: (current.manager_id != manager).then_some(manager),
            ..UpdateUser::default()
        };
        if input == UpdateUser::default() {
            return Ok(false);
        }
        c.admin.update_user(&actor, id, input).map(|_| true)
    })
    .await?;
    match result {
        Ok(true) => Ok(see_other(&format!("/admin/users/{id}?notice=saved"))),
        Ok(false) => Ok(see_other(&format!("/admin/users/{id}?notice=unchanged"))),
        Err(e) => refused(&console, &s, id, e, form).await,
    }
}

/// Deactivate (`active=false`) or reactivate (`active=true`).
#[post("/admin/users/{id}/active")]
async fn set_active(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    id: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let f = Fields::checked(&visitor, posted)?;
    let id = user_id(&id)?;
    let active = match f.text("active").as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(WebError::Invalid(
                "Choose to deactivate or reactivate.".into(),
            ));
        }
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let input = UpdateUser {
        active: Some(active),
        ..UpdateUser::default()
    };
    match block(move || c.admin.update_user(&actor, id, input)).await? {
        Ok(_) => Ok(see_other(&format!(
            "/admin/users/{id}?notice={}",
            if active { "activated" } else { "deactivated" }
        ))),
        Err(e) => refused(&console, &s, id, e, context! {}).await,
    }
}

/// The two actions that take a confirmation page.
#[derive(Clone, Copy)]
enum Drastic {
    ResetMfa,
    SignOut,
}

impl Drastic {
    fn of(action: &str) -> Result<Self, WebError> {
        match action {
            "reset-mfa" => Ok(Self::ResetMfa),
            "sign-out" => Ok(Self::SignOut),
            _ => Err(WebError::NotFound),
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::ResetMfa => "reset-mfa",
            Self::SignOut => "sign-out",
        }
    }
}

#[get("/admin/users/{id}/{action}")]
async fn confirm_page(
    console: web::Data<Console>,
    s: SignedIn,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (raw, action) = path.into_inner();
    let id = user_id(&raw)?;
    let what = Drastic::of(&action)?;
    let c = console.clone();
    let actor = s.actor.clone();
    let user = block(move || c.admin.user(&actor, id)).await??;
    let (title, message, button) = match what {
        Drastic::ResetMfa => (
            "Reset two-step verification",
            format!(
                "{} ({}) will sign in with their password alone until they set up two-step verification again. Their recovery codes stop working, every session of theirs ends, and they are told by mail. Do this only when you are sure it is them asking, for example after they lost their phone.",
                user.name, user.email
            ),
            "Reset two-step verification",
        ),
        Drastic::SignOut => (
            "Sign out everywhere",
            format!(
                "Every session of {} ({}) ends now, on every device and browser: they must sign in again. Their password stays as it is.",
                user.name, user.email
            ),
            "Sign out everywhere",
        ),
    };
    admin_page(
        &console,
        &s,
        "admin_confirm.html",
        "users",
        title,
        context! {
            heading => title,
            message,
            button,
            action => format!("/admin/users/{id}/{}", what.slug()),
            back => format!("/admin/users/{id}"),
        },
    )
}

#[post("/admin/users/{id}/{action}")]
async fn confirmed(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    Fields::checked(&visitor, posted)?;
    let (raw, action) = path.into_inner();
    let id = user_id(&raw)?;
    let what = Drastic::of(&action)?;
    let c = console.clone();
    let actor = s.actor.clone();
    let done = block(move || match what {
        Drastic::ResetMfa => c.auth.reset_user_mfa(&actor, id),
        Drastic::SignOut => c.auth.revoke_user_sessions(&actor, id),
    })
    .await?;
    match done {
        Ok(()) if id == s.actor.user_id() => Ok(see_other("/sign-in")),
        Ok(()) => Ok(see_other(&format!(
            "/admin/users/{id}?notice={}",
            match what {
                Drastic::ResetMfa => "mfa-reset",
                Drastic::SignOut => "signed-out",
            }
        ))),
        Err(e) => Err(e.into()),
    }
}
