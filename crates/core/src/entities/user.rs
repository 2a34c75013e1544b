use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{OrgId, TeamId, UserId};

/// A person who signs in: requester, agent, manager or admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Opaque id.
    pub id: UserId,
    /// The one organization the user belongs to.
    pub org_id: OrgId,
    /// Login and notification address, unique on the platform, stored lower-case.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role names: built-in (`admin`, `manager`, `agent`, `requester`) or custom.
    pub roles: Vec<String>,
    /// Teams the user is a member of.
    pub team_ids: Vec<TeamId>,
    /// Deactivated users cannot sign in or be assigned work.
    pub active: bool,
    /// Their line manager: approvals route to them.
    pub manager_id: Option<UserId>,
    /// The IANA time zone the user reads times in (e.g. `Europe/Berlin`), always a name
    /// `chrono-tz` knows; `None` means UTC. Only presentation follows it: times are stored
    /// and sent in UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}
