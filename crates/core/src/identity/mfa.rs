//! TOTP second factor (AUTH-4): enable, confirm, verify at login, disable; recovery codes.

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::identity::Authenticator;
use crate::identity::login::TokenPair;
use chrono::{DateTime, Utc};

use crate::events::AccountNoticeKind;
use crate::ports::{Account, AttemptKey, MfaState, TokenPurpose, WriteSet};

/// How many recovery codes a confirmation hands out.
pub(crate) const RECOVERY_CODES: usize = 10;

/// What enabling MFA hands the user: the secret and the URI for an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaEnrollment {
    /// Base32 secret (for manual entry).
    pub secret: String,
    /// `otpauth://totp/...` (for a QR code).
    pub otpauth_uri: String,
}

impl Authenticator {
    /// Completes a login that needs a second factor, with a TOTP code (accepted once: a
    /// replayed code is refused) or an unused recovery code.
    ///
    /// # Errors
    /// `RateLimited` while throttled; `Unauthenticated` for a bad, expired or replayed code
    /// or challenge.
    pub fn verify_mfa(&self, mfa_token: &str, code: &str, ip: &str) -> Result<TokenPair> {
        let p = &self.ports;
        let now = p.clock.now();
        let claims = p
            .tokens
            .verify(mfa_token, TokenPurpose::MfaChallenge, now)
            .map_err(|_| Error::Unauthenticated)?;
        let [user_key, client] = self.settings.limits.mfa(&claims.user_id.to_string(), ip);
        self.count_attempt(&[user_key.clone(), client.clone()], now)?;
        let account = p
            .accounts
            .account(claims.org_id, claims.user_id)
            .map_err(|_| Error::Unauthenticated)?;
        if !account.user.active || !account.mfa.enabled || !self.second_factor_ok(&account, code)? {
            self.record_failed_login(&account, ip, "mfa", now)?;
            return Err(Error::Unauthenticated);
        }
        self.settle_attempt(&[user_key], &[client], now)?;
        self.start_session(&account, now)
    }

    /// Checks a TOTP code (recording its step so it cannot be replayed) or consumes a
    /// recovery code.
    fn second_factor_ok(&self, account: &Account, code: &str) -> Result<bool> {
        let p = &self.ports;
        let code = code.trim();
        if code.contains('-') {
            let digest = p.opaque.digest(&code.to_lowercase());
            let Some(pos) = account.mfa.recovery_codes.iter().position(|c| *c == digest) else {
                return Ok(false);
            };
            let mut updated = account.clone();
            updated.mfa.recovery_codes.remove(pos);
            p.accounts
                .update_account(&updated, account.version, &WriteSet::default())?;
            return Ok(true);
        }
        let Some(sealed) = &account.mfa.secret_sealed else {
            return Ok(false);
        };
        let secret = p
            .secrets
            .open(sealed)
            .map_err(|e| Error::Internal(e.to_string()))?;
        match p.totp.verify(&secret, code, p.clock.now()) {
            Some(step) => {
                Ok(p.accounts
                    .accept_totp_step(account.user.org_id, account.user.id, step)?)
            }
            None => Ok(false),
        }
    }

    /// Re-authenticates the account holder before an MFA change: the attempt counts like a
    /// sign-in (per user and per client, see [`crate::identity::Limits`]); a wrong password
    /// is recorded as a failed sign-in. Settle with [`Self::reauth_done`] once the change
    /// succeeded.
    fn reauth(
        &self,
        account: &Account,
        password: &str,
        ip: &str,
        now: DateTime<Utc>,
    ) -> Result<[AttemptKey; 2]> {
        let p = &self.ports;
        let keys = self.settings.limits.mfa(&account.user.id.to_string(), ip);
        self.count_attempt(&keys, now)?;
        let ok = match account
            .password_hash
            .as_deref()
            .map(|h| p.hasher.try_verify(password, h))
        {
            Some(Ok(ok)) => ok,
            None => false,
            Some(Err(busy)) => {
                self.settle_attempt(&[], &keys, now)?;
                return Err(busy.into());
            }
        };
        if !ok {
            self.record_failed_login(account, ip, "password", now)?;
            return Err(Error::invalid(
                "password",
                "invalid",
                "the password is wrong",
            ));
        }
        Ok(keys)
    }

    /// Settles a successful re-authentication: the user's counter is forgotten, the
    /// client's gets the attempt back.
    fn reauth_done(&self, keys: [AttemptKey; 2], now: DateTime<Utc>) -> Result<()> {
        let [user, client] = keys;
        self.settle_attempt(&[user], &[client], now)
    }

    /// Whether the actor's own account has MFA on (the profile page shows the matching
    /// form).
    ///
    /// # Errors
    /// `NotFound` when the account is gone; store failures.
    pub fn mfa_enabled(&self, actor: &Actor) -> Result<bool> {
        Ok(self
            .ports
            .accounts
            .account(actor.org_id(), actor.user_id())?
            .mfa
            .enabled)
    }

    /// Starts enrolment: a new secret, stored sealed, not yet active. Needs the password.
    ///
    /// # Errors
    /// `Invalid` for a wrong password (field `password`) or when MFA is already on;
    /// `RateLimited` past the limits.
    pub fn enable_mfa(&self, actor: &Actor, password: &str, ip: &str) -> Result<MfaEnrollment> {
        let p = &self.ports;
        let now = p.clock.now();
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let keys = self.reauth(&account, password, ip, now)?;
        if account.mfa.enabled {
            return Err(Error::invalid(
                "mfa",
                "already_enabled",
                "MFA is already enabled",
            ));
        }
        let secret = p.totp.new_secret();
        let uri = p
            .totp
            .otpauth_uri(&secret, &account.user.email)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut updated = account.clone();
        updated.mfa.secret_sealed = Some(
            p.secrets
                .seal(&secret)
                .map_err(|e| Error::Internal(e.to_string()))?,
        );
        let write = self.security_write(&account.user, "user.mfa_enable", now, None);
        p.accounts
            .update_account(&updated, account.version, &write)?;
        self.reauth_done(keys, now)?;
        Ok(MfaEnrollment {
            secret,
            otpauth_uri: uri,
        })
    }

    /// Activates MFA with the password and a first valid code; returns ten single-use
    /// recovery codes (only their digests are stored).
    ///
    /// # Errors
    /// `Invalid` for a wrong password, when no enrolment is pending, MFA is already on, or
    /// the code is wrong; `RateLimited` past the limits.
    pub fn confirm_mfa(
        &self,
        actor: &Actor,
        password: &str,
        code: &str,
        ip: &str,
    ) -> Result<Vec<String>> {
        let p = &self.ports;
        let now = p.clock.now();
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let keys = self.reauth(&account, password, ip, now)?;
        if account.mfa.enabled || account.mfa.secret_sealed.is_none() {
            return Err(Error::invalid(
                "mfa",
                "not_pending",
                "call /auth/mfa/enable first",
            ));
        }
        if !self.second_factor_ok(&account, code)? {
            return Err(Error::invalid("code", "invalid", "the code is not valid"));
        }
        // The step was recorded: re-read so the write names the current version.
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let codes = self.new_recovery_codes();
        let mut updated = account.clone();
        updated.mfa.enabled = true;
        updated.mfa.recovery_codes = codes.iter().map(|c| p.opaque.digest(c)).collect();
        let write = self.security_write(&account.user, "user.mfa_confirm", now, None);
        p.accounts
            .update_account(&updated, account.version, &write)?;
        self.reauth_done(keys, now)?;
        Ok(codes)
    }

    fn new_recovery_codes(&self) -> Vec<String> {
        (0..RECOVERY_CODES)
            .map(|_| self.ports.opaque.recovery_code())
            .collect()
    }

    /// Turns MFA off; needs the password and a current code or a recovery code. The user
    /// is mailed.
    ///
    /// # Errors
    /// `Invalid` for a wrong password, when MFA is off or the code is wrong; `RateLimited`
    /// past the limits.
    pub fn disable_mfa(&self, actor: &Actor, password: &str, code: &str, ip: &str) -> Result<()> {
        let p = &self.ports;
        let now = p.clock.now();
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let keys = self.reauth(&account, password, ip, now)?;
        if !account.mfa.enabled {
            return Err(Error::invalid("mfa", "not_enabled", "MFA is not enabled"));
        }
        if !self.second_factor_ok(&account, code)? {
            self.record_failed_login(&account, ip, "mfa", now)?;
            return Err(Error::invalid("code", "invalid", "the code is not valid"));
        }
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let mut updated = account.clone();
        updated.mfa = MfaState::default();
        let write = self.account_notice(
            &account.user,
            "user.mfa_disable",
            AccountNoticeKind::MfaDisabled,
            None,
            now,
        );
        p.accounts
            .update_account(&updated, account.version, &write)?;
        self.reauth_done(keys, now)?;
        Ok(())
    }

    /// Replaces the recovery codes with ten new ones (the old ones stop working); needs the
    /// password and MFA on.
    ///
    /// # Errors
    /// `Invalid` for a wrong password or when MFA is off; `RateLimited` past the limits.
    pub fn replace_recovery_codes(
        &self,
        actor: &Actor,
        password: &str,
        ip: &str,
    ) -> Result<Vec<String>> {
        let p = &self.ports;
        let now = p.clock.now();
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let keys = self.reauth(&account, password, ip, now)?;
        if !account.mfa.enabled {
            return Err(Error::invalid("mfa", "not_enabled", "MFA is not enabled"));
        }
        let codes = self.new_recovery_codes();
        let mut updated = account.clone();
        updated.mfa.recovery_codes = codes.iter().map(|c| p.opaque.digest(c)).collect();
        let write = self.security_write(&account.user, "user.mfa_recovery_codes", now, None);
        p.accounts
            .update_account(&updated, account.version, &write)?;
        self.reauth_done(keys, now)?;
        Ok(codes)
    }
}
