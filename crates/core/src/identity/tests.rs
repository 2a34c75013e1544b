//! Unit tests of the authentication use cases against mocks of their ports.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::entities::User;
use crate::error::Error;
use crate::ids::{OrgId, UserId};
use crate::ports::{
    Account, Claims, FixedClock, IssuedToken, MfaState, MockAccountStore, MockAdminStore,
    MockAttemptStore, MockOpaqueTokens, MockPasswordHasher, MockSecretBox, MockSessionStore,
    MockTokenIssuer, MockTotp, Rotation, Settle, StoreError, TokenError, TokenPurpose,
    UuidV7Generator,
};

const ORG: OrgId = OrgId(uuid::Uuid::from_u128(1));
const USER: UserId = UserId(uuid::Uuid::from_u128(2));

fn now() -> DateTime<Utc> {
    "2026-03-02T09:00:00Z".parse().unwrap()
}

fn account(verified: bool, mfa: bool) -> Account {
    Account {
        user: User {
            id: USER,
            org_id: ORG,
            email: "ann@example.org".into(),
            name: "Ann".into(),
            roles: vec!["agent".into()],
            team_ids: vec![],
            active: true,
            manager_id: None,
            time_zone: None,
            created_at: now(),
        },
        platform_admin: false,
        password_hash: Some("HASH".into()),
        email_verified_at: verified.then(now),
        mfa: MfaState {
            enabled: mfa,
            secret_sealed: mfa.then(|| "sealed".into()),
            recovery_codes: vec![],
        },
        version: 1,
    }
}

fn claims(purpose: TokenPurpose) -> Claims {
    Claims {
        user_id: USER,
        org_id: ORG,
        jti: "jti-1".into(),
        session_id: Some("s1".into()),
        purpose,
        issued_at: now(),
        expires_at: now() + TimeDelta::minutes(15),
    }
}

/// Attempt counters that never refuse and accept every settlement and record.
fn permissive_attempts() -> MockAttemptStore {
    let mut a = MockAttemptStore::new();
    a.expect_attempt().returning(|_, _| Ok(None));
    a.expect_settle().returning(|_, _| Ok(()));
    a.expect_record_failed_login().returning(|_| Ok(()));
    a
}

struct Mocks {
    accounts: MockAccountStore,
    sessions: MockSessionStore,
    hasher: MockPasswordHasher,
    tokens: MockTokenIssuer,
    attempts: MockAttemptStore,
    totp: MockTotp,
}

impl Mocks {
    fn new() -> Self {
        let mut hasher = MockPasswordHasher::new();
        // The decoy hash made at construction.
        hasher.expect_hash().returning(|_| Ok("DECOY".into()));
        hasher
            .expect_verify()
            .returning(|pw, hash| hash == "HASH" && pw == "right password");
        hasher
            .expect_try_verify()
            .returning(|pw, hash| Ok(hash == "HASH" && pw == "right password"));
        hasher
            .expect_try_hash()
            .returning(|pw| Ok(format!("hash({pw})")));
        let attempts = permissive_attempts();
        let mut tokens = MockTokenIssuer::new();
        tokens
            .expect_issue()
            .returning(|user, org, purpose, sid, now| {
                let mut c = claims(purpose);
                (c.user_id, c.org_id, c.session_id, c.issued_at) =
                    (user, org, sid.map(str::to_owned), now);
                Ok(IssuedToken {
                    token: format!("{purpose:?}-token"),
                    claims: c,
                })
            });
        tokens.expect_access_ttl_secs().return_const(900);
        Self {
            accounts: MockAccountStore::new(),
            sessions: MockSessionStore::new(),
            hasher,
            tokens,
            attempts,
            totp: MockTotp::new(),
        }
    }

    fn build(self) -> Authenticator {
        let mut opaque = MockOpaqueTokens::new();
        opaque.expect_generate().returning(|| "opaque".into());
        opaque.expect_digest().returning(|t| format!("digest({t})"));
        opaque
            .expect_recovery_code()
            .returning(|| "abcd-efgh-jkmn".into());
        Authenticator::new(
            AuthPorts {
                accounts: Arc::new(self.accounts),
                sessions: Arc::new(self.sessions),
                admin: Arc::new({
                    let mut admin = MockAdminStore::new();
                    admin
                        .expect_org_settings()
                        .returning(|_| Ok(crate::entities::OrgSettings::default()));
                    admin
                }),
                hasher: Arc::new(self.hasher),
                tokens: Arc::new(self.tokens),
                totp: Arc::new(self.totp),
                secrets: Arc::new(MockSecretBox::new()),
                opaque: Arc::new(opaque),
                attempts: Arc::new(self.attempts),
                clock: Arc::new(FixedClock::new(now())),
                ids: Arc::new(UuidV7Generator),
            },
            AuthSettings {
                registration_org: Some(ORG),
                ..AuthSettings::default()
            },
        )
    }
}

#[test]
fn login_starts_a_session_and_resets_the_account_throttle() {
    let mut m = Mocks::new();
    m.accounts
        .expect_find_by_email()
        .withf(|e| e == "ann@example.org")
        .returning(|_| Ok(account(true, false)));
    m.sessions
        .expect_start_session()
        .withf(|org, user, digest, _, exp| {
            *org == ORG
                && *user == USER
                && digest == "digest(opaque)"
                && *exp == now() + TimeDelta::days(30)
        })
        .times(1)
        .returning(|_, _, _, _, _| Ok("s1".into()));
    m.attempts = MockAttemptStore::new();
    m.attempts
        .expect_attempt()
        .withf(|keys, _| {
            keys.iter().map(|k| k.key.as_str()).collect::<Vec<_>>()
                == [
                    "login:account-client:ann@example.org|10.0.0.1",
                    "client:10.0.0.1",
                    "login:account:ann@example.org",
                ]
        })
        .times(1)
        .returning(|_, _| Ok(None));
    // The account's counters are forgotten; the client's gets the attempt back.
    m.attempts
        .expect_settle()
        .withf(|keys, _| {
            keys.iter()
                .map(|(k, s)| (k.key.as_str(), *s))
                .collect::<Vec<_>>()
                == [
                    (
                        "login:account-client:ann@example.org|10.0.0.1",
                        Settle::Reset,
                    ),
                    ("login:account:ann@example.org", Settle::Reset),
                    ("client:10.0.0.1", Settle::Refund),
                ]
        })
        .times(1)
        .returning(|_, _| Ok(()));
    let out = m
        .build()
        .login(" Ann@Example.org ", "right password", "10.0.0.1")
        .unwrap();
    assert_eq!(
        out,
        LoginOutcome::Tokens(TokenPair {
            access_token: "Access-token".into(),
            refresh_token: "opaque".into(),
            expires_in: 900
        })
    );
}

#[test]
fn wrong_password_and_unknown_address_fail_alike_and_count() {
    for known in [true, false] {
        let mut m = Mocks::new();
        m.accounts.expect_find_by_email().returning(move |_| {
            if known {
                Ok(account(true, false))
            } else {
                Err(StoreError::NotFound("user"))
            }
        });
        // Counted before the password is checked, never settled; a known account's
        // failure is recorded for its admins.
        m.attempts = MockAttemptStore::new();
        m.attempts
            .expect_attempt()
            .times(1)
            .returning(|_, _| Ok(None));
        m.attempts.expect_settle().never();
        m.attempts
            .expect_record_failed_login()
            .withf(|f| f.user_id == USER && f.client == "10.0.0.1" && f.reason == "password")
            .times(usize::from(known))
            .returning(|_| Ok(()));
        let err = m
            .build()
            .login("ann@example.org", "wrong", "10.0.0.1")
            .unwrap_err();
        assert_eq!(err, Error::Unauthenticated, "known={known}");
    }
}

#[test]
fn throttled_logins_are_refused_before_the_store() {
    let mut m = Mocks::new();
    m.attempts = MockAttemptStore::new();
    m.attempts.expect_attempt().returning(|_, _| Ok(Some(120)));
    let err = m
        .build()
        .login("ann@example.org", "right password", "10.0.0.1")
        .unwrap_err();
    assert_eq!(
        err,
        Error::RateLimited {
            retry_after_secs: 120
        }
    );
}

#[test]
fn unverified_accounts_cannot_sign_in_and_mfa_accounts_get_a_challenge() {
    let mut m = Mocks::new();
    m.accounts
        .expect_find_by_email()
        .returning(|_| Ok(account(false, false)));
    assert!(matches!(
        m.build().login("ann@example.org", "right password", "ip"),
        Err(Error::Forbidden { .. })
    ));

    let mut m = Mocks::new();
    m.accounts
        .expect_find_by_email()
        .returning(|_| Ok(account(true, true)));
    let out = m
        .build()
        .login("ann@example.org", "right password", "ip")
        .unwrap();
    assert_eq!(
        out,
        LoginOutcome::MfaRequired {
            mfa_token: "MfaChallenge-token".into()
        }
    );
}

#[test]
fn a_replayed_totp_code_is_refused() {
    let mut m = Mocks::new();
    m.tokens.expect_verify().returning(|_, purpose, _| {
        if purpose == TokenPurpose::MfaChallenge {
            Ok(claims(purpose))
        } else {
            Err(TokenError::WrongPurpose)
        }
    });
    m.accounts
        .expect_account()
        .returning(|_, _| Ok(account(true, true)));
    m.totp.expect_verify().returning(|_, _, _| Some(42));
    // The store says step 42 was used already.
    m.accounts
        .expect_accept_totp_step()
        .withf(|_, _, step| *step == 42)
        .returning(|_, _, _| Ok(false));
    let mut secrets = MockSecretBox::new();
    secrets.expect_open().returning(|_| Ok("SECRET".into()));
    let mut auth = m.build();
    auth.ports.secrets = Arc::new(secrets);
    assert_eq!(
        auth.verify_mfa("challenge", "123456", "ip").unwrap_err(),
        Error::Unauthenticated
    );
}

#[test]
fn a_reused_refresh_token_is_unauthenticated() {
    let mut m = Mocks::new();
    m.sessions
        .expect_rotate()
        .returning(|_, _, _, _, _, _, _| Ok(Rotation::Reused));
    let mut secrets = MockSecretBox::new();
    secrets
        .expect_seal()
        .returning(|t| Ok(format!("sealed({t})")));
    let mut auth = m.build();
    auth.ports.secrets = Arc::new(secrets);
    assert_eq!(auth.refresh("old").unwrap_err(), Error::Unauthenticated);
}

#[test]
fn a_refresh_within_the_grace_gets_the_same_successor() {
    let mut m = Mocks::new();
    m.sessions
        .expect_rotate()
        .withf(|_, _, sealed, _, _, grace, lifetime| {
            sealed == "sealed(opaque)"
                && *grace == TimeDelta::seconds(30)
                && *lifetime == TimeDelta::days(30)
        })
        .returning(|_, _, _, _, _, _, _| {
            Ok(Rotation::Grace {
                session_id: "s1".into(),
                org_id: ORG,
                user_id: USER,
                successor_sealed: "sealed(the successor)".into(),
            })
        });
    m.accounts
        .expect_account()
        .returning(|_, _| Ok(account(true, false)));
    let mut secrets = MockSecretBox::new();
    secrets
        .expect_seal()
        .returning(|t| Ok(format!("sealed({t})")));
    secrets.expect_open().returning(|s| {
        Ok(s.trim_start_matches("sealed(")
            .trim_end_matches(')')
            .to_owned())
    });
    let mut auth = m.build();
    auth.ports.secrets = Arc::new(secrets);
    let pair = auth.refresh("old").unwrap();
    assert_eq!(pair.refresh_token, "the successor");
    assert_eq!(pair.access_token, "Access-token");
}

#[test]
fn logout_revokes_the_session_and_deny_lists_the_token() {
    let mut m = Mocks::new();
    m.sessions
        .expect_revoke_session()
        .withf(|org, sid, _| *org == ORG && sid == "s1")
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.sessions
        .expect_deny()
        .withf(|jti, _| jti == "jti-1")
        .times(1)
        .returning(|_, _| Ok(()));
    m.build().logout(&claims(TokenPurpose::Access)).unwrap();
}

#[test]
fn deny_listed_and_revoked_tokens_do_not_authenticate() {
    for (denied, revoked) in [(true, false), (false, true)] {
        let mut m = Mocks::new();
        m.tokens.expect_verify().returning(|_, p, _| Ok(claims(p)));
        m.sessions.expect_is_denied().returning(move |_| Ok(denied));
        m.sessions
            .expect_session_revoked()
            .returning(move |_| Ok(revoked));
        assert_eq!(
            m.build().authenticate("token").unwrap_err(),
            Error::Unauthenticated
        );
    }
}

#[test]
fn registering_a_taken_address_answers_like_a_new_one_and_tells_its_owner() {
    let mut m = Mocks::new();
    m.accounts
        .expect_create_account()
        .returning(|_, _| Err(StoreError::Duplicate { field: "email" }));
    m.accounts
        .expect_find_by_email()
        .returning(|_| Ok(account(true, false)));
    // No verification token is issued for someone else's address; its owner hears of it,
    // without any change to the account.
    m.accounts
        .expect_record_security_event()
        .withf(|w| {
            w.events.len() == 1
                && matches!(
                    &w.events[0].payload,
                    crate::events::EventPayload::AccountNotice {
                        user_id,
                        notice: crate::events::AccountNoticeKind::RegistrationAttempted,
                        ..
                    } if *user_id == USER
                )
                && w.audit.iter().any(|a| a.action == "user.register_attempt")
        })
        .times(1)
        .returning(|_| Ok(()));
    m.accounts.expect_update_account().never();
    m.build()
        .register("ann@example.org", "Ann", "long enough password", "ip")
        .unwrap();
}

#[test]
fn registration_is_a_requester_with_a_verification_mail_in_the_outbox() {
    let mut m = Mocks::new();
    m.accounts
        .expect_create_account()
        .withf(|a, w| {
            a.user.roles == ["requester"]
                && a.email_verified_at.is_none()
                && w.events
                    .iter()
                    .any(|e| e.kind() == "user.email_verification_requested")
        })
        .times(1)
        .returning(|a, _| Ok(a.clone()));
    m.sessions
        .expect_issue_token()
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    m.build()
        .register("new@example.org", "New", "long enough password", "ip")
        .unwrap();
    let err = Mocks::new()
        .build()
        .register("bad", "", "short", "ip")
        .unwrap_err();
    let Error::Invalid(fields) = err else {
        panic!()
    };
    assert_eq!(
        fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
        vec!["email", "name", "password"]
    );
}

#[test]
fn password_reset_for_an_unknown_address_writes_nothing() {
    let mut m = Mocks::new();
    m.accounts
        .expect_find_by_email()
        .returning(|_| Err(StoreError::NotFound("user")));
    // The same shape of work as for a known address, with nothing in it.
    m.sessions
        .expect_peek_token()
        .times(1)
        .returning(|_, _, _| Err(StoreError::NotFound("token")));
    m.accounts
        .expect_record_security_event()
        .withf(|w| w.audit.is_empty() && w.events.is_empty())
        .times(1)
        .returning(|_| Ok(()));
    m.sessions.expect_issue_token().never();
    m.accounts.expect_update_account().never();
    m.build()
        .request_password_reset("nobody@example.org", "ip")
        .unwrap();
}

#[test]
fn confirming_a_reset_revokes_every_session() {
    let mut m = Mocks::new();
    m.sessions
        .expect_peek_token()
        .returning(|_, _, _| Ok((ORG, USER)));
    m.sessions
        .expect_consume_token()
        .times(1)
        .returning(|_, _, _| Ok((ORG, USER)));
    m.accounts
        .expect_account()
        .returning(|_, _| Ok(account(false, false)));
    m.accounts
        .expect_update_account()
        .withf(|a, v, _| {
            *v == 1
                && a.password_hash.as_deref() == Some("hash(a brand new password)")
                && a.email_verified_at.is_some()
        })
        .times(1)
        .returning(|a, _, _| Ok(a.clone()));
    m.sessions
        .expect_revoke_all_sessions()
        .times(1)
        .returning(|_, _, _| Ok(()));
    m.build()
        .confirm_password_reset("token", "a brand new password")
        .unwrap();
}

#[test]
fn the_account_counter_only_delays_doubling_up_to_thirty_seconds() {
    let policy = Limits::default().account;
    let mut c = None;
    let mut delays = Vec::new();
    for _ in 0..12 {
        let next = policy.count(c.as_ref(), now());
        delays.push(policy.refusal(Some(&next), now()).unwrap_or(0));
        c = Some(next);
    }
    assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 30, 30]);
    // A refund takes the last attempt back.
    let back = policy.refund(c.as_ref().unwrap(), now());
    assert_eq!(back.failures, 11);
    // Past the window the count starts over.
    let later = now() + TimeDelta::minutes(16);
    assert_eq!(policy.count(c.as_ref(), later).failures, 1);
    assert!(policy.is_spent(c.as_ref().unwrap(), later));
}

#[test]
fn the_client_counters_lock_out_at_their_limit_and_a_refund_releases() {
    let policy = Limits::default().account_client;
    let mut c = None;
    for i in 1..=10 {
        assert_eq!(policy.refusal(c.as_ref(), now()), None, "attempt {i}");
        c = Some(policy.count(c.as_ref(), now()));
    }
    assert_eq!(policy.refusal(c.as_ref(), now()), Some(15 * 60));
    assert_eq!(
        policy.refusal(c.as_ref(), now() + TimeDelta::minutes(15)),
        None
    );
    let back = policy.refund(c.as_ref().unwrap(), now());
    assert_eq!(policy.refusal(Some(&back), now()), None);
}

#[test]
fn a_known_address_gets_a_token_and_a_mail_without_a_version_bump() {
    let mut m = Mocks::new();
    m.accounts
        .expect_find_by_email()
        .returning(|_| Ok(account(true, false)));
    m.sessions
        .expect_issue_token()
        .times(1)
        .returning(|_, _, _, _, _, _| Ok(()));
    m.accounts
        .expect_record_security_event()
        .withf(|w| w.events.len() == 1 && w.audit.len() == 1)
        .times(1)
        .returning(|_| Ok(()));
    m.accounts.expect_update_account().never();
    m.build()
        .request_password_reset("ann@example.org", "ip")
        .unwrap();
}

#[test]
fn a_refused_new_password_leaves_the_reset_token_unused() {
    let mut m = Mocks::new();
    m.sessions
        .expect_peek_token()
        .returning(|_, _, _| Ok((ORG, USER)));
    m.accounts
        .expect_account()
        .returning(|_, _| Ok(account(true, false)));
    m.sessions.expect_consume_token().never();
    let err = m
        .build()
        .confirm_password_reset("token", "ANN@example.org")
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "new_password"),
        "{err:?}"
    );
}
