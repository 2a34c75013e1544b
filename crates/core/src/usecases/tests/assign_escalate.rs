use servicedesk_lifecycle::incident::IncidentState;

use super::fixture::*;
use crate::entities::Incident;
use crate::error::Error;
use crate::events::EventPayload;
use crate::usecases::{Assignment, Escalation, IncidentRef};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

fn unassigned_new() -> Incident {
    Incident {
        team_id: None,
        assignee_id: None,
        ..incident(IncidentState::New)
    }
}

#[test]
fn assigning_a_new_incident_opens_it() {
    let (fx, written) = Fx::new().holding(unassigned_new()).accepting_updates();
    let out = fx
        .build()
        .assign(
            &manager(),
            ID,
            Some(3),
            Assignment {
                team_id: Some(T1),
                assignee_id: Some(AGENT),
            },
        )
        .unwrap();
    let inc = &out.value.incident;
    assert_eq!(
        (inc.status, inc.team_id, inc.assignee_id),
        (IncidentState::Open, Some(T1), Some(AGENT))
    );
    let (_, _, write) = last(&written);
    assert_eq!(fields(&write), vec!["status", "team_id", "assignee_id"]);
    assert_eq!(
        kinds(&write),
        vec!["incident.status_changed", "incident.assigned"]
    );
}

#[test]
fn assignee_must_belong_to_the_team() {
    let uc = Fx::new().holding(unassigned_new()).build();
    let err = uc
        .assign(
            &manager(),
            ID,
            None,
            Assignment {
                team_id: Some(T1),
                assignee_id: Some(AGENT2),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].code == "not_in_team"),
        "{err:?}"
    );
    let err = uc
        .assign(
            &manager(),
            ID,
            None,
            Assignment {
                team_id: None,
                assignee_id: Some(REQ),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].code == "not_staff"),
        "{err:?}"
    );
    let ghost = crate::ids::TeamId(uuid::Uuid::from_u128(0x99));
    let err = uc
        .assign(
            &manager(),
            ID,
            None,
            Assignment {
                team_id: Some(ghost),
                assignee_id: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "team_id" && f[0].code == "unknown"),
        "{err:?}"
    );
}

#[test]
fn a_new_team_alone_releases_an_agent_outside_it() {
    let (fx, _) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    let out = fx
        .build()
        .assign(
            &manager(),
            ID,
            None,
            Assignment {
                team_id: Some(T2),
                assignee_id: None,
            },
        )
        .unwrap();
    assert_eq!(
        (out.value.incident.team_id, out.value.incident.assignee_id),
        (Some(T2), None)
    );
    assert_eq!(
        out.value.incident.status,
        IncidentState::InProgress,
        "reassignment keeps the state"
    );
}

#[test]
fn assign_needs_a_target_and_a_permission_before_the_store() {
    let uc = Fx::bare().build();
    let err = uc
        .assign(&manager(), ID, None, Assignment::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f.len() == 2),
        "{err:?}"
    );
    let err = uc
        .assign(
            &requester(),
            ID,
            None,
            Assignment {
                team_id: Some(T1),
                assignee_id: None,
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn resolved_incidents_cannot_be_reassigned() {
    let uc = Fx::new().holding(incident(IncidentState::Resolved)).build();
    let err = uc
        .assign(
            &manager(),
            ID,
            None,
            Assignment {
                team_id: Some(T2),
                assignee_id: None,
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::IllegalTransition { .. }), "{err:?}");
}

#[test]
fn functional_escalation_moves_the_incident_to_another_team() {
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    let out = fx
        .build()
        .escalate(
            &agent(),
            ID,
            Some(3),
            Escalation::Functional {
                to_team_id: T2,
                reason: "needs network".into(),
            },
        )
        .unwrap();
    let inc = &out.value.incident;
    assert_eq!(
        (inc.team_id, inc.assignee_id, inc.details.escalation_level),
        (Some(T2), None, 1)
    );
    let (_, _, write) = last(&written);
    assert!(matches!(
        &write.events[0].payload,
        EventPayload::IncidentEscalated { to_team_id: Some(T2), to_manager_id: None, level: 1, reason, .. } if reason == "needs network"
    ));
}

#[test]
fn hierarchical_escalation_goes_to_the_team_manager() {
    let held = Incident {
        team_id: Some(T2),
        assignee_id: Some(AGENT2),
        ..incident(IncidentState::InProgress)
    };
    let (fx, written) = Fx::new().holding(held).accepting_updates();
    let out = fx
        .build()
        .escalate(
            &agent2(),
            ID,
            None,
            Escalation::Hierarchical {
                reason: "VIP".into(),
            },
        )
        .unwrap();
    assert_eq!(out.value.incident.team_id, Some(T2), "the assignment stays");
    let (_, _, write) = last(&written);
    assert!(matches!(
        write.events[0].payload,
        EventPayload::IncidentEscalated {
            to_manager_id: Some(MANAGER),
            level: 1,
            ..
        }
    ));

    // T1 has no manager.
    let uc = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .build();
    let err = uc
        .escalate(
            &agent(),
            ID,
            None,
            Escalation::Hierarchical {
                reason: "VIP".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].code == "no_manager"),
        "{err:?}"
    );
}

#[test]
fn escalation_needs_a_reason_before_the_store() {
    let err = Fx::bare()
        .build()
        .escalate(
            &agent(),
            ID,
            None,
            Escalation::Hierarchical { reason: " ".into() },
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "reason"),
        "{err:?}"
    );
    let err = Fx::bare()
        .build()
        .escalate(
            &requester(),
            ID,
            None,
            Escalation::Hierarchical {
                reason: "please".into(),
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn team_members_triage_unassigned_incidents_others_do_not_see_them() {
    // No team yet: the triage queue every team member may pick from.
    let (fx, _) = Fx::new().holding(unassigned_new()).accepting_updates();
    let uc = fx.build();
    assert!(
        uc.get(&agent2(), ID).is_ok(),
        "any team's agent sees the triage queue"
    );
    let out = uc
        .assign(
            &agent2(),
            ID,
            None,
            Assignment {
                team_id: Some(T2),
                assignee_id: Some(AGENT2),
            },
        )
        .unwrap();
    assert_eq!(out.value.incident.team_id, Some(T2));
    // An agent in no team has no queue to triage from.
    let loner = crate::actor::Actor::new(
        crate::ids::UserId(uuid::Uuid::from_u128(0x77)),
        ORG,
        vec![servicedesk_rbac::Role::builtin(
            servicedesk_rbac::BuiltinRole::Agent,
        )],
        vec![],
    );
    assert_eq!(
        uc.get(&loner, ID).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
    // Once a team holds it, other teams lose sight of it.
    let uc = Fx::new().holding(incident(IncidentState::Open)).build();
    assert_eq!(
        uc.get(&agent2(), ID).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
}
