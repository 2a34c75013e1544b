//! Password reset by e-mailed token and password change (AUTH-5).

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::events::{AccountNoticeKind, EventPayload};
use crate::identity::{Authenticator, validate};
use crate::ports::{StoreError, TokenKind};

impl Authenticator {
    /// Queues a reset mail when the address belongs to an active account. Answers the same
    /// whether or not it does (no enumeration); every request counts against the address's
    /// and the client's limits.
    ///
    /// # Errors
    /// `RateLimited` past the limits; `Internal` when the store fails.
    pub fn request_password_reset(&self, email: &str, ip: &str) -> Result<()> {
        let p = &self.ports;
        let now = p.clock.now();
        self.count_attempt(&self.settings.limits.reset(email, ip), now)?;
        let account = match p.accounts.find_by_email(&email.trim().to_lowercase()) {
            Ok(a) if a.user.active => a,
            Ok(_) | Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let token = p.opaque.generate();
        p.sessions.issue_token(
            account.user.org_id,
            account.user.id,
            TokenKind::PasswordReset,
            &p.opaque.digest(&token),
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
        p.accounts
            .update_account(&account, account.version, &write)?;
        Ok(())
    }

    /// Sets a new password with the token from the reset mail; every session of the account
    /// is revoked, and the address counts as verified (the mail reached it).
    ///
    /// # Errors
    /// `Invalid` for a bad token (field `token`) or a weak password (field `new_password`).
    pub fn confirm_password_reset(&self, token: &str, new_password: &str) -> Result<()> {
        let p = &self.ports;
        validate::password("new_password", new_password, "")
            .map_err(|e| Error::Invalid(vec![e]))?;
        let now = p.clock.now();
        let (org, user) = p
            .sessions
            .consume_token(TokenKind::PasswordReset, &p.opaque.digest(token), now)
            .map_err(|_| {
                Error::invalid("token", "invalid", "the link is invalid or has expired")
            })?;
        let account = p.accounts.account(org, user)?;
        validate::password("new_password", new_password, &account.user.email)
            .map_err(|e| Error::Invalid(vec![e]))?;
        let mut updated = account.clone();
        updated.password_hash = Some(p.hasher.try_hash(new_password)?);
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
