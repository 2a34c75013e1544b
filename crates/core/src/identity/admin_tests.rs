//! Unit tests of the administration use cases against mocks of their ports: deleting custom
//! roles, removing team members, and the user's time zone. A mock without an expectation
//! panics when called, so "refused before the store" is what these tests prove.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use servicedesk_rbac::{BuiltinRole, Role, Scope};

use super::*;
use crate::actor::Actor;
use crate::entities::User;
use crate::error::Error;
use crate::events::AuditRecord;
use crate::ids::{OrgId, TeamId, UserId};
use crate::ports::{
    Account, FixedClock, MfaState, MockAccountStore, MockAdminStore, MockPasswordHasher,
    RoleDeletion, StoreError, UuidV7Generator,
};

const ORG: OrgId = OrgId(uuid::Uuid::from_u128(1));
const ME: UserId = UserId(uuid::Uuid::from_u128(2));
const OTHER: UserId = UserId(uuid::Uuid::from_u128(3));
const TEAM: TeamId = TeamId(uuid::Uuid::from_u128(4));

fn now() -> DateTime<Utc> {
    "2026-12-02T09:00:00Z".parse().unwrap()
}

fn actor(role: BuiltinRole) -> Actor {
    Actor::new(ME, ORG, vec![Role::builtin(role)], vec![])
}

fn custom(name: &str, grants: &[(&str, Scope)]) -> Role {
    let grants: Vec<(String, Scope)> = grants.iter().map(|(p, s)| ((*p).into(), *s)).collect();
    Role::custom_from_strs(name, &grants).unwrap()
}

fn admin(accounts: MockAccountStore, store: MockAdminStore) -> Administration {
    Administration::new(
        Arc::new(accounts),
        Arc::new(store),
        Arc::new(MockPasswordHasher::new()),
        Arc::new(FixedClock::new(now())),
        Arc::new(UuidV7Generator),
    )
}

fn account(id: UserId, roles: &[&str], time_zone: Option<&str>) -> Account {
    Account {
        user: User {
            id,
            org_id: ORG,
            email: "ann@example.org".into(),
            name: "Ann".into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            team_ids: vec![],
            active: true,
            manager_id: None,
            time_zone: time_zone.map(str::to_owned),
            created_at: now(),
        },
        platform_admin: false,
        password_hash: Some("HASH".into()),
        email_verified_at: Some(now()),
        mfa: MfaState::default(),
        version: 3,
    }
}

fn field(e: &Error) -> Vec<(String, &'static str)> {
    match e {
        Error::Invalid(fields) => fields.iter().map(|f| (f.field.clone(), f.code)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

// ---- deleting a custom role ----

#[test]
fn deleting_a_role_needs_role_manage_and_asks_no_store_without_it() {
    for role in [
        BuiltinRole::Manager,
        BuiltinRole::Agent,
        BuiltinRole::Requester,
    ] {
        let admin = admin(MockAccountStore::new(), MockAdminStore::new());
        let err = admin.delete_role(&actor(role), "auditor").unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{role:?}: {err:?}");
    }
}

#[test]
fn built_in_roles_are_fixed() {
    let admin = admin(MockAccountStore::new(), MockAdminStore::new());
    for name in ["admin", "manager", "agent", "requester"] {
        let err = admin
            .delete_role(&actor(BuiltinRole::Admin), name)
            .unwrap_err();
        assert_eq!(field(&err), [("name".to_owned(), "builtin")], "{name}");
    }
}

#[test]
fn an_unknown_role_is_not_found_and_nothing_is_deleted() {
    let mut store = MockAdminStore::new();
    store
        .expect_roles()
        .returning(|_| Ok(vec![custom("auditor", &[])]));
    let err = admin(MockAccountStore::new(), store)
        .delete_role(&actor(BuiltinRole::Admin), "nobody")
        .unwrap_err();
    assert_eq!(err, Error::NotFound { entity: "role" });
}

#[test]
fn a_role_above_the_actor_is_not_deleted() {
    let rolesmith = custom(
        "rolesmith",
        &[("role:manage", Scope::Org), ("incident:read", Scope::Own)],
    );
    let mut store = MockAdminStore::new();
    store
        .expect_roles()
        .returning(|_| Ok(vec![custom("big", &[("incident:read", Scope::Org)])]));
    let smith = Actor::new(ME, ORG, vec![rolesmith], vec![]);
    let err = admin(MockAccountStore::new(), store)
        .delete_role(&smith, "big")
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn a_held_role_is_refused_with_the_number_of_holders() {
    let mut store = MockAdminStore::new();
    store
        .expect_roles()
        .returning(|_| Ok(vec![custom("auditor", &[("audit_event:read", Scope::Org)])]));
    store
        .expect_delete_role()
        .times(1)
        .returning(|_, _, _| Ok(RoleDeletion::InUse { holders: 2 }));
    let err = admin(MockAccountStore::new(), store)
        .delete_role(&actor(BuiltinRole::Admin), "auditor")
        .unwrap_err();
    match err {
        Error::IllegalTransition {
            message,
            legal_actions,
        } => {
            assert!(message.contains("held by 2 users"), "{message}");
            assert!(legal_actions.is_empty());
        }
        other => panic!("expected a 409, got {other:?}"),
    }
}

#[test]
fn deleting_a_role_is_audited_with_its_grants_in_the_store_call() {
    let mut store = MockAdminStore::new();
    store
        .expect_roles()
        .returning(|_| Ok(vec![custom("auditor", &[("audit_event:read", Scope::Org)])]));
    store
        .expect_delete_role()
        .withf(|org, name, audit: &AuditRecord| {
            *org == ORG
                && name == "auditor"
                && audit.action == "role.delete"
                && audit.target_kind == "role"
                && audit.target_id == "auditor"
                && audit.actor_id == Some(ME)
                && audit.at == now()
                && audit.detail["grants"][0]["permission"] == "audit_event:read"
        })
        .times(1)
        .returning(|_, _, _| Ok(RoleDeletion::Deleted));
    admin(MockAccountStore::new(), store)
        .delete_role(&actor(BuiltinRole::Admin), "auditor")
        .unwrap();
}

#[test]
fn a_role_deleted_meanwhile_is_not_found() {
    let mut store = MockAdminStore::new();
    store
        .expect_roles()
        .returning(|_| Ok(vec![custom("auditor", &[])]));
    store
        .expect_delete_role()
        .returning(|_, _, _| Err(StoreError::NotFound("role")));
    let err = admin(MockAccountStore::new(), store)
        .delete_role(&actor(BuiltinRole::Admin), "auditor")
        .unwrap_err();
    assert_eq!(err, Error::NotFound { entity: "role" });
}

// ---- removing a team member ----

#[test]
fn removing_a_member_needs_team_manage_and_asks_no_store_without_it() {
    for role in [BuiltinRole::Agent, BuiltinRole::Requester] {
        let admin = admin(MockAccountStore::new(), MockAdminStore::new());
        let err = admin
            .remove_team_member(&actor(role), TEAM, OTHER)
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{role:?}: {err:?}");
    }
}

#[test]
fn a_manager_removes_a_member_with_an_audit_record() {
    let mut store = MockAdminStore::new();
    store
        .expect_remove_team_member()
        .withf(|org, team, user, audit: &AuditRecord| {
            *org == ORG
                && *team == TEAM
                && *user == OTHER
                && audit.action == "team.member_remove"
                && audit.target_kind == "team"
                && audit.target_id == TEAM.to_string()
                && audit.detail["user_id"] == OTHER.to_string()
        })
        .times(1)
        .returning(|_, _, _, _| Ok(()));
    admin(MockAccountStore::new(), store)
        .remove_team_member(&actor(BuiltinRole::Manager), TEAM, OTHER)
        .unwrap();
}

#[test]
fn removing_a_non_member_is_not_found() {
    let mut store = MockAdminStore::new();
    store
        .expect_remove_team_member()
        .returning(|_, _, _, _| Err(StoreError::NotFound("team member")));
    let err = admin(MockAccountStore::new(), store)
        .remove_team_member(&actor(BuiltinRole::Admin), TEAM, OTHER)
        .unwrap_err();
    assert_eq!(
        err,
        Error::NotFound {
            entity: "team member"
        }
    );
}

// ---- the user's time zone ----

fn zone_patch(zone: Option<&str>) -> UpdateUser {
    UpdateUser {
        time_zone: Some(zone.map(str::to_owned)),
        ..UpdateUser::default()
    }
}

#[test]
fn users_set_their_own_time_zone_audited_as_an_update() {
    let mut accounts = MockAccountStore::new();
    accounts
        .expect_account()
        .returning(|_, id| Ok(account(id, &["requester"], None)));
    accounts
        .expect_update_account()
        .withf(|saved, version, write| {
            let audit = &write.audit[0];
            saved.user.time_zone.as_deref() == Some("Europe/Berlin")
                && *version == 3
                && audit.action == "user.update"
                && audit.detail["time_zone"]
                    == serde_json::json!({ "from": null, "to": "Europe/Berlin" })
                && audit.detail.as_object().is_some_and(|d| d.len() == 1)
        })
        .times(1)
        .returning(|saved, _, _| Ok(saved.clone()));
    let user = admin(accounts, MockAdminStore::new())
        .update_user(
            &actor(BuiltinRole::Requester),
            ME,
            zone_patch(Some(" Europe/Berlin ")),
        )
        .unwrap();
    assert_eq!(user.time_zone.as_deref(), Some("Europe/Berlin"));
}

#[test]
fn null_clears_the_time_zone() {
    let mut accounts = MockAccountStore::new();
    accounts
        .expect_account()
        .returning(|_, id| Ok(account(id, &["agent"], Some("Asia/Tokyo"))));
    accounts
        .expect_update_account()
        .withf(|saved, _, _| saved.user.time_zone.is_none())
        .times(1)
        .returning(|saved, _, _| Ok(saved.clone()));
    let user = admin(accounts, MockAdminStore::new())
        .update_user(&actor(BuiltinRole::Admin), OTHER, zone_patch(None))
        .unwrap();
    assert_eq!(user.time_zone, None);
}

#[test]
fn an_unknown_time_zone_is_invalid_and_nothing_is_read_or_written() {
    let admin = admin(MockAccountStore::new(), MockAdminStore::new());
    for bad in ["Mars/Olympus_Mons", "", "europe/berlin", "UTC+2"] {
        let err = admin
            .update_user(&actor(BuiltinRole::Admin), OTHER, zone_patch(Some(bad)))
            .unwrap_err();
        assert_eq!(
            field(&err),
            [("time_zone".to_owned(), "unknown")],
            "{bad:?}"
        );
    }
}

#[test]
fn self_service_takes_name_and_time_zone_but_never_a_role() {
    let admin = admin(MockAccountStore::new(), MockAdminStore::new());
    let err = admin
        .update_user(
            &actor(BuiltinRole::Agent),
            ME,
            UpdateUser {
                role: Some("admin".into()),
                time_zone: Some(Some("Europe/Berlin".into())),
                ..UpdateUser::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn a_role_deleted_while_it_was_being_granted_is_unknown() {
    let mut accounts = MockAccountStore::new();
    accounts
        .expect_account()
        .returning(|_, id| Ok(account(id, &["requester"], None)));
    accounts
        .expect_update_account()
        .returning(|_, _, _| Err(StoreError::NotFound("role")));
    let mut store = MockAdminStore::new();
    store
        .expect_roles()
        .returning(|_| Ok(vec![custom("auditor", &[])]));
    let err = admin(accounts, store)
        .update_user(
            &actor(BuiltinRole::Admin),
            OTHER,
            UpdateUser {
                role: Some("auditor".into()),
                ..UpdateUser::default()
            },
        )
        .unwrap_err();
    assert_eq!(field(&err), [("role".to_owned(), "unknown")]);
}

// ---- creating a custom role: errors beside their field ----

#[test]
fn a_bad_role_name_is_the_name_fields_error_and_a_bad_grant_the_permissions() {
    let admin = admin(MockAccountStore::new(), MockAdminStore::new());
    let me = actor(BuiltinRole::Admin);
    let grants = vec![("incident:read".to_owned(), Scope::Org)];
    for bad in ["Has Spaces", "admin", ""] {
        let err = admin.create_role(&me, bad, &grants).unwrap_err();
        assert_eq!(field(&err), [("name".to_owned(), "invalid")], "{bad}");
    }
    let err = admin
        .create_role(&me, "auditor", &[("incident:fly".to_owned(), Scope::Org)])
        .unwrap_err();
    assert_eq!(field(&err), [("permissions".to_owned(), "invalid")]);
}
