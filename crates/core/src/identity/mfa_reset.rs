//! An administrator resets a user's second factor and signs them out everywhere (issue 9
//! point 3): for a user who lost their authenticator and recovery codes.

use servicedesk_rbac::{Action, Decision, ResourceKind, ResourceRef};

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::events::AccountNoticeKind;
use crate::identity::Authenticator;
use crate::ids::UserId;
use crate::ports::{Account, MfaState, StoreError};

impl Authenticator {
    /// Turns `user`'s MFA off (secret and recovery codes gone) and revokes every session
    /// of theirs; audited with the admin as actor, and the user is mailed. Needs
    /// `user:update` on the user and every grant the user holds (the privilege ceiling); a
    /// user of another organization answers `NotFound`. Never for oneself.
    ///
    /// # Errors
    /// `Forbidden` without `user:update`, for oneself, or for a user who holds more than
    /// the actor; `NotFound` for an unknown or foreign user.
    pub fn reset_user_mfa(&self, actor: &Actor, user: UserId) -> Result<()> {
        let p = &self.ports;
        // One's own second factor goes off only with the password and a code (the
        // profile's `disable_mfa`): a stolen session alone must not remove it.
        if user == actor.user_id() {
            return Err(Error::Forbidden {
                reason: "turn your own two-step verification off with your password and a code"
                    .into(),
            });
        }
        if actor.scope(ResourceKind::User, Action::Update).is_none() {
            return Err(Error::Forbidden {
                reason: "resetting a user's MFA needs user:update".into(),
            });
        }
        let account = match p.accounts.account(actor.org_id(), user) {
            Ok(a) => a,
            Err(StoreError::NotFound(_)) => return Err(Error::NotFound { entity: "user" }),
            Err(e) => return Err(e.into()),
        };
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
        self.above_ceiling(actor, &account)?;
        let now = p.clock.now();
        let mut updated = account.clone();
        updated.mfa = MfaState::default();
        let write = self.account_notice(
            &account.user,
            "user.mfa_reset",
            AccountNoticeKind::MfaResetByAdmin,
            Some(actor.user_id()),
            now,
        );
        p.accounts
            .update_account(&updated, account.version, &write)?;
        p.sessions.revoke_all_sessions(actor.org_id(), user, now)?;
        Ok(())
    }

    /// The privilege ceiling for acting on someone else's account: the actor must hold
    /// every grant the user holds (an admin is reset or signed out only by an admin), so a
    /// custom role with `user:update` cannot lock its betters out.
    pub(super) fn above_ceiling(&self, actor: &Actor, account: &Account) -> Result<()> {
        if account.user.id == actor.user_id() {
            return Ok(());
        }
        let target = self.actor_for(account)?;
        for role in target.roles() {
            super::admin::within_ceiling(actor, role)?;
        }
        Ok(())
    }
}
