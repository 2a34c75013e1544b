//! RBAC-5: organizations are hard walls. Whatever the roles and whatever the
//! resource, another organization's resource is refused as
//! `OtherOrganization`, and that reason leaks nothing.

use proptest::prelude::*;
use servicedesk_rbac::{
    Action, Actor, BuiltinRole, Decision, DenyReason, Grant, Permission, ResourceKind, ResourceRef,
    Role, Scope, decide,
};
use uuid::Uuid;

fn any_uuid() -> impl Strategy<Value = Uuid> {
    any::<u128>().prop_map(Uuid::from_u128)
}

fn any_kind() -> impl Strategy<Value = ResourceKind> {
    proptest::sample::select(ResourceKind::ALL.to_vec())
}

fn any_action() -> impl Strategy<Value = Action> {
    proptest::sample::select(Action::ALL.to_vec())
}

fn any_scope() -> impl Strategy<Value = Scope> {
    proptest::sample::select(Scope::ALL.to_vec())
}

fn any_role() -> impl Strategy<Value = Role> {
    let builtin = proptest::sample::select(BuiltinRole::all().to_vec()).prop_map(Role::builtin);
    let custom = proptest::collection::btree_map(
        proptest::sample::select(Permission::all()),
        any_scope(),
        0..30,
    )
    .prop_map(|grants| {
        Role::custom(
            "random",
            grants.into_iter().map(|(p, s)| Grant::new(p, s)).collect(),
        )
        .expect("valid custom role")
    });
    // Admin weighted in on purpose: it is the role most likely to leak.
    prop_oneof![Just(Role::builtin(BuiltinRole::Admin)), builtin, custom]
}

/// An actor and a resource that may or may not be held by the actor or
/// their teams.
fn actor_and_relations() -> impl Strategy<Value = (Actor, Option<Uuid>, Option<Uuid>, Option<Uuid>)>
{
    (
        any_uuid(),
        any_uuid(),
        proptest::collection::vec(any_role(), 0..4),
        proptest::collection::vec(any_uuid(), 0..3),
        any::<(bool, bool, bool)>(),
        any_uuid(),
    )
        .prop_map(
            |(user, org, roles, teams, (req_me, asg_me, team_mine), other)| {
                let requester = Some(if req_me { user } else { other });
                let assignee = Some(if asg_me { user } else { other });
                let team = match teams.first() {
                    Some(t) if team_mine => Some(*t),
                    _ => Some(other),
                };
                let actor = Actor {
                    user_id: user,
                    org_id: org,
                    roles,
                    team_ids: teams,
                };
                (actor, requester, assignee, team)
            },
        )
}

proptest! {
    #[test]
    fn another_orgs_resource_is_always_denied(
        (actor, requester_id, assignee_id, team_id) in actor_and_relations(),
        kind in any_kind(),
        action in any_action(),
        other_org in any_uuid(),
    ) {
        prop_assume!(other_org != actor.org_id);
        let resource = ResourceRef { kind, org_id: other_org, requester_id, assignee_id, team_id };
        let d = decide(&actor, action, &resource);
        prop_assert_eq!(&d, &Decision::Deny(DenyReason::OtherOrganization));
        let Decision::Deny(reason) = d else { unreachable!() };
        prop_assert!(reason.hides_existence());
    }

    /// `widest_scope` and `decide` agree: an org-wide grant allows any
    /// resource of the org, and nothing is allowed without some grant.
    #[test]
    fn decide_agrees_with_widest_scope(
        (actor, requester_id, assignee_id, team_id) in actor_and_relations(),
        kind in any_kind(),
        action in any_action(),
    ) {
        let permission = Permission::new(kind, action);
        let resource = ResourceRef { kind, org_id: actor.org_id, requester_id, assignee_id, team_id };
        let d = decide(&actor, action, &resource);
        let widest = servicedesk_rbac::widest_scope(&actor, permission);
        if !permission.is_known() {
            prop_assert_eq!(d, Decision::Deny(DenyReason::KindMismatch));
        } else if widest == Some(Scope::Org) {
            prop_assert!(d.is_allowed());
        } else if widest.is_none() {
            prop_assert_eq!(d, Decision::Deny(DenyReason::NoPermission { permission }));
        } else if let Decision::Allow(reason) = &d {
            prop_assert!(Some(reason.scope()) <= widest);
        }
    }
}

#[test]
fn admin_of_one_org_cannot_touch_another() {
    let admin = Actor::new(Uuid::from_u128(1), Uuid::from_u128(100))
        .with_role(Role::builtin(BuiltinRole::Admin));
    let other = Uuid::from_u128(200);
    for kind in ResourceKind::ALL {
        for &action in kind.actions() {
            let resource = ResourceRef::org_level(kind, other)
                .with_requester(admin.user_id)
                .with_assignee(admin.user_id);
            assert_eq!(
                decide(&admin, action, &resource),
                Decision::Deny(DenyReason::OtherOrganization),
                "{kind}:{action}"
            );
        }
    }
}

#[test]
fn other_organization_text_names_no_permission() {
    // 404 semantics: the reason must not hint at what exists or is granted.
    let text = DenyReason::OtherOrganization.to_string();
    assert!(!text.contains(':'), "{text}");
}
