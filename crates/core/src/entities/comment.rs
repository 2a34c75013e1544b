use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CommentId, OrgId, TicketId, UserId};

/// A public comment or an internal work note on a ticket (TKT-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// Opaque id.
    pub id: CommentId,
    /// Owning organization.
    pub org_id: OrgId,
    /// The ticket commented on.
    pub ticket_id: TicketId,
    /// Who wrote it.
    pub author_id: UserId,
    /// The text.
    pub body: String,
    /// Internal work notes are never shown to requesters.
    pub internal: bool,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}
