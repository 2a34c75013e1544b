//! Escalating an incident (TKT-4): functionally to another team, or hierarchically to the
//! manager of its team.

use servicedesk_rbac::Action;

use crate::actor::Actor;
use crate::entities::Body;
use crate::error::{Error, Result};
use crate::events::EventPayload;
use crate::ids::TeamId;
use crate::usecases::access::{Deleted, authorize, precheck};
use crate::usecases::record::Record;
use crate::usecases::{IncidentRef, IncidentView, Incidents, Outcome};

/// Input of [`Incidents::escalate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escalation {
    /// Hand the incident to another team; the current agent is released.
    Functional {
        /// The receiving team.
        to_team_id: TeamId,
        /// Why (required).
        reason: String,
    },
    /// Involve the manager of the incident's team; the assignment stays.
    Hierarchical {
        /// Why (required).
        reason: String,
    },
}

impl Incidents {
    /// Escalates an incident and raises its escalation level.
    ///
    /// # Errors
    /// `Invalid` for a missing reason, an unknown team, the same team, or (hierarchical) an
    /// incident without a team or a team without a manager; `NotFound`; `Forbidden`;
    /// `Conflict`; `IllegalTransition` once the incident is resolved, closed or cancelled.
    pub fn escalate(
        &self,
        actor: &Actor,
        r: IncidentRef,
        expected_version: Option<i64>,
        input: Escalation,
    ) -> Result<Outcome<IncidentView>> {
        precheck(actor, Action::Escalate)?;
        let reason = match &input {
            Escalation::Functional { reason, .. } | Escalation::Hierarchical { reason } => {
                Body::parse("reason", reason).map_err(|e| Error::Invalid(vec![e]))?
            }
        };
        let mut incident = self.load(actor, r, Deleted::Hidden)?;
        authorize(actor, Action::Escalate, &incident)?;
        Self::check_version(&incident, expected_version)?;
        if !incident.status.is_active() {
            return Err(Error::IllegalTransition {
                message: format!("a {} incident cannot be escalated", incident.status),
                legal_actions: Vec::new(),
            });
        }

        let org = actor.org_id();
        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        let level = incident.details.escalation_level + 1;
        let (to_team_id, to_manager_id) = match input {
            Escalation::Functional { to_team_id, .. } => {
                let team = self.team_in(org, to_team_id)?;
                if incident.team_id == Some(team.id) {
                    return Err(Error::invalid(
                        "to_team_id",
                        "same_team",
                        "the incident is already with this team",
                    ));
                }
                record.field("team_id", incident.team_id, Some(team.id));
                record.field("assignee_id", incident.assignee_id, None);
                incident.team_id = Some(team.id);
                incident.assignee_id = None;
                (Some(team.id), None)
            }
            Escalation::Hierarchical { .. } => {
                let Some(team_id) = incident.team_id else {
                    return Err(Error::invalid(
                        "hierarchical",
                        "no_team",
                        "the incident has no team to escalate within",
                    ));
                };
                let team = self.team_in(org, team_id)?;
                let Some(manager) = team.manager_id else {
                    return Err(Error::invalid(
                        "hierarchical",
                        "no_manager",
                        "the incident's team has no manager",
                    ));
                };
                (None, Some(manager))
            }
        };
        record.field(
            "escalation_level",
            Some(incident.details.escalation_level),
            Some(level),
        );
        incident.details.escalation_level = level;
        record.event(EventPayload::IncidentEscalated {
            incident_id: incident.id,
            to_team_id,
            to_manager_id,
            level,
            reason: reason.into_string(),
        });
        incident.updated_at = now;
        let write = record.finish("incident.escalate", "incident", incident.id.to_string());
        let version = incident.version;
        let stored = self.store.update(org, &incident, version, &write)?;
        self.view(actor, stored).map(|value| Outcome {
            value,
            events: write.events,
        })
    }
}
