use chrono::TimeDelta;
use servicedesk_lifecycle::incident::IncidentState;

use super::fixture::*;
use crate::error::Error;
use crate::ports::StoreError;
use crate::priority::{Impact, Priority, Urgency};
use crate::usecases::{IncidentRef, UpdateIncident};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

#[test]
fn update_changes_fields_and_records_history() {
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    let out = fx
        .build()
        .update(
            &agent(),
            ID,
            3,
            UpdateIncident {
                title: Some("Printer fixed?".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(out.value.incident.title, "Printer fixed?");
    assert_eq!(out.value.incident.version, 4);
    let (_, expected, write) = last(&written);
    assert_eq!(expected, 3, "the write names the version read");
    assert_eq!(fields(&write), vec!["title"]);
    assert_eq!(
        write.history[0].old_value.as_deref(),
        Some("Printer on fire")
    );
    assert_eq!(kinds(&write), vec!["incident.updated"]);
}

#[test]
fn stale_version_is_a_conflict_and_nothing_is_written() {
    // No update expectation: a write would panic.
    let uc = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .build();
    let err = uc
        .update(
            &agent(),
            ID,
            2,
            UpdateIncident {
                title: Some("x".into()),
                ..Default::default()
            },
        )
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
fn a_race_lost_in_the_store_is_a_conflict() {
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    fx.store.expect_update().returning(|_, _, _, _| {
        Err(StoreError::Conflict {
            entity: "incident",
            current: 4,
        })
    });
    let err = fx
        .build()
        .update(
            &agent(),
            ID,
            3,
            UpdateIncident {
                title: Some("x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::Conflict {
            entity: "incident",
            current: 4
        }
    );
}

#[test]
fn priority_change_reselects_the_policy_and_keeps_consumed_time() {
    let (fx, written) = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .accepting_updates();
    fx.clock.advance(TimeDelta::minutes(10));
    let out = fx
        .build()
        .update(
            &agent(),
            ID,
            3,
            UpdateIncident {
                impact: Some(Impact::High),
                urgency: Some(Urgency::High),
                ..Default::default()
            },
        )
        .unwrap();
    let view = out.value;
    assert_eq!(view.incident.priority, Priority::Critical);
    let sla = view.sla.unwrap();
    assert_eq!(sla.policy_id, CRITICAL_POLICY);
    // 10 of the 15 critical minutes are already gone.
    assert_eq!(
        sla.first_response.due_at,
        Some(t0() + TimeDelta::minutes(15))
    );
    assert_eq!(sla.first_response.remaining_minutes, 5);
    assert_eq!(sla.resolution.due_at, Some(t0() + TimeDelta::hours(4)));
    let (_, _, write) = last(&written);
    assert_eq!(
        fields(&write),
        vec![
            "impact",
            "urgency",
            "priority",
            "sla_policy_id",
            "sla_targets_minutes"
        ]
    );
}

#[test]
fn invalid_or_empty_updates_never_reach_the_store() {
    let uc = Fx::bare().build();
    let err = uc
        .update(&agent(), ID, 3, UpdateIncident::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(ref f) if f[0].code == "empty"),
        "{err:?}"
    );
    let err = uc
        .update(
            &agent(),
            ID,
            3,
            UpdateIncident {
                title: Some("a\nb".into()),
                description: Some(String::new()),
                ..Default::default()
            },
        )
        .unwrap_err();
    let Error::Invalid(f) = err else { panic!() };
    assert_eq!(
        f.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        vec!["title", "description"]
    );
}

#[test]
fn requesters_cannot_edit_and_never_reach_the_store() {
    let err = Fx::bare()
        .build()
        .update(
            &requester(),
            ID,
            3,
            UpdateIncident {
                title: Some("mine".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
}

#[test]
fn agent_of_another_team_sees_nothing() {
    let uc = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .build();
    let err = uc
        .update(
            &agent2(),
            ID,
            3,
            UpdateIncident {
                title: Some("x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err, Error::NotFound { entity: "incident" });
}

#[test]
fn closed_incidents_are_frozen() {
    let uc = Fx::new().holding(incident(IncidentState::Closed)).build();
    let err = uc
        .update(
            &manager(),
            ID,
            3,
            UpdateIncident {
                title: Some("x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::IllegalTransition { .. }), "{err:?}");
}

#[test]
fn an_update_that_changes_nothing_writes_nothing() {
    let uc = Fx::new()
        .holding(incident(IncidentState::InProgress))
        .build();
    let out = uc
        .update(
            &agent(),
            ID,
            3,
            UpdateIncident {
                title: Some("Printer on fire".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(out.events.is_empty());
    assert_eq!(out.value.incident.version, 3);
}
