//! Password reset by e-mailed token and password change (AUTH-5).

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::events::{AccountNoticeKind, EventPayload};
use crate::identity::{Authenticator, validate};
use crate::ports::{StoreError, TokenKind, WriteSet};

impl Authenticator {
    /// Queues a reset mail when the address belongs to an active account. Answers the same
    /// whether or not it does (no enumeration), and does the same work either way: a token
    /// is made and digested, and two store transactions run (for a known address: the token
    /// row, then the audit record and the mail's outbox event; for an unknown one: a lookup
    /// of the random digest and an empty write). No account row or version changes, so
    /// concurrent requests never conflict. Every request counts against the address's and
    /// the client's limits.
    ///
    /// # Errors
    /// `RateLimited` past the limits; `Internal` when the store fails.
    pub fn request_password_reset(&self, email: &str, ip: &str) -> Result<()> {
        let p = &self.ports;
        let now = p.clock.now();
        self.count_attempt(&self.settings.limits.reset(email, ip), now)?;
        let account = match p.accounts.find_by_email(&email.trim().to_lowercase()) {
            Ok(a) if a.user.active => Some(a),
            Ok(_) | Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let token = p.opaque.generate();
        let digest = p.opaque.digest(&token);
        let Some(account) = account else {
            // The same shape of work as below, with nothing to find and nothing to write.
            match p
                .sessions
                .peek_token(TokenKind::PasswordReset, &digest, now)
            {
                Ok(_) | Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            p.accounts.record_security_event(&WriteSet::default())?;
            return Ok(());
        };
        p.sessions.issue_token(
            account.user.org_id,
            account.user.id,
            TokenKind::PasswordReset,
            &digest,
            now,
            now + self.settings.reset_ttl,
        )?;
        let write = self.security_write(
            &account.user,
            "user.password_reset_requested",
            now,
            Some(EventPayload::PasswordResetRequested {
                user_id: account.user.id,
                email: account.user.email.clone(),
                name: account.user.name.clone(),
                token,
            }),
        );
        p.accounts.record_security_event(&write)?;
        Ok(())
    }

    /// Sets a new password with the token from the reset mail; every session of the account
    /// is revoked, and the address counts as verified (the mail reached it). The token is
    /// used only once the new password is accepted: a refused password leaves it valid.
    ///
    /// # Errors
    /// `Invalid` for a bad token (field `token`) or a weak password (field `new_password`);
    /// `Unavailable` when password hashing is busy.
    pub fn confirm_password_reset(&self, token: &str, new_password: &str) -> Result<()> {
        let p = &self.ports;
        validate::password("new_password", new_password, "")
            .map_err(|e| Error::Invalid(vec![e]))?;
        let now = p.clock.now();
        let digest = p.opaque.digest(token);
        let bad_token = || Error::invalid("token", "invalid", "the link is invalid or has expired");
        let (org, user) = p
            .sessions
            .peek_token(TokenKind::PasswordReset, &digest, now)
            .map_err(|_| bad_token())?;
        let account = p.accounts.account(org, user)?;
        validate::password("new_password", new_password, &account.user.email)
            .map_err(|e| Error::Invalid(vec![e]))?;
        let hash = p.hasher.try_hash(new_password)?;
        // Accepted: now use the token (once; a concurrent confirmation loses here).
        p.sessions
            .consume_token(TokenKind::PasswordReset, &digest, now)
            .map_err(|_| bad_token())?;
        let mut updated = account.clone();
        updated.password_hash = Some(hash);
        updated.email_verified_at = account.email_verified_at.or(Some(now));
        let write = self.account_notice(
            &account.user,
            "user.password_reset",
            AccountNoticeKind::PasswordChanged,
            None,
            now,
        );
        p.accounts
            .update_account(&updated, account.version, &write)?;
        p.sessions.revoke_all_sessions(org, user, now)?;
        Ok(())
    }

    /// Changes the actor's own password after checking the current one; every session is
    /// revoked (the client signs in again).
    ///
    /// # Errors
    /// `Invalid` for a wrong current password (field `current_password`) or a weak new one.
    pub fn change_password(&self, actor: &Actor, current: &str, new_password: &str) -> Result<()> {
        let p = &self.ports;
        let account = p.accounts.account(actor.org_id(), actor.user_id())?;
        validate::password("new_password", new_password, &account.user.email)
            .map_err(|e| Error::Invalid(vec![e]))?;
        if !account
            .password_hash
            .as_deref()
            .map(|h| p.hasher.try_verify(current, h))
            .transpose()?
            .unwrap_or(false)
        {
            return Err(Error::invalid(
                "current_password",
                "invalid",
                "the current password is wrong",
            ));
        }
        let now = p.clock.now();
        let mut updated = account.clone();
        updated.password_hash = Some(p.hasher.try_hash(new_password)?);
        let write = self.account_notice(
            &account.user,
            "user.password_change",
            AccountNoticeKind::PasswordChanged,
            None,
            now,
        );
        p.accounts
            .update_account(&updated, account.version, &write)?;
        p.sessions
            .revoke_all_sessions(actor.org_id(), actor.user_id(), now)?;
        Ok(())
    }
}
