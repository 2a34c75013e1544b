//! Authentication and account use cases (F-AUTH): login with throttling, MFA, refresh-token
//! rotation, logout, registration with e-mail verification, password reset and change,
//! turning a bearer token into an [`Actor`](crate::Actor); and the administration of
//! organizations, users (their profile and time zone), teams and their members, and roles.
//!
//! Error messages are generic where detail would reveal whether an account exists (AUTH-7).

mod admin;
mod audit;
mod authenticate;
mod login;
mod manager;
mod mfa;
mod mfa_reset;
mod password;
mod register;
mod throttle;
mod user_security;
pub(crate) mod validate;

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod user_security_tests;

use std::sync::Arc;

use chrono::TimeDelta;

pub use admin::{Administration, NewTeam, NewUser, UpdateUser};
pub use audit::{
    AuditPage, AuditTrail, DEFAULT_AUDIT_PAGE, MAX_AUDIT_CURSOR_DIGITS, MAX_AUDIT_FILTER,
    MAX_AUDIT_PAGE, MAX_AUDIT_TARGET_ID,
};
pub use login::{LoginOutcome, TokenPair};
pub use manager::{MAX_MANAGER_DEPTH, ManagerInfo, check_manager};
pub use mfa::MfaEnrollment;
pub use throttle::Limits;
pub use user_security::MAX_MFA_STATUS;
pub use validate::{MAX_EMAIL, MAX_NAME, MAX_PASSWORD, MIN_PASSWORD};

use crate::ids::OrgId;
use crate::ports::{
    AccountStore, AdminStore, AttemptStore, Clock, IdGenerator, OpaqueTokens, PasswordHasher,
    SecretBox, SessionStore, TokenIssuer, Totp,
};

/// Settings of the authentication use cases.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// Where self-registered requesters land (the default organization).
    pub registration_org: Option<OrgId>,
    /// How long a refresh token (and so a login session without activity) lives.
    pub refresh_ttl: TimeDelta,
    /// How long a login session lives from its sign-in, however often it is refreshed.
    pub session_lifetime: TimeDelta,
    /// How long after a rotation the used refresh token still gets the same successor.
    pub refresh_grace: TimeDelta,
    /// How long a password-reset token lives.
    pub reset_ttl: TimeDelta,
    /// How long an e-mail verification token lives.
    pub verification_ttl: TimeDelta,
    /// Product name in the `otpauth://` URI.
    pub issuer_name: String,
    /// Attempt limits of sign-in, MFA, reset and registration.
    pub limits: Limits,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            registration_org: None,
            refresh_ttl: TimeDelta::days(30),
            session_lifetime: TimeDelta::days(30),
            refresh_grace: TimeDelta::seconds(30),
            reset_ttl: TimeDelta::hours(1),
            verification_ttl: TimeDelta::days(2),
            issuer_name: "Servicedesk".into(),
            limits: Limits::default(),
        }
    }
}

/// The ports the authentication use cases work through.
#[derive(Clone)]
pub struct AuthPorts {
    /// Accounts.
    pub accounts: Arc<dyn AccountStore>,
    /// Sessions, deny-list, single-use tokens.
    pub sessions: Arc<dyn SessionStore>,
    /// Custom roles (to resolve role names).
    pub admin: Arc<dyn AdminStore>,
    /// argon2id.
    pub hasher: Arc<dyn PasswordHasher>,
    /// JWTs.
    pub tokens: Arc<dyn TokenIssuer>,
    /// TOTP.
    pub totp: Arc<dyn Totp>,
    /// Encryption of TOTP secrets at rest.
    pub secrets: Arc<dyn SecretBox>,
    /// Random opaque tokens and their digests.
    pub opaque: Arc<dyn OpaqueTokens>,
    /// Attempt counters shared by every server process, and failed sign-ins.
    pub attempts: Arc<dyn AttemptStore>,
    /// Now.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
}

/// The authentication use cases.
#[derive(Clone)]
pub struct Authenticator {
    ports: AuthPorts,
    settings: AuthSettings,
    /// A real hash of a random password, verified when the account does not exist so that
    /// both paths cost the same (no user enumeration by timing).
    decoy_hash: Option<String>,
}

impl Authenticator {
    /// Wires the use cases.
    pub fn new(ports: AuthPorts, settings: AuthSettings) -> Self {
        let decoy_hash = ports.hasher.hash(&ports.opaque.generate()).ok();
        Self {
            ports,
            settings,
            decoy_hash,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }
}
