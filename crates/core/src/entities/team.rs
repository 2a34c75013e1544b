use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, TeamId, UserId};

/// An assignment group (RBAC-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Opaque id.
    pub id: TeamId,
    /// Owning organization.
    pub org_id: OrgId,
    /// Display name, unique in the organization.
    pub name: String,
    /// The manager hierarchical escalations go to.
    pub manager_id: Option<UserId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}
