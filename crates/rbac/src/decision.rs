//! Access decisions and the reasons given for them.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::{Actor, ResourceRef};
use crate::permission::{Action, Permission};
use crate::role::Role;
use crate::scope::Scope;

/// The outcome of [`decide`], with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The access is allowed.
    Allow(AllowReason),
    /// The access is refused.
    Deny(DenyReason),
}

impl Decision {
    /// Whether the access is allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow(_))
    }

    /// The decision as a `Result`, so callers can use `?`.
    ///
    /// # Errors
    /// The [`DenyReason`] when the access is refused.
    pub fn into_result(self) -> Result<AllowReason, DenyReason> {
        match self {
            Self::Allow(r) => Ok(r),
            Self::Deny(r) => Err(r),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Allow(r) => write!(f, "allowed: {r}"),
            Self::Deny(r) => write!(f, "denied: {r}"),
        }
    }
}

/// Which grant allowed an access: the role and the scope it was used at.
///
/// When several grants allow, the widest is reported (see [`decide`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum AllowReason {
    /// An `Org` grant: the resource is in the actor's organization.
    OrgScope {
        /// The role holding the grant.
        role: String,
    },
    /// A `Group` grant.
    GroupScope {
        /// The role holding the grant.
        role: String,
        /// The actor's team that holds the resource; `None` when the grant
        /// matched because the actor is the requester or assignee.
        team_id: Option<Uuid>,
    },
    /// An `Own` grant: the actor is the requester or assignee.
    OwnScope {
        /// The role holding the grant.
        role: String,
    },
}

impl AllowReason {
    /// The role whose grant allowed the access.
    pub fn role(&self) -> &str {
        match self {
            Self::OrgScope { role } | Self::GroupScope { role, .. } | Self::OwnScope { role } => {
                role
            }
        }
    }

    /// The scope of the grant used.
    pub fn scope(&self) -> Scope {
        match self {
            Self::OrgScope { .. } => Scope::Org,
            Self::GroupScope { .. } => Scope::Group,
            Self::OwnScope { .. } => Scope::Own,
        }
    }
}

impl fmt::Display for AllowReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OrgScope { role } => write!(
                f,
                "role `{role}` grants it across the organization (org scope)"
            ),
            Self::GroupScope {
                role,
                team_id: Some(team),
            } => write!(
                f,
                "role `{role}` grants it for the actor's teams, and team {team} holds the resource \
                 (group scope)"
            ),
            Self::GroupScope {
                role,
                team_id: None,
            } => write!(
                f,
                "role `{role}` grants it for the actor's teams and own resources, and the actor \
                 is the requester or assignee (group scope)"
            ),
            Self::OwnScope { role } => write!(
                f,
                "role `{role}` grants it for the actor's own resources, and the actor is the \
                 requester or assignee (own scope)"
            ),
        }
    }
}

/// Why an access was refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DenyReason {
    /// The resource belongs to another organization.
    ///
    /// Deliberately says nothing more: the HTTP layer answers it as 404, so
    /// callers cannot learn that an id exists in another tenant.
    #[error("the resource does not exist in the actor's organization")]
    OtherOrganization,
    /// The action does not apply to this kind of resource (the pair is not in
    /// the permission catalogue, e.g. escalating an audit event).
    #[error("the action does not apply to this kind of resource")]
    KindMismatch,
    /// None of the actor's roles grants the permission.
    #[error("none of the actor's roles grants `{permission}`")]
    NoPermission {
        /// The permission that was needed.
        permission: Permission,
    },
    /// The permission is granted, but its widest scope does not reach this
    /// resource.
    #[error(
        "`{permission}` is granted only with {scope} scope, which does not reach this resource"
    )]
    OutOfScope {
        /// The permission that was needed.
        permission: Permission,
        /// The widest scope the actor holds for it.
        scope: Scope,
    },
}

impl DenyReason {
    /// Whether the refusal must look like "not found" to the caller
    /// (RBAC-5: cross-organization ids answer 404, never 403).
    pub fn hides_existence(&self) -> bool {
        matches!(self, Self::OtherOrganization)
    }
}

/// Decide whether `actor` may do `action` on `resource`.
///
/// In order:
/// 1. a resource of another organization is denied
///    ([`DenyReason::OtherOrganization`]), whatever the roles;
/// 2. an action that does not apply to the kind is denied
///    ([`DenyReason::KindMismatch`]);
/// 3. if no role grants `resource.kind:action`, denied
///    ([`DenyReason::NoPermission`]);
/// 4. if some grant's scope reaches the resource, allowed; the reason names
///    the **widest** allowing grant (ties: the first role in `actor.roles`),
///    because that is the grant that would still allow the access if the
///    resource changed hands, and the one a list filter built with
///    [`widest_scope`] used;
/// 5. otherwise denied ([`DenyReason::OutOfScope`], naming the widest scope
///    held).
pub fn decide(actor: &Actor, action: Action, resource: &ResourceRef) -> Decision {
    if resource.org_id != actor.org_id {
        return Decision::Deny(DenyReason::OtherOrganization);
    }
    let permission = Permission::new(resource.kind, action);
    if !permission.is_known() {
        return Decision::Deny(DenyReason::KindMismatch);
    }

    let mut best: Option<(Scope, AllowReason)> = None;
    for role in &actor.roles {
        let Some(scope) = role.scope_of(permission) else {
            continue;
        };
        if best.as_ref().is_some_and(|(s, _)| *s >= scope) {
            continue;
        }
        if let Some(reason) = reach(actor, resource, role, scope) {
            best = Some((scope, reason));
        }
    }
    if let Some((_, reason)) = best {
        return Decision::Allow(reason);
    }
    match widest_scope(actor, permission) {
        None => Decision::Deny(DenyReason::NoPermission { permission }),
        Some(scope) => Decision::Deny(DenyReason::OutOfScope { permission, scope }),
    }
}

/// Whether a grant at `scope` from `role` reaches `resource`, and why.
/// The organization has already been checked.
fn reach(actor: &Actor, resource: &ResourceRef, role: &Role, scope: Scope) -> Option<AllowReason> {
    let role = role.name.clone();
    match scope {
        Scope::Org => Some(AllowReason::OrgScope { role }),
        Scope::Group => {
            // Report the team when it matches: "your team holds it" is the
            // reason a queue view shows, even if the actor also holds it.
            let team = resource.team_id.filter(|t| actor.is_member_of(*t));
            if team.is_some() || resource.is_held_by(actor.user_id) {
                Some(AllowReason::GroupScope {
                    role,
                    team_id: team,
                })
            } else {
                None
            }
        }
        Scope::Own => resource
            .is_held_by(actor.user_id)
            .then_some(AllowReason::OwnScope { role }),
    }
}

/// The widest scope any of the actor's roles grants for the permission (used
/// to build list filters): `Org` — the whole organization; `Group` — held by
/// the actor or one of their teams; `Own` — held by the actor; `None` — show
/// nothing.
pub fn widest_scope(actor: &Actor, permission: Permission) -> Option<Scope> {
    actor
        .roles
        .iter()
        .filter_map(|r| r.scope_of(permission))
        .max()
}
