//! Attempt limits of sign-in, MFA, password reset and registration (AUTH-7, issue 9 points
//! 4 and 5), kept by an [`AttemptStore`](crate::ports::AttemptStore) in the database so every
//! server process shares them.
//!
//! A sign-in counts against three counters in one atomic step, before the password is
//! checked: (account, client) and client *lock out* (429 until `next_allowed_at`); the
//! account counter only *delays* (a doubling wait capped at 30 s), so ten wrong passwords
//! from one client cannot keep the owner out from another. A success forgets the account's
//! counters and takes the attempt back from the client's.

use chrono::{DateTime, TimeDelta, Utc};
use servicedesk_rbac::{Action, ResourceKind, Scope};

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::identity::Authenticator;
use crate::ports::{AttemptKey, AttemptPolicy, FailedLogin, Settle};

/// The attempt limits in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sign-in failures of one account from one client.
    pub account_client: AttemptPolicy,
    /// Sign-in and MFA failures from one client, whatever the account.
    pub client: AttemptPolicy,
    /// Sign-in failures of one account from anywhere: a delay only.
    pub account: AttemptPolicy,
    /// Second-factor failures of one user (login, MFA changes).
    pub mfa_user: AttemptPolicy,
    /// Password-reset requests for one address.
    pub reset_address: AttemptPolicy,
    /// Registrations from one client.
    pub register_client: AttemptPolicy,
    /// Registrations of one address.
    pub register_address: AttemptPolicy,
}

const fn lockout(max_failures: u32, minutes: i64) -> AttemptPolicy {
    AttemptPolicy::Lockout {
        max_failures,
        window: TimeDelta::minutes(minutes),
        lockout: TimeDelta::minutes(minutes),
    }
}

impl Default for Limits {
    /// 10 failures of an (account, client) or 30 of a client within 15 minutes hold it for
    /// 15 minutes; past 5 failures of an account each attempt waits 1, 2, 4 … up to 30 s;
    /// 10 second-factor failures per user and 5 reset requests per address per 15 minutes;
    /// 10 registrations per client and 3 per address per hour.
    fn default() -> Self {
        Self {
            account_client: lockout(10, 15),
            client: lockout(30, 15),
            account: AttemptPolicy::Delay {
                free_failures: 5,
                window: TimeDelta::minutes(15),
                max_delay: TimeDelta::seconds(30),
            },
            mfa_user: lockout(10, 15),
            reset_address: lockout(5, 15),
            register_client: lockout(10, 60),
            register_address: lockout(3, 60),
        }
    }
}

fn key(kind: &str, value: &str, policy: AttemptPolicy) -> AttemptKey {
    AttemptKey {
        key: format!("{kind}:{value}"),
        policy,
    }
}

/// The normalised form of an address in counter names.
pub(crate) fn address(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Limits {
    /// The counters of a sign-in: (account, client), client, account.
    pub(crate) fn login(&self, email: &str, client: &str) -> [AttemptKey; 3] {
        let email = address(email);
        [
            key(
                "login:account-client",
                &format!("{email}|{client}"),
                self.account_client,
            ),
            key("client", client, self.client),
            key("login:account", &email, self.account),
        ]
    }

    /// The counters of a second-factor check by `user` from `client`.
    pub(crate) fn mfa(&self, user: &str, client: &str) -> [AttemptKey; 2] {
        [
            key("mfa:user", user, self.mfa_user),
            key("client", client, self.client),
        ]
    }

    /// The counters of a password-reset request.
    pub(crate) fn reset(&self, email: &str, client: &str) -> [AttemptKey; 2] {
        [
            key("reset:address", &address(email), self.reset_address),
            key("client", client, self.client),
        ]
    }

    /// The counters of a registration.
    pub(crate) fn register(&self, email: &str, client: &str) -> [AttemptKey; 2] {
        [
            key("register:address", &address(email), self.register_address),
            key("register:client", client, self.register_client),
        ]
    }
}

impl Authenticator {
    /// Checks and counts one attempt against `keys` (one atomic step).
    ///
    /// # Errors
    /// `RateLimited` while a counter refuses; `Internal` when the store fails.
    pub(crate) fn count_attempt(&self, keys: &[AttemptKey], now: DateTime<Utc>) -> Result<()> {
        match self.ports.attempts.attempt(keys, now)? {
            Some(secs) => Err(Error::RateLimited {
                retry_after_secs: secs,
            }),
            None => Ok(()),
        }
    }

    /// Settles a counted attempt: `reset` counters are forgotten, `refund` ones get the
    /// attempt back.
    pub(crate) fn settle_attempt(
        &self,
        reset: &[AttemptKey],
        refund: &[AttemptKey],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let keys: Vec<(AttemptKey, Settle)> = reset
            .iter()
            .map(|k| (k.clone(), Settle::Reset))
            .chain(refund.iter().map(|k| (k.clone(), Settle::Refund)))
            .collect();
        self.ports.attempts.settle(&keys, now)?;
        Ok(())
    }
}

impl Authenticator {
    /// Recent failed sign-ins of the actor's organization, newest first: for admins (who
    /// read the audit log organization-wide). `limit` is clamped to 1..=200.
    ///
    /// # Errors
    /// `Forbidden` for anyone without `audit_event:read` at organization scope.
    pub fn failed_logins(
        &self,
        actor: &Actor,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<FailedLogin>> {
        if actor.scope(ResourceKind::AuditEvent, Action::Read) != Some(Scope::Org) {
            return Err(Error::Forbidden {
                reason: "reading failed sign-ins needs audit_event:read for the organization"
                    .into(),
            });
        }
        Ok(self
            .ports
            .attempts
            .failed_logins(actor.org_id(), before, limit.clamp(1, 200))?)
    }
}
