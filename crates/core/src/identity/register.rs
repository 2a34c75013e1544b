//! Self-registration of requesters with e-mail verification (RBAC-7, AUTH-6).

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::entities::User;
use crate::error::{Error, FieldError, Result};
use crate::events::{AuditRecord, DomainEvent, EventPayload};
use crate::identity::{Authenticator, validate};
use crate::ids::{EventId, UserId};
use crate::ports::{Account, MfaState, StoreError, TokenKind, WriteSet};

impl Authenticator {
    /// Registers a requester in the registration organization, unverified, and queues the
    /// verification mail. Whatever else a client sends, the role is `requester`. An address
    /// already registered answers the same as a new one (no enumeration) and changes nothing.
    ///
    /// # Errors
    /// `Invalid` for a bad address, name or password; `Forbidden` when self-registration is
    /// off (no registration organization).
    pub fn register(&self, email: &str, name: &str, password: &str) -> Result<()> {
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
        let now = p.clock.now();
        let hash = p
            .hasher
            .hash(password)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let user = User {
            id: UserId(p.ids.new_id()),
            org_id: org,
            email: email.clone(),
            name: name.clone(),
            roles: vec!["requester".into()],
            team_ids: vec![],
            active: true,
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
                email,
                name,
                token: token.clone(),
            }),
        );
        match p.accounts.create_account(&account, &write) {
            Ok(_) => {}
            Err(StoreError::Duplicate { field: "email" }) => return Ok(()),
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
