use chrono::TimeDelta;
use servicedesk_lifecycle::incident::{IncidentAction, IncidentState};

use super::fixture::*;
use crate::error::Error;
use crate::usecases::{IncidentRef, TransitionRequest};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

fn act(action: IncidentAction) -> TransitionRequest {
    TransitionRequest::new(action)
}

#[test]
fn agent_starting_an_unassigned_incident_takes_it() {
    let (fx, written) = Fx::new()
        .holding(Incident {
            team_id: Some(T1),
            ..incident(IncidentState::New)
        })
        .accepting_updates();
    let out = fx
        .build()
        .transition(&agent(), ID, Some(3), act(IncidentAction::Start))
        .unwrap();
    assert_eq!(out.value.incident.status, IncidentState::InProgress);
    assert_eq!(out.value.incident.assignee_id, Some(AGENT));
    let (_, _, write) = last(&written);
    assert_eq!(fields(&write), vec!["assignee_id", "status"]);
    assert_eq!(kinds(&write), vec!["incident.status_changed"]);
    assert_eq!(write.audit[0].action, "incident.start");
}

use crate::entities::Incident;

#[test]
fn hold_pauses_the_clocks_and_resume_shifts_the_due_date() {
    // Held 30 min after opening for one hour: both due dates move by that hour.
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    fx.clock.advance(TimeDelta::minutes(30));
    let uc_clock = fx.clock.clone();
    let uc = fx.build();
    let held = uc
        .transition(&agent(), ID, None, act(IncidentAction::Hold))
        .unwrap();
    let sla = held.value.sla.unwrap();
    assert!(sla.resolution.paused && sla.first_response.paused);
    assert_eq!(
        sla.resolution.due_at, None,
        "a paused clock has no due date"
    );
    assert_eq!(held.value.incident.next_sla_due_at, None);

    // Resume from the stored (held) state.
    let (held_row, _, _) = last(&written);
    let (fx, _) = Fx::new()
        .holding(Incident {
            version: 4,
            ..held_row
        })
        .accepting_updates();
    uc_clock.advance(TimeDelta::hours(1));
    fx.clock.set(t0() + TimeDelta::minutes(90));
    let resumed = fx
        .build()
        .transition(&agent(), ID, Some(4), act(IncidentAction::Resume))
        .unwrap();
    let sla = resumed.value.sla.unwrap();
    assert!(!sla.resolution.paused);
    assert_eq!(sla.resolution.due_at, Some(t0() + TimeDelta::hours(9)));
    assert_eq!(sla.first_response.due_at, Some(t0() + TimeDelta::hours(2)));
    let _ = uc;
}

#[test]
fn resolve_needs_code_and_notes_before_any_store_call() {
    let err = Fx::bare()
        .build()
        .transition(
            &agent(),
            ID,
            None,
            TransitionRequest {
                resolution_code: Some("fixed".into()),
                ..act(IncidentAction::Resolve)
            },
        )
        .unwrap_err();
    let Error::Invalid(f) = err else {
        panic!("{err:?}")
    };
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].field.as_str(), f[0].code),
        ("resolution_notes", "required")
    );
}

#[test]
fn resolve_stops_the_clocks_and_reopen_restarts_resolution() {
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    fx.clock.advance(TimeDelta::hours(2));
    let out = fx
        .build()
        .transition(
            &agent(),
            ID,
            Some(3),
            TransitionRequest::resolve("fixed", "new toner"),
        )
        .unwrap();
    let inc = &out.value.incident;
    assert_eq!(inc.status, IncidentState::Resolved);
    assert_eq!(inc.details.resolution_code.as_deref(), Some("fixed"));
    assert_eq!(inc.resolved_at, Some(t0() + TimeDelta::hours(2)));
    let sla = out.value.sla.clone().unwrap();
    assert!(sla.resolution.stopped && sla.first_response.stopped);
    assert_eq!(sla.resolution.remaining_minutes, 6 * 60);
    assert!(
        sla.first_response.breached,
        "nobody answered within the hour"
    );
    assert_eq!(inc.next_sla_due_at, None);

    let (resolved, _, _) = last(&written);
    let (fx, _) = Fx::new()
        .holding(Incident {
            version: 4,
            ..resolved
        })
        .accepting_updates();
    fx.clock.set(t0() + TimeDelta::hours(5));
    let out = fx
        .build()
        .transition(&requester(), ID, Some(4), act(IncidentAction::Reopen))
        .unwrap();
    let inc = &out.value.incident;
    assert_eq!(inc.status, IncidentState::InProgress);
    assert_eq!(
        (inc.details.resolution_code.as_ref(), inc.resolved_at),
        (None, None)
    );
    // Six business hours were left when it was resolved; they run again from 14:00.
    assert_eq!(
        out.value.sla.unwrap().resolution.due_at,
        Some(t0() + TimeDelta::hours(11))
    );
}

#[test]
fn close_is_refused_while_tasks_are_open() {
    let mut fx = Fx::new().holding(incident(IncidentState::Resolved));
    fx.store.expect_open_child_count().returning(|_, _| Ok(0));
    fx.store.expect_open_task_count().returning(|_, _| Ok(2));
    let err = fx
        .build()
        .transition(&requester(), ID, None, act(IncidentAction::Close))
        .unwrap_err();
    assert!(
        matches!(err, Error::IllegalTransition { ref message, .. } if message.contains("2 task(s) are still open")),
        "{err:?}"
    );
}

#[test]
fn requester_confirms_a_resolution_by_closing() {
    let (mut fx, written) = Fx::new()
        .holding(incident(IncidentState::Resolved))
        .accepting_updates();
    fx.store.expect_open_child_count().returning(|_, _| Ok(0));
    fx.store.expect_open_task_count().returning(|_, _| Ok(0));
    let out = fx
        .build()
        .transition(&requester(), ID, None, act(IncidentAction::Close))
        .unwrap();
    assert_eq!(out.value.incident.status, IncidentState::Closed);
    assert_eq!(out.value.incident.closed_at, Some(t0()));
    assert!(out.value.legal_actions.is_empty());
    assert_eq!(last(&written).1, 3);
}

#[test]
fn illegal_move_names_the_legal_actions() {
    let uc = Fx::new().holding(incident(IncidentState::New)).build();
    let err = uc
        .transition(&agent(), ID, None, act(IncidentAction::Resume))
        .unwrap_err();
    assert_eq!(
        err,
        Error::IllegalTransition {
            message: "cannot resume from new; legal actions: assign, start, cancel".into(),
            legal_actions: vec!["assign".into(), "start".into(), "cancel".into()],
        }
    );
}

#[test]
fn requesters_may_not_work_tickets() {
    let uc = Fx::new().holding(incident(IncidentState::Open)).build();
    let err = uc
        .transition(&requester(), ID, None, act(IncidentAction::Start))
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let err = uc
        .transition(&requester2(), ID, None, act(IncidentAction::Cancel))
        .unwrap_err();
    assert_eq!(
        err,
        Error::NotFound { entity: "incident" },
        "someone else's ticket is invisible"
    );
}

#[test]
fn stale_version_on_a_move_is_a_conflict() {
    let uc = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .build();
    let err = uc
        .transition(&agent(), ID, Some(1), act(IncidentAction::Hold))
        .unwrap_err();
    assert_eq!(
        err,
        Error::Conflict {
            entity: "incident",
            current: 3
        }
    );
}

#[test]
fn cancel_stops_everything() {
    let (fx, _) = Fx::new()
        .holding(incident(IncidentState::OnHold))
        .accepting_updates();
    let out = fx
        .build()
        .transition(&agent(), ID, None, act(IncidentAction::Cancel))
        .unwrap();
    assert_eq!(out.value.incident.status, IncidentState::Cancelled);
    let sla = out.value.sla.unwrap();
    assert!(sla.resolution.stopped && sla.first_response.stopped);
}
