//! Administration: organizations (platform admin), users, teams and custom roles (RBAC-1..7).
//!
//! The installation's first admin is the platform admin: it creates organizations and
//! users in any organization. Every other account, org admins included, is confined to its
//! own organization; a foreign organization's id answers `NotFound`.

use std::str::FromStr;
use std::sync::Arc;

use servicedesk_rbac::{
    Action, BuiltinRole, Decision, Permission, ResourceKind, ResourceRef, Role, Scope,
};

use crate::actor::Actor;
use crate::entities::{OrgSettings, Organization, Team, User};
use crate::error::{Error, FieldError, Result};
use crate::events::AuditRecord;
use crate::identity::validate;
use crate::ids::{OrgId, TeamId, UserId};
use crate::ports::{
    Account, AccountStore, AdminStore, Clock, IdGenerator, MfaState, PasswordHasher, StoreError,
    WriteSet,
};

/// Input of [`Administration::create_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Login address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Initial password.
    pub password: String,
    /// `admin`, `manager`, `agent`, `requester` or a custom role's name.
    pub role: String,
    /// Target organization (platform admin only); default: the actor's.
    pub org_id: Option<OrgId>,
    /// Teams to join.
    pub team_ids: Vec<TeamId>,
}

/// Input of [`Administration::update_user`] (absent = unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateUser {
    /// New display name.
    pub name: Option<String>,
    /// New role.
    pub role: Option<String>,
    /// Activate or deactivate.
    pub active: Option<bool>,
}

/// Input of [`Administration::create_team`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTeam {
    /// Name, unique in the organization.
    pub name: String,
    /// The manager hierarchical escalations go to.
    pub manager_id: Option<UserId>,
}

/// The administration use cases.
#[derive(Clone)]
pub struct Administration {
    accounts: Arc<dyn AccountStore>,
    admin: Arc<dyn AdminStore>,
    hasher: Arc<dyn PasswordHasher>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

fn allow(
    actor: &Actor,
    kind: ResourceKind,
    action: Action,
    org: OrgId,
    owner: Option<UserId>,
) -> Result<()> {
    let resource = ResourceRef {
        kind,
        org_id: org.0,
        requester_id: owner.map(|u| u.0),
        assignee_id: None,
        team_id: None,
    };
    match actor.decide(action, &resource) {
        Decision::Allow(_) => Ok(()),
        Decision::Deny(reason) if reason.hides_existence() => Err(Error::NotFound {
            entity: "organization",
        }),
        Decision::Deny(reason) => Err(Error::Forbidden {
            reason: reason.to_string(),
        }),
    }
}

impl Administration {
    /// Wires the use cases.
    pub fn new(
        accounts: Arc<dyn AccountStore>,
        admin: Arc<dyn AdminStore>,
        hasher: Arc<dyn PasswordHasher>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            accounts,
            admin,
            hasher,
            clock,
            ids,
        }
    }

    /// Creates an organization (platform admin only).
    ///
    /// # Errors
    /// `Forbidden` for anyone else; `Invalid` for a bad or taken name.
    pub fn create_organization(&self, actor: &Actor, name: &str) -> Result<Organization> {
        if !actor.platform_admin {
            return Err(Error::Forbidden {
                reason: "only the platform admin creates organizations".into(),
            });
        }
        let name = validate::name("name", name).map_err(|e| Error::Invalid(vec![e]))?;
        let org = Organization {
            id: OrgId(self.ids.new_id()),
            name,
            created_at: self.clock.now(),
        };
        Ok(self.admin.create_organization(&org)?)
    }

    /// The organizations the actor may see: all for the platform admin, else its own.
    ///
    /// # Errors
    /// `Internal` when the store fails.
    pub fn organizations(&self, actor: &Actor) -> Result<Vec<Organization>> {
        if actor.platform_admin {
            return Ok(self.admin.organizations()?);
        }
        Ok(vec![self.admin.organization(actor.org_id())?])
    }

    /// The settings of organization `org` (its admins, or the platform admin).
    ///
    /// # Errors
    /// `Forbidden` without `organization:read` there; `NotFound`.
    pub fn org_settings(&self, actor: &Actor, org: OrgId) -> Result<OrgSettings> {
        self.settings_access(actor, org, Action::Read)?;
        Ok(self.admin.org_settings(org)?)
    }

    /// Replaces the settings of organization `org`.
    ///
    /// # Errors
    /// `Forbidden` without `organization:update` there; `Invalid` for an auto-close delay
    /// outside 1..=3650 days; `NotFound`.
    pub fn update_org_settings(
        &self,
        actor: &Actor,
        org: OrgId,
        settings: OrgSettings,
    ) -> Result<OrgSettings> {
        self.settings_access(actor, org, Action::Update)?;
        if let Some(days) = settings.auto_close_days
            && !(1..=OrgSettings::MAX_AUTO_CLOSE_DAYS).contains(&days)
        {
            return Err(Error::invalid(
                "auto_close_days",
                "range",
                format!(
                    "between 1 and {} days, or null for never",
                    OrgSettings::MAX_AUTO_CLOSE_DAYS
                ),
            ));
        }
        let audit = AuditRecord {
            org_id: org,
            actor_id: Some(actor.user_id()),
            action: "organization.settings".into(),
            target_kind: "organization".into(),
            target_id: org.to_string(),
            at: self.clock.now(),
            detail: serde_json::to_value(&settings).unwrap_or_default(),
        };
        self.admin.save_org_settings(org, &settings, &audit)?;
        Ok(self.admin.org_settings(org)?)
    }

    fn settings_access(&self, actor: &Actor, org: OrgId, action: Action) -> Result<()> {
        if actor.platform_admin {
            return Ok(());
        }
        if actor.org_id() != org {
            return Err(Error::NotFound {
                entity: "organization",
            });
        }
        if actor.scope(ResourceKind::Organization, action).is_none() {
            return Err(Error::Forbidden {
                reason: format!("no role grants organization:{action}"),
            });
        }
        Ok(())
    }

    /// Creates the first organization and its platform admin on an empty installation.
    /// Returns `None` when users already exist.
    ///
    /// # Errors
    /// `Invalid` for a bad address or password; `Internal` when the store fails.
    pub fn bootstrap(
        &self,
        org_name: &str,
        email: &str,
        password: &str,
    ) -> Result<Option<(Organization, User)>> {
        if self.accounts.user_count()? > 0 {
            return Ok(None);
        }
        let email = validate::email("email", email).map_err(|e| Error::Invalid(vec![e]))?;
        validate::password("password", password, &email).map_err(|e| Error::Invalid(vec![e]))?;
        let now = self.clock.now();
        let org = match self
            .admin
            .organizations()?
            .into_iter()
            .find(|o| o.name == org_name)
        {
            Some(org) => org,
            None => self.admin.create_organization(&Organization {
                id: OrgId(self.ids.new_id()),
                name: org_name.to_owned(),
                created_at: now,
            })?,
        };
        let account = Account {
            user: User {
                id: UserId(self.ids.new_id()),
                org_id: org.id,
                email,
                name: "Administrator".into(),
                roles: vec!["admin".into()],
                team_ids: vec![],
                active: true,
                created_at: now,
            },
            platform_admin: true,
            password_hash: Some(
                self.hasher
                    .hash(password)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            ),
            email_verified_at: Some(now),
            mfa: MfaState::default(),
            version: 1,
        };
        let created = self
            .accounts
            .create_account(&account, &WriteSet::default())?;
        Ok(Some((org, created.user)))
    }

    /// Creates a user (verified: an admin vouches for the address). Only the platform admin
    /// may name another organization.
    ///
    /// # Errors
    /// `Invalid` for bad fields, an unknown role or team, a taken address; `Forbidden`;
    /// `NotFound` for another organization.
    pub fn create_user(&self, actor: &Actor, input: NewUser) -> Result<User> {
        let org = input.org_id.unwrap_or_else(|| actor.org_id());
        if org != actor.org_id() && !actor.platform_admin {
            return Err(Error::NotFound {
                entity: "organization",
            });
        }
        if org == actor.org_id() {
            allow(actor, ResourceKind::User, Action::Create, org, None)?;
        } else {
            self.admin.organization(org).map_err(|_| Error::NotFound {
                entity: "organization",
            })?;
        }
        let mut errors: Vec<FieldError> = Vec::new();
        let email = validate::email("email", &input.email)
            .map_err(|e| errors.push(e))
            .ok();
        let name = validate::name("name", &input.name)
            .map_err(|e| errors.push(e))
            .ok();
        if let Err(e) =
            validate::password("password", &input.password, email.as_deref().unwrap_or(""))
        {
            errors.push(e);
        }
        if let Err(e) = self.check_role(org, &input.role) {
            errors.push(e);
        }
        let (Some(email), Some(name)) = (email, name) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let now = self.clock.now();
        let account = Account {
            user: User {
                id: UserId(self.ids.new_id()),
                org_id: org,
                email,
                name,
                roles: vec![input.role],
                team_ids: input.team_ids,
                active: true,
                created_at: now,
            },
            platform_admin: false,
            password_hash: Some(
                self.hasher
                    .hash(&input.password)
                    .map_err(|e| Error::Internal(e.to_string()))?,
            ),
            email_verified_at: Some(now),
            mfa: MfaState::default(),
            version: 1,
        };
        match self.accounts.create_account(&account, &WriteSet::default()) {
            Ok(a) => Ok(a.user),
            Err(StoreError::Duplicate { .. }) => Err(Error::invalid(
                "email",
                "taken",
                "this address is already registered",
            )),
            Err(StoreError::NotFound(_)) => Err(Error::invalid(
                "team_ids",
                "unknown",
                "a team does not exist",
            )),
            Err(e) => Err(e.into()),
        }
    }

    fn check_role(&self, org: OrgId, role: &str) -> std::result::Result<(), FieldError> {
        if BuiltinRole::from_str(role).is_ok() {
            return Ok(());
        }
        match self.admin.roles(org) {
            Ok(roles) if roles.iter().any(|r| r.name == role) => Ok(()),
            _ => Err(FieldError::new(
                "role",
                "unknown",
                "must be admin, manager, agent, requester or a custom role",
            )),
        }
    }

    /// Users of the actor's organization (`user:read` at org scope), by id, paged.
    ///
    /// # Errors
    /// `Forbidden` without the permission.
    pub fn users(&self, actor: &Actor, after: Option<UserId>, limit: u32) -> Result<Vec<User>> {
        if actor.scope(ResourceKind::User, Action::Read) != Some(Scope::Org) {
            return Err(Error::Forbidden {
                reason: "listing users needs user:read for the organization".into(),
            });
        }
        Ok(self
            .accounts
            .list_users(actor.org_id(), after, limit.clamp(1, 200))?)
    }

    /// One user of the actor's organization (anyone may read themselves).
    ///
    /// # Errors
    /// `NotFound` when not in the organization or not readable.
    pub fn user(&self, actor: &Actor, id: UserId) -> Result<User> {
        allow(
            actor,
            ResourceKind::User,
            Action::Read,
            actor.org_id(),
            Some(id),
        )
        .map_err(|_| Error::NotFound { entity: "user" })?;
        Ok(self.accounts.account(actor.org_id(), id)?.user)
    }

    /// Changes a user's name, role or active flag.
    ///
    /// # Errors
    /// `Invalid`; `Forbidden`; `NotFound`; `Conflict` when changed concurrently.
    pub fn update_user(&self, actor: &Actor, id: UserId, input: UpdateUser) -> Result<User> {
        allow(
            actor,
            ResourceKind::User,
            Action::Update,
            actor.org_id(),
            Some(id),
        )?;
        let self_service =
            id == actor.user_id() && actor.scope(ResourceKind::User, Action::Manage).is_none();
        if self_service && (input.role.is_some() || input.active.is_some()) {
            return Err(Error::Forbidden {
                reason: "only administrators change roles or deactivate users".into(),
            });
        }
        if input == UpdateUser::default() {
            return Err(Error::invalid(
                "body",
                "empty",
                "name at least one field to change",
            ));
        }
        let name = input
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()
            .map_err(|e| Error::Invalid(vec![e]))?;
        if let Some(role) = &input.role {
            self.check_role(actor.org_id(), role)
                .map_err(|e| Error::Invalid(vec![e]))?;
        }
        let account = self.accounts.account(actor.org_id(), id)?;
        let mut updated = account.clone();
        if let Some(name) = name {
            updated.user.name = name;
        }
        if let Some(role) = input.role {
            updated.user.roles = vec![role];
        }
        if let Some(active) = input.active {
            updated.user.active = active;
        }
        Ok(self
            .accounts
            .update_account(&updated, account.version, &WriteSet::default())?
            .user)
    }

    /// Creates a team in the actor's organization.
    ///
    /// # Errors
    /// `Invalid` for a bad or taken name or an unknown manager; `Forbidden`.
    pub fn create_team(&self, actor: &Actor, input: NewTeam) -> Result<Team> {
        allow(
            actor,
            ResourceKind::Team,
            Action::Create,
            actor.org_id(),
            None,
        )?;
        let name = validate::name("name", &input.name).map_err(|e| Error::Invalid(vec![e]))?;
        let team = Team {
            id: TeamId(self.ids.new_id()),
            org_id: actor.org_id(),
            name,
            manager_id: input.manager_id,
            created_at: self.clock.now(),
        };
        match self.admin.create_team(&team) {
            Ok(t) => Ok(t),
            Err(StoreError::Duplicate { .. }) => Err(Error::invalid(
                "name",
                "taken",
                "a team of this name exists",
            )),
            Err(StoreError::NotFound(_)) => {
                Err(Error::invalid("manager_id", "unknown", "no such user"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Teams of the actor's organization.
    ///
    /// # Errors
    /// `Forbidden` without `team:read`.
    pub fn teams(&self, actor: &Actor) -> Result<Vec<Team>> {
        allow(
            actor,
            ResourceKind::Team,
            Action::Read,
            actor.org_id(),
            None,
        )?;
        Ok(self.admin.teams(actor.org_id())?)
    }

    /// Adds a member to a team of the actor's organization.
    ///
    /// # Errors
    /// `Forbidden` without `team:manage`; `NotFound` for a team or user outside the organization.
    pub fn add_team_member(&self, actor: &Actor, team: TeamId, user: UserId) -> Result<()> {
        allow(
            actor,
            ResourceKind::Team,
            Action::Manage,
            actor.org_id(),
            None,
        )?;
        match self.admin.add_team_member(actor.org_id(), team, user) {
            Err(StoreError::NotFound("user")) => {
                Err(Error::invalid("user_id", "unknown", "no such user"))
            }
            other => Ok(other?),
        }
    }

    /// Creates a custom role from `resource:action` permissions with scopes (RBAC-3).
    ///
    /// # Errors
    /// `Invalid` for a bad name or unknown permissions; `Forbidden` without `role:manage`.
    pub fn create_role(
        &self,
        actor: &Actor,
        name: &str,
        grants: &[(String, Scope)],
    ) -> Result<Role> {
        allow(
            actor,
            ResourceKind::Role,
            Action::Manage,
            actor.org_id(),
            None,
        )?;
        let role = Role::custom_from_strs(name, grants)
            .map_err(|e| Error::invalid("permissions", "invalid", e.to_string()))?;
        match self.admin.create_role(actor.org_id(), &role) {
            Ok(()) => Ok(role),
            Err(StoreError::Duplicate { .. }) => Err(Error::invalid(
                "name",
                "taken",
                "a role of this name exists",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Built-in and custom roles of the actor's organization.
    ///
    /// # Errors
    /// `Forbidden` without `role:read`.
    pub fn roles(&self, actor: &Actor) -> Result<Vec<Role>> {
        allow(
            actor,
            ResourceKind::Role,
            Action::Read,
            actor.org_id(),
            None,
        )?;
        let mut roles: Vec<Role> = BuiltinRole::all().into_iter().map(Role::builtin).collect();
        roles.extend(self.admin.roles(actor.org_id())?);
        Ok(roles)
    }

    /// Every permission a role can grant.
    pub fn permissions(&self) -> Vec<Permission> {
        Permission::all()
    }
}
