//! RBAC-4: object scope — own, group and org grants against requester,
//! assignee and team combinations; several roles adding up; reasons.

use servicedesk_rbac::{
    Action, Actor, AllowReason, BuiltinRole, Decision, DenyReason, Grant, Permission, ResourceKind,
    ResourceRef, Role, Scope, decide, widest_scope,
};
use uuid::Uuid;

const ORG: Uuid = Uuid::from_u128(0x0a);
const ME: Uuid = Uuid::from_u128(0x1);
const SOMEONE: Uuid = Uuid::from_u128(0x2);
const MY_TEAM: Uuid = Uuid::from_u128(0x10);
const MY_OTHER_TEAM: Uuid = Uuid::from_u128(0x11);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x20);

fn incident() -> ResourceRef {
    ResourceRef::org_level(ResourceKind::Incident, ORG)
}

fn actor(roles: &[Role]) -> Actor {
    roles
        .iter()
        .cloned()
        .fold(Actor::new(ME, ORG), Actor::with_role)
        .with_team(MY_TEAM)
        .with_team(MY_OTHER_TEAM)
}

fn one_grant(name: &str, scope: Scope) -> Role {
    let p = Permission::new(ResourceKind::Incident, Action::Read);
    Role::custom(name, vec![Grant::new(p, scope)]).expect("valid custom role")
}

/// The resources used below, each with whether own / group / org reach it.
fn cases() -> Vec<(&'static str, ResourceRef, [bool; 3])> {
    vec![
        ("held by nobody", incident(), [false, false, true]),
        (
            "I requested",
            incident().with_requester(ME),
            [true, true, true],
        ),
        (
            "assigned to me",
            incident().with_assignee(ME),
            [true, true, true],
        ),
        (
            "requested by me, assigned elsewhere",
            incident()
                .with_requester(ME)
                .with_assignee(SOMEONE)
                .with_team(OTHER_TEAM),
            [true, true, true],
        ),
        (
            "assigned to me in another team",
            incident()
                .with_requester(SOMEONE)
                .with_assignee(ME)
                .with_team(OTHER_TEAM),
            [true, true, true],
        ),
        (
            "my team's queue",
            incident().with_team(MY_TEAM),
            [false, true, true],
        ),
        (
            "my second team's queue",
            incident().with_team(MY_OTHER_TEAM),
            [false, true, true],
        ),
        (
            "my team, someone else's ticket",
            incident()
                .with_requester(SOMEONE)
                .with_assignee(SOMEONE)
                .with_team(MY_TEAM),
            [false, true, true],
        ),
        (
            "another team, someone else's",
            incident()
                .with_requester(SOMEONE)
                .with_assignee(SOMEONE)
                .with_team(OTHER_TEAM),
            [false, false, true],
        ),
        (
            "another team, unassigned",
            incident().with_team(OTHER_TEAM),
            [false, false, true],
        ),
    ]
}

#[test]
fn each_scope_reaches_what_it_should() {
    for (i, scope) in Scope::ALL.into_iter().enumerate() {
        let a = actor(&[one_grant("reader", scope)]);
        for (name, resource, reach) in cases() {
            let d = decide(&a, Action::Read, &resource);
            assert_eq!(d.is_allowed(), reach[i], "{scope} scope, {name}: {d}");
            if !reach[i] {
                assert_eq!(
                    d,
                    Decision::Deny(DenyReason::OutOfScope {
                        permission: "incident:read".parse().unwrap(),
                        scope
                    }),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn allow_reasons_name_role_scope_and_team() {
    let own = actor(&[one_grant("own-reader", Scope::Own)]);
    assert_eq!(
        decide(&own, Action::Read, &incident().with_requester(ME)),
        Decision::Allow(AllowReason::OwnScope {
            role: "own-reader".into()
        })
    );

    let group = actor(&[one_grant("group-reader", Scope::Group)]);
    assert_eq!(
        decide(&group, Action::Read, &incident().with_team(MY_OTHER_TEAM)),
        Decision::Allow(AllowReason::GroupScope {
            role: "group-reader".into(),
            team_id: Some(MY_OTHER_TEAM)
        })
    );
    // A group grant reaching through the actor's own relation names no team.
    assert_eq!(
        decide(
            &group,
            Action::Read,
            &incident().with_assignee(ME).with_team(OTHER_TEAM)
        ),
        Decision::Allow(AllowReason::GroupScope {
            role: "group-reader".into(),
            team_id: None
        })
    );
    // Both match: the team is what is reported.
    assert_eq!(
        decide(
            &group,
            Action::Read,
            &incident().with_assignee(ME).with_team(MY_TEAM)
        ),
        Decision::Allow(AllowReason::GroupScope {
            role: "group-reader".into(),
            team_id: Some(MY_TEAM)
        })
    );

    let org = actor(&[one_grant("org-reader", Scope::Org)]);
    let d = decide(&org, Action::Read, &incident());
    assert_eq!(
        d,
        Decision::Allow(AllowReason::OrgScope {
            role: "org-reader".into()
        })
    );
    let reason = d.into_result().unwrap();
    assert_eq!((reason.role(), reason.scope()), ("org-reader", Scope::Org));
}

#[test]
fn a_team_the_actor_is_not_in_does_not_count() {
    let a = Actor::new(ME, ORG).with_role(one_grant("group-reader", Scope::Group));
    assert!(!decide(&a, Action::Read, &incident().with_team(MY_TEAM)).is_allowed());
}

#[test]
fn several_roles_add_up_and_the_widest_allowing_grant_is_reported() {
    let a = actor(&[
        one_grant("own-reader", Scope::Own),
        one_grant("group-reader", Scope::Group),
        Role::builtin(BuiltinRole::Requester),
    ]);
    // Own and group both allow: group is reported.
    assert_eq!(
        decide(
            &a,
            Action::Read,
            &incident().with_requester(ME).with_team(MY_TEAM)
        ),
        Decision::Allow(AllowReason::GroupScope {
            role: "group-reader".into(),
            team_id: Some(MY_TEAM)
        })
    );
    // Only the group grant reaches a teammate's ticket.
    assert!(decide(&a, Action::Read, &incident().with_team(MY_TEAM)).is_allowed());
    // A permission only one role has still counts (requester's comment).
    assert_eq!(
        decide(&a, Action::Comment, &incident().with_requester(ME)),
        Decision::Allow(AllowReason::OwnScope {
            role: "requester".into()
        })
    );
    assert_eq!(
        widest_scope(&a, "incident:read".parse().unwrap()),
        Some(Scope::Group)
    );
    // The union is not wider than its widest part.
    assert_eq!(
        decide(&a, Action::Read, &incident().with_team(OTHER_TEAM)),
        Decision::Deny(DenyReason::OutOfScope {
            permission: "incident:read".parse().unwrap(),
            scope: Scope::Group
        })
    );
}

#[test]
fn equal_scopes_report_the_first_role() {
    let a = actor(&[
        one_grant("first", Scope::Org),
        one_grant("second", Scope::Org),
    ]);
    assert_eq!(
        decide(&a, Action::Read, &incident()),
        Decision::Allow(AllowReason::OrgScope {
            role: "first".into()
        })
    );
}

#[test]
fn agent_plus_manager_uses_manager_org_scope() {
    let a = actor(&[
        Role::builtin(BuiltinRole::Agent),
        Role::builtin(BuiltinRole::Manager),
    ]);
    assert_eq!(
        decide(&a, Action::Assign, &incident().with_team(MY_TEAM)),
        Decision::Allow(AllowReason::OrgScope {
            role: "manager".into()
        })
    );
}

#[test]
fn no_roles_means_no_permission() {
    let a = Actor::new(ME, ORG);
    assert_eq!(
        decide(&a, Action::Read, &incident().with_requester(ME)),
        Decision::Deny(DenyReason::NoPermission {
            permission: "incident:read".parse().unwrap()
        })
    );
    assert_eq!(widest_scope(&a, "incident:read".parse().unwrap()), None);
}

#[test]
fn an_action_that_does_not_apply_is_a_kind_mismatch() {
    let admin = actor(&[Role::builtin(BuiltinRole::Admin)]);
    let audit = ResourceRef::org_level(ResourceKind::AuditEvent, ORG);
    assert_eq!(
        decide(&admin, Action::Delete, &audit),
        Decision::Deny(DenyReason::KindMismatch)
    );
    assert_eq!(
        decide(&admin, Action::Escalate, &audit),
        Decision::Deny(DenyReason::KindMismatch)
    );
    assert!(decide(&admin, Action::Read, &audit).is_allowed());
}

#[test]
fn a_hand_built_role_cannot_grant_outside_the_catalogue() {
    let bogus = Role {
        name: "bogus".into(),
        builtin: false,
        grants: vec![Grant::new(
            Permission::new(ResourceKind::AuditEvent, Action::Delete),
            Scope::Org,
        )],
    };
    let a = actor(&[bogus]);
    let audit = ResourceRef::org_level(ResourceKind::AuditEvent, ORG);
    assert_eq!(
        decide(&a, Action::Delete, &audit),
        Decision::Deny(DenyReason::KindMismatch)
    );
}

// Built-in roles on realistic resources (RBAC-4 in the spec's words).

#[test]
fn requesters_see_only_their_own_tickets() {
    let r = Actor::new(ME, ORG).with_role(Role::builtin(BuiltinRole::Requester));
    assert!(decide(&r, Action::Read, &incident().with_requester(ME)).is_allowed());
    assert!(!decide(&r, Action::Read, &incident().with_requester(SOMEONE)).is_allowed());
    // Raising a ticket for oneself is allowed, for someone else not.
    assert!(decide(&r, Action::Create, &incident().with_requester(ME)).is_allowed());
    assert!(!decide(&r, Action::Create, &incident().with_requester(SOMEONE)).is_allowed());
    // Public comments and closing/reopening their own; never internal notes.
    assert!(decide(&r, Action::Comment, &incident().with_requester(ME)).is_allowed());
    assert!(decide(&r, Action::Transition, &incident().with_requester(ME)).is_allowed());
    assert_eq!(
        decide(&r, Action::CommentInternal, &incident().with_requester(ME)),
        Decision::Deny(DenyReason::NoPermission {
            permission: "incident:comment_internal".parse().unwrap()
        })
    );
    for action in [
        Action::Assign,
        Action::Escalate,
        Action::Delete,
        Action::Update,
    ] {
        assert!(
            !decide(&r, action, &incident().with_requester(ME)).is_allowed(),
            "{action}"
        );
    }
    // The catalogue and the knowledge base are open to the whole organization.
    let kb = ResourceRef::org_level(ResourceKind::KbArticle, ORG);
    assert!(decide(&r, Action::Read, &kb).is_allowed());
    assert_eq!(
        widest_scope(&r, "incident:read".parse().unwrap()),
        Some(Scope::Own)
    );
}

#[test]
fn agents_work_their_groups_queues_and_log_tickets_for_anyone() {
    let a = actor(&[Role::builtin(BuiltinRole::Agent)]);
    let queued = incident().with_requester(SOMEONE).with_team(MY_TEAM);
    let foreign = incident().with_requester(SOMEONE).with_team(OTHER_TEAM);
    for action in [
        Action::Read,
        Action::Update,
        Action::Assign,
        Action::Escalate,
        Action::Transition,
        Action::Comment,
        Action::CommentInternal,
    ] {
        assert!(decide(&a, action, &queued).is_allowed(), "{action} queued");
        assert!(
            !decide(&a, action, &foreign).is_allowed(),
            "{action} foreign"
        );
    }
    assert!(decide(&a, Action::Create, &incident().with_requester(SOMEONE)).is_allowed());
    assert!(!decide(&a, Action::Delete, &queued).is_allowed());
    let change = ResourceRef::org_level(ResourceKind::Change, ORG).with_team(MY_TEAM);
    assert!(!decide(&a, Action::Approve, &change).is_allowed());
}

#[test]
fn managers_reach_the_whole_org_but_not_its_administration() {
    let m = Actor::new(ME, ORG).with_role(Role::builtin(BuiltinRole::Manager));
    assert!(decide(&m, Action::Assign, &incident().with_team(OTHER_TEAM)).is_allowed());
    let change = ResourceRef::org_level(ResourceKind::Change, ORG);
    assert!(decide(&m, Action::Approve, &change).is_allowed());
    for (kind, action) in [
        (ResourceKind::Role, Action::Manage),
        (ResourceKind::User, Action::Manage),
        (ResourceKind::Webhook, Action::Manage),
        (ResourceKind::AuditEvent, Action::Read),
        (ResourceKind::Organization, Action::Manage),
        (ResourceKind::Organization, Action::Create),
    ] {
        let d = decide(&m, action, &ResourceRef::org_level(kind, ORG));
        assert!(!d.is_allowed(), "{kind}:{action}");
    }
}

#[test]
fn own_scope_on_users_and_notifications_means_oneself() {
    let r = Actor::new(ME, ORG).with_role(Role::builtin(BuiltinRole::Requester));
    let me = ResourceRef::org_level(ResourceKind::User, ORG).with_requester(ME);
    let them = ResourceRef::org_level(ResourceKind::User, ORG).with_requester(SOMEONE);
    assert!(decide(&r, Action::Update, &me).is_allowed());
    assert!(!decide(&r, Action::Update, &them).is_allowed());
    let mine = ResourceRef::org_level(ResourceKind::Notification, ORG).with_requester(ME);
    assert!(decide(&r, Action::Update, &mine).is_allowed());
}

#[test]
fn deny_reasons_name_the_permission() {
    let r = Actor::new(ME, ORG).with_role(Role::builtin(BuiltinRole::Requester));
    let no_perm = decide(&r, Action::Assign, &incident().with_requester(ME));
    assert!(no_perm.to_string().contains("incident:assign"), "{no_perm}");
    let out = decide(&r, Action::Read, &incident().with_requester(SOMEONE));
    let text = out.to_string();
    assert!(
        text.contains("incident:read") && text.contains("own"),
        "{text}"
    );
    let Decision::Deny(reason) = out else {
        panic!("denied")
    };
    assert!(reason.to_string().contains("incident:read"));
    assert!(!reason.hides_existence());
}

#[test]
fn allow_reasons_name_the_role_and_scope() {
    let a = actor(&[Role::builtin(BuiltinRole::Agent)]);
    let d = decide(&a, Action::Read, &incident().with_team(MY_TEAM));
    let text = d.to_string();
    assert!(text.starts_with("allowed"), "{text}");
    assert!(
        text.contains("agent") && text.contains("group") && text.contains(&MY_TEAM.to_string())
    );
}
