//! Read access to users and teams, for the checks the ticket use cases make.

use crate::entities::{Team, User};
use crate::ids::{OrgId, TeamId, UserId};
use crate::ports::StoreError;
use servicedesk_rbac::Role;

/// Users and teams of an organization.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Directory: Send + Sync {
    /// The user `id` of `org`.
    ///
    /// # Errors
    /// `NotFound` when no such user exists in `org` (a user of another org is not found).
    fn user(&self, org: OrgId, id: UserId) -> Result<User, StoreError>;

    /// The team `id` of `org`.
    ///
    /// # Errors
    /// `NotFound` when no such team exists in `org`.
    fn team(&self, org: OrgId, id: TeamId) -> Result<Team, StoreError>;

    /// The members of team `id` of `org` (active or not; callers filter).
    ///
    /// # Errors
    /// `Unavailable` when the store fails (an unknown team has no members).
    fn team_members(&self, org: OrgId, id: TeamId) -> Result<Vec<UserId>, StoreError>;

    /// The custom roles of `org`, to resolve a user's role names into grants (what another
    /// user may see or do: a recipient, an assignee).
    ///
    /// # Errors
    /// `Unavailable` when the store fails.
    fn custom_roles(&self, org: OrgId) -> Result<Vec<Role>, StoreError>;
}
