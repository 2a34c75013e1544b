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
use crate::identity::manager::{ManagerInfo, check_manager};
use crate::identity::validate;
use crate::ids::{OrgId, TeamId, UserId};
use crate::ports::{
    Account, AccountStore, AdminStore, Clock, IdGenerator, MfaState, PasswordHasher, RoleDeletion,
    StoreError, WriteSet,
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
    /// Grant or withdraw the platform admin flag (platform admins only; needs the admin role).
    pub platform_admin: Option<bool>,
    /// Set (`Some(Some(id))`) or clear (`Some(None)`) the line manager: an active user of
    /// the same organization, not the user, not below them in the manager chain.
    pub manager_id: Option<Option<UserId>>,
    /// Set (`Some(Some(zone))`, an IANA name such as `Europe/Berlin`) or clear
    /// (`Some(None)`: UTC) the user's time zone. Users may change their own.
    pub time_zone: Option<Option<String>>,
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

/// Whether the actor holds the built-in admin role.
fn is_admin(actor: &Actor) -> bool {
    actor
        .roles()
        .iter()
        .any(|r| r.builtin_kind() == Some(BuiltinRole::Admin))
}

/// The privilege ceiling: `Forbidden` unless the actor may hand out `role` — the built-in
/// admin role only by an admin, any other role only when every grant of it is held by the
/// actor at an equal or wider scope.
pub(super) fn within_ceiling(actor: &Actor, role: &Role) -> Result<()> {
    if role.builtin_kind() == Some(BuiltinRole::Admin) {
        if is_admin(actor) {
            return Ok(());
        }
        return Err(Error::Forbidden {
            reason: "only an admin grants or withdraws the admin role".into(),
        });
    }
    let missing = servicedesk_rbac::uncovered(role.grants(), actor.roles());
    if missing.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = missing
        .iter()
        .map(|g| format!("{} ({})", g.permission, g.scope))
        .collect();
    Err(Error::Forbidden {
        reason: format!(
            "the role {} grants what you do not hold yourself: {}",
            role.name,
            list.join(", ")
        ),
    })
}

/// The `role` field error of a name that is neither built in nor a custom role of the
/// organization.
fn unknown_role() -> FieldError {
    FieldError::new(
        "role",
        "unknown",
        "must be admin, manager, agent, requester or a custom role",
    )
}

/// The field error of a custom role that cannot be built: a bad or reserved name is the
/// `name` field's, anything else the `permissions` field's (a form shows each beside its
/// input).
fn role_error(e: servicedesk_rbac::RbacError) -> Error {
    use servicedesk_rbac::RbacError;
    let field = match e {
        RbacError::InvalidRoleName { .. } | RbacError::ReservedRoleName { .. } => "name",
        _ => "permissions",
    };
    Error::invalid(field, "invalid", e.to_string())
}

/// The audit record of a new organization, first in its own chain.
fn org_audit(actor: Option<&Actor>, org: &Organization) -> AuditRecord {
    AuditRecord {
        org_id: org.id,
        actor_id: actor.map(Actor::user_id),
        action: "organization.create".into(),
        target_kind: "organization".into(),
        target_id: org.id.to_string(),
        at: org.created_at,
        detail: serde_json::json!({ "name": org.name }),
    }
}

/// The audit record of a user write: the fields that changed, before and after (never a
/// password hash or a second-factor secret).
fn user_audit(
    actor: Option<&Actor>,
    action: &str,
    before: Option<&Account>,
    after: &Account,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditRecord {
    let view = |a: &Account| {
        serde_json::json!({
            "email": a.user.email,
            "name": a.user.name,
            "roles": a.user.roles,
            "active": a.user.active,
            "platform_admin": a.platform_admin,
            "team_ids": a.user.team_ids,
            "manager_id": a.user.manager_id,
            "time_zone": a.user.time_zone,
        })
    };
    let now = view(after);
    let detail = match before.map(view) {
        None => now,
        Some(was) => {
            let mut changed = serde_json::Map::new();
            if let (Some(was), Some(now)) = (was.as_object(), now.as_object()) {
                for (key, value) in now {
                    if was.get(key) != Some(value) {
                        changed.insert(
                            key.clone(),
                            serde_json::json!({ "from": was.get(key), "to": value }),
                        );
                    }
                }
            }
            serde_json::Value::Object(changed)
        }
    };
    AuditRecord {
        org_id: after.user.org_id,
        actor_id: actor.map(Actor::user_id),
        action: action.into(),
        target_kind: "user".into(),
        target_id: after.user.id.to_string(),
        at,
        detail,
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
        let audit = org_audit(Some(actor), &org);
        match self.admin.create_organization(&org, &audit) {
            Ok(org) => Ok(org),
            Err(StoreError::Duplicate { .. }) => Err(Error::Duplicate {
                entity: "organization",
                field: "name",
            }),
            Err(e) => Err(e.into()),
        }
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
            None => {
                let org = Organization {
                    id: OrgId(self.ids.new_id()),
                    name: org_name.to_owned(),
                    created_at: now,
                };
                self.admin
                    .create_organization(&org, &org_audit(None, &org))?
            }
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
                manager_id: None,
                time_zone: None,
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
        let write = WriteSet {
            audit: vec![user_audit(None, "user.bootstrap", None, &account, now)],
            ..WriteSet::default()
        };
        let created = self.accounts.create_account(&account, &write)?;
        Ok(Some((org, created.user)))
    }

    /// Creates a user (verified: an admin vouches for the address). Only the platform admin
    /// may name another organization. The role is bounded by the actor's own grants (the
    /// privilege ceiling; the built-in admin role only by an admin).
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
        let role = self
            .resolve_role(org, &input.role)
            .map_err(|e| errors.push(e))
            .ok();
        let (Some(email), Some(name), Some(role)) = (email, name, role) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        within_ceiling(actor, &role)?;
        let now = self.clock.now();
        let account = Account {
            user: User {
                id: UserId(self.ids.new_id()),
                org_id: org,
                email,
                name,
                roles: vec![role.name],
                team_ids: input.team_ids,
                active: true,
                manager_id: None,
                time_zone: None,
                created_at: now,
            },
            platform_admin: false,
            password_hash: Some(
                // Through the hashing bound like every other hash: a full bound is a 503.
                self.hasher.try_hash(&input.password)?,
            ),
            email_verified_at: Some(now),
            mfa: MfaState::default(),
            version: 1,
        };
        let write = WriteSet {
            audit: vec![user_audit(Some(actor), "user.create", None, &account, now)],
            ..WriteSet::default()
        };
        match self.accounts.create_account(&account, &write) {
            Ok(a) => Ok(a.user),
            Err(StoreError::Duplicate { .. }) => Err(Error::invalid(
                "email",
                "taken",
                "this address is already registered",
            )),
            // The custom role was deleted after it was resolved above.
            Err(StoreError::NotFound("role")) => Err(Error::Invalid(vec![unknown_role()])),
            Err(StoreError::NotFound(_)) => Err(Error::invalid(
                "team_ids",
                "unknown",
                "a team does not exist",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// The built-in or custom role named `role` in `org`.
    fn resolve_role(&self, org: OrgId, role: &str) -> std::result::Result<Role, FieldError> {
        if let Ok(builtin) = BuiltinRole::from_str(role) {
            return Ok(Role::builtin(builtin));
        }
        match self.admin.roles(org) {
            Ok(roles) => roles
                .into_iter()
                .find(|r| r.name == role)
                .ok_or_else(unknown_role),
            _ => Err(unknown_role()),
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

    /// Changes a user's name, time zone, role, active flag, platform admin flag or line
    /// manager. Users without `user:manage` may change their own name and time zone only.
    ///
    /// The privilege ceiling holds: changing a role or the active flag needs the actor to
    /// hold the user's current role and the new one (the built-in admin role: only admins);
    /// `platform_admin` is granted or withdrawn only by a platform admin and is dropped when
    /// the user loses the admin role. The store refuses to demote or deactivate the last
    /// active admin of the organization or the last platform admin. The manager is an
    /// administrator's change too (it is the user's approver); see [`check_manager`].
    ///
    /// # Errors
    /// `Invalid` (a `manager_id` error for a manager that is the user, unknown in the
    /// organization, deactivated, or below the user in the chain; a `time_zone` error for a
    /// name that is not an IANA time zone); `Forbidden`; `NotFound`; `Conflict` when changed
    /// concurrently.
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
        // The manager approves the user's requests: choosing one's own would choose one's
        // own approver, so it is an administrator's change like the role.
        let privileged = input.role.is_some()
            || input.active.is_some()
            || input.platform_admin.is_some()
            || input.manager_id.is_some();
        if self_service && privileged {
            return Err(Error::Forbidden {
                reason: "only administrators change roles, managers or deactivate users".into(),
            });
        }
        if input.platform_admin.is_some() && !actor.platform_admin {
            return Err(Error::Forbidden {
                reason: "only a platform admin grants or withdraws platform_admin".into(),
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
        let time_zone = input
            .time_zone
            .as_ref()
            .map(|zone| {
                zone.as_deref()
                    .map(|z| crate::sla_settings::zone(z).map(|tz| tz.name().to_owned()))
                    .transpose()
            })
            .transpose()
            .map_err(|e| Error::Invalid(vec![e]))?;
        let new_role = input
            .role
            .as_deref()
            .map(|role| self.resolve_role(actor.org_id(), role))
            .transpose()
            .map_err(|e| Error::Invalid(vec![e]))?;
        let account = self.accounts.account(actor.org_id(), id)?;
        if privileged {
            // The ceiling both ways: the actor must hold what the user holds now (no
            // demoting or deactivating someone above you) and what the user is given.
            for current in &account.user.roles {
                if let Ok(role) = self.resolve_role(actor.org_id(), current) {
                    within_ceiling(actor, &role)?;
                }
            }
            if let Some(role) = &new_role {
                within_ceiling(actor, role)?;
            }
        }
        if let Some(Some(manager)) = input.manager_id {
            self.check_manager(actor.org_id(), id, manager)?;
        }
        let mut updated = account.clone();
        if let Some(name) = name {
            updated.user.name = name;
        }
        if let Some(zone) = time_zone {
            updated.user.time_zone = zone;
        }
        if let Some(role) = new_role {
            updated.user.roles = vec![role.name];
        }
        if let Some(active) = input.active {
            updated.user.active = active;
        }
        if let Some(manager) = input.manager_id {
            updated.user.manager_id = manager;
        }
        let stays_admin = updated
            .user
            .roles
            .iter()
            .any(|r| r == BuiltinRole::Admin.name());
        match input.platform_admin {
            Some(true) if !stays_admin => {
                return Err(Error::invalid(
                    "platform_admin",
                    "requires_admin",
                    "only a user with the admin role can be a platform admin",
                ));
            }
            Some(flag) => updated.platform_admin = flag,
            // Demoted from admin: the platform flag goes with the role.
            None if !stays_admin => updated.platform_admin = false,
            None => {}
        }
        let action = if updated.user.active != account.user.active {
            if updated.user.active {
                "user.activate"
            } else {
                "user.deactivate"
            }
        } else if updated.user.roles != account.user.roles
            || updated.platform_admin != account.platform_admin
        {
            "user.role_change"
        } else {
            "user.update"
        };
        let write = WriteSet {
            audit: vec![user_audit(
                Some(actor),
                action,
                Some(&account),
                &updated,
                self.clock.now(),
            )],
            ..WriteSet::default()
        };
        match self
            .accounts
            .update_account(&updated, account.version, &write)
        {
            Ok(saved) => Ok(saved.user),
            // The custom role was deleted after it was resolved above.
            Err(StoreError::NotFound("role")) => Err(Error::Invalid(vec![unknown_role()])),
            Err(e) => Err(e.into()),
        }
    }

    /// [`check_manager`] against the accounts of `org`.
    fn check_manager(&self, org: OrgId, user: UserId, manager: UserId) -> Result<()> {
        let lookup = |u: UserId| match self.accounts.account(org, u) {
            Ok(a) => Ok(Some(ManagerInfo {
                active: a.user.active,
                manager_id: a.user.manager_id,
            })),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        };
        match check_manager(user, manager, lookup) {
            Ok(()) => Ok(()),
            Err(Ok(field)) => Err(Error::Invalid(vec![field])),
            Err(Err(store)) => Err(store.into()),
        }
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
        let audit = AuditRecord {
            org_id: team.org_id,
            actor_id: Some(actor.user_id()),
            action: "team.create".into(),
            target_kind: "team".into(),
            target_id: team.id.to_string(),
            at: team.created_at,
            detail: serde_json::json!({ "name": team.name, "manager_id": team.manager_id }),
        };
        match self.admin.create_team(&team, &audit) {
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
        let audit = AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: "team.member_add".into(),
            target_kind: "team".into(),
            target_id: team.to_string(),
            at: self.clock.now(),
            detail: serde_json::json!({ "user_id": user }),
        };
        match self
            .admin
            .add_team_member(actor.org_id(), team, user, &audit)
        {
            Err(StoreError::NotFound("user")) => {
                Err(Error::invalid("user_id", "unknown", "no such user"))
            }
            other => Ok(other?),
        }
    }

    /// Removes a member from a team of the actor's organization (the same permission as
    /// adding one). Work already assigned to the user stays theirs.
    ///
    /// # Errors
    /// `Forbidden` without `team:manage`; `NotFound` for a team outside the organization or
    /// a user who is not a member of it (a user of another organization never is).
    pub fn remove_team_member(&self, actor: &Actor, team: TeamId, user: UserId) -> Result<()> {
        allow(
            actor,
            ResourceKind::Team,
            Action::Manage,
            actor.org_id(),
            None,
        )?;
        let audit = AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: "team.member_remove".into(),
            target_kind: "team".into(),
            target_id: team.to_string(),
            at: self.clock.now(),
            detail: serde_json::json!({ "user_id": user }),
        };
        Ok(self
            .admin
            .remove_team_member(actor.org_id(), team, user, &audit)?)
    }

    /// Creates a custom role from `resource:action` permissions with scopes (RBAC-3). The
    /// privilege ceiling holds: every grant must be held by the actor at an equal or wider
    /// scope.
    ///
    /// # Errors
    /// `Invalid` for a bad name or unknown permissions; `Forbidden` without `role:manage` or
    /// for a grant beyond the actor's own.
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
        let role = Role::custom_from_strs(name, grants).map_err(role_error)?;
        within_ceiling(actor, &role)?;
        let audit = AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: "role.create".into(),
            target_kind: "role".into(),
            target_id: role.name.clone(),
            at: self.clock.now(),
            detail: serde_json::json!({ "grants": role.grants() }),
        };
        match self.admin.create_role(actor.org_id(), &role, &audit) {
            Ok(()) => Ok(role),
            Err(StoreError::Duplicate { .. }) => Err(Error::invalid(
                "name",
                "taken",
                "a role of this name exists",
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the grants of the custom role `name` (RBAC-3). The privilege ceiling holds
    /// both ways: the actor must hold every grant the role has now and every grant it gets
    /// (editing a role changes what all its holders may do).
    ///
    /// # Errors
    /// `Forbidden` without `role:manage` or for a grant beyond the actor's own; `NotFound`
    /// for a role that is not a custom role of the organization (built-in roles are fixed);
    /// `Invalid` for unknown or repeated permissions.
    pub fn update_role(
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
        let current = self
            .admin
            .roles(actor.org_id())?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or(Error::NotFound { entity: "role" })?;
        let role = Role::custom_from_strs(name, grants).map_err(role_error)?;
        within_ceiling(actor, &current)?;
        within_ceiling(actor, &role)?;
        let audit = AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: "role.update".into(),
            target_kind: "role".into(),
            target_id: role.name.clone(),
            at: self.clock.now(),
            detail: serde_json::json!({
                "grants": { "from": current.grants(), "to": role.grants() },
            }),
        };
        self.admin.update_role(actor.org_id(), &role, &audit)?;
        Ok(role)
    }

    /// Deletes the custom role `name` (RBAC-3), with the same permission as creating and
    /// editing roles. The privilege ceiling holds: the actor must hold every grant of the
    /// role (nobody removes a role above them). A role that users still hold (active or
    /// not) is not deleted: they must be given another role first, so nobody silently
    /// loses access. The store counts the holders and deletes in one transaction that
    /// every user write granting a role waits for, so a concurrent grant cannot slip in.
    ///
    /// # Errors
    /// `Forbidden` without `role:manage` or for a role beyond the actor's own grants;
    /// `Invalid` (`name`, `builtin`) for a built-in role, which is fixed; `NotFound` for a
    /// name that is no custom role of the organization; `IllegalTransition` (409) naming
    /// how many users hold the role.
    pub fn delete_role(&self, actor: &Actor, name: &str) -> Result<()> {
        allow(
            actor,
            ResourceKind::Role,
            Action::Manage,
            actor.org_id(),
            None,
        )?;
        if BuiltinRole::from_str(name).is_ok() {
            return Err(Error::invalid(
                "name",
                "builtin",
                format!("{name} is a built-in role: built-in roles cannot be deleted"),
            ));
        }
        let current = self
            .admin
            .roles(actor.org_id())?
            .into_iter()
            .find(|r| r.name == name)
            .ok_or(Error::NotFound { entity: "role" })?;
        within_ceiling(actor, &current)?;
        let audit = AuditRecord {
            org_id: actor.org_id(),
            actor_id: Some(actor.user_id()),
            action: "role.delete".into(),
            target_kind: "role".into(),
            target_id: current.name.clone(),
            at: self.clock.now(),
            detail: serde_json::json!({ "grants": current.grants() }),
        };
        match self.admin.delete_role(actor.org_id(), name, &audit)? {
            RoleDeletion::Deleted => Ok(()),
            RoleDeletion::InUse { holders } => Err(Error::IllegalTransition {
                message: format!(
                    "the role {name} is held by {holders} {}: give them another role before \
                     deleting it (nothing was deleted)",
                    if holders == 1 { "user" } else { "users" },
                ),
                legal_actions: Vec::new(),
            }),
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
