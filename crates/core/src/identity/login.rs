//! Login, refresh-token rotation and logout (AUTH-1, AUTH-2, AUTH-3, AUTH-7).

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::identity::Authenticator;
use crate::ids::{OrgId, UserId};
use crate::ports::{Account, Claims, FailedLogin, Rotation, StoreError, TokenPurpose};

/// Tokens handed to a client after a successful sign-in or refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// The opaque refresh token (single use; rotated on every refresh).
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// The answer to a password login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in.
    Tokens(TokenPair),
    /// The password was right; a TOTP code must follow with this challenge token.
    MfaRequired {
        /// Short-lived challenge for `POST /auth/mfa/verify`.
        mfa_token: String,
    },
}

impl Authenticator {
    /// Signs in with e-mail and password. Before the password is checked, the attempt is
    /// counted per (account, client), per client and per account in one atomic step (see
    /// [`crate::identity::Limits`]); the same generic error answers an unknown address and
    /// a wrong password. Failures against an existing account are recorded for its admins.
    ///
    /// # Errors
    /// `RateLimited` while throttled; `Unauthenticated` for bad credentials or a disabled
    /// account; `Forbidden` for a correct password on an unverified address.
    pub fn login(&self, email: &str, password: &str, ip: &str) -> Result<LoginOutcome> {
        let p = &self.ports;
        let now = p.clock.now();
        let [account_client, client, account_key] = self.settings.limits.login(email, ip);
        self.count_attempt(
            &[account_client.clone(), client.clone(), account_key.clone()],
            now,
        )?;
        let account = match p.accounts.find_by_email(&email.trim().to_lowercase()) {
            Ok(a) => Some(a),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let hash = account
            .as_ref()
            .and_then(|a| a.password_hash.clone())
            .or_else(|| self.decoy_hash.clone());
        let password_ok = match hash.map(|h| p.hasher.try_verify(password, &h)) {
            Some(Ok(ok)) => ok,
            None => false,
            Some(Err(busy)) => {
                // Not checked: the attempt does not count.
                self.settle_attempt(&[], &[account_client, client, account_key], now)?;
                return Err(busy.into());
            }
        };
        let account = match account {
            Some(a) if password_ok && a.user.active => a,
            other => {
                if let Some(a) = &other {
                    let reason = if password_ok { "inactive" } else { "password" };
                    self.record_failed_login(a, ip, reason, now)?;
                }
                return Err(Error::Unauthenticated);
            }
        };
        self.settle_attempt(&[account_client, account_key], &[client], now)?;
        if account.email_verified_at.is_none() {
            return Err(Error::Forbidden {
                reason: "the e-mail address is not verified yet".into(),
            });
        }
        if account.mfa.enabled {
            let challenge = p
                .tokens
                .issue(
                    account.user.id,
                    account.user.org_id,
                    TokenPurpose::MfaChallenge,
                    None,
                    now,
                )
                .map_err(|e| Error::Internal(e.to_string()))?;
            return Ok(LoginOutcome::MfaRequired {
                mfa_token: challenge.token,
            });
        }
        self.start_session(&account, now).map(LoginOutcome::Tokens)
    }

    /// Records a failed sign-in against `account` for its administrators.
    pub(crate) fn record_failed_login(
        &self,
        account: &Account,
        ip: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.ports.attempts.record_failed_login(&FailedLogin {
            id: self.ports.ids.new_id(),
            org_id: account.user.org_id,
            user_id: account.user.id,
            email: account.user.email.clone(),
            client: ip.to_owned(),
            reason: reason.to_owned(),
            at: now,
        })?;
        Ok(())
    }

    /// Opens a login session: a refresh-token family and a first access token.
    pub(crate) fn start_session(&self, account: &Account, now: DateTime<Utc>) -> Result<TokenPair> {
        let p = &self.ports;
        let refresh = p.opaque.generate();
        let session = p.sessions.start_session(
            account.user.org_id,
            account.user.id,
            &p.opaque.digest(&refresh),
            now,
            now + self.settings.refresh_ttl,
        )?;
        self.pair(account.user.id, account.user.org_id, &session, refresh, now)
    }

    fn pair(
        &self,
        user: UserId,
        org: OrgId,
        session: &str,
        refresh: String,
        now: DateTime<Utc>,
    ) -> Result<TokenPair> {
        let access = self
            .ports
            .tokens
            .issue(user, org, TokenPurpose::Access, Some(session), now)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(TokenPair {
            access_token: access.token,
            refresh_token: refresh,
            expires_in: self.ports.tokens.access_ttl_secs(),
        })
    }

    /// Exchanges a refresh token for a new pair. Each refresh token works once; for 30 s
    /// after its use (two tabs refreshing at once) it is answered with the same new refresh
    /// token and a fresh access token; presenting it later revokes its whole session
    /// (AUTH-2). A session ends `session_lifetime` after its sign-in, however often it is
    /// refreshed.
    ///
    /// # Errors
    /// `Unauthenticated` for an unknown, used, expired or revoked token, an ended session,
    /// or a disabled account.
    pub fn refresh(&self, refresh_token: &str) -> Result<TokenPair> {
        let p = &self.ports;
        let now = p.clock.now();
        let next = p.opaque.generate();
        let sealed = p
            .secrets
            .seal(&next)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let rotation = p.sessions.rotate(
            &p.opaque.digest(refresh_token),
            &p.opaque.digest(&next),
            &sealed,
            now,
            now + self.settings.refresh_ttl,
            self.settings.refresh_grace,
            self.settings.session_lifetime,
        )?;
        let (session_id, org_id, user_id, refresh) = match rotation {
            Rotation::Rotated {
                session_id,
                org_id,
                user_id,
            } => (session_id, org_id, user_id, next),
            Rotation::Grace {
                session_id,
                org_id,
                user_id,
                successor_sealed,
            } => {
                let successor = p
                    .secrets
                    .open(&successor_sealed)
                    .map_err(|e| Error::Internal(e.to_string()))?;
                (session_id, org_id, user_id, successor)
            }
            Rotation::Reused | Rotation::Invalid => return Err(Error::Unauthenticated),
        };
        match p.accounts.account(org_id, user_id) {
            Ok(a) if a.user.active => self.pair(user_id, org_id, &session_id, refresh, now),
            Ok(_) | Err(StoreError::NotFound(_)) => {
                p.sessions.revoke_session(org_id, &session_id, now)?;
                Err(Error::Unauthenticated)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the session of an access token: its refresh family is revoked and the access
    /// token itself is deny-listed until it expires (AUTH-3).
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn logout(&self, claims: &Claims) -> Result<()> {
        let p = &self.ports;
        let now = p.clock.now();
        if let Some(session) = &claims.session_id {
            p.sessions.revoke_session(claims.org_id, session, now)?;
        }
        p.sessions.deny(&claims.jti, claims.expires_at)?;
        Ok(())
    }
}
