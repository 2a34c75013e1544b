//! The administration pages under `/admin`: users (create, deactivate, role and manager,
//! MFA reset, signing out everywhere), teams and members, custom roles with a permission
//! grid, webhooks and dead letters, organization settings and organizations, recent
//! failed sign-ins, calendars with SLA policies, and the service catalog with its form
//! builder. Every read and write goes through the core use cases, which decide
//! permission and audit; the pages only choose what to offer.

mod catalog;
mod grid;
mod roles;
mod settings;
mod sign_ins;
mod sla;
mod teams;
pub(crate) mod templates;
mod users;
mod webhooks;

use actix_web::{HttpResponse, get, web};
use minijinja::{Value, context};
use serde::Serialize;
use servicedesk_core::actor::Actor;
use servicedesk_core::entities::User;
use servicedesk_rbac::{Action, ResourceKind, Scope};

use super::page;
use crate::Console;
use crate::error::WebError;
use crate::render::ser;
use crate::session::SignedIn;

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(index);
    users::routes(cfg);
    teams::routes(cfg);
    roles::routes(cfg);
    webhooks::routes(cfg);
    settings::routes(cfg);
    sign_ins::routes(cfg);
    sla::routes(cfg);
    catalog::routes(cfg);
}

/// Which administration sections the actor's roles open (what the pages offer; the use
/// cases decide again on every read and write).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub(crate) struct Powers {
    /// Creates and changes users.
    pub users: bool,
    /// Creates teams and manages their members.
    pub teams: bool,
    /// Reads roles (and manages custom ones when `roles_manage`).
    pub roles: bool,
    /// Creates, edits and deletes custom roles.
    pub roles_manage: bool,
    /// Runs webhooks and reads dead letters.
    pub webhooks: bool,
    /// Changes the organization's settings.
    pub settings: bool,
    /// The platform admin: every organization.
    pub organizations: bool,
    /// Reads failed sign-ins.
    pub sign_ins: bool,
    /// Edits calendars or SLA policies.
    pub sla: bool,
    /// Edits the service catalog.
    pub catalog: bool,
}

impl Powers {
    /// The sections open to `actor`.
    pub(crate) fn of(actor: &Actor) -> Self {
        let org = |kind, action| actor.scope(kind, action) == Some(Scope::Org);
        Self {
            users: org(ResourceKind::User, Action::Create)
                || org(ResourceKind::User, Action::Update),
            teams: org(ResourceKind::Team, Action::Manage)
                || org(ResourceKind::Team, Action::Create),
            roles: org(ResourceKind::Role, Action::Manage),
            roles_manage: org(ResourceKind::Role, Action::Manage),
            webhooks: org(ResourceKind::Webhook, Action::Manage),
            settings: org(ResourceKind::Organization, Action::Update),
            organizations: actor.platform_admin,
            sign_ins: org(ResourceKind::AuditEvent, Action::Read),
            sla: org(ResourceKind::Calendar, Action::Update)
                || org(ResourceKind::SlaPolicy, Action::Update),
            catalog: servicedesk_core::catalog::edits_catalog(actor),
        }
    }

    /// True when any section is open (the layout shows "Admin").
    pub(crate) fn any(self) -> bool {
        self.users
            || self.teams
            || self.roles
            || self.webhooks
            || self.settings
            || self.organizations
            || self.sign_ins
            || self.sla
            || self.catalog
    }
}

/// Whether the actor sees the "Admin" link.
pub(crate) fn can_administer(actor: &Actor) -> bool {
    Powers::of(actor).any()
}

/// An administration page: the layout's "Admin" section, the section list for the
/// sub-navigation, and the page's own context.
pub(crate) fn admin_page(
    console: &Console,
    s: &SignedIn,
    template: &str,
    tab: &str,
    title: &str,
    ctx: Value,
) -> Result<HttpResponse, WebError> {
    let powers = Powers::of(&s.actor);
    page(
        console,
        s,
        template,
        "admin",
        title,
        context! { powers => ser(powers), tab, ..ctx },
    )
}

/// Every user of the actor's organization the actor may list (up to 2,000: the pages
/// that pick people — team members, managers — show them all).
pub(crate) fn all_users(console: &Console, actor: &Actor) -> servicedesk_core::Result<Vec<User>> {
    let mut out: Vec<User> = Vec::new();
    let mut after = None;
    for _ in 0..10 {
        let page = console.admin.users(actor, after, 200)?;
        let full = page.len() == 200;
        after = page.last().map(|u| u.id);
        out.extend(page);
        if !full {
            break;
        }
    }
    out.sort_by_key(|u| u.name.to_lowercase());
    Ok(out)
}

/// An id from the path: anything that is not one is simply not there.
pub(crate) fn path_id(raw: &str) -> Result<uuid::Uuid, WebError> {
    raw.parse().map_err(|_| WebError::NotFound)
}

/// A short notice from the query string (`?notice=created`), as the words to show: only
/// known codes, so the address cannot put text on the page.
pub(crate) fn notice_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "Created.",
        "saved" => "Saved.",
        "deleted" => "Deleted.",
        "added" => "Added to the team.",
        "removed" => "Removed from the team.",
        "deactivated" => "Deactivated: the user can no longer sign in, and their sessions end.",
        "activated" => "Reactivated: the user can sign in again.",
        "mfa-reset" => {
            "Two-step verification is off for this user and every session of theirs ended. They were told by mail."
        }
        "signed-out" => "Every session of this user ended: they must sign in again everywhere.",
        "unchanged" => "Nothing was changed.",
        "retried" => "Queued again with a fresh set of attempts.",
        _ => return None,
    })
}

/// Query of pages that show a notice after a redirect.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct NoticeQuery {
    pub notice: Option<String>,
}

#[get("/admin")]
async fn index(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !can_administer(&s.actor) {
        return Err(WebError::Forbidden);
    }
    admin_page(
        &console,
        &s,
        "admin_index.html",
        "index",
        "Administration",
        context! {},
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use servicedesk_core::ids::{OrgId, UserId};
    use servicedesk_rbac::{BuiltinRole, Role};

    fn actor(role: BuiltinRole) -> Actor {
        Actor::new(
            UserId(uuid::Uuid::from_u128(1)),
            OrgId(uuid::Uuid::from_u128(2)),
            vec![Role::builtin(role)],
            vec![],
        )
    }

    #[test]
    fn admins_see_every_section_but_organizations_and_requesters_none() {
        let admin = Powers::of(&actor(BuiltinRole::Admin));
        assert!(admin.users && admin.teams && admin.roles_manage && admin.webhooks);
        assert!(admin.settings && admin.sign_ins);
        assert!(!admin.organizations, "only the platform admin");
        let mut platform = actor(BuiltinRole::Admin);
        platform.platform_admin = true;
        assert!(Powers::of(&platform).organizations);
        assert!(!can_administer(&actor(BuiltinRole::Requester)));
        assert!(!can_administer(&actor(BuiltinRole::Agent)));
    }

    #[test]
    fn notices_are_only_known_words() {
        assert_eq!(notice_text(Some("saved")), Some("Saved."));
        assert_eq!(notice_text(Some("<script>")), None);
        assert_eq!(notice_text(None), None);
    }
}
