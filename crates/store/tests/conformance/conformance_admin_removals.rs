//! Conformance of the console's administration writes on both backends: `users.time_zone`
//! through every user path; `AdminStore::delete_role` (refused while anyone holds the role,
//! counted exactly, audited in its transaction); the in-transaction check that a user write
//! grants only roles that exist, also against a concurrent deletion;
//! `AdminStore::remove_team_member` (tenancy, audit).

#![allow(clippy::unwrap_used)]

use std::sync::Barrier;

use servicedesk_core::entities::User;
use servicedesk_core::ids::{OrgId, TeamId, UserId};
use servicedesk_core::ports::{
    Account, AccountStore, AdminStore, Directory, MfaState, RoleDeletion, StoreError, WriteSet,
};
use servicedesk_core::rbac::{Role, Scope};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    time_zone_is_written_and_read_by_every_user_path,
    a_role_is_deleted_only_when_nobody_holds_it,
    user_writes_grant_only_roles_that_exist,
    a_grant_racing_a_deletion_never_leaves_a_holder_of_a_deleted_role,
    remove_team_member_deletes_one_membership_of_the_organization,
);

fn new_account(user: User) -> Account {
    Account {
        user,
        platform_admin: false,
        password_hash: None,
        email_verified_at: Some(t0()),
        mfa: MfaState::default(),
        version: 1,
    }
}

fn role(name: &str) -> Role {
    Role::custom_from_strs(name, &[("incident:read".to_owned(), Scope::Own)]).unwrap()
}

fn create_role(store: &Store, org: OrgId, name: &str) {
    let record = audit(org, None, "role.create", "role", name, t0());
    AdminStore::create_role(store, org, &role(name), &record).unwrap();
}

fn role_names(store: &Store, org: OrgId) -> Vec<String> {
    AdminStore::roles(store, org)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect()
}

fn set_roles(store: &Store, org: OrgId, id: UserId, roles: &[&str]) -> Result<Account, StoreError> {
    let mut account = store.account(org, id).unwrap();
    let version = account.version;
    account.user.roles = roles.iter().map(|r| (*r).to_owned()).collect();
    store.update_account(&account, version, &WriteSet::default())
}

fn time_zone_is_written_and_read_by_every_user_path(store: &Store) {
    let fx = org_fixture(store, "Zones");
    let mut traveller = user(fx.org, "traveller", &["agent"], &[]);
    traveller.time_zone = Some("Asia/Kolkata".to_owned());
    assert_eq!(store.create_user(&traveller).unwrap(), traveller);
    assert_eq!(
        Directory::user(store, fx.org, fx.agent).unwrap().time_zone,
        None,
        "unset on the fixture's users"
    );

    let mut account = store.account(fx.org, fx.agent).unwrap();
    let version = account.version;
    account.user.time_zone = Some("Europe/Berlin".to_owned());
    let updated = store
        .update_account(&account, version, &WriteSet::default())
        .unwrap();
    assert_eq!(updated.user.time_zone.as_deref(), Some("Europe/Berlin"));
    let listed = store.list_users(fx.org, None, 100).unwrap();
    let agent = listed.iter().find(|u| u.id == fx.agent).unwrap();
    assert_eq!(agent.time_zone.as_deref(), Some("Europe/Berlin"));
    let found = store.find_by_email(&agent.email).unwrap();
    assert_eq!(found.user.time_zone.as_deref(), Some("Europe/Berlin"));

    let mut created = user(fx.org, "created", &["requester"], &[]);
    created.time_zone = Some("America/Sao_Paulo".to_owned());
    let stored = store
        .create_account(&new_account(created), &WriteSet::default())
        .unwrap();
    assert_eq!(stored.user.time_zone.as_deref(), Some("America/Sao_Paulo"));

    // Cleared again.
    let mut account = updated;
    let version = account.version;
    account.user.time_zone = None;
    store
        .update_account(&account, version, &WriteSet::default())
        .unwrap();
    assert_eq!(
        Directory::user(store, fx.org, fx.agent).unwrap().time_zone,
        None
    );
}

fn a_role_is_deleted_only_when_nobody_holds_it(store: &Store) {
    let fx = org_fixture(store, "Roles");
    let other = org_fixture(store, "Other roles");
    // `_` is a LIKE wildcard: a holder of `desk-lead` must not count for `desk_lead`.
    for name in ["desk-lead", "desk_lead", "auditor"] {
        create_role(store, fx.org, name);
    }
    create_role(store, other.org, "auditor");
    set_roles(store, fx.org, fx.agent, &["desk-lead"]).unwrap();
    set_roles(store, fx.org, fx.agent2, &["auditor"]).unwrap();
    set_roles(store, fx.org, fx.requester, &["auditor"]).unwrap();
    // A deactivated holder still holds it.
    let mut gone = store.account(fx.org, fx.requester).unwrap();
    let version = gone.version;
    gone.user.active = false;
    store
        .update_account(&gone, version, &WriteSet::default())
        .unwrap();
    let audited = all_audit(store, fx.org).len();

    let record = |name: &str| audit(fx.org, Some(fx.admin), "role.delete", "role", name, t0());
    assert_eq!(
        AdminStore::delete_role(store, fx.org, "auditor", &record("auditor")).unwrap(),
        RoleDeletion::InUse { holders: 2 }
    );
    assert_eq!(
        AdminStore::delete_role(store, fx.org, "desk-lead", &record("desk-lead")).unwrap(),
        RoleDeletion::InUse { holders: 1 }
    );
    assert_eq!(
        all_audit(store, fx.org).len(),
        audited,
        "a refusal writes nothing"
    );
    assert_eq!(
        role_names(store, fx.org),
        ["auditor", "desk-lead", "desk_lead"]
    );

    assert_eq!(
        AdminStore::delete_role(store, fx.org, "desk_lead", &record("desk_lead")).unwrap(),
        RoleDeletion::Deleted
    );
    assert_eq!(role_names(store, fx.org), ["auditor", "desk-lead"]);
    let log = all_audit(store, fx.org);
    assert_eq!(log.len(), audited + 1);
    let last = &log.last().unwrap().record;
    assert_eq!(
        (last.action.as_str(), last.target_id.as_str()),
        ("role.delete", "desk_lead")
    );
    assert_not_found(
        "deleted twice",
        AdminStore::delete_role(store, fx.org, "desk_lead", &record("desk_lead")),
    );
    assert_not_found(
        "never existed",
        AdminStore::delete_role(store, fx.org, "nobody", &record("nobody")),
    );

    // Once the holders have other roles, it goes; the other organization's keeps its own.
    set_roles(store, fx.org, fx.agent2, &["agent"]).unwrap();
    set_roles(store, fx.org, fx.requester, &["requester"]).unwrap();
    assert_eq!(
        AdminStore::delete_role(store, fx.org, "auditor", &record("auditor")).unwrap(),
        RoleDeletion::Deleted
    );
    assert_eq!(role_names(store, fx.org), ["desk-lead"]);
    assert_eq!(role_names(store, other.org), ["auditor"]);
}

fn user_writes_grant_only_roles_that_exist(store: &Store) {
    let fx = org_fixture(store, "Grants");
    let other = org_fixture(store, "Other grants");
    create_role(store, other.org, "elsewhere");
    create_role(store, fx.org, "triage");

    // Unknown, or a role of another organization: refused, nothing changes.
    for ghost in ["ghost", "elsewhere"] {
        assert_eq!(
            set_roles(store, fx.org, fx.agent, &[ghost]).unwrap_err(),
            StoreError::NotFound("role"),
            "{ghost}"
        );
        let fresh = user(fx.org, "fresh", &[ghost], &[]);
        assert_eq!(
            store
                .create_account(&new_account(fresh.clone()), &WriteSet::default())
                .unwrap_err(),
            StoreError::NotFound("role"),
            "{ghost}"
        );
        assert_not_found("not created", store.account(fx.org, fresh.id));
    }
    assert_eq!(
        store.account(fx.org, fx.agent).unwrap().user.roles,
        ["agent"]
    );
    // Built-in and existing custom roles go through.
    set_roles(store, fx.org, fx.agent, &["triage"]).unwrap();
    set_roles(store, fx.org, fx.agent, &["manager"]).unwrap();
    let triager = user(fx.org, "triager", &["triage"], &[]);
    store
        .create_account(&new_account(triager), &WriteSet::default())
        .unwrap();

    // A role already held is not re-checked: a legacy holder of a role that no longer
    // exists can still change their name.
    let legacy = user(fx.org, "legacy", &["retired-role"], &[]);
    store.create_user(&legacy).unwrap();
    let mut account = store.account(fx.org, legacy.id).unwrap();
    let version = account.version;
    account.user.name = "Legacy Renamed".to_owned();
    store
        .update_account(&account, version, &WriteSet::default())
        .unwrap();
}

fn a_grant_racing_a_deletion_never_leaves_a_holder_of_a_deleted_role(store: &Store) {
    let fx = org_fixture(store, "Race");
    let (mut deleted, mut granted) = (0, 0);
    for round in 0..20 {
        let name = format!("racer-{round}");
        create_role(store, fx.org, &name);
        let start = Barrier::new(2);
        let record = audit(fx.org, Some(fx.admin), "role.delete", "role", &name, t0());
        let (deletion, grant) = std::thread::scope(|s| {
            let deleting = s.spawn(|| {
                start.wait();
                AdminStore::delete_role(store, fx.org, &name, &record).unwrap()
            });
            let granting = s.spawn(|| {
                start.wait();
                set_roles(store, fx.org, fx.agent, &[name.as_str()])
            });
            (deleting.join().unwrap(), granting.join().unwrap())
        });
        let holds = store.account(fx.org, fx.agent).unwrap().user.roles == [name.clone()];
        let exists = role_names(store, fx.org).contains(&name);
        match deletion {
            RoleDeletion::Deleted => {
                deleted += 1;
                assert_eq!(grant.unwrap_err(), StoreError::NotFound("role"), "{round}");
                assert!(!holds && !exists, "{round}: deleted, so nobody holds it");
            }
            RoleDeletion::InUse { holders } => {
                granted += 1;
                assert_eq!(holders, 1, "{round}");
                assert!(grant.is_ok() && holds && exists, "{round}: granted first");
                set_roles(store, fx.org, fx.agent, &["agent"]).unwrap();
            }
        }
    }
    assert_eq!(deleted + granted, 20);
}

fn remove_team_member_deletes_one_membership_of_the_organization(store: &Store) {
    let fx = org_fixture(store, "Members");
    let other = org_fixture(store, "Other members");
    let record = |team: TeamId| {
        audit(
            fx.org,
            Some(fx.admin),
            "team.member_remove",
            "team",
            &team.to_string(),
            t0(),
        )
    };
    // The agent is in fx.team; put them in team2 too.
    store.add_team_member(fx.org, fx.team2, fx.agent).unwrap();
    let audited = all_audit(store, fx.org).len();

    AdminStore::remove_team_member(store, fx.org, fx.team, fx.agent, &record(fx.team)).unwrap();
    assert_eq!(
        Directory::user(store, fx.org, fx.agent).unwrap().team_ids,
        [fx.team2],
        "only that membership goes"
    );
    assert!(
        !Directory::team_members(store, fx.org, fx.team)
            .unwrap()
            .contains(&fx.agent)
    );
    let log = all_audit(store, fx.org);
    assert_eq!(log.len(), audited + 1);
    assert_eq!(log.last().unwrap().record.action, "team.member_remove");

    // Not a member (any more), another organization's user or team: not found, nothing
    // written.
    assert_eq!(
        AdminStore::remove_team_member(store, fx.org, fx.team, fx.agent, &record(fx.team))
            .unwrap_err(),
        StoreError::NotFound("team member")
    );
    assert_eq!(
        AdminStore::remove_team_member(store, fx.org, fx.team, other.agent, &record(fx.team))
            .unwrap_err(),
        StoreError::NotFound("team member")
    );
    assert_eq!(
        AdminStore::remove_team_member(store, fx.org, other.team, other.agent, &record(other.team))
            .unwrap_err(),
        StoreError::NotFound("team")
    );
    assert_eq!(
        AdminStore::remove_team_member(store, fx.org, new_id(), fx.agent2, &record(fx.team))
            .unwrap_err(),
        StoreError::NotFound("team")
    );
    assert_eq!(all_audit(store, fx.org).len(), audited + 1);
    assert!(
        Directory::team_members(store, other.org, other.team)
            .unwrap()
            .contains(&other.agent),
        "the other organization's membership is untouched"
    );
}
