//! Unit tests of an administrator's view of users' two-step verification and of signing a
//! user out everywhere, against mocks of the ports.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use servicedesk_rbac::{BuiltinRole, Role};

use super::*;
use crate::actor::Actor;
use crate::entities::User;
use crate::error::Error;
use crate::ids::{OrgId, UserId};
use crate::ports::{
    Account, FixedClock, MfaState, MockAccountStore, MockAdminStore, MockAttemptStore,
    MockOpaqueTokens, MockPasswordHasher, MockSecretBox, MockSessionStore, MockTokenIssuer,
    MockTotp, StoreError, UuidV7Generator,
};

const ORG: OrgId = OrgId(uuid::Uuid::from_u128(1));
const ADMIN: UserId = UserId(uuid::Uuid::from_u128(2));
const ANN: UserId = UserId(uuid::Uuid::from_u128(3));
const BOB: UserId = UserId(uuid::Uuid::from_u128(4));
const STRANGER: UserId = UserId(uuid::Uuid::from_u128(9));

fn now() -> DateTime<Utc> {
    "2026-11-02T09:00:00Z".parse().unwrap()
}

fn account(id: UserId, mfa: bool) -> Account {
    Account {
        user: User {
            id,
            org_id: ORG,
            email: format!("{}@example.org", id.0.as_u128()),
            name: "Someone".into(),
            roles: vec!["agent".into()],
            team_ids: vec![],
            active: true,
            manager_id: None,
            time_zone: None,
            created_at: now(),
        },
        platform_admin: false,
        password_hash: Some("HASH".into()),
        email_verified_at: Some(now()),
        mfa: MfaState {
            enabled: mfa,
            secret_sealed: mfa.then(|| "sealed".into()),
            recovery_codes: vec![],
        },
        version: 1,
    }
}

fn actor(role: BuiltinRole) -> Actor {
    Actor::new(ADMIN, ORG, vec![Role::builtin(role)], vec![])
}

/// Accounts of ANN (MFA on) and BOB (off); anyone else is unknown in the organization.
fn accounts() -> MockAccountStore {
    let mut a = MockAccountStore::new();
    a.expect_account().returning(|org, id| match (org, id) {
        (ORG, ANN) => Ok(account(ANN, true)),
        (ORG, BOB) => Ok(account(BOB, false)),
        _ => Err(StoreError::NotFound("user")),
    });
    a
}

fn build(accounts: MockAccountStore, sessions: MockSessionStore) -> Authenticator {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().returning(|_| Ok("DECOY".into()));
    let mut opaque = MockOpaqueTokens::new();
    opaque.expect_generate().returning(|| "opaque".into());
    Authenticator::new(
        AuthPorts {
            accounts: Arc::new(accounts),
            sessions: Arc::new(sessions),
            admin: Arc::new(MockAdminStore::new()),
            hasher: Arc::new(hasher),
            tokens: Arc::new(MockTokenIssuer::new()),
            totp: Arc::new(MockTotp::new()),
            secrets: Arc::new(MockSecretBox::new()),
            opaque: Arc::new(opaque),
            attempts: Arc::new(MockAttemptStore::new()),
            clock: Arc::new(FixedClock::new(now())),
            ids: Arc::new(UuidV7Generator),
        },
        AuthSettings::default(),
    )
}

#[test]
fn mfa_status_answers_for_the_organizations_users_only() {
    let auth = build(accounts(), MockSessionStore::new());
    let got = auth
        .mfa_status(&actor(BuiltinRole::Admin), &[ANN, STRANGER, BOB])
        .unwrap();
    assert_eq!(got, vec![(ANN, true), (BOB, false)]);
}

#[test]
fn mfa_status_needs_user_read_for_the_organization() {
    let mut a = MockAccountStore::new();
    a.expect_account().never();
    let auth = build(a, MockSessionStore::new());
    for role in [
        BuiltinRole::Requester,
        BuiltinRole::Agent,
        BuiltinRole::Manager,
    ] {
        let err = auth.mfa_status(&actor(role), &[ANN]).unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{role:?}: {err:?}");
    }
}

#[test]
fn mfa_status_is_bounded() {
    let mut a = MockAccountStore::new();
    a.expect_account().never();
    let auth = build(a, MockSessionStore::new());
    let many = vec![ANN; MAX_MFA_STATUS + 1];
    let err = auth
        .mfa_status(&actor(BuiltinRole::Admin), &many)
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "users"),
        "{err:?}"
    );
}

#[test]
fn revoking_a_users_sessions_revokes_them_all_and_audits_the_admin() {
    let mut a = accounts();
    a.expect_record_security_event()
        .withf(|w| {
            w.audit.len() == 1
                && w.audit[0].action == "user.sessions_revoke"
                && w.audit[0].actor_id == Some(ADMIN)
                && w.audit[0].target_id == ANN.to_string()
                && w.events.is_empty()
        })
        .times(1)
        .returning(|_| Ok(()));
    let mut s = MockSessionStore::new();
    s.expect_revoke_all_sessions()
        .withf(|org, user, at| *org == ORG && *user == ANN && *at == now())
        .times(1)
        .returning(|_, _, _| Ok(()));
    build(a, s)
        .revoke_user_sessions(&actor(BuiltinRole::Admin), ANN)
        .unwrap();
}

#[test]
fn revoking_needs_user_update_and_writes_nothing_otherwise() {
    let mut a = MockAccountStore::new();
    a.expect_account().never();
    a.expect_record_security_event().never();
    let mut s = MockSessionStore::new();
    s.expect_revoke_all_sessions().never();
    let auth = build(a, s);
    for role in [
        BuiltinRole::Requester,
        BuiltinRole::Agent,
        BuiltinRole::Manager,
    ] {
        let err = auth.revoke_user_sessions(&actor(role), ANN).unwrap_err();
        assert!(matches!(err, Error::Forbidden { .. }), "{role:?}: {err:?}");
    }
}

#[test]
fn another_organizations_user_is_not_found_and_nothing_is_revoked() {
    let mut a = accounts();
    a.expect_record_security_event().never();
    let mut s = MockSessionStore::new();
    s.expect_revoke_all_sessions().never();
    let err = build(a, s)
        .revoke_user_sessions(&actor(BuiltinRole::Admin), STRANGER)
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { entity: "user" }), "{err:?}");
}

#[test]
fn a_failing_revocation_is_not_audited_as_done() {
    let mut a = accounts();
    a.expect_record_security_event().never();
    let mut s = MockSessionStore::new();
    s.expect_revoke_all_sessions()
        .returning(|_, _, _| Err(StoreError::Unavailable("down".into())));
    let err = build(a, s)
        .revoke_user_sessions(&actor(BuiltinRole::Admin), ANN)
        .unwrap_err();
    assert!(!matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// A custom role that may update every user of the organization, but holds nothing else.
fn user_keeper() -> Actor {
    use servicedesk_rbac::{Action, Grant, Permission, ResourceKind, Scope};
    let role = Role::custom(
        "user-keeper",
        vec![Grant::new(
            Permission::new(ResourceKind::User, Action::Update),
            Scope::Org,
        )],
    )
    .unwrap();
    Actor::new(ADMIN, ORG, vec![role], vec![])
}

#[test]
fn nobody_signs_out_or_resets_someone_who_holds_more_than_they_do() {
    // The target is an admin; the actor only keeps user records.
    let mut a = MockAccountStore::new();
    a.expect_account().returning(|_, id| {
        let mut acc = account(id, true);
        acc.user.roles = vec!["admin".into()];
        Ok(acc)
    });
    a.expect_update_account().never();
    let mut s = MockSessionStore::new();
    s.expect_revoke_all_sessions().never();
    let auth = build(a, s);
    let err = auth.revoke_user_sessions(&user_keeper(), ANN).unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let err = auth.reset_user_mfa(&user_keeper(), ANN).unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn an_admin_still_signs_out_an_admin() {
    let mut a = MockAccountStore::new();
    a.expect_account().returning(|_, id| {
        let mut acc = account(id, true);
        acc.user.roles = vec!["admin".into()];
        Ok(acc)
    });
    a.expect_record_security_event()
        .times(1)
        .returning(|_| Ok(()));
    let mut s = MockSessionStore::new();
    s.expect_revoke_all_sessions()
        .times(1)
        .returning(|_, _, _| Ok(()));
    build(a, s)
        .revoke_user_sessions(&actor(BuiltinRole::Admin), ANN)
        .unwrap();
}

#[test]
fn nobody_resets_their_own_second_factor_without_password_and_code() {
    let mut a = MockAccountStore::new();
    a.expect_account().never();
    a.expect_update_account().never();
    let auth = build(a, MockSessionStore::new());
    // ADMIN acting on ADMIN: even an admin uses the profile's password-and-code flow.
    let err = auth
        .reset_user_mfa(&actor(BuiltinRole::Admin), ADMIN)
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}
