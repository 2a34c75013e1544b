//! Conformance of `ReportStore` on both backends: the open backlog counted by priority and
//! SLA state within creation bounds, the window's facts, and the one visibility rule (org,
//! group, own, assignee) — soft-deleted tickets and other organizations never count.

#![allow(clippy::unwrap_used)]

use chrono::TimeDelta;
use servicedesk_core::entities::Incident;
use servicedesk_core::lifecycle::incident::IncidentState;
use servicedesk_core::ports::Visibility;
use servicedesk_core::priority::Priority;
use servicedesk_core::reports::{OpenCount, ReportScope, ReportStore};
use servicedesk_core::tickets::{SlaState, TicketKind};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    open_counts_group_the_live_backlog,
    open_counts_follow_the_visibility_rule,
    facts_of_the_window_round_trip,
);

fn hours(h: i64) -> chrono::DateTime<chrono::Utc> {
    t0() - TimeDelta::hours(h)
}

/// Six incidents of `fx.org` (one soft-deleted) and one of another organization.
fn dataset(store: &Store, fx: &Fx) -> Vec<Incident> {
    let other = org_fixture(store, "other");
    let mut noise = incident(&other, other.requester, "Elsewhere");
    noise.priority = Priority::High;
    create(store, &noise);

    let make = |title: &str, status, priority, created_h: i64, f: &dyn Fn(&mut Incident)| {
        let mut i = incident(fx, fx.requester, title);
        i.status = status;
        i.priority = priority;
        i.created_at = hours(created_h);
        i.updated_at = hours(created_h);
        f(&mut i);
        create(store, &i)
    };
    vec![
        make("Fresh", IncidentState::New, Priority::High, 2, &|i| {
            i.team_id = Some(fx.team)
        }),
        make(
            "Late",
            IncidentState::InProgress,
            Priority::High,
            48,
            &|i| {
                i.team_id = Some(fx.team2);
                i.assignee_id = Some(fx.agent2);
                i.sla.as_mut().unwrap().resolution.breached_at = Some(hours(1));
            },
        ),
        make(
            "Waiting",
            IncidentState::OnHold,
            Priority::Low,
            40 * 24,
            &|i| {
                i.requester_id = fx.requester2;
                i.created_by = fx.requester2;
            },
        ),
        make(
            "Fixed",
            IncidentState::Resolved,
            Priority::Medium,
            72,
            &|i| {
                i.resolved_at = Some(hours(24));
                i.first_responded_at = Some(hours(72) + TimeDelta::minutes(30));
            },
        ),
        make(
            "Old",
            IncidentState::Closed,
            Priority::Critical,
            50 * 24,
            &|i| {
                i.resolved_at = Some(hours(40 * 24));
                i.closed_at = Some(hours(39 * 24));
            },
        ),
        make("Gone", IncidentState::New, Priority::High, 3, &|i| {
            i.deleted_at = Some(hours(1))
        }),
    ]
}

fn org_scope() -> ReportScope {
    ReportScope {
        scopes: vec![(TicketKind::Incident, Visibility::Org)],
        assignee_id: None,
    }
}

fn total(counts: &[OpenCount]) -> u64 {
    counts.iter().map(|c| c.count).sum()
}

fn count(counts: &[OpenCount], p: Priority, s: SlaState) -> u64 {
    counts
        .iter()
        .filter(|c| c.priority == p && c.sla_state == s)
        .map(|c| c.count)
        .sum()
}

fn open_counts_group_the_live_backlog(store: &Store) {
    let fx = org_fixture(store, "A");
    dataset(store, &fx);
    let all = store.open_counts(fx.org, &org_scope(), None, None).unwrap();
    assert_eq!(total(&all), 3, "{all:?}");
    assert_eq!(count(&all, Priority::High, SlaState::Ok), 1);
    assert_eq!(count(&all, Priority::High, SlaState::Breached), 1);
    assert_eq!(
        count(&all, Priority::Low, SlaState::Ok),
        1,
        "pending counts as open"
    );
    // One row per combination.
    assert_eq!(all.len(), 3);

    let young = store
        .open_counts(fx.org, &org_scope(), Some(hours(24)), None)
        .unwrap();
    assert_eq!(total(&young), 1, "only Fresh is under a day old: {young:?}");
    let middle = store
        .open_counts(fx.org, &org_scope(), Some(hours(72)), Some(hours(24)))
        .unwrap();
    assert_eq!(count(&middle, Priority::High, SlaState::Breached), 1);
    assert_eq!(total(&middle), 1);
    let old = store
        .open_counts(fx.org, &org_scope(), None, Some(hours(672)))
        .unwrap();
    assert_eq!(count(&old, Priority::Low, SlaState::Ok), 1);
    assert_eq!(total(&old), 1);
}

fn open_counts_follow_the_visibility_rule(store: &Store) {
    let fx = org_fixture(store, "A");
    dataset(store, &fx);
    let of = |v: Visibility, assignee| ReportScope {
        scopes: vec![(TicketKind::Incident, v)],
        assignee_id: assignee,
    };
    // An agent of team 1 sees its team's tickets and the triage queue (no team).
    let group = store
        .open_counts(
            fx.org,
            &of(
                Visibility::Group {
                    user_id: fx.agent,
                    team_ids: vec![fx.team],
                },
                None,
            ),
            None,
            None,
        )
        .unwrap();
    assert_eq!(
        total(&group),
        2,
        "Fresh (team) and Waiting (triage): {group:?}"
    );
    assert_eq!(count(&group, Priority::High, SlaState::Breached), 0);
    // A requester sees their own.
    let own = store
        .open_counts(
            fx.org,
            &of(
                Visibility::Own {
                    user_id: fx.requester2,
                },
                None,
            ),
            None,
            None,
        )
        .unwrap();
    assert_eq!(total(&own), 1);
    assert_eq!(count(&own, Priority::Low, SlaState::Ok), 1);
    // One person's work.
    let mine = store
        .open_counts(fx.org, &of(Visibility::Org, Some(fx.agent2)), None, None)
        .unwrap();
    assert_eq!(total(&mine), 1);
    assert_eq!(count(&mine, Priority::High, SlaState::Breached), 1);
    // Kinds not in the scope, or no scope at all, count nothing.
    let requests = ReportScope {
        scopes: vec![(TicketKind::Request, Visibility::Org)],
        assignee_id: None,
    };
    assert_eq!(
        total(&store.open_counts(fx.org, &requests, None, None).unwrap()),
        0
    );
    let none = ReportScope {
        scopes: Vec::new(),
        assignee_id: None,
    };
    assert_eq!(
        total(&store.open_counts(fx.org, &none, None, None).unwrap()),
        0
    );
    assert!(
        store
            .created_since(fx.org, &none, hours(10_000), 100)
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .resolved_since(fx.org, &none, hours(10_000), 100)
            .unwrap()
            .is_empty()
    );
}

fn facts_of_the_window_round_trip(store: &Store) {
    let fx = org_fixture(store, "A");
    dataset(store, &fx);
    let from = hours(30 * 24);
    let created = store
        .created_since(fx.org, &org_scope(), from, 100)
        .unwrap();
    let titles: Vec<_> = created.iter().map(|f| f.created_at).collect();
    assert_eq!(
        titles,
        vec![hours(2), hours(48), hours(72)],
        "newest first, live only"
    );
    let fixed = &created[2];
    assert_eq!(fixed.kind, TicketKind::Incident);
    assert_eq!(fixed.priority, Priority::Medium);
    assert_eq!(fixed.sla_state, SlaState::Ok);
    assert_eq!(fixed.resolved_at, Some(hours(24)));
    assert_eq!(
        fixed.first_responded_at,
        Some(hours(72) + TimeDelta::minutes(30))
    );
    assert_eq!(created[1].sla_state, SlaState::Breached);

    let resolved = store
        .resolved_since(fx.org, &org_scope(), from, 100)
        .unwrap();
    assert_eq!(
        resolved.len(),
        1,
        "Old was resolved 40 days ago: {resolved:?}"
    );
    assert_eq!(resolved[0].resolved_at, Some(hours(24)));
    let older = store
        .resolved_since(fx.org, &org_scope(), hours(45 * 24), 100)
        .unwrap();
    assert_eq!(older.len(), 2);
    assert_eq!(
        older[0].resolved_at,
        Some(hours(24)),
        "most recently resolved first"
    );

    let limited = store.created_since(fx.org, &org_scope(), from, 2).unwrap();
    assert_eq!(limited.len(), 2);
    assert_eq!(limited[0].created_at, hours(2));
}
