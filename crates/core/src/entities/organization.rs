use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::OrgId;

/// A tenant. Organizations are hard walls: nothing crosses them (RBAC-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    /// Opaque id.
    pub id: OrgId,
    /// Display name, unique on the platform.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}
