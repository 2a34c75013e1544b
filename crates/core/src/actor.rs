//! The authenticated principal a use case acts for.

use servicedesk_rbac::{Action, Decision, Permission, ResourceKind, ResourceRef, Role, Scope};

use crate::ids::{OrgId, TeamId, UserId};

/// Who is acting: a user of one organization with resolved roles and teams. Built by the
/// authentication layer from a verified token; use cases trust it.
#[derive(Debug, Clone)]
pub struct Actor {
    access: servicedesk_rbac::Actor,
    /// The first admin of the installation: may create organizations and users anywhere.
    /// Ticket work stays confined to the actor's own organization.
    pub platform_admin: bool,
}

impl Actor {
    /// An actor of `org_id` holding `roles` and a member of `team_ids`.
    pub fn new(user_id: UserId, org_id: OrgId, roles: Vec<Role>, team_ids: Vec<TeamId>) -> Self {
        Self {
            access: servicedesk_rbac::Actor {
                user_id: user_id.0,
                org_id: org_id.0,
                roles,
                team_ids: team_ids.into_iter().map(|t| t.0).collect(),
            },
            platform_admin: false,
        }
    }

    /// The acting user.
    pub fn user_id(&self) -> UserId {
        UserId(self.access.user_id)
    }

    /// The actor's organization; every use case works inside it.
    pub fn org_id(&self) -> OrgId {
        OrgId(self.access.org_id)
    }

    /// The actor's teams.
    pub fn team_ids(&self) -> Vec<TeamId> {
        self.access.team_ids.iter().copied().map(TeamId).collect()
    }

    /// The actor's roles.
    pub fn roles(&self) -> &[Role] {
        &self.access.roles
    }

    /// The access decision for doing `action` on `resource`.
    pub fn decide(&self, action: Action, resource: &ResourceRef) -> Decision {
        servicedesk_rbac::decide(&self.access, action, resource)
    }

    /// The widest scope any role grants for `resource:action`; `None` when no role grants it.
    pub fn scope(&self, resource: ResourceKind, action: Action) -> Option<Scope> {
        servicedesk_rbac::widest_scope(&self.access, Permission::new(resource, action))
    }

    /// True for people who work tickets, as opposed to requesters: the one definition in
    /// [`crate::visibility::is_staff`] (`incident:read` at group or organization scope).
    /// Their public replies count as the first response.
    pub fn is_staff(&self) -> bool {
        crate::visibility::is_staff(self)
    }
}
