//! Opening an incident.

use servicedesk_lifecycle::StateMachine;
use servicedesk_lifecycle::incident::Incident as IncidentMachine;
use servicedesk_rbac::{Action, Decision, ResourceKind, ResourceRef};

use crate::actor::Actor;
use crate::entities::{Body, Category, Incident, Title};
use crate::error::{Error, FieldError, Result};
use crate::events::EventPayload;
use crate::ids::{IncidentId, UserId};
use crate::ports::IdempotencyKey;
use crate::priority::{Impact, Priority, Urgency};
use crate::usecases::record::Record;
use crate::usecases::sla::start_clocks;
use crate::usecases::{IncidentView, Incidents, Outcome};

/// Input of [`Incidents::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIncident {
    /// One-line summary (1–200 characters).
    pub title: String,
    /// What happened (1–20,000 characters).
    pub description: String,
    /// Business impact.
    pub impact: Impact,
    /// Time pressure.
    pub urgency: Urgency,
    /// Category path (optional, up to 100 characters).
    pub category: Option<String>,
    /// Raise it on behalf of this requester (staff only); default: the actor.
    pub requester_id: Option<UserId>,
}

/// Longest idempotency key accepted.
const MAX_KEY_LEN: usize = 255;

impl Incidents {
    /// Opens an incident: priority from the matrix, number from the store, SLA policy
    /// attached and its clocks started. With an idempotency key seen before (same user),
    /// returns the incident the first request created and writes nothing (TKT-12).
    ///
    /// # Errors
    /// `Forbidden` when the actor may not create incidents (or not for another requester);
    /// `Invalid` with field errors for bad input; `Internal` when the store fails.
    pub fn open(
        &self,
        actor: &Actor,
        input: OpenIncident,
        idempotency_key: Option<&str>,
    ) -> Result<Outcome<IncidentView>> {
        super::access::precheck(actor, Action::Create)?;
        let (title, description, category, key) = validate(&input, idempotency_key)?;
        let org = actor.org_id();

        let requester_id = match input.requester_id {
            Some(id) if id != actor.user_id() => {
                if !actor.is_staff() {
                    return Err(Error::Forbidden {
                        reason: "only staff may open incidents for someone else".into(),
                    });
                }
                match self.directory.user(org, id) {
                    Ok(user) if user.active => id,
                    Ok(_) => {
                        return Err(Error::invalid(
                            "requester_id",
                            "inactive",
                            "user is deactivated",
                        ));
                    }
                    Err(_) => {
                        return Err(Error::invalid("requester_id", "unknown", "no such user"));
                    }
                }
            }
            _ => actor.user_id(),
        };
        let target = ResourceRef {
            kind: ResourceKind::Incident,
            org_id: org.0,
            requester_id: Some(requester_id.0),
            assignee_id: None,
            team_id: None,
        };
        if let Decision::Deny(reason) = actor.decide(Action::Create, &target) {
            return Err(Error::Forbidden {
                reason: reason.to_string(),
            });
        }

        let now = self.clock.now();
        let mut incident = Incident {
            id: IncidentId(self.ids.new_id()),
            org_id: org,
            number: 0,
            title: title.into_string(),
            description: description.into_string(),
            impact: input.impact,
            urgency: input.urgency,
            priority: Priority::from_matrix(input.impact, input.urgency),
            category: category.into_string(),
            status: IncidentMachine::initial(),
            requester_id,
            created_by: actor.user_id(),
            team_id: None,
            assignee_id: None,
            kind: crate::tickets::TicketKind::Incident,
            details: crate::entities::IncidentDetails {
                escalation_level: 0,
                resolution_code: None,
                resolution_notes: None,
            },
            resolved_at: None,
            closed_at: None,
            first_responded_at: None,
            sla: None,
            next_sla_due_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let calendar = match self.select_sla(&incident)? {
            Some((record, calendar)) => {
                incident.sla = Some(start_clocks(&record, now));
                incident.refresh_next_sla_due(&calendar);
                Some(calendar)
            }
            None => None,
        };

        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        record.field("status", None, Some(incident.status));
        record.event(EventPayload::IncidentCreated {
            incident_id: incident.id,
            priority: incident.priority,
            requester_id,
        });
        let write = record.finish("incident.create", "incident", incident.id.to_string());
        let key = key.map(|key| IdempotencyKey {
            user_id: actor.user_id(),
            key,
        });
        let created = self.store.create(org, &incident, &write, key)?;
        let events = if created.replayed {
            Vec::new()
        } else {
            write.events
        };
        let calendar = if created.replayed {
            self.calendar_of(&created.value)?
        } else {
            calendar
        };
        Ok(Outcome {
            value: self.view_with(actor, created.value, calendar.as_ref()),
            events,
        })
    }
}

type Valid = (Title, Body, Category, Option<String>);

fn validate(input: &OpenIncident, key: Option<&str>) -> Result<Valid> {
    let mut errors: Vec<FieldError> = Vec::new();
    let title = Title::parse_line("title", &input.title)
        .map_err(|e| errors.push(e))
        .ok();
    let description = Body::parse("description", &input.description)
        .map_err(|e| errors.push(e))
        .ok();
    let category = Category::parse("category", input.category.as_deref().unwrap_or(""))
        .map_err(|e| errors.push(e))
        .ok();
    let key = idempotency_key(key)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    match (title, description, category) {
        (Some(t), Some(d), Some(c)) if errors.is_empty() => Ok((t, d, c, key)),
        _ => Err(Error::Invalid(errors)),
    }
}

/// A client's `Idempotency-Key` (TKT-12): 1–255 printable ASCII characters.
///
/// # Errors
/// A [`FieldError`] on `idempotency_key` otherwise.
pub(crate) fn idempotency_key(
    key: Option<&str>,
) -> std::result::Result<Option<String>, FieldError> {
    match key {
        None => Ok(None),
        Some(k)
            if k.is_empty()
                || k.len() > MAX_KEY_LEN
                || !k.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Err(FieldError::new(
                "idempotency_key",
                "invalid",
                format!("must be 1–{MAX_KEY_LEN} printable ASCII characters"),
            ))
        }
        Some(k) => Ok(Some(k.to_owned())),
    }
}
