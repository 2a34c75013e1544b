//! Self-registration of requesters with e-mail verification (RBAC-7, AUTH-6).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::entities::User;
use crate::error::{Error, FieldError, Result};
use crate::events::{AccountNoticeKind, AuditRecord, DomainEvent, EventPayload};
use crate::identity::{Authenticator, validate};
use crate::ids::{EventId, UserId};
use crate::ports::{Account, MfaState, StoreError, TokenKind, WriteSet};

impl Authenticator {
    /// Registers a requester in the registration organization, unverified, and queues the
    /// verification mail. Whatever else a client sends, the role is `requester`. An address
    /// already registered answers the same as a new one (no enumeration), changes nothing
    /// and sends that address a short "someone tried to register" mail instead.
    /// Registrations are throttled per client and per address; the organization's
    /// `registration_closed` setting switches them off (as does the operator).
    ///
    /// # Errors
    /// `Invalid` for a bad address, name or password; `Forbidden` when self-registration is
    /// off; `RateLimited` past the limits; `Unavailable` when password hashing is busy.
    pub fn register(&self, email: &str, name: &str, password: &str, ip: &str) -> Result<()> {
        let p = &self.ports;
        let mut errors: Vec<FieldError> = Vec::new();
        let email = validate::email("email", email)
            .map_err(|e| errors.push(e))
            .ok();
        let name = validate::name("name", name)
            .map_err(|e| errors.push(e))
            .ok();
        if let Err(e) = validate::password("password", password, email.as_deref().unwrap_or("")) {
            errors.push(e);
        }
        let (Some(email), Some(name)) = (email, name) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let Some(org) = self.settings.registration_org else {
            return Err(Error::Forbidden {
                reason: "self-registration is disabled".into(),
            });
        };
        if p.admin.org_settings(org)?.registration_closed {
            return Err(Error::Forbidden {
                reason: "self-registration is disabled".into(),
            });
        }
        let now = p.clock.now();
        self.count_attempt(&self.settings.limits.register(&email, ip), now)?;
        let hash = p.hasher.try_hash(password)?;
        let user = User {
            id: UserId(p.ids.new_id()),
            org_id: org,
            email: email.clone(),
            name: name.clone(),
            roles: vec!["requester".into()],
            team_ids: vec![],
            active: true,
            manager_id: None,
            time_zone: None,
            created_at: now,
        };
        let account = Account {
            user: user.clone(),
            platform_admin: false,
            password_hash: Some(hash),
            email_verified_at: None,
            mfa: MfaState::default(),
            version: 1,
        };
        let token = p.opaque.generate();
        let write = self.security_write(
            &user,
            "user.register",
            now,
            Some(EventPayload::EmailVerificationRequested {
                user_id: user.id,
                email: email.clone(),
                name,
                token: token.clone(),
            }),
        );
        match p.accounts.create_account(&account, &write) {
            Ok(_) => {}
            Err(StoreError::Duplicate { field: "email" }) => {
                return self.notify_registration_attempt(&email, now);
            }
            Err(e) => return Err(e.into()),
        }
        p.sessions.issue_token(
            org,
            user.id,
            TokenKind::EmailVerification,
            &p.opaque.digest(&token),
            now,
            now + self.settings.verification_ttl,
        )?;
        Ok(())
    }

    /// Queues the "someone tried to register with your address" mail to an existing account.
    fn notify_registration_attempt(&self, email: &str, now: DateTime<Utc>) -> Result<()> {
        let p = &self.ports;
        let account = match p.accounts.find_by_email(email) {
            Ok(a) => a,
            // Gone in the meantime: nobody to tell.
            Err(StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let write = self.account_notice(
            &account.user,
            "user.register_attempt",
            AccountNoticeKind::RegistrationAttempted,
            None,
            now,
        );
        p.accounts.record_security_event(&write)?;
        Ok(())
    }

    /// A write carrying the audit record `action` about `user` (done by `actor`, the user
    /// when `None`) and the [`AccountNoticeKind`] mail to them.
    pub(crate) fn account_notice(
        &self,
        user: &User,
        action: &str,
        notice: AccountNoticeKind,
        actor: Option<crate::ids::UserId>,
        now: DateTime<Utc>,
    ) -> WriteSet {
        let mut write = self.security_write(
            user,
            action,
            now,
            Some(EventPayload::AccountNotice {
                user_id: user.id,
                email: user.email.clone(),
                name: user.name.clone(),
                notice,
            }),
        );
        if let Some(actor) = actor {
            for a in &mut write.audit {
                a.actor_id = Some(actor);
            }
            for e in &mut write.events {
                e.actor_id = Some(actor);
            }
        }
        write
    }

    /// Marks the address verified with the token from the verification mail.
    ///
    /// # Errors
    /// `Invalid` (field `token`) for an unknown, used or expired token.
    pub fn verify_email(&self, token: &str) -> Result<()> {
        let p = &self.ports;
        let now = p.clock.now();
        let (org, user) = p
            .sessions
            .consume_token(TokenKind::EmailVerification, &p.opaque.digest(token), now)
            .map_err(|_| {
                Error::invalid("token", "invalid", "the link is invalid or has expired")
            })?;
        let account = p.accounts.account(org, user)?;
        if account.email_verified_at.is_some() {
            return Ok(());
        }
        let mut updated = account.clone();
        updated.email_verified_at = Some(now);
        let write = self.security_write(&account.user, "user.verify_email", now, None);
        p.accounts
            .update_account(&updated, account.version, &write)?;
        Ok(())
    }

    /// A write carrying the audit record of a security event on `user`, and an event.
    pub(crate) fn security_write(
        &self,
        user: &User,
        action: &str,
        now: DateTime<Utc>,
        event: Option<EventPayload>,
    ) -> WriteSet {
        let p = &self.ports;
        WriteSet {
            audit: vec![AuditRecord {
                org_id: user.org_id,
                actor_id: Some(user.id),
                action: action.to_owned(),
                target_kind: "user".into(),
                target_id: user.id.to_string(),
                at: now,
                detail: json!({}),
            }],
            events: event
                .map(|payload| DomainEvent {
                    id: EventId(p.ids.new_id()),
                    org_id: user.org_id,
                    occurred_at: now,
                    actor_id: Some(user.id),
                    payload,
                })
                .into_iter()
                .collect(),
            ..WriteSet::default()
        }
    }
}
