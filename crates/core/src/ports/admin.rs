//! Organizations, teams and custom roles: what administration writes and what
//! authentication reads to build an [`Actor`](crate::Actor).

use servicedesk_rbac::Role;

use crate::entities::{OrgSettings, Organization, Team};
use crate::events::AuditRecord;
use crate::ids::{OrgId, TeamId, UserId};
use crate::ports::StoreError;

/// What [`AdminStore::delete_role`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleDeletion {
    /// The role and its audit record are stored as gone.
    Deleted,
    /// Users still hold the role: nothing was written.
    InUse {
        /// How many users of the organization (active or not) hold it.
        holders: u64,
    },
}

/// Organizations, teams and custom roles.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AdminStore: Send + Sync {
    /// Creates an organization, with `audit` (appended to the new organization's chain) in
    /// the same transaction.
    ///
    /// # Errors
    /// `Duplicate{field:"name"}` when the name is taken.
    fn create_organization(
        &self,
        org: &Organization,
        audit: &AuditRecord,
    ) -> Result<Organization, StoreError>;

    /// Every organization, by name.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn organizations(&self) -> Result<Vec<Organization>, StoreError>;

    /// The organization `id`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist.
    fn organization(&self, id: OrgId) -> Result<Organization, StoreError>;

    /// Creates a team, with `audit` in the same transaction.
    ///
    /// # Errors
    /// `Duplicate{field:"name"}`; `NotFound` when the manager is not in the organization.
    fn create_team(&self, team: &Team, audit: &AuditRecord) -> Result<Team, StoreError>;

    /// Teams of `org`, by name.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn teams(&self, org: OrgId) -> Result<Vec<Team>, StoreError>;

    /// Adds `user` to `team`, with `audit` in the same transaction (no-op, and no audit
    /// record, when already a member).
    ///
    /// # Errors
    /// `NotFound` when the team or the user is not in `org`.
    fn add_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: UserId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;

    /// Removes `user` from `team`, with `audit` in the same transaction.
    ///
    /// # Errors
    /// `NotFound("team")` when the team is not in `org`; `NotFound("team member")` when the
    /// user is not a member of it (a user of another organization never is).
    fn remove_team_member(
        &self,
        org: OrgId,
        team: TeamId,
        user: UserId,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;

    /// Stores a custom role of `org` created at `audit.at`, with `audit` in the same
    /// transaction.
    ///
    /// # Errors
    /// `Duplicate{field:"name"}` when the organization has a role of that name.
    fn create_role(&self, org: OrgId, role: &Role, audit: &AuditRecord) -> Result<(), StoreError>;

    /// Replaces the grants of the custom role `role.name` of `org`, with `audit` in the same
    /// transaction.
    ///
    /// # Errors
    /// `NotFound` when the organization has no custom role of that name.
    fn update_role(&self, org: OrgId, role: &Role, audit: &AuditRecord) -> Result<(), StoreError>;

    /// Deletes the custom role `name` of `org`, with `audit` in the same transaction,
    /// unless users of `org` hold it: then nothing is written and the answer is
    /// [`RoleDeletion::InUse`] with their number. The count and the delete run in one
    /// transaction that serializes with every user write granting a role (see
    /// [`AccountStore::update_account`](crate::ports::AccountStore::update_account)), so no
    /// user gains the role between the two.
    ///
    /// # Errors
    /// `NotFound` when the organization has no custom role of that name.
    fn delete_role(
        &self,
        org: OrgId,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<RoleDeletion, StoreError>;

    /// The custom roles of `org`, by name.
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn roles(&self, org: OrgId) -> Result<Vec<Role>, StoreError>;

    /// The settings of organization `id`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist.
    fn org_settings(&self, id: OrgId) -> Result<OrgSettings, StoreError>;

    /// Replaces the settings of organization `id`, with `audit`.
    ///
    /// # Errors
    /// `NotFound` when it does not exist.
    fn save_org_settings(
        &self,
        id: OrgId,
        settings: &OrgSettings,
        audit: &AuditRecord,
    ) -> Result<(), StoreError>;
}
