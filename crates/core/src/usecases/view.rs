//! What a read of an incident shows: the row, the moves the actor may make now, and the
//! state of each SLA clock (SLA-7).

use chrono::{DateTime, Utc};
use serde::Serialize;
use servicedesk_lifecycle::StateMachine;
use servicedesk_lifecycle::incident::{
    Incident as IncidentMachine, IncidentAction, IncidentContext,
};
use servicedesk_rbac::{Action, Decision};
use servicedesk_sla::{Calendar, SlaClock};

use crate::actor::Actor;
use crate::entities::{Incident, IncidentSla};
use crate::error::Result;
use crate::ids::{CalendarId, SlaPolicyId};
use crate::usecases::access::decide;
use crate::usecases::{IncidentRef, Incidents, access::Deleted};

/// An incident as one actor sees it at one instant.
#[derive(Debug, Clone)]
pub struct IncidentView {
    /// The stored incident.
    pub incident: Incident,
    /// Lifecycle actions this actor may ask for now (UIs show these buttons).
    pub legal_actions: Vec<IncidentAction>,
    /// SLA state, when a policy applies.
    pub sla: Option<SlaView>,
}

/// SLA state of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaView {
    /// The applied policy.
    pub policy_id: SlaPolicyId,
    /// The calendar the clocks count in.
    pub calendar_id: CalendarId,
    /// First-response clock.
    pub first_response: SlaTargetView,
    /// Resolution clock.
    pub resolution: SlaTargetView,
}

/// One clock's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlaTargetView {
    /// When it falls due; `None` while paused or stopped.
    pub due_at: Option<DateTime<Utc>>,
    /// Business minutes left (negative once overdue), rounded toward zero.
    pub remaining_minutes: i64,
    /// Paused (the ticket waits on someone else).
    pub paused: bool,
    /// Stopped (met or missed for good).
    pub stopped: bool,
    /// The warning threshold was passed.
    pub warned: bool,
    /// The target was missed.
    pub breached: bool,
}

impl SlaTargetView {
    fn of(clock: &SlaClock, calendar: &Calendar, now: DateTime<Utc>) -> Self {
        let standing = clock.standing(calendar, now);
        Self {
            due_at: clock.due_at(calendar),
            remaining_minutes: standing.remaining.num_minutes(),
            paused: clock.is_paused(),
            stopped: clock.is_stopped(),
            warned: clock.warned_at.is_some() || standing.warning_reached,
            breached: clock.breached_at.is_some() || standing.breached,
        }
    }
}

impl SlaView {
    /// The state of `sla`'s clocks at `now`.
    pub fn of(sla: &IncidentSla, calendar: &Calendar, now: DateTime<Utc>) -> Self {
        Self {
            policy_id: sla.policy_id,
            calendar_id: sla.calendar_id,
            first_response: SlaTargetView::of(&sla.response, calendar, now),
            resolution: SlaTargetView::of(&sla.resolution, calendar, now),
        }
    }
}

impl Incidents {
    /// Reads one incident (by id or `INC-<n>`) with its legal actions and SLA state.
    ///
    /// # Errors
    /// `NotFound` when it does not exist in the actor's organization, is soft-deleted, or is
    /// outside the actor's read scope.
    pub fn get(&self, actor: &Actor, r: IncidentRef) -> Result<IncidentView> {
        let incident = self.load(actor, r, Deleted::Hidden)?;
        self.view(actor, incident)
    }

    /// Builds the view of an incident already loaded for `actor`.
    pub(super) fn view(&self, actor: &Actor, incident: Incident) -> Result<IncidentView> {
        let calendar = self.calendar_of(&incident)?;
        Ok(self.view_with(actor, incident, calendar.as_ref()))
    }

    pub(super) fn view_with(
        &self,
        actor: &Actor,
        incident: Incident,
        calendar: Option<&Calendar>,
    ) -> IncidentView {
        let legal_actions = legal_actions_for(actor, &incident);
        self.view_having(incident, calendar, legal_actions)
    }

    /// [`Self::view_with`] for legal actions already decided ([`legal_actions_for`]).
    pub(super) fn view_having(
        &self,
        incident: Incident,
        calendar: Option<&Calendar>,
        legal_actions: Vec<IncidentAction>,
    ) -> IncidentView {
        let now = self.clock.now();
        let sla = incident
            .sla
            .as_ref()
            .zip(calendar)
            .map(|(s, c)| SlaView::of(s, c, now));
        IncidentView {
            incident,
            legal_actions,
            sla,
        }
    }
}

/// Everything of an incident its legal actions for one actor depend on: its organization,
/// the state, whether it is deleted, and who and which team hold it (what the access
/// decision reads). A listing decides once per distinct key instead of once per incident.
pub(super) type ActionsKey = (
    crate::ids::OrgId,
    servicedesk_lifecycle::incident::IncidentState,
    bool,
    crate::ids::UserId,
    Option<crate::ids::UserId>,
    Option<crate::ids::TeamId>,
);

/// The [`ActionsKey`] of `incident`; kept beside [`legal_actions_for`], which must read
/// nothing else of the incident.
pub(super) fn actions_key(incident: &Incident) -> ActionsKey {
    (
        incident.org_id,
        incident.status,
        incident.is_deleted(),
        incident.requester_id,
        incident.assignee_id,
        incident.team_id,
    )
}

/// The machine's legal actions from the incident's state that this actor may ask for.
pub(super) fn legal_actions_for(actor: &Actor, incident: &Incident) -> Vec<IncidentAction> {
    if incident.is_deleted() {
        return Vec::new();
    }
    let ctx = IncidentContext::default();
    let allowed = |action| matches!(decide(actor, action, incident), Decision::Allow(_));
    IncidentMachine::legal_actions(incident.status, &ctx)
        .into_iter()
        .filter(|a| match a {
            IncidentAction::Assign => allowed(Action::Assign),
            _ => {
                allowed(Action::Transition)
                    && (actor.is_staff() || super::transition::REQUESTER_ACTIONS.contains(a))
            }
        })
        .collect()
}
