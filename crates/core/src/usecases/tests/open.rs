use chrono::TimeDelta;
use servicedesk_lifecycle::incident::{IncidentAction, IncidentState};

use super::fixture::*;
use crate::error::Error;
use crate::events::EventPayload;
use crate::ports::{Created, IdempotencyKey};
use crate::priority::{Impact, Priority, Urgency};
use crate::usecases::{IncidentRef, OpenIncident};

fn input() -> OpenIncident {
    OpenIncident {
        title: "  Mail is down ".into(),
        description: "Outlook cannot connect".into(),
        impact: Impact::High,
        urgency: Urgency::Medium,
        category: Some("email".into()),
        requester_id: None,
    }
}

#[test]
fn requester_opens_an_incident_with_matrix_priority_and_running_sla() {
    let (fx, written) = Fx::new().accepting_creates();
    let out = fx.build().open(&requester(), input(), None).unwrap();
    let view = out.value;
    let inc = &view.incident;
    assert_eq!(inc.number, 1);
    assert_eq!(inc.title, "Mail is down", "titles are trimmed");
    assert_eq!(inc.priority, Priority::High);
    assert_eq!(inc.status, IncidentState::New);
    assert_eq!(
        (inc.requester_id, inc.created_by, inc.org_id),
        (REQ, REQ, ORG)
    );
    let sla = view.sla.expect("the default policy applies");
    assert_eq!(sla.policy_id, DEFAULT_POLICY);
    assert_eq!(sla.first_response.due_at, Some(t0() + TimeDelta::hours(1)));
    assert_eq!(sla.resolution.due_at, Some(t0() + TimeDelta::hours(8)));
    assert_eq!(sla.resolution.remaining_minutes, 480);
    // 75 % of the first-response hour is the earliest pending instant.
    assert_eq!(inc.next_sla_due_at, Some(t0() + TimeDelta::minutes(45)));
    // Requesters may only cancel a new incident of theirs.
    assert_eq!(view.legal_actions, vec![IncidentAction::Cancel]);

    let (stored, _, write) = last(&written);
    assert_eq!(stored.id, inc.id);
    assert_eq!(kinds(&write), vec!["incident.created"]);
    assert_eq!(
        out.events, write.events,
        "the events returned are the ones stored"
    );
    assert_eq!(fields(&write), vec!["status"]);
    assert_eq!(write.audit.len(), 1);
    assert_eq!(write.audit[0].action, "incident.create");
    assert!(matches!(
        out.events[0].payload,
        EventPayload::IncidentCreated {
            requester_id: REQ,
            ..
        }
    ));
}

#[test]
fn critical_incidents_get_the_critical_policy() {
    let (fx, _) = Fx::new().accepting_creates();
    let out = fx
        .build()
        .open(
            &agent(),
            OpenIncident {
                impact: Impact::High,
                urgency: Urgency::High,
                ..input()
            },
            None,
        )
        .unwrap();
    let sla = out.value.sla.unwrap();
    assert_eq!(sla.policy_id, CRITICAL_POLICY);
    assert_eq!(
        sla.first_response.due_at,
        Some(t0() + TimeDelta::minutes(15))
    );
}

#[test]
fn forbidden_actor_never_reaches_the_store() {
    // Bare mocks: any port call would panic.
    let err = Fx::bare()
        .build()
        .open(&reader(), input(), None)
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { ref reason } if reason.contains("incident:create")),
        "{err:?}"
    );
}

#[test]
fn invalid_input_yields_field_errors_and_no_store_call() {
    let bad = OpenIncident {
        title: "   ".into(),
        description: "x".repeat(20_001),
        category: Some("c".repeat(101)),
        ..input()
    };
    let err = Fx::bare()
        .build()
        .open(&requester(), bad, Some("bad key with spaces"))
        .unwrap_err();
    let Error::Invalid(fields) = err else {
        panic!("expected field errors, got {err:?}")
    };
    let got: Vec<_> = fields.iter().map(|f| (f.field.as_str(), f.code)).collect();
    assert_eq!(
        got,
        vec![
            ("title", "required"),
            ("description", "too_long"),
            ("category", "too_long"),
            ("idempotency_key", "invalid")
        ]
    );
}

#[test]
fn replayed_idempotency_key_returns_the_first_incident_and_no_events() {
    let mut fx = Fx::new();
    let first = incident(IncidentState::New);
    let stored = first.clone();
    fx.store
        .expect_create()
        .withf(|_, _, _, key| {
            key == &Some(IdempotencyKey {
                user_id: REQ,
                key: "abc-123".into(),
            })
        })
        .times(1)
        .returning(move |_, _, _, _| {
            Ok(Created {
                value: stored.clone(),
                replayed: true,
            })
        });
    let out = fx
        .build()
        .open(&requester(), input(), Some("abc-123"))
        .unwrap();
    assert_eq!(out.value.incident, first);
    assert!(out.events.is_empty());
}

#[test]
fn only_staff_open_for_someone_else() {
    let err = Fx::bare()
        .build()
        .open(
            &requester(),
            OpenIncident {
                requester_id: Some(REQ2),
                ..input()
            },
            None,
        )
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");

    let (fx, written) = Fx::new().accepting_creates();
    let out = fx
        .build()
        .open(
            &agent(),
            OpenIncident {
                requester_id: Some(REQ2),
                ..input()
            },
            None,
        )
        .unwrap();
    assert_eq!(
        (
            out.value.incident.requester_id,
            out.value.incident.created_by
        ),
        (REQ2, AGENT)
    );
    assert_eq!(last(&written).0.requester_id, REQ2);

    let fx = Fx::new();
    let unknown = crate::ids::UserId(uuid::Uuid::from_u128(0xdead));
    let err = fx
        .build()
        .open(
            &agent(),
            OpenIncident {
                requester_id: Some(unknown),
                ..input()
            },
            None,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].field == "requester_id"),
        "{err:?}"
    );
}

#[test]
fn store_failure_is_internal_and_nothing_is_returned() {
    let mut fx = Fx::new();
    fx.store
        .expect_create()
        .returning(|_, _, _, _| Err(crate::ports::StoreError::Unavailable("db down".into())));
    let err = fx.build().open(&requester(), input(), None).unwrap_err();
    assert_eq!(err, Error::Internal("db down".into()));
}

#[test]
fn get_by_number_and_tenancy() {
    let inc = incident(IncidentState::InProgress);
    let uc = Fx::new().holding(inc.clone()).build();
    assert_eq!(
        uc.get(&requester(), IncidentRef::Number(7))
            .unwrap()
            .incident,
        inc
    );
    // Another org's actor asks under its own org: the store has nothing there.
    let outsider = crate::actor::Actor::new(
        REQ,
        crate::ids::OrgId(uuid::Uuid::from_u128(0xB)),
        vec![servicedesk_rbac::Role::builtin(
            servicedesk_rbac::BuiltinRole::Admin,
        )],
        vec![],
    );
    assert_eq!(
        uc.get(&outsider, IncidentRef::Id(INCIDENT)).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
    // Another requester of the same org: not found, not forbidden.
    assert_eq!(
        uc.get(&requester2(), IncidentRef::Number(7)).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
    // An agent of another team: not in scope either.
    assert_eq!(
        uc.get(&agent2(), IncidentRef::Number(7)).unwrap_err(),
        Error::NotFound { entity: "incident" }
    );
    assert!(uc.get(&manager(), IncidentRef::Number(7)).is_ok());
}

#[test]
fn legal_actions_depend_on_the_actor() {
    let uc = Fx::new().holding(incident(IncidentState::Resolved)).build();
    let for_requester = uc
        .get(&requester(), IncidentRef::Id(INCIDENT))
        .unwrap()
        .legal_actions;
    assert_eq!(
        for_requester,
        vec![IncidentAction::Reopen, IncidentAction::Close]
    );
    let uc = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .build();
    let for_agent = uc
        .get(&agent(), IncidentRef::Id(INCIDENT))
        .unwrap()
        .legal_actions;
    assert_eq!(
        for_agent,
        vec![
            IncidentAction::Assign,
            IncidentAction::Hold,
            IncidentAction::Resolve,
            IncidentAction::Cancel
        ]
    );
}
