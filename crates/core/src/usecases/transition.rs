//! Lifecycle moves of an incident (INC): start, hold, resume, resolve, reopen, close, cancel.

use servicedesk_lifecycle::incident::{
    Incident as IncidentMachine, IncidentAction, IncidentContext, IncidentState,
};
use servicedesk_lifecycle::{Effect, GuardFailure, StateMachine, TransitionError};
use servicedesk_rbac::Action;
use servicedesk_sla::Calendar;

use crate::actor::Actor;
use crate::entities::{Body, Incident, ResolutionCode};
use crate::error::{Error, FieldError, Result};
use crate::events::EventPayload;
use crate::usecases::access::{Deleted, authorize, precheck};
use crate::usecases::record::Record;
use crate::usecases::sla::apply_move;
use crate::usecases::{IncidentRef, IncidentView, Incidents, Outcome};

/// The moves a requester may make on their own incident: confirm (close) or reopen a
/// resolution, or withdraw it.
pub(super) const REQUESTER_ACTIONS: [IncidentAction; 3] = [
    IncidentAction::Close,
    IncidentAction::Reopen,
    IncidentAction::Cancel,
];

/// Input of [`Incidents::transition`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    /// The move.
    pub action: IncidentAction,
    /// Required with `resolve`.
    pub resolution_code: Option<String>,
    /// Required with `resolve`.
    pub resolution_notes: Option<String>,
}

impl TransitionRequest {
    /// A move that needs no extra input.
    pub fn new(action: IncidentAction) -> Self {
        Self {
            action,
            resolution_code: None,
            resolution_notes: None,
        }
    }

    /// A resolve with its code and notes.
    pub fn resolve(code: &str, notes: &str) -> Self {
        Self {
            action: IncidentAction::Resolve,
            resolution_code: Some(code.to_owned()),
            resolution_notes: Some(notes.to_owned()),
        }
    }
}

impl Incidents {
    /// Moves an incident in its lifecycle. Staff may make every legal move; a requester may
    /// close, reopen or cancel their own incident. Starting an unassigned incident makes the
    /// acting agent its assignee. SLA clocks pause, stop and restart as the move demands.
    ///
    /// # Errors
    /// `Invalid` for a resolve without code or notes (before any store call); `NotFound`;
    /// `Forbidden`; `Conflict` for a stale `expected_version`; `IllegalTransition` naming the
    /// legal actions when the move is not allowed from the current state.
    pub fn transition(
        &self,
        actor: &Actor,
        r: IncidentRef,
        expected_version: Option<i64>,
        request: TransitionRequest,
    ) -> Result<Outcome<IncidentView>> {
        precheck(actor, Action::Transition)?;
        let resolution = validate(&request)?;
        let mut incident = self.load(actor, r, Deleted::Hidden)?;
        authorize(actor, Action::Transition, &incident)?;
        if !actor.is_staff() && !REQUESTER_ACTIONS.contains(&request.action) {
            return Err(Error::Forbidden {
                reason: format!("requesters may not {} an incident", request.action),
            });
        }
        Self::check_version(&incident, expected_version)?;

        let open_tasks = if matches!(request.action, IncidentAction::Close) {
            // A parent link's rule (docs/tickets.md): no closing while a child is open.
            let children = self.store.open_child_count(actor.org_id(), incident.id)?;
            if children > 0 {
                return Err(Error::IllegalTransition {
                    message: format!(
                        "{children} child ticket(s) of {} are still open; close them first",
                        incident.reference()
                    ),
                    legal_actions: Vec::new(),
                });
            }
            self.store.open_task_count(actor.org_id(), incident.id)?
        } else {
            0
        };
        let ctx = IncidentContext {
            has_assignee: incident.assignee_id.is_some(),
            actor_can_take: actor.is_staff(),
            resolution_code: resolution.as_ref().map(|(c, _)| c.as_str().to_owned()),
            resolution_notes: resolution.as_ref().map(|(_, n)| n.as_str().to_owned()),
            open_tasks,
        };
        let calendar = self.calendar_of(&incident)?;
        let now = self.clock.now();
        let mut record = Record::new(actor, self.ids.as_ref(), incident.id, now);
        self.apply_move(
            &mut incident,
            request.action,
            &ctx,
            calendar.as_ref(),
            &mut record,
        )?;
        incident.updated_at = now;
        let write = record.finish(
            &format!("incident.{}", request.action),
            "incident",
            incident.id.to_string(),
        );
        let version = incident.version;
        let stored = self
            .store
            .update(actor.org_id(), &incident, version, &write)?;
        Ok(Outcome {
            value: self.view_with(actor, stored, calendar.as_ref()),
            events: write.events,
        })
    }

    /// Closes a resolved incident for the system (auto-close after `after_days`): the same
    /// lifecycle move as a user's close ([`Incidents::apply_move`]: clocks stopped, next
    /// due instant recomputed, `closed_at`, history, the status event), without an actor,
    /// audited as `incident.auto_close`. `Ok(None)` when the incident may not close now
    /// (no longer resolved, open tasks); the store refuses it, too, when a task or another
    /// change came in after `incident` was read (`Conflict`).
    ///
    /// # Errors
    /// `Conflict` or `NotFound` when the incident changed or went away meanwhile; store
    /// failures.
    pub fn close_resolved(
        &self,
        mut incident: Incident,
        after_days: u32,
    ) -> Result<Option<Incident>> {
        if incident.status != IncidentState::Resolved
            || self.store.open_child_count(incident.org_id, incident.id)? > 0
        {
            return Ok(None);
        }
        let ctx = IncidentContext {
            has_assignee: incident.assignee_id.is_some(),
            actor_can_take: false,
            resolution_code: incident.details.resolution_code.clone(),
            resolution_notes: incident.details.resolution_notes.clone(),
            open_tasks: self.store.open_task_count(incident.org_id, incident.id)?,
        };
        let calendar = self.calendar_of(&incident)?;
        let now = self.clock.now();
        let mut record = Record::system(incident.org_id, self.ids.as_ref(), incident.id, now);
        match self.apply_move(
            &mut incident,
            IncidentAction::Close,
            &ctx,
            calendar.as_ref(),
            &mut record,
        ) {
            Ok(()) => {}
            Err(Error::IllegalTransition { .. }) => return Ok(None),
            Err(e) => return Err(e),
        }
        incident.updated_at = now;
        let mut detail = serde_json::Map::new();
        detail.insert("after_days".into(), after_days.into());
        let mut write = record.finish_with(
            "incident.auto_close",
            "incident",
            incident.id.to_string(),
            detail,
        );
        // The event says who closed it (docs/sla.md): `auto_close`, not a user's `close`.
        for event in &mut write.events {
            if let EventPayload::IncidentStatusChanged { action, .. } = &mut event.payload {
                "auto_close".clone_into(action);
            }
        }
        let version = incident.version;
        let stored = self
            .store
            .update(incident.org_id, &incident, version, &write)?;
        Ok(Some(stored))
    }

    /// Resolves a duplicate because its original (`original`, a reference such as `INC-12`)
    /// was resolved: the system's moves through the incident lifecycle — `start` first when
    /// nobody has started it (the system takes no ownership), then `resolve` with code
    /// `duplicate` and notes naming the original — with history, clocks and status events
    /// as for a user's moves, audited as `incident.resolve_with_original`. `Ok(None)` when
    /// the incident is no longer active (resolved, closed or cancelled meanwhile).
    ///
    /// # Errors
    /// `Conflict` or `NotFound` when the incident changed or went away meanwhile; store
    /// failures.
    pub fn resolve_with_original(
        &self,
        org: crate::ids::OrgId,
        id: crate::ids::IncidentId,
        original: &str,
    ) -> Result<Option<Incident>> {
        let mut incident = self.store.get(org, id)?;
        if !incident.status.is_active() || incident.deleted_at.is_some() {
            return Ok(None);
        }
        let ctx = IncidentContext {
            has_assignee: incident.assignee_id.is_some(),
            actor_can_take: true,
            resolution_code: Some("duplicate".to_owned()),
            resolution_notes: Some(format!("Resolved with its original, {original}.")),
            open_tasks: 0,
        };
        let calendar = self.calendar_of(&incident)?;
        let now = self.clock.now();
        let mut record = Record::system(org, self.ids.as_ref(), incident.id, now);
        if matches!(incident.status, IncidentState::New | IncidentState::Open) {
            self.apply_move(
                &mut incident,
                IncidentAction::Start,
                &ctx,
                calendar.as_ref(),
                &mut record,
            )?;
        }
        self.apply_move(
            &mut incident,
            IncidentAction::Resolve,
            &ctx,
            calendar.as_ref(),
            &mut record,
        )?;
        incident.updated_at = now;
        let mut detail = serde_json::Map::new();
        detail.insert("original".into(), original.into());
        let mut write = record.finish_with(
            "incident.resolve_with_original",
            "incident",
            incident.id.to_string(),
            detail,
        );
        for event in &mut write.events {
            if let EventPayload::IncidentStatusChanged { action, to, .. } = &mut event.payload
                && to == "resolved"
            {
                "resolve_with_original".clone_into(action);
            }
        }
        let version = incident.version;
        Ok(Some(self.store.update(org, &incident, version, &write)?))
    }

    /// Runs the state machine and applies its effects to `incident`, recording history and
    /// the status event. Shared by every use case that moves the lifecycle (assign, and
    /// the system's auto-close too).
    pub(super) fn apply_move(
        &self,
        incident: &mut Incident,
        action: IncidentAction,
        ctx: &IncidentContext,
        calendar: Option<&Calendar>,
        record: &mut Record<'_>,
    ) -> Result<()> {
        let from = incident.status;
        let moved = IncidentMachine::transition(from, action, ctx).map_err(refusal)?;
        let now = record.at;
        for effect in &moved.effects {
            match effect {
                Effect::TakeOwnership => {
                    if let Some(taker) = record.actor_id() {
                        record.field("assignee_id", incident.assignee_id, Some(taker));
                        incident.assignee_id = Some(taker);
                    }
                }
                Effect::RecordResolution => {
                    record.field(
                        "resolution_code",
                        incident.details.resolution_code.clone(),
                        ctx.resolution_code.clone(),
                    );
                    record.field(
                        "resolution_notes",
                        incident.details.resolution_notes.clone(),
                        ctx.resolution_notes.clone(),
                    );
                    incident.details.resolution_code = ctx.resolution_code.clone();
                    incident.details.resolution_notes = ctx.resolution_notes.clone();
                    incident.resolved_at = Some(now);
                }
                Effect::ClearResolution => {
                    record.field(
                        "resolution_code",
                        incident.details.resolution_code.take(),
                        None,
                    );
                    record.field(
                        "resolution_notes",
                        incident.details.resolution_notes.take(),
                        None,
                    );
                    incident.resolved_at = None;
                }
                _ => {}
            }
        }
        if matches!(moved.to, IncidentState::Closed | IncidentState::Cancelled) {
            incident.closed_at = Some(now);
        }
        if let (Some(sla), Some(calendar)) = (incident.sla.as_mut(), calendar) {
            apply_move(sla, &moved.effects, moved.to, calendar, now);
            incident.refresh_next_sla_due(calendar);
        }
        if moved.to != from {
            record.field("status", Some(from), Some(moved.to));
            incident.status = moved.to;
            record.event(EventPayload::IncidentStatusChanged {
                incident_id: incident.id,
                from: from.to_string(),
                to: moved.to.to_string(),
                action: action.to_string(),
            });
        }
        Ok(())
    }
}

/// The state machine's refusal as a use-case error: a missing input is a field error,
/// anything else names the legal actions.
fn refusal(e: TransitionError<IncidentState, IncidentAction>) -> Error {
    match e {
        TransitionError::Guard {
            reason: GuardFailure::ResolutionCodeMissing,
            ..
        } => Error::invalid(
            "resolution_code",
            "required",
            "a resolution code is required to resolve",
        ),
        TransitionError::Guard {
            reason: GuardFailure::ResolutionNotesMissing,
            ..
        } => Error::invalid(
            "resolution_notes",
            "required",
            "resolution notes are required to resolve",
        ),
        TransitionError::Illegal { ref legal, .. } => Error::IllegalTransition {
            message: e.to_string(),
            legal_actions: legal.iter().map(ToString::to_string).collect(),
        },
        TransitionError::Guard { .. } => Error::IllegalTransition {
            message: e.to_string(),
            legal_actions: Vec::new(),
        },
    }
}

fn validate(request: &TransitionRequest) -> Result<Option<(ResolutionCode, Body)>> {
    if request.action != IncidentAction::Resolve {
        return Ok(None);
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let code = ResolutionCode::parse(
        "resolution_code",
        request.resolution_code.as_deref().unwrap_or(""),
    )
    .map_err(|e| errors.push(e))
    .ok();
    let notes = Body::parse(
        "resolution_notes",
        request.resolution_notes.as_deref().unwrap_or(""),
    )
    .map_err(|e| errors.push(e))
    .ok();
    match (code, notes) {
        (Some(c), Some(n)) => Ok(Some((c, n))),
        _ => Err(Error::Invalid(errors)),
    }
}

impl crate::tickets::DuplicateCloser for Incidents {
    fn kind(&self) -> crate::tickets::TicketKind {
        crate::tickets::TicketKind::Incident
    }

    fn close_duplicate(
        &self,
        org: crate::ids::OrgId,
        id: crate::ids::TicketId,
        original: &str,
    ) -> Result<bool> {
        Ok(self.resolve_with_original(org, id, original)?.is_some())
    }
}
