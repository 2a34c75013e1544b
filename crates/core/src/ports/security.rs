//! Cryptographic services the authentication use cases need. The adapter crate
//! `servicedesk-auth` implements them (argon2id, JWT, TOTP, AEAD); the core only states what
//! each must guarantee.

use chrono::{DateTime, Utc};

use crate::ids::{OrgId, UserId};

/// A failure of a cryptographic service (misconfiguration, corrupt input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("crypto failure: {0}")]
pub struct CryptoError(pub String);

/// Why a bounded password hash did not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashFailure {
    /// Every hashing slot was busy and the wait was over: retry after this many seconds.
    #[error("password hashing is busy; retry after {retry_after_secs} s")]
    Busy {
        /// Seconds to wait.
        retry_after_secs: u64,
    },
    /// The hasher failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl From<HashFailure> for crate::Error {
    fn from(e: HashFailure) -> Self {
        match e {
            HashFailure::Busy { retry_after_secs } => crate::Error::Unavailable {
                reason: "the server is busy checking passwords".into(),
                retry_after_secs,
            },
            HashFailure::Crypto(e) => crate::Error::Internal(e.to_string()),
        }
    }
}

/// Password hashing. A bounded implementation runs at most as many hashes at once as it
/// has slots and lets a few callers wait briefly; [`PasswordHasher::try_hash`] and
/// [`PasswordHasher::try_verify`] then report a full bound as [`HashFailure::Busy`]
/// (answered as 503), where [`PasswordHasher::hash`] / [`PasswordHasher::verify`] can only
/// fail or say no.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    /// A salted, slow hash of `password` in PHC string form (argon2id).
    ///
    /// # Errors
    /// When the hasher is misconfigured (or, when bounded, busy).
    fn hash(&self, password: &str) -> Result<String, CryptoError>;

    /// True when `password` matches `hash`; false for a mismatch or an unreadable hash (or,
    /// when bounded, a full bound).
    fn verify(&self, password: &str, hash: &str) -> bool;

    /// [`PasswordHasher::hash`], telling a full bound apart.
    ///
    /// # Errors
    /// `Busy` when the bound is full; `Crypto` when hashing fails.
    fn try_hash(&self, password: &str) -> Result<String, HashFailure> {
        Ok(self.hash(password)?)
    }

    /// [`PasswordHasher::verify`], telling a full bound apart.
    ///
    /// # Errors
    /// `Busy` when the bound is full.
    fn try_verify(&self, password: &str, hash: &str) -> Result<bool, HashFailure> {
        Ok(self.verify(password, hash))
    }
}

/// What a token is for. An access token cannot be used as an MFA challenge or vice versa.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// A short-lived API access token.
    Access,
    /// Proof that the password was right, to be completed by a TOTP code.
    MfaChallenge,
}

/// The verified content of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The user.
    pub user_id: UserId,
    /// The user's organization.
    pub org_id: OrgId,
    /// Unique token id (for the logout deny-list).
    pub jti: String,
    /// The refresh-token family (login session) the token belongs to, so logout can revoke
    /// it; `None` for MFA challenges.
    pub session_id: Option<String>,
    /// What it is for.
    pub purpose: TokenPurpose,
    /// Issued at.
    pub issued_at: DateTime<Utc>,
    /// Not valid at or after.
    pub expires_at: DateTime<Utc>,
}

/// A freshly issued token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    /// The compact token to hand to the client.
    pub token: String,
    /// What it says.
    pub claims: Claims,
}

/// Why a token was refused. Deliberately coarse: clients learn only "not valid".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Bad signature, unknown key, wrong algorithm, issuer or audience, malformed.
    #[error("invalid token")]
    Invalid,
    /// Past its expiry.
    #[error("expired token")]
    Expired,
    /// Valid, but for another purpose.
    #[error("token used for the wrong purpose")]
    WrongPurpose,
}

/// Signed, expiring tokens (JWT with a pinned algorithm, issuer, audience and `kid`).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait TokenIssuer: Send + Sync {
    /// Issues a token for `user` of `org` for `purpose` in login session `session_id`
    /// (carried as the `sid` claim), valid from `now` for the purpose's lifetime (access:
    /// 15 minutes; MFA challenge: 5 minutes).
    ///
    /// # Errors
    /// When signing fails.
    #[allow(clippy::needless_lifetimes)] // mockall's generated mock needs the lifetime named
    fn issue<'a>(
        &self,
        user: UserId,
        org: OrgId,
        purpose: TokenPurpose,
        session_id: Option<&'a str>,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, CryptoError>;

    /// Verifies `token` at `now` for `purpose`.
    ///
    /// # Errors
    /// [`TokenError`] for anything but a valid, unexpired token of that purpose.
    fn verify(
        &self,
        token: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Claims, TokenError>;

    /// Seconds an access token lives.
    fn access_ttl_secs(&self) -> i64;
}

/// Time-based one-time passwords (RFC 6238, SHA-1, 6 digits, 30 s).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Totp: Send + Sync {
    /// A new random secret, base32.
    fn new_secret(&self) -> String;

    /// The `otpauth://` URI an authenticator app scans.
    ///
    /// # Errors
    /// When the secret is not valid base32.
    fn otpauth_uri(&self, secret: &str, account: &str) -> Result<String, CryptoError>;

    /// The time step `code` is valid for at `now` (allowing one step of skew either way),
    /// or `None`. Callers reject a step not greater than the last one accepted (replay).
    fn verify(&self, secret: &str, code: &str, now: DateTime<Utc>) -> Option<u64>;
}

/// Authenticated encryption of small secrets at rest (TOTP secrets).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SecretBox: Send + Sync {
    /// Encrypts `plain` with a fresh nonce; the result is printable.
    ///
    /// # Errors
    /// When encryption fails.
    fn seal(&self, plain: &str) -> Result<String, CryptoError>;

    /// Decrypts what [`SecretBox::seal`] produced.
    ///
    /// # Errors
    /// When the text was altered or sealed with another key.
    fn open(&self, sealed: &str) -> Result<String, CryptoError>;
}

/// Random opaque tokens (refresh, password reset, e-mail verification, recovery codes) and
/// their at-rest form.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait OpaqueTokens: Send + Sync {
    /// A new token with at least 256 bits of randomness, URL-safe.
    fn generate(&self) -> String;

    /// A short human-typeable recovery code (e.g. `xxxx-xxxx-xxxx`).
    fn recovery_code(&self) -> String;

    /// The stored form of a token: a fast keyed or plain SHA-256 hash, hex. Tokens are
    /// random, so a slow hash is not needed.
    fn digest(&self, token: &str) -> String;
}
