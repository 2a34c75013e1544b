use servicedesk_lifecycle::incident::IncidentState;
use servicedesk_lifecycle::task::{TaskAction, TaskState};

use super::fixture::*;
use crate::entities::Task;
use crate::error::Error;
use crate::ids::TaskId;
use crate::usecases::{IncidentRef, NewTaskInput, PageRequest};

const ID: IncidentRef = IncidentRef::Id(INCIDENT);

fn task(status: TaskState) -> Task {
    Task {
        id: TaskId(uuid::Uuid::from_u128(0x50)),
        org_id: ORG,
        ticket_id: INCIDENT,
        number: 1,
        title: "Order toner".into(),
        status,
        team_id: None,
        assignee_id: Some(AGENT),
        deadline: None,
        priority: crate::priority::Priority::Medium,
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn input() -> NewTaskInput {
    NewTaskInput {
        title: "Order toner".into(),
        assignee_id: Some(AGENT),
        deadline: None,
        priority: None,
    }
}

#[test]
fn agents_add_tasks_under_active_incidents() {
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    fx.store
        .expect_create_task()
        .withf(|org, t, w| *org == ORG && t.ticket_id == INCIDENT && w.events.len() == 1)
        .times(1)
        .returning(|_, t, _| {
            Ok(Task {
                number: 1,
                ..t.clone()
            })
        });
    let out = fx.build().add_task(&agent(), ID, input()).unwrap();
    assert_eq!(out.value.status, TaskState::Open);
    assert_eq!(
        out.value.priority,
        crate::priority::Priority::Medium,
        "inherits the parent's priority"
    );
    assert_eq!(out.events[0].kind(), "task.created");

    let uc = Fx::new().holding(incident(IncidentState::Resolved)).build();
    assert!(matches!(
        uc.add_task(&agent(), ID, input()),
        Err(Error::IllegalTransition { .. })
    ));
    let err = Fx::bare()
        .build()
        .add_task(&requester(), ID, input())
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let err = Fx::bare()
        .build()
        .add_task(
            &agent(),
            ID,
            NewTaskInput {
                title: String::new(),
                ..input()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
}

#[test]
fn tasks_move_through_their_lifecycle() {
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    fx.store
        .expect_get_task()
        .returning(|_, _| Ok(task(TaskState::Open)));
    fx.store
        .expect_update_task()
        .withf(|_, t, v, _| t.status == TaskState::InProgress && *v == 1)
        .times(1)
        .returning(|_, t, v, _| {
            Ok(Task {
                version: v + 1,
                ..t.clone()
            })
        });
    let uc = fx.build();
    let out = uc
        .transition_task(
            &agent(),
            task(TaskState::Open).id,
            Some(1),
            TaskAction::Start,
        )
        .unwrap();
    assert_eq!(
        (out.value.status, out.value.version),
        (TaskState::InProgress, 2)
    );
    let err = uc
        .transition_task(
            &agent(),
            task(TaskState::Open).id,
            None,
            TaskAction::Complete,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::IllegalTransition { ref legal_actions, .. } if legal_actions == &["start", "cancel"]),
        "{err:?}"
    );
    let err = uc
        .transition_task(
            &agent(),
            task(TaskState::Open).id,
            Some(7),
            TaskAction::Start,
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::Conflict {
            entity: "task",
            current: 1
        }
    );
    let err = uc
        .transition_task(&agent2(), task(TaskState::Open).id, None, TaskAction::Start)
        .unwrap_err();
    assert_eq!(err, Error::NotFound { entity: "task" });
}

#[test]
fn requesters_may_not_list_tasks_not_even_of_their_own_incident() {
    // The store is never asked for the tasks (no expectation set).
    let fx = Fx::new().holding(incident(IncidentState::InProgress));
    let err = fx
        .build()
        .tasks(&requester(), ID, &PageRequest::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { ref reason } if reason.contains("task:read")),
        "{err:?}"
    );
}

#[test]
fn staff_list_tasks() {
    let mut fx = Fx::new().holding(incident(IncidentState::InProgress));
    fx.store.expect_tasks_page().returning(|_, _, _| {
        Ok(crate::ports::Page {
            items: vec![task(TaskState::Open)],
            next_cursor: None,
        })
    });
    let page = fx
        .build()
        .tasks(&agent(), ID, &PageRequest::default())
        .unwrap();
    assert_eq!(page.items.len(), 1);
}
