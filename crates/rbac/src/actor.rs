//! Who is acting, and what they are acting on.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::permission::ResourceKind;
use crate::role::Role;

/// The user on whose behalf an access is decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user's id.
    pub user_id: Uuid,
    /// The user's organization; nothing outside it is ever allowed.
    pub org_id: Uuid,
    /// The user's roles; their grants add up.
    pub roles: Vec<Role>,
    /// The teams (assignment groups) the user is a member of.
    pub team_ids: Vec<Uuid>,
}

impl Actor {
    /// A user of `org_id` with no roles and no teams (allowed nothing yet).
    pub fn new(user_id: Uuid, org_id: Uuid) -> Self {
        Self {
            user_id,
            org_id,
            roles: Vec::new(),
            team_ids: Vec::new(),
        }
    }

    /// Adds a role.
    #[must_use]
    pub fn with_role(mut self, role: Role) -> Self {
        self.roles.push(role);
        self
    }

    /// Adds a team membership.
    #[must_use]
    pub fn with_team(mut self, team_id: Uuid) -> Self {
        self.team_ids.push(team_id);
        self
    }

    /// Whether the user is a member of `team_id`.
    pub fn is_member_of(&self, team_id: Uuid) -> bool {
        self.team_ids.contains(&team_id)
    }

    /// Whether one of the user's roles has this name.
    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name == name)
    }
}

/// What is being accessed: its kind, its organization and who holds it.
///
/// For a create, describe the thing to be created: `org_id` is the target
/// organization and `requester_id` the user it is raised for (the actor,
/// when raising for oneself). For a resource that is not held by anyone (an
/// SLA policy, a calendar, the organization's report set) use
/// [`ResourceRef::org_level`]; only `Org` grants reach it.
///
/// How a resource's holders map onto these fields is the caller's
/// convention; the core uses: tickets — requester, assignee, assignment
/// group; comments and surveys — author as requester, the parent ticket's
/// group as team; users — the user themself as requester; notifications —
/// the recipient as requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceRef {
    /// The kind of resource.
    pub kind: ResourceKind,
    /// The organization the resource belongs to.
    pub org_id: Uuid,
    /// The user the resource is for (ticket requester, comment author, …).
    pub requester_id: Option<Uuid>,
    /// The user working the resource.
    pub assignee_id: Option<Uuid>,
    /// The team (assignment group) holding the resource.
    pub team_id: Option<Uuid>,
}

impl ResourceRef {
    /// A resource held by nobody in particular inside `org_id`.
    pub const fn org_level(kind: ResourceKind, org_id: Uuid) -> Self {
        Self {
            kind,
            org_id,
            requester_id: None,
            assignee_id: None,
            team_id: None,
        }
    }

    /// Sets the requester.
    #[must_use]
    pub const fn with_requester(mut self, user_id: Uuid) -> Self {
        self.requester_id = Some(user_id);
        self
    }

    /// Sets the assignee.
    #[must_use]
    pub const fn with_assignee(mut self, user_id: Uuid) -> Self {
        self.assignee_id = Some(user_id);
        self
    }

    /// Sets the team.
    #[must_use]
    pub const fn with_team(mut self, team_id: Uuid) -> Self {
        self.team_id = Some(team_id);
        self
    }

    /// Whether `user_id` is the requester or the assignee: what `Own` reaches.
    pub fn is_held_by(&self, user_id: Uuid) -> bool {
        self.requester_id == Some(user_id) || self.assignee_id == Some(user_id)
    }
}
