//! TOTP second factor (AUTH-4): enable, confirm, verify at login, disable; recovery codes.

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::identity::Authenticator;
use crate::identity::login::TokenPair;
use crate::ports::{Account, TokenPurpose, WriteSet};

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

    /// Starts enrolment: a new secret, stored sealed, not yet active.
    ///
    /// # Errors
    /// `Invalid` when MFA is already on.
    pub fn enable_mfa(&self, actor: &Actor) -> Result<MfaEnrollment> {
        let p = &self.ports;
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
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
        p.accounts
            .update_account(&updated, account.version, &WriteSet::default())?;
        Ok(MfaEnrollment {
            secret,
            otpauth_uri: uri,
        })
    }

    /// Activates MFA with a first valid code; returns ten single-use recovery codes (only
    /// their digests are stored).
    ///
    /// # Errors
    /// `Invalid` when no enrolment is pending, MFA is already on, or the code is wrong.
    pub fn confirm_mfa(&self, actor: &Actor, code: &str) -> Result<Vec<String>> {
        let p = &self.ports;
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
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
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| p.opaque.recovery_code())
            .collect();
        let mut updated = account.clone();
        updated.mfa.enabled = true;
        updated.mfa.recovery_codes = codes.iter().map(|c| p.opaque.digest(c)).collect();
        p.accounts
            .update_account(&updated, account.version, &WriteSet::default())?;
        Ok(codes)
    }

    /// Turns MFA off; needs a current code or a recovery code.
    ///
    /// # Errors
    /// `Invalid` when MFA is off or the code is wrong.
    pub fn disable_mfa(&self, actor: &Actor, code: &str) -> Result<()> {
        let p = &self.ports;
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        if !account.mfa.enabled {
            return Err(Error::invalid("mfa", "not_enabled", "MFA is not enabled"));
        }
        if !self.second_factor_ok(&account, code)? {
            return Err(Error::invalid("code", "invalid", "the code is not valid"));
        }
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        let mut updated = account.clone();
        updated.mfa = Default::default();
        p.accounts
            .update_account(&updated, account.version, &WriteSet::default())?;
        Ok(())
    }
}
