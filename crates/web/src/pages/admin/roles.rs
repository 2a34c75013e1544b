//! Roles: the built-in and custom roles of the organization, and a custom role's
//! permission grid (rows: resource kinds, columns: actions, cells: no access, own, group
//! or organization) to create, edit and delete it. Built-in roles are shown read-only; a
//! role that users still hold is not deleted (the use case's 409 message is shown).

use actix_web::{HttpResponse, get, post, web};
use minijinja::{Value, context};
use servicedesk_core::Error as CoreError;
use servicedesk_rbac::Role;

use super::{NoticeQuery, admin_page, grid, notice_text};
use crate::Console;
use crate::error::WebError;
use crate::forms::{Errors, Fields, Posted};
use crate::pages::{block, see_other, with_status};
use crate::render::ser;
use crate::session::{SignedIn, Visitor};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(show)
        .service(update)
        .service(delete);
}

#[get("/admin/roles")]
async fn list(
    console: web::Data<Console>,
    s: SignedIn,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let roles = block(move || c.admin.roles(&actor)).await??;
    let rows: Vec<Value> = roles
        .iter()
        .map(|r| {
            context! {
                name => r.name.clone(),
                builtin => r.builtin,
                grants => r.grants().len(),
            }
        })
        .collect();
    admin_page(
        &console,
        &s,
        "admin_roles.html",
        "roles",
        "Roles",
        context! { rows, notice => notice_text(q.notice.as_deref()) },
    )
}

/// The role page: the grid of `role` (or of what a refused form sent), editable unless the
/// role is built in.
#[allow(clippy::too_many_arguments)]
fn role_page(
    console: &Console,
    s: &SignedIn,
    role: Option<&Role>,
    name: &str,
    chosen: Option<&[(String, String)]>,
    errors: Errors,
    extra: Value,
    status: u16,
) -> Result<HttpResponse, WebError> {
    let creating = role.is_none();
    let builtin = role.is_some_and(|r| r.builtin);
    let title = if creating {
        "New role".to_owned()
    } else {
        format!("Role {name}")
    };
    Ok(with_status(
        admin_page(
            console,
            s,
            "admin_role.html",
            "roles",
            &title,
            context! {
                creating,
                builtin,
                name,
                columns => grid::columns(),
                rows => ser(grid::rows(role, chosen)),
                errors => ser(errors.0),
                scopes => ser([("", "—"), ("own", "own"), ("group", "group"), ("org", "org")]),
                ..extra
            },
        )?,
        status,
    ))
}

#[get("/admin/roles/new")]
async fn new_form(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !super::Powers::of(&s.actor).roles_manage {
        return Err(WebError::Forbidden);
    }
    role_page(
        &console,
        &s,
        None,
        "",
        None,
        Errors::default(),
        context! {},
        200,
    )
}

/// A refused role form, shown again as it was sent.
fn refused(
    console: &Console,
    s: &SignedIn,
    current: Option<&Role>,
    name: &str,
    pairs: &[(String, String)],
    e: CoreError,
) -> Result<HttpResponse, WebError> {
    let chosen = grid::sent(pairs);
    match e {
        CoreError::Invalid(errors) => role_page(
            console,
            s,
            current,
            name,
            Some(&chosen),
            Errors::of(&errors),
            context! {},
            422,
        ),
        // The privilege ceiling: a grant beyond the actor's own, said above the grid.
        CoreError::Forbidden { reason } if super::Powers::of(&s.actor).roles_manage => {
            let errors = Errors::of(&[servicedesk_core::FieldError::new(
                "permissions",
                "forbidden",
                format!("You cannot grant this: {reason}."),
            )]);
            role_page(
                console,
                s,
                current,
                name,
                Some(&chosen),
                errors,
                context! {},
                403,
            )
        }
        other => Err(other.into()),
    }
}

#[post("/admin/roles/new")]
async fn create(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let pairs = posted.0.clone();
    let f = Fields::checked(&visitor, posted)?;
    let name = f.text("name");
    let grants = match grid::parse(&pairs) {
        Ok(g) => g,
        Err(e) => {
            return refused(
                &console,
                &s,
                None,
                &name,
                &pairs,
                CoreError::Invalid(vec![e]),
            );
        }
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let n = name.clone();
    match block(move || c.admin.create_role(&actor, &n, &grants)).await? {
        Ok(role) => Ok(see_other(&format!(
            "/admin/roles/{}?notice=created",
            role.name
        ))),
        Err(e) => refused(&console, &s, None, &name, &pairs, e),
    }
}

/// The role `name` of the organization, built in or custom.
async fn find(console: &web::Data<Console>, s: &SignedIn, name: &str) -> Result<Role, WebError> {
    let c = console.clone();
    let actor = s.actor.clone();
    let roles = block(move || c.admin.roles(&actor)).await??;
    roles
        .into_iter()
        .find(|r| r.name == name)
        .ok_or(WebError::NotFound)
}

#[get("/admin/roles/{name}")]
async fn show(
    console: web::Data<Console>,
    s: SignedIn,
    name: web::Path<String>,
    q: web::Query<NoticeQuery>,
) -> Result<HttpResponse, WebError> {
    let role = find(&console, &s, &name).await?;
    role_page(
        &console,
        &s,
        Some(&role),
        &role.name,
        None,
        Errors::default(),
        context! { notice => notice_text(q.notice.as_deref()) },
        200,
    )
}

#[post("/admin/roles/{name}")]
async fn update(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    name: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    let pairs = posted.0.clone();
    Fields::checked(&visitor, posted)?;
    let current = find(&console, &s, &name).await?;
    let grants = match grid::parse(&pairs) {
        Ok(g) => g,
        Err(e) => {
            return refused(
                &console,
                &s,
                Some(&current),
                &current.name,
                &pairs,
                CoreError::Invalid(vec![e]),
            );
        }
    };
    let c = console.clone();
    let actor = s.actor.clone();
    let n = current.name.clone();
    match block(move || c.admin.update_role(&actor, &n, &grants)).await? {
        Ok(role) => Ok(see_other(&format!(
            "/admin/roles/{}?notice=saved",
            role.name
        ))),
        Err(e) => refused(&console, &s, Some(&current), &current.name, &pairs, e),
    }
}

#[post("/admin/roles/{name}/delete")]
async fn delete(
    console: web::Data<Console>,
    s: SignedIn,
    visitor: Visitor,
    name: web::Path<String>,
    posted: Posted,
) -> Result<HttpResponse, WebError> {
    Fields::checked(&visitor, posted)?;
    let current = find(&console, &s, &name).await?;
    let c = console.clone();
    let actor = s.actor.clone();
    let n = current.name.clone();
    match block(move || c.admin.delete_role(&actor, &n)).await? {
        Ok(()) => Ok(see_other("/admin/roles?notice=deleted")),
        // Still held (409) or built in (422): said on the role's page, nothing deleted.
        Err(CoreError::IllegalTransition { message, .. }) => role_page(
            &console,
            &s,
            Some(&current),
            &current.name,
            None,
            Errors::default(),
            context! { alert => format!("Not deleted: {message}.") },
            409,
        ),
        Err(CoreError::Invalid(errors)) => role_page(
            &console,
            &s,
            Some(&current),
            &current.name,
            None,
            Errors::default(),
            context! { alert => errors.first().map(|e| format!("Not deleted: {}.", e.message)) },
            422,
        ),
        Err(e) => Err(e.into()),
    }
}
