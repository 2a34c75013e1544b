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

/// Per-organization settings, stored as JSON with the organization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrgSettings {
    /// Resolved incidents close by themselves after this many days without a reopen
    /// (`None`: never).
    pub auto_close_days: Option<u32>,
    /// Self-registration into this organization is switched off (besides the operator's
    /// `SERVICEDESK_REGISTRATION`, which must also be on).
    pub registration_closed: bool,
}

impl OrgSettings {
    /// The longest auto-close delay accepted (ten years).
    pub const MAX_AUTO_CLOSE_DAYS: u32 = 3650;
}
