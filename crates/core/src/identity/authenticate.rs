//! From a bearer token to an [`Actor`].

use std::str::FromStr;

use servicedesk_rbac::{BuiltinRole, Role};

use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::identity::Authenticator;
use crate::ports::{Account, Claims, StoreError, TokenPurpose};

impl Authenticator {
    /// Verifies an access token and builds the actor it stands for: the signature, expiry,
    /// issuer and audience hold, the token is not deny-listed, its session is not revoked,
    /// and the account still exists and is active.
    ///
    /// # Errors
    /// `Unauthenticated` for anything else.
    pub fn authenticate(&self, bearer: &str) -> Result<(Actor, Claims)> {
        let p = &self.ports;
        let now = p.clock.now();
        let claims = p
            .tokens
            .verify(bearer, TokenPurpose::Access, now)
            .map_err(|_| Error::Unauthenticated)?;
        if p.sessions.is_denied(&claims.jti)? {
            return Err(Error::Unauthenticated);
        }
        if let Some(session) = &claims.session_id
            && p.sessions.session_revoked(session)?
        {
            return Err(Error::Unauthenticated);
        }
        let account = match p.accounts.account(claims.org_id, claims.user_id) {
            Ok(a) if a.user.active => a,
            Ok(_) | Err(StoreError::NotFound(_)) => return Err(Error::Unauthenticated),
            Err(e) => return Err(e.into()),
        };
        Ok((self.actor_for(&account)?, claims))
    }

    /// The user a bearer token was issued to, checking only its signature and expiry (no
    /// store access): cheap enough for per-user rate limiting before the real check.
    pub fn token_subject(&self, bearer: &str) -> Option<crate::ids::UserId> {
        let p = &self.ports;
        p.tokens
            .verify(bearer, TokenPurpose::Access, p.clock.now())
            .ok()
            .map(|c| c.user_id)
    }

    /// The actor of an account: its roles resolved (built-in by name, custom from the
    /// organization's roles; unknown names grant nothing) and its teams.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn actor_for(&self, account: &Account) -> Result<Actor> {
        let user = &account.user;
        let mut custom: Option<Vec<Role>> = None;
        let mut roles = Vec::new();
        for name in &user.roles {
            if let Ok(builtin) = BuiltinRole::from_str(name) {
                roles.push(Role::builtin(builtin));
                continue;
            }
            if custom.is_none() {
                custom = Some(self.ports.admin.roles(user.org_id)?);
            }
            if let Some(role) = custom
                .as_ref()
                .and_then(|c| c.iter().find(|r| &r.name == name))
            {
                roles.push(role.clone());
            }
        }
        let mut actor = Actor::new(user.id, user.org_id, roles, user.team_ids.clone());
        actor.platform_admin = account.platform_admin;
        Ok(actor)
    }
}
