//! Who may see what about a ticket: the one definition of "staff", the history rows and
//! events only staff see, and the read check (with the triage queue) shared by the use
//! cases, the notification router and the live feed.
//!
//! **Staff** are the people who hold `incident:read` at group or organization scope: they
//! read tickets that are not their own, so they work the desk. Requesters hold it at `own`
//! scope only. The rule is a permission, never a role name, so a custom role is staff or
//! not by what it grants.

use servicedesk_rbac::{
    Action, AllowReason, Decision, DenyReason, ResourceKind, ResourceRef, Role, Scope,
};

use crate::actor::Actor;
use crate::entities::{Incident, User};
use crate::ports::StoreError;

/// History fields about the desk's internal work (routing, escalation, SLA bookkeeping,
/// tasks): shown to staff only.
pub const STAFF_ONLY_FIELDS: [&str; 8] = [
    "team_id",
    "assignee_id",
    "escalation_level",
    "sla_policy_id",
    "sla_targets_minutes",
    "first_responded_at",
    "task",
    "task_status",
];

/// Event kinds about internal work: only staff hear of them (in-app, mail, live feed).
pub const STAFF_ONLY_EVENTS: [&str; 5] = [
    "incident.assigned",
    "incident.escalated",
    "ticket.linked",
    "sla.warning",
    "sla.breached",
];

/// True when `actor` is staff (see the module documentation).
pub fn is_staff(actor: &Actor) -> bool {
    matches!(
        actor.scope(ResourceKind::Incident, Action::Read),
        Some(Scope::Group | Scope::Org)
    )
}

/// True when the history row about `field` is shown to staff only.
pub fn staff_only_field(field: &str) -> bool {
    STAFF_ONLY_FIELDS.contains(&field) || field.starts_with("sla_")
}

/// The access view of an incident.
pub fn incident_resource(incident: &Incident) -> ResourceRef {
    ResourceRef {
        kind: ResourceKind::Incident,
        org_id: incident.org_id.0,
        requester_id: Some(incident.requester_id.0),
        assignee_id: incident.assignee_id.map(|u| u.0),
        team_id: incident.team_id.map(|t| t.0),
    }
}

/// The access decision for `action` on a ticket. A ticket without a team sits in the
/// organization's triage queue that every team picks from, so a group-scoped grant of an
/// actor who belongs to a team reaches it.
pub fn decide(actor: &Actor, action: Action, resource: &ResourceRef) -> Decision {
    match actor.decide(action, resource) {
        Decision::Deny(DenyReason::OutOfScope {
            scope: Scope::Group,
            ..
        }) if resource.team_id.is_none() && !actor.team_ids().is_empty() => {
            Decision::Allow(AllowReason::GroupScope {
                role: "triage queue".into(),
                team_id: None,
            })
        }
        other => other,
    }
}

/// True when `actor` may do `action` on the ticket.
pub fn allowed(actor: &Actor, action: Action, resource: &ResourceRef) -> bool {
    matches!(decide(actor, action, resource), Decision::Allow(_))
}

/// Whether `actor` may see an event of `kind` about the ticket `resource` (an incident):
/// same organization and read access; for a work note (`internal`) the internal-note
/// permission; for internal work (see [`STAFF_ONLY_EVENTS`]) staff; for task events
/// `task:read`.
pub fn may_see_event(actor: &Actor, resource: &ResourceRef, kind: &str, internal: bool) -> bool {
    if actor.org_id().0 != resource.org_id || !allowed(actor, Action::Read, resource) {
        return false;
    }
    if internal && !allowed(actor, Action::CommentInternal, resource) {
        return false;
    }
    if STAFF_ONLY_EVENTS.contains(&kind) && !is_staff(actor) {
        return false;
    }
    if kind.starts_with("task.") {
        let task = ResourceRef {
            kind: ResourceKind::Task,
            ..*resource
        };
        return allowed(actor, Action::Read, &task);
    }
    true
}

/// The actor of a stored user: built-in roles by name, custom ones from `custom` (called
/// only when the user holds a name that is not built in); unknown names grant nothing.
/// The same resolution as sign-in, for deciding what another user (a recipient, an
/// assignee) may see or do.
///
/// # Errors
/// What `custom` returns.
pub fn actor_of(
    user: &User,
    custom: impl FnOnce() -> Result<Vec<Role>, StoreError>,
) -> Result<Actor, StoreError> {
    let mut loaded: Option<Vec<Role>> = None;
    let mut custom = Some(custom);
    let mut roles = Vec::new();
    for name in &user.roles {
        if let Ok(builtin) = name.parse::<servicedesk_rbac::BuiltinRole>() {
            roles.push(Role::builtin(builtin));
            continue;
        }
        if loaded.is_none()
            && let Some(load) = custom.take()
        {
            loaded = Some(load()?);
        }
        if let Some(role) = loaded
            .as_ref()
            .and_then(|c| c.iter().find(|r| &r.name == name))
        {
            roles.push(role.clone());
        }
    }
    Ok(Actor::new(
        user.id,
        user.org_id,
        roles,
        user.team_ids.clone(),
    ))
}

/// One page of a ticket's history as `actor` may see it: rows about internal work
/// ([`STAFF_ONLY_FIELDS`], any other `sla_*` row) are for staff only — the named ones left
/// out by the store (`load`), so pages stay full, the rest dropped here.
///
/// # Errors
/// `Invalid` for a cursor the listing did not make; store failures.
pub(crate) fn visible_history(
    actor: &Actor,
    mut query: crate::ports::ChildQuery,
    load: impl FnOnce(
        &crate::ports::ChildQuery,
    ) -> Result<
        crate::ports::Page<crate::entities::HistoryEntry>,
        crate::ports::StoreError,
    >,
) -> crate::error::Result<crate::ports::Page<crate::entities::HistoryEntry>> {
    let staff = actor.is_staff();
    if !staff {
        query.hidden_fields = STAFF_ONLY_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    }
    let mut page = crate::usecases::paged(load(&query))?;
    page.items.retain(|h| staff || !staff_only_field(&h.field));
    Ok(page)
}

#[cfg(test)]
mod tests {
    use servicedesk_lifecycle::incident::IncidentState;

    use super::*;
    use crate::usecases::tests::fixture::{
        admin, agent, agent2, incident, manager, reader, requester, requester2,
    };

    #[test]
    fn staff_is_a_permission_at_group_or_org_scope() {
        for a in [admin(), manager(), agent(), agent2(), reader()] {
            assert!(is_staff(&a), "{:?}", a.roles());
        }
        for a in [requester(), requester2()] {
            assert!(!is_staff(&a));
        }
    }

    #[test]
    fn requesters_see_no_internal_events_of_their_own_ticket() {
        let r = incident_resource(&incident(IncidentState::InProgress));
        let me = requester();
        assert!(may_see_event(&me, &r, "incident.status_changed", false));
        assert!(may_see_event(&me, &r, "incident.comment_added", false));
        assert!(!may_see_event(&me, &r, "incident.comment_added", true));
        for kind in STAFF_ONLY_EVENTS
            .iter()
            .chain(&["task.created", "task.status_changed"])
        {
            assert!(!may_see_event(&me, &r, kind, false), "{kind}");
        }
        let desk = agent();
        for kind in STAFF_ONLY_EVENTS.iter().chain(&["task.created"]) {
            assert!(may_see_event(&desk, &r, kind, false), "{kind}");
        }
        assert!(may_see_event(&desk, &r, "incident.comment_added", true));
        assert!(!may_see_event(
            &requester2(),
            &r,
            "incident.status_changed",
            false
        ));
    }

    #[test]
    fn sla_and_routing_history_is_staff_only() {
        for f in [
            "team_id",
            "assignee_id",
            "escalation_level",
            "sla_policy_id",
            "sla_x",
        ] {
            assert!(staff_only_field(f), "{f}");
        }
        for f in ["status", "title", "priority", "resolution_code"] {
            assert!(!staff_only_field(f), "{f}");
        }
    }
}
