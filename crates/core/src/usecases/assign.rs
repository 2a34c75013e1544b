//! Assigning an incident to a team and/or an agent (TKT-4).

use servicedesk_lifecycle::incident::{IncidentAction, IncidentContext};
use servicedesk_rbac::Action;

use crate::actor::Actor;
use crate::entities::{Team, User};
use crate::error::{Error, FieldError, Result};
use crate::events::EventPayload;
use crate::ids::{OrgId, TeamId, UserId};
use crate::ports::StoreError;
use crate::usecases::access::{Deleted, authorize, precheck};
use crate::usecases::record::Record;
use crate::usecases::{IncidentRef, IncidentView, Incidents, Outcome};

/// Input of [`Incidents::assign`]: at least one of the two.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The assignment group.
    pub team_id: Option<TeamId>,
    /// The agent; must be active staff and, when the incident has a team, a member of it.
    pub assignee_id: Option<UserId>,
}

impl Incidents {
    /// Assigns or reassigns an incident. A new incident becomes open. Giving only a team
    /// keeps the current agent if they belong to it, otherwise clears the agent.
    ///
    /// # Errors
    /// `Invalid` when neither field is given, or the team or agent is unknown in the
    /// organization, inactive, not staff, or not a member of the team; `NotFound`;
    /// `Forbidden`; `Conflict`; `IllegalTransition` for a resolved, closed or cancelled
    /// incident.
    pub fn assign(
        &self,
        actor: &Actor,
        r: IncidentRef,
        expected_version: Option<i64>,
        input: Assignment,
    ) -> Result<Outcome<IncidentView>> {
        precheck(actor, Action::Assign)?;
        if input.team_id.is_none() && input.assignee_id.is_none() {
            return Err(Error::Invalid(vec![
                FieldError::new("team_id", "required", "give a team, an assignee or both"),
                FieldError::new(
                    "assignee_id",
                    "required",
                    "give a team, an assignee or both",
                ),
            ]));
        }
        let mut incident = self.load(actor, r, Deleted::Hidden)?;
        authorize(actor, Action::Assign, &incident)?;
        Self::check_version(&incident, expected_version)?;

        let org = actor.org_id();
        let team = input.team_id.map(|id| self.team_in(org, id)).transpose()?;
        let assignee = input
            .assignee_id
            .map(|id| self.agent_in(org, id))
            .transpose()?;
        let team_id = team.as_ref().map(|t| t.id).or(incident.team_id);
        let assignee_id = match (&assignee, team_id) {
            (Some(user), Some(team)) if !user.team_ids.contains(&team) => {
                return Err(Error::invalid(
                    "assignee_id",
                    "not_in_team",
                    "the assignee is not a member of the incident's team",
                ));
            }
            (Some(user), _) => Some(user.id),
            // A new team alone: keep the agent only if they are in it.
            (None, Some(team)) => match incident.assignee_id {
                Some(current)
                    if self
                        .agent_in(org, current)
                        .is_ok_and(|u| u.team_ids.contains(&team)) =>
                {
                    Some(current)
                }
                _ => None,
            },
            (None, None) => incident.assignee_id,
        };

        let calendar = self.calendar_of(&incident)?;
        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        let ctx = IncidentContext {
            has_assignee: assignee_id.is_some(),
            ..IncidentContext::default()
        };
        self.apply_move(
            &mut incident,
            IncidentAction::Assign,
            &ctx,
            calendar.as_ref(),
            &mut record,
        )?;
        record.field("team_id", incident.team_id, team_id);
        record.field("assignee_id", incident.assignee_id, assignee_id);
        incident.team_id = team_id;
        incident.assignee_id = assignee_id;
        record.event(EventPayload::IncidentAssigned {
            incident_id: incident.id,
            team_id,
            assignee_id,
        });
        incident.updated_at = now;
        let write = record.finish("incident.assign", "incident", incident.id.to_string());
        let version = incident.version;
        let stored = self.store.update(org, &incident, version, &write)?;
        Ok(Outcome {
            value: self.view_with(actor, stored, calendar.as_ref()),
            events: write.events,
        })
    }

    /// The team `id` of `org`, or a field error.
    pub(super) fn team_in(&self, org: OrgId, id: TeamId) -> Result<Team> {
        match self.directory.team(org, id) {
            Ok(team) => Ok(team),
            Err(StoreError::NotFound(_)) => {
                Err(Error::invalid("team_id", "unknown", "no such team"))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The active staff member `id` of `org`, or a field error.
    pub(super) fn agent_in(&self, org: OrgId, id: UserId) -> Result<User> {
        match self.directory.user(org, id) {
            Ok(user) if !user.active => Err(Error::invalid(
                "assignee_id",
                "inactive",
                "the user is deactivated",
            )),
            Ok(user) => {
                let org = user.org_id;
                let staff =
                    crate::visibility::actor_of(&user, || self.directory.custom_roles(org))?
                        .is_staff();
                if staff {
                    Ok(user)
                } else {
                    Err(Error::invalid(
                        "assignee_id",
                        "not_staff",
                        "only staff (incident:read beyond their own tickets) can be assigned work",
                    ))
                }
            }
            Err(StoreError::NotFound(_)) => {
                Err(Error::invalid("assignee_id", "unknown", "no such user"))
            }
            Err(e) => Err(e.into()),
        }
    }
}
