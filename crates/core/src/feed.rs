//! What the live feed (NTF-3, `GET /api/v1/stream`) carries: one small item per domain
//! event about a ticket, with the ticket facts a subscriber's access is decided on, so a
//! server process can filter for each connected user without reading the database.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_rbac::ResourceRef;

use crate::actor::Actor;
use crate::events::{DomainEvent, EventPayload};
use crate::ids::{EventId, IncidentId, OrgId, TeamId, UserId};
use crate::tickets::{Ticket, TicketKind};

/// The ticket an item is about, as it is when the item is published (moments after the
/// event's commit; after a backlog, its later state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedTicket {
    /// The ticket.
    pub id: IncidentId,
    /// Its kind (`incident`, `request`, …); absent in items of servers before the kernel.
    #[serde(default = "incident_kind")]
    pub kind: TicketKind,
    /// Its reference, e.g. `INC-12` or `REQ-7`.
    #[serde(default)]
    pub reference: String,
    /// Its number in the organization (per kind).
    pub number: i64,
    /// Its title.
    pub title: String,
    /// Its state, e.g. `in_progress`.
    pub status: String,
    /// Its priority, e.g. `high`.
    pub priority: String,
    /// Who asked.
    pub requester_id: UserId,
    /// Its team.
    pub team_id: Option<TeamId>,
    /// Its agent.
    pub assignee_id: Option<UserId>,
}

fn incident_kind() -> TicketKind {
    TicketKind::Incident
}

impl<S: std::fmt::Display, D> From<&Ticket<S, D>> for FeedTicket {
    fn from(i: &Ticket<S, D>) -> Self {
        Self {
            id: i.id,
            kind: i.kind,
            reference: i.reference(),
            number: i.number,
            title: i.title.clone(),
            status: i.status.to_string(),
            priority: i.priority.as_str().to_owned(),
            requester_id: i.requester_id,
            team_id: i.team_id,
            assignee_id: i.assignee_id,
        }
    }
}

/// One live-feed message. Serialized as the WebSocket text frame clients receive (and, on
/// PostgreSQL, as the `NOTIFY` payload between server processes, so keep it small).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedItem {
    /// The domain event's id; clients de-duplicate on it (delivery is at-least-once).
    pub event_id: EventId,
    /// The organization; an item never reaches another organization's users.
    pub org_id: OrgId,
    /// The event type, e.g. `incident.assigned`.
    pub kind: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who did it (`None` for the system).
    pub actor_id: Option<UserId>,
    /// The ticket.
    pub ticket: FeedTicket,
    /// True when the event is an internal work note (never shown to requesters).
    pub internal: bool,
}

impl FeedItem {
    /// The feed item for `event` about `incident` (`None` for events without a ticket,
    /// such as account mails).
    pub fn of<S: std::fmt::Display, D>(
        event: &DomainEvent,
        incident: &Ticket<S, D>,
    ) -> Option<Self> {
        if event.incident_id() != Some(incident.id) || event.org_id != incident.org_id {
            return None;
        }
        let internal = matches!(
            event.payload,
            EventPayload::CommentAdded { internal: true, .. }
        );
        Some(Self {
            event_id: event.id,
            org_id: event.org_id,
            kind: event.kind().to_owned(),
            occurred_at: event.occurred_at,
            actor_id: event.actor_id,
            ticket: FeedTicket::from(incident),
            internal,
        })
    }

    /// Whether `actor` may see this item: the rule the notification router applies too
    /// ([`crate::visibility::may_see_event`]): same organization, read access to the
    /// ticket (an unassigned-team ticket is in the triage queue of every team member), the
    /// internal-note permission for work notes, staff for internal work (assignment,
    /// escalation, SLA warnings and breaches), `task:read` for task events.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        if actor.org_id() != self.org_id {
            return false;
        }
        let resource = ResourceRef {
            kind: crate::tickets::resource_kind(self.ticket.kind),
            org_id: self.org_id.0,
            requester_id: Some(self.ticket.requester_id.0),
            assignee_id: self.ticket.assignee_id.map(|u| u.0),
            team_id: self.ticket.team_id.map(|t| t.0),
        };
        crate::visibility::may_see_event(actor, &resource, &self.kind, self.internal)
    }
}
