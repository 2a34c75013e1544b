//! RBAC-2 and RBAC-3: permission names, and custom role validation.

use servicedesk_rbac::{
    Action, BuiltinRole, Grant, Permission, RbacError, ResourceKind, Role, Scope,
};

#[test]
fn every_catalogue_permission_round_trips_through_its_text() {
    let all = Permission::all();
    assert!(!all.is_empty());
    for p in &all {
        let text = p.to_string();
        assert_eq!(text.parse::<Permission>(), Ok(*p), "{text}");
        assert_eq!(String::from(*p), text);
        assert_eq!(Permission::try_from(text.clone()), Ok(*p));
        assert!(p.is_known());
    }
}

#[test]
fn catalogue_is_sorted_and_unique() {
    let all = Permission::all();
    assert!(all.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn permission_texts_use_snake_case() {
    let cases = [
        (
            "service_request:create",
            ResourceKind::ServiceRequest,
            Action::Create,
        ),
        ("kb_article:read", ResourceKind::KbArticle, Action::Read),
        ("sla_policy:update", ResourceKind::SlaPolicy, Action::Update),
        (
            "incident:comment_internal",
            ResourceKind::Incident,
            Action::CommentInternal,
        ),
        ("change:approve", ResourceKind::Change, Action::Approve),
        ("audit_event:read", ResourceKind::AuditEvent, Action::Read),
    ];
    for (text, kind, action) in cases {
        let p = Permission::new(kind, action);
        assert_eq!(p.to_string(), text);
        assert_eq!(text.parse::<Permission>(), Ok(p));
    }
}

#[test]
fn unknown_permission_text_is_echoed_in_the_error() {
    let err = "incident:fly".parse::<Permission>().unwrap_err();
    assert_eq!(
        err,
        RbacError::UnknownPermission {
            text: "incident:fly".into()
        }
    );
    assert!(err.to_string().contains("incident:fly"));
}

fn read_incidents(scope: Scope) -> Grant {
    Grant::new(Permission::new(ResourceKind::Incident, Action::Read), scope)
}

#[test]
fn custom_role_keeps_its_grants_sorted() {
    let kb = Grant::parse("kb_article:update", Scope::Org).unwrap();
    let role = Role::custom("night-shift_2", vec![kb, read_incidents(Scope::Group)]).unwrap();
    assert_eq!(role.name, "night-shift_2");
    assert!(!role.builtin);
    assert_eq!(role.grants(), [read_incidents(Scope::Group), kb]);
    assert_eq!(role.scope_of(kb.permission), Some(Scope::Org));
    assert_eq!(
        role.scope_of(Permission::new(ResourceKind::Incident, Action::Update)),
        None
    );
    assert_eq!(role.builtin_kind(), None);
    assert_eq!(role.permissions().count(), 2);
}

#[test]
fn custom_role_may_be_empty() {
    let role = Role::custom("placeholder", vec![]).unwrap();
    assert!(role.grants().is_empty());
}

#[test]
fn custom_role_names_follow_the_rules() {
    let ok = ["a", "x1", "night-shift", "tier_2", &"z".repeat(64)];
    for name in ok {
        assert!(Role::custom(name, vec![]).is_ok(), "{name}");
    }
    let bad = [
        "",
        "Night",
        "night shift",
        "tier.2",
        "née",
        "a/b",
        &"z".repeat(65),
    ];
    for name in bad {
        match Role::custom(name, vec![]) {
            Err(RbacError::InvalidRoleName { name: got, .. }) => assert_eq!(got, name),
            other => panic!("{name:?}: {other:?}"),
        }
    }
}

#[test]
fn custom_role_cannot_take_a_builtin_name() {
    for r in BuiltinRole::all() {
        assert_eq!(
            Role::custom(r.name(), vec![]),
            Err(RbacError::ReservedRoleName {
                name: r.name().into()
            })
        );
    }
}

#[test]
fn custom_role_rejects_a_permission_granted_twice() {
    let p = Permission::new(ResourceKind::Incident, Action::Read);
    let err = Role::custom(
        "dup",
        vec![read_incidents(Scope::Own), read_incidents(Scope::Org)],
    )
    .unwrap_err();
    assert_eq!(err, RbacError::DuplicatePermission { permission: p });
    assert!(err.to_string().contains("incident:read"));
}

#[test]
fn custom_role_rejects_a_permission_outside_the_catalogue() {
    let bogus = Grant::new(
        Permission::new(ResourceKind::AuditEvent, Action::Delete),
        Scope::Org,
    );
    assert_eq!(
        Role::custom("bogus", vec![bogus]),
        Err(RbacError::UnknownPermission {
            text: "audit_event:delete".into()
        })
    );
}

#[test]
fn custom_role_from_strings_reports_every_unknown_permission() {
    let err = Role::custom_from_strs(
        "triage",
        &[
            ("incident:read", Scope::Group),
            ("incident:teleport", Scope::Org),
            ("tickets:read", Scope::Org),
            ("change:approve", Scope::Org),
        ],
    )
    .unwrap_err();
    assert_eq!(
        err,
        RbacError::UnknownPermissions {
            texts: vec!["incident:teleport".into(), "tickets:read".into()]
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("`incident:teleport`") && text.contains("`tickets:read`"),
        "{text}"
    );
}

#[test]
fn custom_role_from_strings_builds_the_role() {
    let role = Role::custom_from_strs(
        "approver",
        &[("change:approve", Scope::Org), ("change:read", Scope::Org)],
    )
    .unwrap();
    assert_eq!(
        role.scope_of("change:approve".parse().unwrap()),
        Some(Scope::Org)
    );
    // Owned strings work as well as literals.
    let owned = vec![(String::from("change:read"), Scope::Group)];
    assert!(Role::custom_from_strs("reader", &owned).is_ok());
}

#[test]
fn custom_role_from_strings_checks_the_name_first_and_duplicates_after_parsing() {
    assert!(matches!(
        Role::custom_from_strs("Bad Name", &[("nope", Scope::Own)]),
        Err(RbacError::InvalidRoleName { .. })
    ));
    assert!(matches!(
        Role::custom_from_strs(
            "d",
            &[("incident:read", Scope::Own), ("incident:read", Scope::Org)]
        ),
        Err(RbacError::DuplicatePermission { .. })
    ));
}

#[test]
fn catalogue_size_matches_the_docs() {
    // docs/rbac.md states the number; keep it honest.
    assert_eq!(Permission::all().len(), 117);
    assert!(include_str!("../../../docs/rbac.md").contains("117 permissions"));
}
