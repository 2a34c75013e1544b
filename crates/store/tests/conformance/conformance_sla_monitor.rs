//! The SLA monitor over the real store on both backends: `sla_due` finds exactly the
//! incidents whose next instant has passed (every organization, live rows only, soonest
//! first), and two monitors sweeping one database at once record each warning and breach
//! exactly once — one `sla.breached` outbox message per incident and target.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::sync::Arc;

use chrono::TimeDelta;
use servicedesk_core::monitor::SlaMonitor;
use servicedesk_core::ports::{FixedClock, IncidentStore, UuidV7Generator, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    sla_due_finds_what_came_due,
    a_claim_hides_rows_until_its_lease_ends,
    resolved_before_leaves_out_incidents_with_open_tasks,
    two_monitors_fire_each_breach_once
);

fn a_claim_hides_rows_until_its_lease_ends(store: &Store) {
    let a = org_fixture(store, "A");
    for minutes in [10, 20, 30] {
        let mut inc = incident(&a, a.requester, &format!("due at +{minutes}"));
        inc.next_sla_due_at = Some(mins(minutes));
        create(store, &inc);
    }
    let first = store.sla_due(mins(60), mins(61), 2).unwrap();
    assert_eq!(first.len(), 2);
    let second = store.sla_due(mins(60), mins(61), 10).unwrap();
    assert_eq!(
        second.iter().map(|i| i.title.as_str()).collect::<Vec<_>>(),
        ["due at +30"],
        "a second monitor gets only what the first did not hold"
    );
    assert!(store.sla_due(mins(60), mins(61), 10).unwrap().is_empty());
    assert_eq!(
        store.sla_due(mins(61), mins(62), 10).unwrap().len(),
        3,
        "an expired lease frees the rows"
    );
}

fn sla_due_finds_what_came_due(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let mut made = Vec::new();
    for (fx, minutes) in [(&a, 30), (&b, 10), (&a, 50), (&b, 200)] {
        let mut inc = incident(fx, fx.requester, &format!("due at +{minutes}"));
        inc.next_sla_due_at = Some(mins(minutes));
        made.push(create(store, &inc));
    }
    let mut deleted = incident(&a, a.requester, "deleted");
    deleted.next_sla_due_at = Some(mins(5));
    deleted.deleted_at = Some(mins(1));
    create(store, &deleted);
    let mut none = incident(&a, a.requester, "no instant");
    none.next_sla_due_at = None;
    create(store, &none);

    let due: Vec<_> = store
        .sla_due(mins(60), mins(60), 100)
        .unwrap()
        .iter()
        .map(|i| i.title.clone())
        .collect();
    assert_eq!(
        due,
        ["due at +10", "due at +30", "due at +50"],
        "both orgs, soonest first, live rows only"
    );
    assert_eq!(
        store.sla_due(mins(60), mins(60), 2).unwrap().len(),
        2,
        "limit"
    );
    assert!(store.sla_due(mins(9), mins(9), 100).unwrap().is_empty());
}

fn two_monitors_fire_each_breach_once(store: &Store) {
    let fx = org_fixture(store, "A");
    let n = 30;
    for i in 0..n {
        create(store, &incident(&fx, fx.requester, &format!("late {i}")));
    }
    // Two hours in: every response clock (1 h) is warned and breached; resolution (8 h) not yet.
    let clock = Arc::new(FixedClock::new(t0() + TimeDelta::hours(2)));
    let monitor = |store: &Store| {
        SlaMonitor::new(
            Arc::new(store.clone()),
            Arc::new(store.clone()),
            Arc::new(store.clone()),
            clock.clone(),
            Arc::new(UuidV7Generator),
        )
    };
    let (m1, m2) = (monitor(store), monitor(store));
    let totals: Vec<_> = std::thread::scope(|s| {
        [m1, m2]
            .map(|m| {
                s.spawn(move || {
                    let mut total = (0, 0);
                    // Small batches so the two really interleave; stop when nothing is due.
                    for _ in 0..100 {
                        let sweep = m.sweep(4).unwrap();
                        total.0 += sweep.warnings;
                        total.1 += sweep.breaches;
                        if sweep.checked == 0 {
                            break;
                        }
                    }
                    total
                })
            })
            .into_iter()
            .map(|h| h.join().unwrap())
            .collect()
    });
    let (warnings, breaches) = totals
        .iter()
        .fold((0, 0), |acc, t| (acc.0 + t.0, acc.1 + t.1));
    assert_eq!(
        (warnings, breaches),
        (n, n),
        "each response clock warned and breached once overall"
    );
    let mut kinds: HashMap<&str, u32> = HashMap::new();
    let messages = outbox_probe(store);
    for m in &messages {
        *kinds.entry(m.event.kind()).or_default() += 1;
    }
    assert_eq!(
        kinds.get("sla.breached"),
        Some(&n),
        "one breach message per incident"
    );
    assert_eq!(
        kinds.get("sla.warning"),
        Some(&n),
        "one warning message per incident"
    );
    // Nothing is left due until the resolution warning at +6 h.
    assert!(
        store
            .sla_due(t0() + TimeDelta::hours(2), t0() + TimeDelta::hours(2), 100)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .sla_due(t0() + TimeDelta::hours(6), t0() + TimeDelta::hours(6), 100)
            .unwrap()
            .len(),
        n as usize
    );
}

fn resolved_before_leaves_out_incidents_with_open_tasks(store: &Store) {
    use servicedesk_lifecycle::incident::IncidentState;
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let mut made = Vec::new();
    for (fx, title, minutes) in [
        (&a, "old", 10),
        (&a, "older", 5),
        (&a, "recent", 500),
        (&b, "other org", 5),
    ] {
        let mut inc = incident(fx, fx.requester, title);
        inc.status = IncidentState::Resolved;
        inc.resolved_at = Some(mins(minutes));
        made.push(create(store, &inc));
    }
    // Tasks are added while the incident is worked (the store refuses them later), then
    // it is resolved with the task still open.
    let open_task = create(store, &incident(&a, a.requester, "with an open task"));
    create_task(
        store,
        &task(a.org, open_task.id, "Swap disk", mins(1)),
        a.agent,
    );
    let mut resolved = open_task.clone();
    resolved.status = IncidentState::Resolved;
    resolved.resolved_at = Some(mins(1));
    store
        .update(a.org, &resolved, 1, &WriteSet::default())
        .unwrap();
    let titles: Vec<String> = store
        .resolved_before(a.org, mins(60), 10)
        .unwrap()
        .into_iter()
        .map(|i| i.title)
        .collect();
    assert_eq!(
        titles,
        ["older", "old"],
        "oldest first, this org, no open tasks"
    );
    assert_eq!(store.resolved_before(a.org, mins(60), 1).unwrap().len(), 1);
}
