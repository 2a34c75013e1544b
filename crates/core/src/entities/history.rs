use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{HistoryId, OrgId, TicketId, UserId};

/// One field change on a ticket: who, when, old → new (TKT-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Opaque id.
    pub id: HistoryId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The ticket changed.
    pub ticket_id: TicketId,
    /// Who changed it (`None` for the system: SLA monitor, auto-close).
    pub actor_id: Option<UserId>,
    /// When.
    pub at: DateTime<Utc>,
    /// The field's name (`status`, `priority`, `assignee_id`, …).
    pub field: String,
    /// The value before, as text.
    pub old_value: Option<String>,
    /// The value after, as text.
    pub new_value: Option<String>,
}
