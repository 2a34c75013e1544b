//! An administrator's view of, and action on, other users' sign-in security (issue 11,
//! administration): whether two-step verification is on, and signing a user out of every
//! session at once.

use serde_json::json;
use servicedesk_rbac::{Action, Decision, ResourceKind, ResourceRef, Scope};

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::events::AuditRecord;
use crate::identity::Authenticator;
use crate::ids::UserId;
use crate::ports::{StoreError, WriteSet};

/// The most users [`Authenticator::mfa_status`] answers for in one call (a page of the
/// user list).
pub const MAX_MFA_STATUS: usize = 200;

impl Authenticator {
    /// Whether two-step verification is on, for each of `users` that is a user of the
    /// actor's organization (others are left out, so a foreign id learns nothing). Needs
    /// `user:update` for the whole organization (administrators): which accounts have a
    /// weaker sign-in is not for every colleague to read.
    ///
    /// # Errors
    /// `Forbidden` without `user:update` at organization scope; `Invalid` (`users`) for more
    /// than [`MAX_MFA_STATUS`] ids; `Internal` when the store fails.
    pub fn mfa_status(&self, actor: &Actor, users: &[UserId]) -> Result<Vec<(UserId, bool)>> {
        if actor.scope(ResourceKind::User, Action::Update) != Some(Scope::Org) {
            return Err(Error::Forbidden {
                reason: "reading users' two-step verification needs user:update for the \
                         organization"
                    .into(),
            });
        }
        if users.len() > MAX_MFA_STATUS {
            return Err(Error::invalid(
                "users",
                "too_many",
                format!("at most {MAX_MFA_STATUS} users at once"),
            ));
        }
        let mut out = Vec::with_capacity(users.len());
        for &user in users {
            match self.ports.accounts.account(actor.org_id(), user) {
                Ok(a) => out.push((user, a.mfa.enabled)),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// Signs `user` out everywhere: every login session of theirs is revoked, so their
    /// access tokens stop working at the next request and their refresh tokens are dead.
    /// Needs `user:update` reaching the user (administrators; anyone for themselves); audited as
    /// `user.sessions_revoke` with the admin as actor. Revoking twice is harmless, so the
    /// revocation comes first and a failed audit write is an error the admin retries.
    ///
    /// # Errors
    /// `Forbidden` without `user:update`; `NotFound` for an unknown user or one of another
    /// organization; `Internal` when the store fails.
    pub fn revoke_user_sessions(&self, actor: &Actor, user: UserId) -> Result<()> {
        let p = &self.ports;
        // The decision needs no row: a refusal touches nothing, and a foreign or unknown
        // id is looked up only by someone who may act on the organization's users.
        let resource = ResourceRef {
            kind: ResourceKind::User,
            org_id: actor.org_id().0,
            requester_id: Some(user.0),
            assignee_id: None,
            team_id: None,
        };
        match actor.decide(Action::Update, &resource) {
            Decision::Allow(_) => {}
            Decision::Deny(reason) if reason.hides_existence() => {
                return Err(Error::NotFound { entity: "user" });
            }
            Decision::Deny(reason) => {
                return Err(Error::Forbidden {
                    reason: reason.to_string(),
                });
            }
        }
        let account = match p.accounts.account(actor.org_id(), user) {
            Ok(a) => a,
            Err(StoreError::NotFound(_)) => return Err(Error::NotFound { entity: "user" }),
            Err(e) => return Err(e.into()),
        };
        self.above_ceiling(actor, &account)?;
        let now = p.clock.now();
        p.sessions.revoke_all_sessions(actor.org_id(), user, now)?;
        let write = WriteSet {
            audit: vec![AuditRecord {
                org_id: account.user.org_id,
                actor_id: Some(actor.user_id()),
                action: "user.sessions_revoke".into(),
                target_kind: "user".into(),
                target_id: user.to_string(),
                at: now,
                detail: json!({ "email": account.user.email }),
            }],
            ..WriteSet::default()
        };
        p.accounts.record_security_event(&write)?;
        Ok(())
    }
}
