//! The base record every kind of ticket shares, generic over the kind's lifecycle state
//! and its extension (what only that kind has).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_sla::{Calendar, SlaClock};

use super::kind::{TicketKind, TicketRef};
use super::status::{KindState, StatusClass, class_of};
use crate::ids::{CalendarId, OrgId, SlaPolicyId, TeamId, TicketId, UserId};
use crate::priority::{Impact, Priority, Urgency};

/// A ticket: the kernel's columns, the state `S` of its kind's lifecycle and the kind's
/// extension `D`. [`AnyTicket`] is the kind-erased form the SLA monitor, the router, the
/// feed and the cross-kind queue work on; each kind names its typed form
/// (`Incident = Ticket<IncidentState, IncidentDetails>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket<S = String, D = ()> {
    /// Opaque id (UUID v7).
    pub id: TicketId,
    /// Owning organization.
    pub org_id: OrgId,
    /// What it is; fixed at creation.
    pub kind: TicketKind,
    /// Per-(organization, kind) human number, assigned by the store at creation.
    pub number: i64,
    /// One-line summary.
    pub title: String,
    /// What happened or what is asked for.
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
    pub status: S,
    /// Who it is for (the requester; for a request placed for someone, that person).
    pub requester_id: UserId,
    /// Who typed it in (the requester, or someone acting for them).
    pub created_by: UserId,
    /// Assignment group.
    pub team_id: Option<TeamId>,
    /// Assigned agent.
    pub assignee_id: Option<UserId>,
    /// When it last reached the resolved class.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// First public reply by staff.
    pub first_responded_at: Option<DateTime<Utc>>,
    /// SLA clocks, when a policy applies.
    pub sla: Option<TicketSla>,
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
    /// What only this kind has.
    pub details: D,
}

/// A ticket of any kind with its status as the stored name and no extension.
pub type AnyTicket = Ticket<String, ()>;

impl<S, D> Ticket<S, D> {
    /// The human reference, e.g. `INC-42`.
    pub fn reference(&self) -> String {
        self.ticket_ref().to_string()
    }

    /// The reference as a value.
    pub fn ticket_ref(&self) -> TicketRef {
        TicketRef {
            kind: self.kind,
            number: self.number,
        }
    }

    /// True once soft-deleted.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Recomputes [`Ticket::next_sla_due_at`] from the clocks.
    pub fn refresh_next_sla_due(&mut self, calendar: &Calendar) {
        self.next_sla_due_at = self.sla.as_ref().and_then(|s| s.next_event_at(calendar));
    }

    /// The same ticket with another state type and extension (the kernel fields move).
    pub fn map<S2, D2>(self, status: S2, details: D2) -> Ticket<S2, D2> {
        Ticket {
            id: self.id,
            org_id: self.org_id,
            kind: self.kind,
            number: self.number,
            title: self.title,
            description: self.description,
            impact: self.impact,
            urgency: self.urgency,
            priority: self.priority,
            category: self.category,
            status,
            requester_id: self.requester_id,
            created_by: self.created_by,
            team_id: self.team_id,
            assignee_id: self.assignee_id,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            first_responded_at: self.first_responded_at,
            sla: self.sla,
            next_sla_due_at: self.next_sla_due_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
            details,
        }
    }
}

impl<S: KindState, D: Clone> Ticket<S, D> {
    /// The kind-erased copy (status as its name, no extension).
    pub fn erased(&self) -> AnyTicket {
        self.clone().map(self.status.name().to_owned(), ())
    }

    /// The class of the current state.
    pub fn status_class(&self) -> StatusClass {
        self.status.class()
    }
}

impl AnyTicket {
    /// The class of the stored state; `None` when the kind's lifecycle has no such state.
    pub fn status_class(&self) -> Option<StatusClass> {
        class_of(self.kind, &self.status)
    }

    /// The typed ticket of kind `S::KIND` with extension `details`.
    ///
    /// # Errors
    /// When the ticket is of another kind or its status is not a state of that lifecycle
    /// (the stored text is named in the error).
    pub fn typed<S: KindState, D>(self, details: D) -> Result<Ticket<S, D>, String> {
        if self.kind != S::KIND {
            return Err(format!(
                "{} is a {}, not a {}",
                self.reference(),
                self.kind,
                S::KIND
            ));
        }
        let status = self
            .status
            .parse::<S>()
            .map_err(|_| format!("{} status {:?}", self.kind, self.status))?;
        Ok(self.map(status, details))
    }
}

/// Which promise a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// Time to the first public reply by staff.
    FirstResponse,
    /// Time to resolution (for a request: to fulfilment).
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

/// The SLA attached to a ticket: the policy chosen at creation (or on a priority change)
/// and its two clocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSla {
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

impl TicketSla {
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

    /// The queue's SLA state: breached when either clock recorded a breach, warning when
    /// either recorded a warning, else ok.
    pub fn state(&self) -> SlaState {
        let clocks = [&self.response, &self.resolution];
        if clocks.iter().any(|c| c.breached_at.is_some()) {
            SlaState::Breached
        } else if clocks.iter().any(|c| c.warned_at.is_some()) {
            SlaState::Warning
        } else {
            SlaState::Ok
        }
    }
}

/// A ticket's SLA standing as the monitor recorded it (the queue filters on it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// No SLA applies.
    None,
    /// Within target, no warning recorded.
    Ok,
    /// A warning threshold passed, no breach.
    Warning,
    /// A target was breached.
    Breached,
}

impl SlaState {
    /// Every state.
    pub const ALL: &'static [SlaState] = &[Self::None, Self::Ok, Self::Warning, Self::Breached];

    /// The stored and wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Breached => "breached",
        }
    }

    /// The state of a ticket with `sla`.
    pub fn of(sla: Option<&TicketSla>) -> Self {
        sla.map_or(Self::None, TicketSla::state)
    }
}
