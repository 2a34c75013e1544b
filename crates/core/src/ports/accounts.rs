//! Accounts (users with their credentials), login sessions and single-use tokens.

use chrono::{DateTime, TimeDelta, Utc};

use crate::entities::User;
use crate::ids::{OrgId, UserId};
use crate::ports::{StoreError, WriteSet};

/// Second-factor state of an account (AUTH-4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaState {
    /// The TOTP secret, sealed with the secret box; set by enable, kept while enabled.
    pub secret_sealed: Option<String>,
    /// True once a first code confirmed the secret.
    pub enabled: bool,
    /// Digests of the unused recovery codes.
    pub recovery_codes: Vec<String>,
}

/// A user with everything authentication needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The user.
    pub user: User,
    /// The installation's first admin: may administer every organization.
    pub platform_admin: bool,
    /// argon2id PHC string; `None` for an account that cannot sign in with a password.
    pub password_hash: Option<String>,
    /// When the e-mail address was verified; unverified accounts cannot sign in.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Second factor.
    pub mfa: MfaState,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// What a single-use token proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Ownership of the e-mail address (AUTH-6).
    EmailVerification,
    /// The right to set a new password (AUTH-5).
    PasswordReset,
}

impl TokenKind {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
        }
    }
}

/// Accounts of the platform. E-mail addresses are unique platform-wide (stored lower-case).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AccountStore: Send + Sync {
    /// How many users exist (first start creates an admin when there are none).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn user_count(&self) -> Result<u64, StoreError>;

    /// The account with this (lower-case) address, in any organization.
    ///
    /// # Errors
    /// `NotFound` when there is none.
    fn find_by_email(&self, email: &str) -> Result<Account, StoreError>;

    /// The account `user` of `org`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in `org`.
    fn account(&self, org: OrgId, user: UserId) -> Result<Account, StoreError>;

    /// Inserts an account (and its team memberships) with version 1, with `write`.
    ///
    /// # Errors
    /// `Duplicate{field:"email"}` when the address is taken; `NotFound("role")` when a role
    /// name is neither built in nor a custom role of the organization (checked inside the
    /// transaction, so a role deleted meanwhile is not granted); `NotFound` for an unknown
    /// organization or team.
    fn create_account(&self, account: &Account, write: &WriteSet) -> Result<Account, StoreError>;

    /// Stores every field of `account` (name, time zone, roles, active, credentials, MFA) if
    /// the stored version is `expected_version`, with `write`.
    ///
    /// # Errors
    /// `NotFound`; `NotFound("role")` when a role the account gains is neither built in nor
    /// a custom role of the organization (checked inside the transaction, after the lock a
    /// role deletion takes too); `Conflict` when the version moved.
    fn update_account(
        &self,
        account: &Account,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Account, StoreError>;

    /// Commits `write` (audit records, outbox events) on its own, without touching any
    /// account row or version: security notices and audit of attempts.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn record_security_event(&self, write: &WriteSet) -> Result<(), StoreError>;

    /// Deletes at most `limit` accounts that never verified their address and were created
    /// before `created_before` (their verification token has expired), with their tokens;
    /// answers how many went.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn purge_unverified(
        &self,
        created_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;

    /// Atomically records TOTP time step `step` as used if it is newer than the last one
    /// used; false when it is not (a replayed or older code).
    ///
    /// # Errors
    /// `NotFound` for an unknown account.
    fn accept_totp_step(&self, org: OrgId, user: UserId, step: u64) -> Result<bool, StoreError>;

    /// Users of `org` ordered by id, after `after`, at most `limit`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn list_users(
        &self,
        org: OrgId,
        after: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<User>, StoreError>;
}

/// The outcome of presenting a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used, and the new one replaces it.
    Rotated {
        /// The session (family) id.
        session_id: String,
        /// Its organization.
        org_id: OrgId,
        /// Its user.
        user_id: UserId,
    },
    /// The token was used moments ago (within the grace period): a second tab refreshing
    /// at the same time. It gets the same successor again (sealed, as stored).
    Grace {
        /// The session (family) id.
        session_id: String,
        /// Its organization.
        org_id: OrgId,
        /// Its user.
        user_id: UserId,
        /// The successor refresh token, sealed with the secret box.
        successor_sealed: String,
    },
    /// The token was already used, before the grace period: someone replayed it, so the
    /// whole family is now revoked (AUTH-2).
    Reused,
    /// Unknown, expired, or its family was revoked.
    Invalid,
}

/// Login sessions (refresh-token families), the access-token deny-list and single-use
/// tokens. Tokens arrive as digests; raw tokens are never stored.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SessionStore: Send + Sync {
    /// Starts a session for `user` with its first refresh token; returns the session id.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn start_session(
        &self,
        org: OrgId,
        user: UserId,
        token_digest: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<String, StoreError>;

    /// Exchanges refresh token `digest` for `new_digest` in one transaction (see
    /// [`Rotation`]), keeping `new_sealed` (the new token, sealed) with the used one for
    /// `grace`. A session older than `lifetime` (from its sign-in) is `Invalid`, and no
    /// token outlives it: the new token expires at `expires_at` or at the session's end,
    /// whichever is first.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    #[allow(clippy::too_many_arguments)]
    fn rotate(
        &self,
        digest: &str,
        new_digest: &str,
        new_sealed: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        grace: TimeDelta,
        lifetime: TimeDelta,
    ) -> Result<Rotation, StoreError>;

    /// Forgets the sealed successors of tokens used before `before` (past their grace);
    /// answers how many.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn forget_successors(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Revokes session `session_id` of `org` (logout).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn revoke_session(
        &self,
        org: OrgId,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Revokes every session of `user` (password reset, deactivation).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn revoke_all_sessions(
        &self,
        org: OrgId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// True when session `session_id` is revoked or unknown.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn session_revoked(&self, session_id: &str) -> Result<bool, StoreError>;

    /// Deny-lists access token `jti` until `expires_at` (AUTH-3).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn deny(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError>;

    /// True when `jti` is deny-listed.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn is_denied(&self, jti: &str) -> Result<bool, StoreError>;

    /// Stores a single-use token of `kind` for `user`, replacing earlier unused ones of the
    /// same kind.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn issue_token(
        &self,
        org: OrgId,
        user: UserId,
        kind: TokenKind,
        digest: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Whose the unused, unexpired token of `kind` is, without using it.
    ///
    /// # Errors
    /// `NotFound("token")` when unknown, used, expired or of another kind.
    fn peek_token(
        &self,
        kind: TokenKind,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(OrgId, UserId), StoreError>;

    /// Uses the token: succeeds once, before expiry; answers whose it was.
    ///
    /// # Errors
    /// `NotFound("token")` when unknown, used, expired or of another kind.
    fn consume_token(
        &self,
        kind: TokenKind,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(OrgId, UserId), StoreError>;
}

/// How one attempt counter answers (AUTH-7, issue 9 point 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptPolicy {
    /// `max_failures` counted attempts within `window` hold the key for `lockout`: further
    /// attempts are refused (429) until then. Used per (account, client) and per client.
    Lockout {
        /// Attempts counted before the key is held.
        max_failures: u32,
        /// How long counted attempts are remembered.
        window: TimeDelta,
        /// How long a held key stays held.
        lockout: TimeDelta,
    },
    /// Past `free_failures` counted attempts within `window`, each further attempt must wait
    /// a delay that doubles from one second up to `max_delay`; the key is never held longer.
    /// Used per account, so an attacker elsewhere cannot lock the owner out.
    Delay {
        /// Attempts without any delay.
        free_failures: u32,
        /// How long counted attempts are remembered.
        window: TimeDelta,
        /// The longest delay.
        max_delay: TimeDelta,
    },
}

/// The stored state of one attempt counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptCounter {
    /// Attempts counted in the current window.
    pub failures: u32,
    /// When the current window started.
    pub window_started_at: DateTime<Utc>,
    /// No attempt is accepted before this instant.
    pub next_allowed_at: Option<DateTime<Utc>>,
}

impl AttemptPolicy {
    fn window(self) -> TimeDelta {
        match self {
            Self::Lockout { window, .. } | Self::Delay { window, .. } => window,
        }
    }

    /// `Some(seconds)` (at least 1, rounded up) while `counter` refuses attempts at `now`.
    pub fn refusal(self, counter: Option<&AttemptCounter>, now: DateTime<Utc>) -> Option<u64> {
        let until = counter?.next_allowed_at.filter(|t| *t > now)?;
        let millis = (until - now).num_milliseconds().max(0);
        Some(
            u64::try_from((millis + 999) / 1000)
                .unwrap_or(u64::MAX)
                .max(1),
        )
    }

    /// When a counter that has counted `failures` attempts (the last at `now`) next accepts one.
    fn next_allowed(self, failures: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Lockout {
                max_failures,
                lockout,
                ..
            } => (failures >= max_failures.max(1)).then(|| now + lockout),
            Self::Delay {
                free_failures,
                max_delay,
                ..
            } => {
                let over = failures.checked_sub(free_failures)?.checked_sub(1)?;
                let secs = 1i64.checked_shl(over.min(30)).unwrap_or(i64::MAX);
                Some(now + TimeDelta::seconds(secs).min(max_delay))
            }
        }
    }

    /// The counter after one more attempt at `now` (the caller has checked [`Self::refusal`]).
    pub fn count(self, counter: Option<&AttemptCounter>, now: DateTime<Utc>) -> AttemptCounter {
        let (failures, started) = match counter {
            Some(c) if c.window_started_at + self.window() > now => {
                (c.failures.saturating_add(1), c.window_started_at)
            }
            _ => (1, now),
        };
        AttemptCounter {
            failures,
            window_started_at: started,
            next_allowed_at: self.next_allowed(failures, now),
        }
    }

    /// The counter with its last attempt taken back (it turned out not to be a failure).
    pub fn refund(self, counter: &AttemptCounter, now: DateTime<Utc>) -> AttemptCounter {
        let failures = counter.failures.saturating_sub(1);
        AttemptCounter {
            failures,
            window_started_at: counter.window_started_at,
            next_allowed_at: self.next_allowed(failures, now),
        }
    }

    /// True when a counter holds nothing that affects an answer at `now` (it may be dropped).
    pub fn is_spent(self, counter: &AttemptCounter, now: DateTime<Utc>) -> bool {
        counter.window_started_at + self.window() <= now
            && counter.next_allowed_at.is_none_or(|t| t <= now)
    }
}

/// One counter an attempt is checked and counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKey {
    /// The counter's name, e.g. `login:account-client:<email>|<address>`.
    pub key: String,
    /// How it answers.
    pub policy: AttemptPolicy,
}

/// What becomes of a counted attempt once its outcome is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Forget the counter (a success on an account's own counters).
    Reset,
    /// Take this attempt back (it was not a failure, or it could not be checked).
    Refund,
}

/// A failed sign-in against an existing account, for administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLogin {
    /// Row id (UUID v7, time-ordered).
    pub id: uuid::Uuid,
    /// The account's organization.
    pub org_id: OrgId,
    /// The account.
    pub user_id: UserId,
    /// The address signed in with.
    pub email: String,
    /// The client address as the server determined it.
    pub client: String,
    /// What failed: `password`, `mfa`, `inactive`, `throttled`.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Attempt counters shared by every server process (in the database), and the record of
/// failed sign-ins.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AttemptStore: Send + Sync {
    /// In one atomic step: when any counter of `keys` refuses at `now`, answer
    /// `Some(seconds)` (the longest wait) and count nothing; otherwise count one attempt on
    /// every counter and answer `None`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn attempt(&self, keys: &[AttemptKey], now: DateTime<Utc>) -> Result<Option<u64>, StoreError>;

    /// Settles a counted attempt on each of `keys`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn settle(&self, keys: &[(AttemptKey, Settle)], now: DateTime<Utc>) -> Result<(), StoreError>;

    /// Remembers a failed sign-in.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn record_failed_login(&self, failure: &FailedLogin) -> Result<(), StoreError>;

    /// Failed sign-ins of `org`, newest first, older than the row `before` (cursor), at most
    /// `limit`.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn failed_logins(
        &self,
        org: OrgId,
        before: Option<uuid::Uuid>,
        limit: u32,
    ) -> Result<Vec<FailedLogin>, StoreError>;

    /// Drops counters whose window ended before `stale_before` and that hold nothing, and
    /// failed sign-ins older than `forget_before`; answers how many rows went.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn prune_attempts(
        &self,
        stale_before: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
}
