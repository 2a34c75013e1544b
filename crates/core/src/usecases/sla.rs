//! SLA clocks on incidents (SLA-2, SLA-3): which policy applies, and how lifecycle moves,
//! first responses and priority changes move the clocks.

use chrono::{DateTime, Utc};
use servicedesk_lifecycle::Effect;
use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_sla::{Calendar, SlaClock, TicketFacts, select_policy};

use crate::entities::{Incident, IncidentSla};
use crate::error::Result;
use crate::ports::SlaPolicyRecord;
use crate::usecases::Incidents;

/// The ticket type name SLA policies match on.
const TICKET_TYPE: &str = "incident";

impl Incidents {
    /// The policy that applies to the incident as it is now, with its calendar.
    pub(super) fn select_sla(
        &self,
        incident: &Incident,
    ) -> Result<Option<(SlaPolicyRecord, Calendar)>> {
        let records = self.sla.policies(incident.org_id)?;
        let policies: Vec<_> = records.iter().map(|r| r.policy.clone()).collect();
        let org = incident.org_id.to_string();
        let facts = TicketFacts {
            ticket_type: TICKET_TYPE,
            priority: incident.priority.as_str(),
            category: Some(incident.category.as_str()).filter(|c| !c.is_empty()),
            requester_org: Some(org.as_str()),
        };
        let Some(chosen) = select_policy(&policies, &facts) else {
            return Ok(None);
        };
        let Some(record) = records.iter().find(|r| r.policy.id == chosen.id) else {
            return Ok(None);
        };
        let calendar = self.sla.calendar(incident.org_id, record.calendar_id)?;
        Ok(Some((record.clone(), calendar)))
    }

    /// The calendar of the incident's clocks, when it has an SLA.
    pub(super) fn calendar_of(&self, incident: &Incident) -> Result<Option<Calendar>> {
        match &incident.sla {
            Some(sla) => Ok(Some(self.sla.calendar(incident.org_id, sla.calendar_id)?)),
            None => Ok(None),
        }
    }
}

/// Starts both clocks of `record` at `now`.
pub(super) fn start_clocks(record: &SlaPolicyRecord, now: DateTime<Utc>) -> IncidentSla {
    let p = &record.policy;
    IncidentSla {
        policy_id: record.id,
        calendar_id: record.calendar_id,
        pause_statuses: p.pause_statuses.clone(),
        response: SlaClock::start(p.first_response, p.warn_percent, now),
        resolution: SlaClock::start(p.resolution, p.warn_percent, now),
    }
}

/// Applies the clock effects of a lifecycle move, then pauses or resumes the clocks by the
/// policy's pause statuses for the new state.
pub(super) fn apply_move(
    sla: &mut IncidentSla,
    effects: &[Effect],
    status: IncidentState,
    calendar: &Calendar,
    now: DateTime<Utc>,
) {
    for effect in effects {
        match effect {
            // Resolving answers the requester too: a response clock still running stops.
            Effect::StopResolutionSla | Effect::StopAllSla => {
                sla.response.stop(calendar, now);
                sla.resolution.stop(calendar, now);
            }
            Effect::RestartResolutionSla => sla.resolution.restart(now),
            _ => {}
        }
    }
    let pause = sla.pause_statuses.iter().any(|s| s == status.as_str());
    for (_, clock) in sla.clocks_mut() {
        if pause {
            clock.pause(calendar, now);
        } else {
            clock.resume(now);
        }
    }
}

/// Stops the first-response clock: staff answered publicly.
pub(super) fn first_response(sla: &mut IncidentSla, calendar: &Calendar, now: DateTime<Utc>) {
    sla.response.stop(calendar, now);
}

/// Moves the clocks to a newly selected policy, keeping the business time already consumed.
/// The running segment is folded in under the old calendar first, so a calendar switch does
/// not re-measure time already spent.
pub(super) fn switch_policy(
    sla: &mut IncidentSla,
    old_calendar: &Calendar,
    record: &SlaPolicyRecord,
    now: DateTime<Utc>,
) {
    for (_, clock) in sla.clocks_mut() {
        if clock.is_running() {
            clock.pause(old_calendar, now);
            clock.resume(now);
        }
    }
    let p = &record.policy;
    sla.response.retarget(p.first_response, p.warn_percent);
    sla.resolution.retarget(p.resolution, p.warn_percent);
    sla.policy_id = record.id;
    sla.calendar_id = record.calendar_id;
    sla.pause_statuses = p.pause_statuses.clone();
}
