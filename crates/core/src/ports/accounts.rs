//! Accounts (users with their credentials), login sessions and single-use tokens.

use chrono::{DateTime, Utc};

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
    /// `Duplicate{field:"email"}` when the address is taken; `NotFound` for an unknown
    /// organization or team.
    fn create_account(&self, account: &Account, write: &WriteSet) -> Result<Account, StoreError>;

    /// Stores every field of `account` (name, roles, active, credentials, MFA) if the stored
    /// version is `expected_version`, with `write`.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when the version moved.
    fn update_account(
        &self,
        account: &Account,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<Account, StoreError>;

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
    /// The token was already used: someone replayed it, so the whole family is now revoked
    /// (AUTH-2).
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
    /// [`Rotation`]).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn rotate(
        &self,
        digest: &str,
        new_digest: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, StoreError>;

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

/// Attempt limits for login, MFA and reset (AUTH-7).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Throttle: Send + Sync {
    /// `Err(retry_after_secs)` while `key` is locked out.
    ///
    /// # Errors
    /// The seconds until another attempt may be made.
    fn check(&self, key: &str, now: DateTime<Utc>) -> Result<(), u64>;

    /// Counts a failed attempt against `key`.
    fn failure(&self, key: &str, now: DateTime<Utc>);

    /// Forgets `key`'s failures (after a success).
    fn reset(&self, key: &str);
}
