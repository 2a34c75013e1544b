//! Closing an incident and adding a task to it at the same moment (issue 9, point 6), on
//! both backends. The use case checks both rules before the write (close: no open task;
//! add task: the incident is still worked), so the store must keep them inside the write:
//! a task insert refuses a parent that is no longer worked, and a close refuses an incident
//! that got a task meanwhile. Whatever the interleaving, a closed incident never has an
//! open task, and exactly one of the two writes wins.

#![allow(clippy::unwrap_used)]

use std::sync::Barrier;

use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::ports::{IncidentStore, StoreError, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    pool = 4;
    a_close_and_a_task_insert_racing_never_leave_a_closed_incident_with_an_open_task,
    a_task_is_refused_under_a_resolved_closed_or_cancelled_incident,
    a_close_is_refused_when_a_task_came_in_after_the_count,
);

const ROUNDS: usize = 40;

fn closed(mut inc: servicedesk_core::entities::Incident) -> servicedesk_core::entities::Incident {
    inc.status = IncidentState::Closed;
    inc.resolved_at = Some(mins(5));
    inc.closed_at = Some(mins(5));
    inc.next_sla_due_at = None;
    inc
}

fn a_close_and_a_task_insert_racing_never_leave_a_closed_incident_with_an_open_task(store: &Store) {
    let fx = org_fixture(store, "A");
    let (mut closes, mut tasks) = (0, 0);
    for round in 0..ROUNDS {
        let parent = create(
            store,
            &incident(&fx, fx.requester, &format!("Race {round}")),
        );
        let start = Barrier::new(2);
        let (close, add) = std::thread::scope(|s| {
            let closer = s.spawn(|| {
                start.wait();
                // The close as the use case writes it after counting 0 open tasks.
                store.update(fx.org, &closed(parent.clone()), 1, &WriteSet::default())
            });
            let adder = s.spawn(|| {
                start.wait();
                let t = task(fx.org, parent.id, "Swap the fuser", mins(1));
                store.create_task(fx.org, &t, &WriteSet::default())
            });
            (closer.join().unwrap(), adder.join().unwrap())
        });
        let now = store.get(fx.org, parent.id).unwrap();
        let open = store.open_task_count(fx.org, parent.id).unwrap();
        assert!(
            !(now.status == IncidentState::Closed && open > 0),
            "round {round}: a closed incident with {open} open task(s)"
        );
        match (&close, &add) {
            (
                Ok(_),
                Err(StoreError::Conflict {
                    entity: "incident", ..
                }),
            ) => {
                closes += 1;
                assert_eq!(now.status, IncidentState::Closed);
                assert_eq!(open, 0);
            }
            (
                Err(StoreError::Conflict {
                    entity: "incident", ..
                }),
                Ok(_),
            ) => {
                tasks += 1;
                assert_eq!(now.status, IncidentState::New);
                assert_eq!(open, 1);
            }
            other => panic!("round {round}: exactly one write wins, got {other:?}"),
        }
    }
    assert_eq!(closes + tasks, ROUNDS);
}

fn a_task_is_refused_under_a_resolved_closed_or_cancelled_incident(store: &Store) {
    let fx = org_fixture(store, "A");
    for status in [
        IncidentState::Resolved,
        IncidentState::Closed,
        IncidentState::Cancelled,
    ] {
        let parent = create(store, &incident(&fx, fx.requester, &format!("{status}")));
        let mut moved = parent.clone();
        moved.status = status;
        let moved = store
            .update(fx.org, &moved, 1, &WriteSet::default())
            .unwrap();
        let t = task(fx.org, parent.id, "Too late", mins(1));
        let refused = store.create_task(fx.org, &t, &task_write(fx.org, &t, fx.agent));
        assert!(
            matches!(refused, Err(StoreError::Conflict { entity: "incident", current }) if current == moved.version),
            "{status}: {refused:?}"
        );
        assert_eq!(store.open_task_count(fx.org, parent.id).unwrap(), 0);
        assert_eq!(
            store.get(fx.org, parent.id).unwrap().version,
            moved.version,
            "a refused task leaves the incident as it was"
        );
    }
    assert_not_found(
        "a task under an unknown incident",
        store.create_task(
            fx.org,
            &task(fx.org, unknown_incident(), "x", mins(1)),
            &WriteSet::default(),
        ),
    );
}

fn a_close_is_refused_when_a_task_came_in_after_the_count(store: &Store) {
    let fx = org_fixture(store, "A");
    let parent = create(store, &incident(&fx, fx.requester, "Counted too early"));
    // The close's use case counted 0 open tasks; then a task lands; then the close writes.
    create_task(
        store,
        &task(fx.org, parent.id, "Late task", mins(1)),
        fx.agent,
    );
    let refused = store.update(fx.org, &closed(parent.clone()), 1, &WriteSet::default());
    assert!(
        matches!(
            refused,
            Err(StoreError::Conflict {
                entity: "incident",
                current: 1
            })
        ),
        "{refused:?}"
    );
    let now = store.get(fx.org, parent.id).unwrap();
    assert_eq!(now.status, IncidentState::New);
    assert_eq!(now.version, 1);
    // Resolving with an open task is allowed (only closing needs them done).
    let mut resolved = parent;
    resolved.status = IncidentState::Resolved;
    assert!(
        store
            .update(fx.org, &resolved, 1, &WriteSet::default())
            .is_ok()
    );
}
