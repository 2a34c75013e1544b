//! Editing an incident's fields.

use servicedesk_rbac::Action;

use crate::actor::Actor;
use crate::entities::{Body, Category, Title};
use crate::error::{Error, FieldError, Result};
use crate::events::EventPayload;
use crate::priority::{Impact, Priority, Urgency};
use crate::usecases::access::{Deleted, authorize, precheck};
use crate::usecases::record::Record;
use crate::usecases::sla::switch_policy;
use crate::usecases::{IncidentRef, IncidentView, Incidents, Outcome};

/// Input of [`Incidents::update`]: the fields to change (absent = unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpdateIncident {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New impact (priority follows from the matrix).
    pub impact: Option<Impact>,
    /// New urgency (priority follows from the matrix).
    pub urgency: Option<Urgency>,
    /// New category; an empty string clears it.
    pub category: Option<String>,
}

impl Incidents {
    /// Changes fields of an incident, naming the version the client read (TKT-11). A changed
    /// impact or urgency recomputes the priority, which re-selects the SLA policy and
    /// retargets the clocks, keeping the business time already consumed (history records it).
    ///
    /// # Errors
    /// `Invalid` for bad or no fields (before any store call); `NotFound`; `Forbidden`;
    /// `Conflict` when `expected_version` is stale (nothing written);
    /// `IllegalTransition` for a closed or cancelled incident.
    pub fn update(
        &self,
        actor: &Actor,
        r: IncidentRef,
        expected_version: i64,
        input: UpdateIncident,
    ) -> Result<Outcome<IncidentView>> {
        precheck(actor, Action::Update)?;
        let valid = validate(&input)?;
        let mut incident = self.load(actor, r, Deleted::Hidden)?;
        authorize(actor, Action::Update, &incident)?;
        Self::check_version(&incident, Some(expected_version))?;
        if incident.status.is_final() {
            return Err(Error::IllegalTransition {
                message: format!("a {} incident cannot be edited", incident.status),
                legal_actions: Vec::new(),
            });
        }

        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        if let Some(title) = valid.title {
            record.field("title", Some(&incident.title), Some(&title));
            incident.title = title;
        }
        if let Some(description) = valid.description {
            record.field(
                "description",
                Some(&incident.description),
                Some(&description),
            );
            incident.description = description;
        }
        if let Some(category) = valid.category {
            record.field("category", Some(&incident.category), Some(&category));
            incident.category = category;
        }
        if let Some(impact) = input.impact {
            record.field("impact", Some(incident.impact), Some(impact));
            incident.impact = impact;
        }
        if let Some(urgency) = input.urgency {
            record.field("urgency", Some(incident.urgency), Some(urgency));
            incident.urgency = urgency;
        }
        let priority = Priority::from_matrix(incident.impact, incident.urgency);
        let mut calendar = self.calendar_of(&incident)?;
        if priority != incident.priority {
            record.field("priority", Some(incident.priority), Some(priority));
            incident.priority = priority;
            calendar = self.reselect_sla(&mut incident, calendar, &mut record)?;
        }
        if record.changes().is_empty() {
            // Nothing differs from what is stored: no write, no event, same version.
            return Ok(Outcome {
                value: self.view_with(actor, incident, calendar.as_ref()),
                events: Vec::new(),
            });
        }
        let changes = record.changes().to_vec();
        record.event(EventPayload::IncidentUpdated {
            incident_id: incident.id,
            changes,
        });
        incident.updated_at = now;
        let write = record.finish("incident.update", "incident", incident.id.to_string());
        let stored = self
            .store
            .update(actor.org_id(), &incident, expected_version, &write)?;
        Ok(Outcome {
            value: self.view_with(actor, stored, calendar.as_ref()),
            events: write.events,
        })
    }

    /// After a priority change: the policy for the new facts takes over the clocks. When no
    /// policy matches any more the clocks keep their targets, so no promise is silently dropped.
    pub(super) fn reselect_sla(
        &self,
        incident: &mut crate::entities::Incident,
        calendar: Option<servicedesk_sla::Calendar>,
        record: &mut Record<'_>,
    ) -> Result<Option<servicedesk_sla::Calendar>> {
        let now = record.at;
        let Some((policy, new_calendar)) = self.select_sla(incident)? else {
            return Ok(calendar);
        };
        match (incident.sla.as_mut(), calendar.as_ref()) {
            (Some(sla), Some(old_calendar)) => {
                let old = sla.policy_id;
                let old_targets = (sla.response.target, sla.resolution.target);
                switch_policy(sla, old_calendar, &policy, now);
                record.field("sla_policy_id", Some(old), Some(sla.policy_id));
                record.field(
                    "sla_targets_minutes",
                    Some(format!(
                        "{}/{}",
                        old_targets.0.num_minutes(),
                        old_targets.1.num_minutes()
                    )),
                    Some(format!(
                        "{}/{}",
                        sla.response.target.num_minutes(),
                        sla.resolution.target.num_minutes()
                    )),
                );
            }
            _ if !incident.status.is_active() => return Ok(calendar),
            _ => {
                // The incident had no SLA: the new policy starts counting now.
                let sla = super::sla::start_clocks(&policy, now);
                record.field("sla_policy_id", None, Some(sla.policy_id));
                incident.sla = Some(sla);
            }
        }
        incident.refresh_next_sla_due(&new_calendar);
        Ok(Some(new_calendar))
    }
}

struct Valid {
    title: Option<String>,
    description: Option<String>,
    category: Option<String>,
}

fn validate(input: &UpdateIncident) -> Result<Valid> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut check = |r: std::result::Result<String, FieldError>| r.map_err(|e| errors.push(e)).ok();
    let title = input
        .title
        .as_deref()
        .and_then(|t| check(Title::parse_line("title", t).map(Title::into_string)));
    let description = input
        .description
        .as_deref()
        .and_then(|d| check(Body::parse("description", d).map(Body::into_string)));
    let category = input
        .category
        .as_deref()
        .and_then(|c| check(Category::parse("category", c).map(Category::into_string)));
    let empty = input == &UpdateIncident::default();
    if empty {
        errors.push(FieldError::new(
            "body",
            "empty",
            "name at least one field to change",
        ));
    }
    if errors.is_empty() {
        Ok(Valid {
            title,
            description,
            category,
        })
    } else {
        Err(Error::Invalid(errors))
    }
}
