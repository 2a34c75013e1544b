use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_sla::{Calendar, SlaClock};

use crate::ids::{CalendarId, IncidentId, OrgId, SlaPolicyId, TeamId, UserId};
use crate::priority::{Impact, Priority, Urgency};

/// An incident (INC): something is broken and somebody needs it fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Opaque id (UUID v7).
    pub id: IncidentId,
    /// Owning organization.
    pub org_id: OrgId,
    /// Per-organization human number: `INC-<number>`. Assigned by the store at creation.
    pub number: i64,
    /// One-line summary.
    pub title: String,
    /// What happened.
    pub description: String,
    /// Business impact.
    pub impact: Impact,
    /// Time pressure.
    pub urgency: Urgency,
    /// From the matrix, or raised by an SLA escalation.
    pub priority: Priority,
    /// Category path, empty when uncategorised.
    pub category: String,
    /// Lifecycle state.
    pub status: IncidentState,
    /// Who raised it (the requester).
    pub requester_id: UserId,
    /// Who typed it in (the requester, or an agent logging it for them).
    pub created_by: UserId,
    /// Assignment group.
    pub team_id: Option<TeamId>,
    /// Assigned agent.
    pub assignee_id: Option<UserId>,
    /// How many times it was escalated.
    pub escalation_level: i32,
    /// Set on resolve, cleared on reopen.
    pub resolution_code: Option<String>,
    /// Set on resolve, cleared on reopen.
    pub resolution_notes: Option<String>,
    /// When it was last resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// First public reply by staff.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// SLA clocks, when a policy applies.
    pub sla: Option<IncidentSla>,
    /// Earliest pending SLA warning or breach instant; indexed for the SLA monitor.
    pub next_sla_due_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version, 1 at creation, +1 per write.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Soft-delete marker (TKT-8).
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Incident {
    /// The human reference, e.g. `INC-42`.
    pub fn reference(&self) -> String {
        format!("INC-{}", self.number)
    }

    /// True once soft-deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Recomputes [`Incident::next_sla_due_at`] from the clocks.
    pub fn refresh_next_sla_due(&mut self, calendar: &Calendar) {
        self.next_sla_due_at = self.sla.as_ref().and_then(|s| s.next_event_at(calendar));
    }
}

/// Which promise a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// Time to the first public reply by staff.
    FirstResponse,
    /// Time to resolution.
    Resolution,
}

impl SlaTarget {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FirstResponse => "first_response",
            Self::Resolution => "resolution",
        }
    }
}

/// The SLA attached to an incident: the policy chosen at creation (or on a priority change)
/// and its two clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentSla {
    /// The policy that set the targets.
    pub policy_id: SlaPolicyId,
    /// The calendar the clocks count in.
    pub calendar_id: CalendarId,
    /// Statuses in which the clocks pause (from the policy).
    pub pause_statuses: Vec<String>,
    /// First-response clock.
    pub response: SlaClock,
    /// Resolution clock.
    pub resolution: SlaClock,
}

impl IncidentSla {
    /// The clock for `target`.
    pub fn clock(&self, target: SlaTarget) -> &SlaClock {
        match target {
            SlaTarget::FirstResponse => &self.response,
            SlaTarget::Resolution => &self.resolution,
        }
    }

    /// Both clocks, mutably, with their target.
    pub fn clocks_mut(&mut self) -> [(SlaTarget, &mut SlaClock); 2] {
        [
            (SlaTarget::FirstResponse, &mut self.response),
            (SlaTarget::Resolution, &mut self.resolution),
        ]
    }

    /// The earliest warning or breach still to fire on either clock.
    pub fn next_event_at(&self, calendar: &Calendar) -> Option<DateTime<Utc>> {
        [
            self.response.next_event_at(calendar),
            self.resolution.next_event_at(calendar),
        ]
        .into_iter()
        .flatten()
        .min()
    }
}
