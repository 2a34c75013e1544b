//! Conformance of `IncidentStore` on both backends: numbering, round trips, optimistic
//! concurrency, tenancy (an id of org A under org B is `NotFound`), idempotent creates,
//! comments and history order, tasks, and full rollback of a write that fails after its
//! audit record (`inject_fault_after_audit`).

#![allow(clippy::unwrap_used)]

use chrono::TimeDelta;
use servicedesk_core::entities::Incident;
use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::lifecycle::task::TaskState;
use servicedesk_core::ports::{
    AuditCheck, AuditLog, IdempotencyKey, IncidentQuery, IncidentStore, StoreError, Visibility,
    WriteSet,
};
use servicedesk_core::priority::Priority;
use servicedesk_core::tickets::TicketStore;
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    create_assigns_per_org_numbers_and_version_one,
    create_round_trips_every_field,
    create_commits_its_write_set,
    timestamps_are_stored_at_microsecond_precision,
    update_bumps_version_and_returns_stored_incident,
    stale_version_conflicts_and_writes_nothing,
    missing_incident_is_not_found,
    foreign_org_ids_are_not_found,
    a_round_read_answers_each_ticket_only_for_its_own_organization,
    idempotent_create_replays_first_result,
    soft_deleted_incident_is_still_readable,
    comments_and_history_are_oldest_first,
    tasks_numbers_versions_and_open_count,
    task_stale_version_and_missing_rows,
    fault_after_audit_rolls_back_every_write,
);

fn create_assigns_per_org_numbers_and_version_one(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");

    // Whatever number and version the caller passes, the store decides them.
    let mut first = incident(&a, a.requester, "First");
    first.number = 99;
    first.version = 7;
    let created = store
        .create(a.org, &first, &create_write(&first, a.requester), None)
        .unwrap();
    assert!(!created.replayed);
    assert_eq!(created.value.number, 1);
    assert_eq!(created.value.version, 1);

    let numbers: Vec<i64> = (2..=5)
        .map(|n| create(store, &incident(&a, a.requester, &format!("Incident {n}"))).number)
        .collect();
    assert_eq!(numbers, vec![2, 3, 4, 5]);

    // Another organization counts on its own.
    let other = create(store, &incident(&b, b.requester, "B first"));
    assert_eq!(other.number, 1);
    assert_eq!(create(store, &incident(&a, a.requester, "Sixth")).number, 6);

    for n in 1..=6 {
        let got = store.get_by_number(a.org, n).unwrap();
        assert_eq!(got.number, n);
        assert_eq!(got.org_id, a.org);
        assert_eq!(got.version, 1);
    }
    assert_eq!(store.get_by_number(b.org, 1).unwrap().id, other.id);
}

fn create_round_trips_every_field(store: &Store) {
    let fx = org_fixture(store, "A");

    let full = full_incident(&fx, "Printer on fire");
    let created = store
        .create(fx.org, &full, &create_write(&full, fx.agent), None)
        .unwrap();
    let expected = as_created(&full, 1);
    assert_eq!(
        created.value, expected,
        "create returns the stored incident"
    );
    assert_eq!(store.get(fx.org, full.id).unwrap(), expected);
    assert_eq!(store.get_by_number(fx.org, 1).unwrap(), expected);

    // A minimal incident (no team, no assignee, no SLA) round-trips too.
    let mut bare = incident(&fx, fx.requester2, "Bare");
    bare.sla = None;
    bare.next_sla_due_at = None;
    bare.priority = Priority::Critical;
    let stored = create(store, &bare);
    assert_eq!(stored, as_created(&bare, 2));
    assert_eq!(store.get(fx.org, bare.id).unwrap(), as_created(&bare, 2));
}

fn create_commits_its_write_set(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = incident(&fx, fx.requester, "With write set");
    let mut write = create_write(&inc, fx.requester);
    write.comments.push(comment(
        &inc,
        fx.requester,
        "It smells of smoke",
        false,
        t0(),
    ));
    store.create(fx.org, &inc, &write, None).unwrap();

    assert_eq!(store.history(fx.org, inc.id).unwrap(), write.history);
    assert_eq!(store.comments(fx.org, inc.id).unwrap(), write.comments);
    let audit = all_audit(store, fx.org);
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].record, write.audit[0]);
    let outbox = outbox_probe(store);
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].event, write.events[0]);
    assert_eq!(outbox[0].attempts, 0);
}

fn timestamps_are_stored_at_microsecond_precision(store: &Store) {
    let fx = org_fixture(store, "A");
    let sub = TimeDelta::nanoseconds(123_456_789);
    let trunc = TimeDelta::microseconds(123_456);
    let mut inc = incident(&fx, fx.requester, "Precise");
    inc.created_at = t0() + sub;
    inc.updated_at = mins(1) + sub;
    inc.first_responded_at = Some(mins(2) + sub);
    inc.next_sla_due_at = Some(mins(45) + sub);
    let created = create(store, &inc);

    let got = store.get(fx.org, inc.id).unwrap();
    assert_eq!(got.created_at, t0() + trunc);
    assert_eq!(got.updated_at, mins(1) + trunc);
    assert_eq!(got.first_responded_at, Some(mins(2) + trunc));
    assert_eq!(got.next_sla_due_at, Some(mins(45) + trunc));
    assert_eq!(created, got, "create returns what a read returns");

    let mut changed = got.clone();
    changed.updated_at = mins(3) + sub;
    changed.resolved_at = Some(mins(3) + sub);
    let updated = store
        .update(
            fx.org,
            &changed,
            1,
            &update_write(&got, fx.agent, mins(3), "status", "new", "resolved"),
        )
        .unwrap();
    assert_eq!(updated.updated_at, mins(3) + trunc);
    assert_eq!(updated.resolved_at, Some(mins(3) + trunc));
    assert_eq!(store.get(fx.org, inc.id).unwrap(), updated);
}

fn update_bumps_version_and_returns_stored_incident(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = create(store, &incident(&fx, fx.requester, "Mail down"));

    let mut v1 = inc.clone();
    v1.title = "Mail down for everyone".to_owned();
    v1.status = IncidentState::Open;
    v1.team_id = Some(fx.team);
    v1.assignee_id = Some(fx.agent);
    v1.priority = Priority::High;
    v1.updated_at = mins(10);
    let w1 = update_write(&inc, fx.agent, mins(10), "status", "new", "open");
    let stored = store.update(fx.org, &v1, 1, &w1).unwrap();
    assert_eq!(
        stored,
        Incident {
            version: 2,
            ..v1.clone()
        }
    );
    assert_eq!(store.get(fx.org, inc.id).unwrap(), stored);

    let mut v2 = stored.clone();
    v2.status = IncidentState::InProgress;
    v2.updated_at = mins(20);
    let w2 = update_write(&inc, fx.agent, mins(20), "status", "open", "in_progress");
    let stored2 = store.update(fx.org, &v2, 2, &w2).unwrap();
    assert_eq!(stored2.version, 3);
    assert_eq!(stored2.number, 1);
    assert_eq!(store.get(fx.org, inc.id).unwrap(), stored2);

    let history = store.history(fx.org, inc.id).unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[1], w1.history[0]);
    assert_eq!(history[2], w2.history[0]);
    assert_eq!(all_audit(store, fx.org).len(), 3);
    let outbox = outbox_ids(store);
    for id in event_ids(&w1).into_iter().chain(event_ids(&w2)) {
        assert!(outbox.contains(&id), "update events reach the outbox");
    }
}

fn stale_version_conflicts_and_writes_nothing(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = create(store, &incident(&fx, fx.requester, "Disk full"));
    let mut next = inc.clone();
    next.title = "Disk full on fileserver".to_owned();
    next.updated_at = mins(5);
    let current = store
        .update(
            fx.org,
            &next,
            1,
            &update_write(
                &inc,
                fx.agent,
                mins(5),
                "title",
                "Disk full",
                "Disk full on fileserver",
            ),
        )
        .unwrap();
    assert_eq!(current.version, 2);

    let history_before = store.history(fx.org, inc.id).unwrap();
    let audit_before = all_audit(store, fx.org).len();
    let outbox_before = outbox_ids(store);

    for stale in [1, 5] {
        let mut loser = current.clone();
        loser.title = format!("Lost write {stale}");
        loser.status = IncidentState::Cancelled;
        loser.updated_at = mins(6);
        let w = update_write(&inc, fx.agent2, mins(6), "title", "x", "y");
        match store.update(fx.org, &loser, stale, &w) {
            Err(StoreError::Conflict { current, .. }) => assert_eq!(current, 2),
            other => panic!("expected Conflict{{current: 2}} for version {stale}, got {other:?}"),
        }
        assert_eq!(store.get(fx.org, inc.id).unwrap(), current, "row unchanged");
        assert_eq!(store.history(fx.org, inc.id).unwrap(), history_before);
        assert_eq!(
            all_audit(store, fx.org).len(),
            audit_before,
            "no audit entry"
        );
        let outbox = outbox_ids(store);
        assert!(!outbox.contains(&w.events[0].id), "no outbox message");
        assert_eq!(outbox, outbox_before);
    }
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact {
            entries: audit_before as u64
        }
    );
}

fn missing_incident_is_not_found(store: &Store) {
    let fx = org_fixture(store, "A");
    create(store, &incident(&fx, fx.requester, "Exists"));
    assert_not_found("get unknown", store.get(fx.org, unknown_incident()));
    assert_not_found("get_by_number 42", store.get_by_number(fx.org, 42));
    assert_not_found("get_by_number 0", store.get_by_number(fx.org, 0));
    let ghost = incident(&fx, fx.requester, "Ghost");
    assert_not_found(
        "update unknown",
        store.update(
            fx.org,
            &ghost,
            1,
            &update_write(&ghost, fx.agent, mins(1), "title", "a", "b"),
        ),
    );
    assert_eq!(
        all_audit(store, fx.org).len(),
        1,
        "failed update wrote no audit"
    );
}

fn foreign_org_ids_are_not_found(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");

    let a1 = incident(&a, a.requester, "Secret of A");
    let mut wa = create_write(&a1, a.requester);
    wa.comments
        .push(comment(&a1, a.agent, "internal note of A", true, t0()));
    store.create(a.org, &a1, &wa, None).unwrap();
    let a1 = store.get(a.org, a1.id).unwrap();
    let ta = create_task(store, &task(a.org, a1.id, "Task of A", mins(1)), a.agent);
    let audit_a = all_audit(store, a.org).len();
    let history_a = store.history(a.org, a1.id).unwrap();

    // Reads of A's rows under B.
    assert_not_found("get under other org", store.get(b.org, a1.id));
    assert_not_found(
        "get_by_number under other org",
        store.get_by_number(b.org, a1.number),
    );
    assert_no_leak("comments", store.comments(b.org, a1.id));
    assert_no_leak("history", store.history(b.org, a1.id));
    assert_no_leak("tasks", store.tasks(b.org, a1.id));
    match store.open_task_count(b.org, a1.id) {
        Ok(0) | Err(StoreError::NotFound(_)) => {}
        other => {
            panic!("open_task_count of a foreign incident: expected 0 or NotFound, got {other:?}")
        }
    }
    assert_not_found("get_task under other org", store.get_task(b.org, ta.id));

    // Writes of A's rows under B: as A's row, and claiming to belong to B.
    let mut hijack = a1.clone();
    hijack.title = "Hijacked".to_owned();
    hijack.updated_at = mins(9);
    let mut hijack_b = hijack.clone();
    hijack_b.org_id = b.org;
    for (label, inc) in [
        ("update as A's row", &hijack),
        ("update relabelled to B", &hijack_b),
    ] {
        let w = update_write(inc, b.agent, mins(9), "title", "Secret of A", "Hijacked");
        assert_not_found(label, store.update(b.org, inc, 1, &w));
    }
    let mut task_hijack = ta.clone();
    task_hijack.title = "Hijacked task".to_owned();
    task_hijack.status = TaskState::Done;
    assert_not_found(
        "update_task under other org",
        store.update_task(
            b.org,
            &task_hijack,
            1,
            &task_write(b.org, &task_hijack, b.agent),
        ),
    );
    let mut task_hijack_b = task_hijack.clone();
    task_hijack_b.org_id = b.org;
    assert_not_found(
        "update_task relabelled to B",
        store.update_task(
            b.org,
            &task_hijack_b,
            1,
            &task_write(b.org, &task_hijack_b, b.agent),
        ),
    );
    let sneaky = task(b.org, a1.id, "Task of B under A's incident", mins(2));
    assert_not_found(
        "create_task under a foreign incident",
        store.create_task(b.org, &sneaky, &task_write(b.org, &sneaky, b.agent)),
    );

    // Nothing of A changed, nothing was written anywhere.
    assert_eq!(store.get(a.org, a1.id).unwrap(), a1);
    assert_eq!(store.get_task(a.org, ta.id).unwrap(), ta);
    assert_eq!(store.tasks(a.org, a1.id).unwrap(), vec![ta.clone()]);
    assert_eq!(store.history(a.org, a1.id).unwrap(), history_a);
    assert_eq!(all_audit(store, a.org).len(), audit_a);
    assert!(all_audit(store, b.org).is_empty(), "no audit entry in B");
    assert_not_found("sneaky task", store.get_task(b.org, sneaky.id));

    // B's own first incident and task are numbered 1 and are B's, and B's list shows
    // nothing of A.
    let b1 = create(store, &incident(&b, b.requester, "B's own"));
    assert_eq!(b1.number, 1);
    assert_eq!(store.get_by_number(b.org, 1).unwrap().id, b1.id);
    assert_eq!(store.get_by_number(a.org, 1).unwrap().id, a1.id);
    let tb = create_task(store, &task(b.org, b1.id, "B task", mins(3)), b.agent);
    assert_eq!(tb.number, 1);
    assert_eq!(org_ids(store, b.org), [b1.id].into_iter().collect());
    assert_eq!(org_ids(store, a.org), [a1.id].into_iter().collect());
    let mut q = IncidentQuery::new(Visibility::Own {
        user_id: a.requester,
    });
    q.limit = 200;
    assert!(
        list_all(store, b.org, &q).is_empty(),
        "A's requester sees nothing in B"
    );
}

fn idempotent_create_replays_first_result(store: &Store) {
    let fx = org_fixture(store, "A");
    let key = IdempotencyKey {
        user_id: fx.requester,
        key: "req-7f3a".to_owned(),
    };

    let first = incident(&fx, fx.requester, "Keyboard broken");
    let w1 = create_write(&first, fx.requester);
    let c1 = store
        .create(fx.org, &first, &w1, Some(key.clone()))
        .unwrap();
    assert!(!c1.replayed);
    assert_eq!(c1.value, as_created(&first, 1));

    // The client retries with a fresh body (new id, new events): the first result comes back.
    let mut retry = incident(&fx, fx.requester, "Keyboard broken (retry)");
    retry.created_at = mins(1);
    retry.updated_at = mins(1);
    let w2 = create_write(&retry, fx.requester);
    let c2 = store
        .create(fx.org, &retry, &w2, Some(key.clone()))
        .unwrap();
    assert!(c2.replayed);
    assert_eq!(c2.value, c1.value);

    assert_not_found(
        "the replayed body was not stored",
        store.get(fx.org, retry.id),
    );
    assert_eq!(
        org_ids(store, fx.org),
        [first.id].into_iter().collect(),
        "one row"
    );
    assert_eq!(store.history(fx.org, first.id).unwrap(), w1.history);
    assert_no_leak(
        "history of the replayed body",
        store.history(fx.org, retry.id),
    );
    assert_eq!(all_audit(store, fx.org).len(), 1, "no second audit entry");
    let outbox = outbox_ids(store);
    assert!(outbox.contains(&w1.events[0].id));
    assert!(
        !outbox.contains(&w2.events[0].id),
        "no second outbox message"
    );

    // Same key, other user: a new incident. Other key, same user: a new incident.
    let other_user = incident(&fx, fx.requester2, "Mouse broken");
    let c3 = store
        .create(
            fx.org,
            &other_user,
            &create_write(&other_user, fx.requester2),
            Some(IdempotencyKey {
                user_id: fx.requester2,
                key: key.key.clone(),
            }),
        )
        .unwrap();
    assert!(!c3.replayed);
    assert_eq!(c3.value.number, 2);
    let other_key = incident(&fx, fx.requester, "Screen broken");
    let c4 = store
        .create(
            fx.org,
            &other_key,
            &create_write(&other_key, fx.requester),
            Some(IdempotencyKey {
                user_id: fx.requester,
                key: "req-other".to_owned(),
            }),
        )
        .unwrap();
    assert!(!c4.replayed);
    assert_eq!(c4.value.number, 3);
    // The original key still replays the first incident.
    let again = incident(&fx, fx.requester, "third try");
    let c5 = store
        .create(
            fx.org,
            &again,
            &create_write(&again, fx.requester),
            Some(key),
        )
        .unwrap();
    assert!(c5.replayed);
    assert_eq!(c5.value.id, first.id);
    assert_eq!(all_audit(store, fx.org).len(), 3);
    assert_eq!(org_ids(store, fx.org).len(), 3);
}

fn soft_deleted_incident_is_still_readable(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = create(store, &incident(&fx, fx.requester, "To delete"));
    let mut deleted = inc.clone();
    deleted.deleted_at = Some(mins(30));
    deleted.updated_at = mins(30);
    let stored = store
        .update(
            fx.org,
            &deleted,
            1,
            &update_write(&inc, fx.admin, mins(30), "deleted", "false", "true"),
        )
        .unwrap();
    assert_eq!(stored.deleted_at, Some(mins(30)));
    assert_eq!(store.get(fx.org, inc.id).unwrap(), stored);
    assert_eq!(store.get_by_number(fx.org, inc.number).unwrap(), stored);

    // Restore.
    let mut restored = stored.clone();
    restored.deleted_at = None;
    restored.updated_at = mins(40);
    let back = store
        .update(
            fx.org,
            &restored,
            2,
            &update_write(&inc, fx.admin, mins(40), "deleted", "true", "false"),
        )
        .unwrap();
    assert_eq!(back.deleted_at, None);
    assert_eq!(back.version, 3);
    assert!(org_ids(store, fx.org).contains(&inc.id));
}

fn comments_and_history_are_oldest_first(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = create(store, &incident(&fx, fx.requester, "Noisy"));
    let other = create(store, &incident(&fx, fx.requester, "Other"));

    // One write with two comments listed newest first; then a later write.
    let c_late = comment(&inc, fx.agent, "second", false, mins(20));
    let c_early = comment(&inc, fx.agent, "first (internal)", true, mins(10));
    let h_late = history(
        &inc,
        Some(fx.agent),
        mins(20),
        "status",
        Some("open"),
        Some("in_progress"),
    );
    let h_early = history(
        &inc,
        Some(fx.agent),
        mins(10),
        "status",
        Some("new"),
        Some("open"),
    );
    let mut v2 = inc.clone();
    v2.updated_at = mins(20);
    let w = WriteSet {
        comments: vec![c_late.clone(), c_early.clone()],
        history: vec![h_late.clone(), h_early.clone()],
        audit: vec![audit(
            fx.org,
            Some(fx.agent),
            "incident.comment",
            "incident",
            &inc.id.to_string(),
            mins(20),
        )],
        events: Vec::new(),
    };
    let v2 = store.update(fx.org, &v2, 1, &w).unwrap();
    let c_last = comment(
        &inc,
        fx.requester,
        "third, by the requester",
        false,
        mins(30),
    );
    let h_system = history(
        &inc,
        None,
        mins(30),
        "priority",
        Some("medium"),
        Some("high"),
    );
    let mut v3 = v2.clone();
    v3.updated_at = mins(30);
    let w3 = WriteSet {
        comments: vec![c_last.clone()],
        history: vec![h_system.clone()],
        audit: vec![audit(
            fx.org,
            None,
            "incident.comment",
            "incident",
            &inc.id.to_string(),
            mins(30),
        )],
        events: Vec::new(),
    };
    store.update(fx.org, &v3, 2, &w3).unwrap();
    // A comment on the other incident must not show up.
    let mut o2 = other.clone();
    o2.updated_at = mins(15);
    let w_other = WriteSet {
        comments: vec![comment(&other, fx.agent, "elsewhere", false, mins(15))],
        history: vec![history(
            &other,
            Some(fx.agent),
            mins(15),
            "title",
            Some("a"),
            Some("b"),
        )],
        ..WriteSet::default()
    };
    store.update(fx.org, &o2, 1, &w_other).unwrap();

    assert_eq!(
        store.comments(fx.org, inc.id).unwrap(),
        vec![c_early, c_late, c_last]
    );
    let created_row = create_write(&inc, inc.created_by).history;
    let history = store.history(fx.org, inc.id).unwrap();
    assert_eq!(history.len(), 4);
    assert_eq!(history[0].field, created_row[0].field);
    assert_eq!(history[0].at, t0());
    assert_eq!(&history[1..], &[h_early, h_late, h_system]);
    assert_eq!(store.comments(fx.org, other.id).unwrap().len(), 1);
    assert_eq!(store.history(fx.org, other.id).unwrap().len(), 2);
    assert!(
        store
            .comments(fx.org, unknown_incident())
            .unwrap_or_default()
            .is_empty()
    );
}

fn tasks_numbers_versions_and_open_count(store: &Store) {
    let fx = org_fixture(store, "A");
    let i1 = create(store, &incident(&fx, fx.requester, "Onboarding"));
    let i2 = create(store, &incident(&fx, fx.requester, "Offboarding"));
    assert_eq!((i1.number, i2.number), (1, 2));
    assert_eq!(store.open_task_count(fx.org, i1.id).unwrap(), 0);
    assert!(store.tasks(fx.org, i1.id).unwrap().is_empty());

    // Task numbers are a counter of their own, whatever number the caller passes.
    let mut t1 = task(fx.org, i1.id, "Laptop", mins(1));
    t1.number = 50;
    t1.assignee_id = Some(fx.agent);
    t1.priority = Priority::High;
    let w1 = task_write(fx.org, &t1, fx.agent);
    let s1 = store.create_task(fx.org, &t1, &w1).unwrap();
    assert_eq!(
        s1,
        servicedesk_core::entities::Task {
            number: 1,
            version: 1,
            ..t1.clone()
        }
    );
    let s2 = create_task(store, &task(fx.org, i1.id, "Badge", mins(2)), fx.agent);
    let s3 = create_task(store, &task(fx.org, i1.id, "Accounts", mins(3)), fx.agent);
    let s4 = create_task(
        store,
        &task(fx.org, i2.id, "Collect laptop", mins(4)),
        fx.agent,
    );
    assert_eq!([s2.number, s3.number, s4.number], [2, 3, 4]);
    assert_eq!(
        create(store, &incident(&fx, fx.requester, "Third")).number,
        3,
        "incident counter untouched"
    );

    assert_eq!(store.get_task(fx.org, s1.id).unwrap(), s1);
    assert_eq!(
        store.tasks(fx.org, i1.id).unwrap(),
        vec![s1.clone(), s2.clone(), s3.clone()]
    );
    assert_eq!(store.tasks(fx.org, i2.id).unwrap(), vec![s4.clone()]);
    assert_eq!(store.open_task_count(fx.org, i1.id).unwrap(), 3);
    assert_eq!(store.open_task_count(fx.org, i2.id).unwrap(), 1);

    // The task write set was committed.
    let audit = all_audit(store, fx.org);
    assert!(audit.iter().any(|e| e.record == w1.audit[0]));
    assert!(outbox_ids(store).contains(&w1.events[0].id));

    // done and cancelled do not count; in progress does.
    let moves = [
        (&s1, TaskState::Done),
        (&s2, TaskState::Cancelled),
        (&s3, TaskState::InProgress),
    ];
    for (t, to) in moves {
        let mut next = t.clone();
        next.status = to;
        next.updated_at = mins(30);
        let w = task_status_write(fx.org, &next, fx.agent, t.status, mins(30));
        let stored = store.update_task(fx.org, &next, 1, &w).unwrap();
        assert_eq!(
            stored,
            servicedesk_core::entities::Task {
                version: 2,
                ..next.clone()
            }
        );
        assert_eq!(store.get_task(fx.org, t.id).unwrap(), stored);
    }
    assert_eq!(store.open_task_count(fx.org, i1.id).unwrap(), 1);
    assert_eq!(store.open_task_count(fx.org, i2.id).unwrap(), 1);
    let mut s3_done = store.get_task(fx.org, s3.id).unwrap();
    s3_done.status = TaskState::Done;
    store
        .update_task(
            fx.org,
            &s3_done,
            2,
            &task_status_write(fx.org, &s3_done, fx.agent, TaskState::InProgress, mins(40)),
        )
        .unwrap();
    assert_eq!(store.open_task_count(fx.org, i1.id).unwrap(), 0);
    assert_eq!(store.get_task(fx.org, s3.id).unwrap().version, 3);
    // Listing order is creation order, whatever the status.
    let ids: Vec<_> = store
        .tasks(fx.org, i1.id)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, vec![s1.id, s2.id, s3.id]);
}

fn task_stale_version_and_missing_rows(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = create(store, &incident(&fx, fx.requester, "Parent"));
    let t = create_task(store, &task(fx.org, inc.id, "Do it", mins(1)), fx.agent);
    let mut started = t.clone();
    started.status = TaskState::InProgress;
    let v2 = store
        .update_task(
            fx.org,
            &started,
            1,
            &task_status_write(fx.org, &started, fx.agent, TaskState::Open, mins(2)),
        )
        .unwrap();
    assert_eq!(v2.version, 2);
    let audit_before = all_audit(store, fx.org).len();
    let outbox_before = outbox_ids(store);

    let mut stale = t.clone();
    stale.status = TaskState::Cancelled;
    stale.title = "Lost".to_owned();
    let w = task_status_write(fx.org, &stale, fx.agent, TaskState::Open, mins(3));
    match store.update_task(fx.org, &stale, 1, &w) {
        Err(StoreError::Conflict { current, .. }) => assert_eq!(current, 2),
        other => panic!("expected Conflict{{current: 2}}, got {other:?}"),
    }
    assert_eq!(store.get_task(fx.org, t.id).unwrap(), v2, "task unchanged");
    assert_eq!(all_audit(store, fx.org).len(), audit_before);
    assert_eq!(outbox_ids(store), outbox_before);
    assert_eq!(store.open_task_count(fx.org, inc.id).unwrap(), 1);

    assert_not_found("get_task unknown", store.get_task(fx.org, unknown_task()));
    let ghost = task(fx.org, inc.id, "ghost", mins(4));
    assert_not_found(
        "update_task unknown",
        store.update_task(fx.org, &ghost, 1, &task_write(fx.org, &ghost, fx.agent)),
    );
    let orphan = task(fx.org, unknown_incident(), "orphan", mins(4));
    assert_not_found(
        "create_task under a missing incident",
        store.create_task(fx.org, &orphan, &task_write(fx.org, &orphan, fx.agent)),
    );
    assert_eq!(all_audit(store, fx.org).len(), audit_before);
    // The failed create did not advance the task counter.
    let next = create_task(store, &task(fx.org, inc.id, "Next", mins(5)), fx.agent);
    assert_eq!(next.number, 2);
}

fn fault_after_audit_rolls_back_every_write(store: &Store) {
    let fx = org_fixture(store, "A");
    let a = create(store, &incident(&fx, fx.requester, "Survivor"));
    let ta = create_task(
        store,
        &task(fx.org, a.id, "Survivor task", mins(1)),
        fx.agent,
    );
    let audit_before = all_audit(store, fx.org);
    let history_before = store.history(fx.org, a.id).unwrap();
    let comments_before = store.comments(fx.org, a.id).unwrap();
    let outbox_before = outbox_ids(store);
    let key = IdempotencyKey {
        user_id: fx.requester,
        key: "fault-key".to_owned(),
    };

    store.inject_fault_after_audit(true);

    let b = incident(&fx, fx.requester, "Doomed create");
    let wb = create_write(&b, fx.requester);
    assert_injected("create", store.create(fx.org, &b, &wb, Some(key.clone())));

    let mut a2 = a.clone();
    a2.title = "Doomed update".to_owned();
    a2.status = IncidentState::Open;
    a2.updated_at = mins(10);
    let mut wu = update_write(&a, fx.agent, mins(10), "title", "Survivor", "Doomed update");
    wu.comments
        .push(comment(&a, fx.agent, "doomed comment", false, mins(10)));
    assert_injected("update", store.update(fx.org, &a2, 1, &wu));

    let tb = task(fx.org, a.id, "Doomed task", mins(11));
    let wt = task_write(fx.org, &tb, fx.agent);
    assert_injected("create_task", store.create_task(fx.org, &tb, &wt));

    let mut ta2 = ta.clone();
    ta2.status = TaskState::Done;
    let wt2 = task_status_write(fx.org, &ta2, fx.agent, TaskState::Open, mins(12));
    assert_injected("update_task", store.update_task(fx.org, &ta2, 1, &wt2));

    store.inject_fault_after_audit(false);

    // Rows: absent or unchanged.
    assert_not_found("rolled-back create", store.get(fx.org, b.id));
    assert_not_found("rolled-back number", store.get_by_number(fx.org, 2));
    assert_eq!(
        store.get(fx.org, a.id).unwrap(),
        a,
        "rolled-back update left the row"
    );
    assert_eq!(org_ids(store, fx.org), [a.id].into_iter().collect());
    assert_not_found("rolled-back task", store.get_task(fx.org, tb.id));
    assert_eq!(store.get_task(fx.org, ta.id).unwrap(), ta);
    assert_eq!(store.tasks(fx.org, a.id).unwrap(), vec![ta.clone()]);
    assert_eq!(store.open_task_count(fx.org, a.id).unwrap(), 1);
    // Write sets: no history, comments, audit or outbox rows.
    assert_eq!(store.history(fx.org, a.id).unwrap(), history_before);
    assert_no_leak(
        "history of the rolled-back create",
        store.history(fx.org, b.id),
    );
    assert_eq!(store.comments(fx.org, a.id).unwrap(), comments_before);
    let audit_after = all_audit(store, fx.org);
    assert_eq!(audit_after, audit_before, "no audit entry survived");
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact {
            entries: audit_before.len() as u64
        }
    );
    let outbox = outbox_ids(store);
    for id in [&wb, &wu, &wt, &wt2].into_iter().flat_map(event_ids) {
        assert!(
            !outbox.contains(&id),
            "event {id} of a rolled-back write is in the outbox"
        );
    }
    assert_eq!(outbox, outbox_before);

    // Counters did not advance and the idempotency key was not kept.
    let c = store.create(fx.org, &b, &wb, Some(key)).unwrap();
    assert!(
        !c.replayed,
        "the key of a rolled-back create must not replay"
    );
    assert_eq!(c.value.number, 2, "no gap after a rolled-back create");
    let t_next = create_task(store, &tb, fx.agent);
    assert_eq!(t_next.number, 2, "no gap after a rolled-back task create");
    let updated = store.update(fx.org, &a2, 1, &wu).unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(all_audit(store, fx.org).len(), audit_before.len() + 3);
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact {
            entries: audit_before.len() as u64 + 3
        }
    );
    assert_eq!(audit_after.first().map(|e| e.seq), Some(1));
}

fn a_round_read_answers_each_ticket_only_for_its_own_organization(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let a1 = create(store, &incident(&a, a.requester, "A one"));
    let a2 = create(store, &incident(&a, a.requester, "A two"));
    let b1 = create(store, &incident(&b, b.requester, "B one"));
    let b2 = create(store, &incident(&b, b.requester, "B two"));
    let missing = incident(&a, a.requester, "never stored").id;
    let keys = [
        (a.org, a1.id),
        (b.org, b1.id),
        (a.org, a2.id),
        (a.org, missing),
        // Another organization's ticket asked under A, and A's under B: neither answers.
        (a.org, b1.id),
        (a.org, b2.id),
        (b.org, a2.id),
    ];
    let mut got: Vec<_> = store
        .tickets_of(&keys)
        .unwrap()
        .into_iter()
        .map(|t| (t.org_id, t.id, t.title))
        .collect();
    got.sort_by(|x, y| x.2.cmp(&y.2));
    assert_eq!(
        got,
        vec![
            (a.org, a1.id, "A one".to_owned()),
            (a.org, a2.id, "A two".to_owned()),
            (b.org, b1.id, "B one".to_owned()),
        ]
    );
    assert!(store.tickets_of(&[]).unwrap().is_empty());
    // The same answer as asking each organization apart.
    let mut apart: Vec<_> = store
        .tickets(a.org, &[a1.id, a2.id, b1.id])
        .unwrap()
        .into_iter()
        .chain(store.tickets(b.org, &[b1.id]).unwrap())
        .map(|t| (t.org_id, t.id, t.title))
        .collect();
    apart.sort_by(|x, y| x.2.cmp(&y.2));
    assert_eq!(apart, got);
}
