//! Write transactions that read before they write, hammered from 8 threads on one
//! database (issue 9, point 8). On SQLite a deferred transaction that reads and then writes
//! fails at once with "database is locked" (a busy snapshot: another writer committed since
//! its read) instead of waiting; these writes take the write lock first (`BEGIN
//! IMMEDIATE`) and retry a busy answer, so none of them fails. PostgreSQL runs the same
//! load as a check that the helper keeps plain transactions there, and that writes which
//! insert unless present (a membership, a preference) stay no-ops or upserts when two
//! threads write the same row at once: a check followed by an insert failed there on the key.

#![allow(clippy::unwrap_used)]

use std::sync::Barrier;

use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{DeliveryId, OrgId, TeamId};
use servicedesk_core::ports::{
    DeliveryPayload, DeliveryQueue, DeliveryState, Directory, Mail, NewDelivery, NotificationStore,
    Preference, Routed,
};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    pool = 10;
    read_then_write_transactions_never_fail_under_eight_writers,
);

const THREADS: usize = 8;
const ROUNDS: usize = 20;

fn audit_of(org: OrgId) -> AuditRecord {
    AuditRecord {
        org_id: org,
        actor_id: None,
        action: "delivery.retry".into(),
        target_kind: "delivery".into(),
        target_id: "x".into(),
        at: mins(1),
        detail: serde_json::json!({}),
    }
}

/// `n` dead deliveries of `fx`'s organization.
fn dead_deliveries(store: &Store, fx: &Fx, n: usize) -> Vec<DeliveryId> {
    let deliveries = (0..n)
        .map(|i| NewDelivery {
            id: new_id(),
            event_id: new_id(),
            kind: "incident.assigned".into(),
            target: format!("t{i}"),
            payload: DeliveryPayload::Email {
                mail: Mail {
                    to: "agent@example.test".into(),
                    to_name: "A".into(),
                    subject: "s".into(),
                    text: "t".into(),
                    html: "<p>h</p>".into(),
                },
            },
        })
        .collect();
    store
        .save_routed(
            fx.org,
            &Routed {
                at: mins(0),
                notifications: Vec::new(),
                deliveries,
            },
        )
        .unwrap();
    let claimed = DeliveryQueue::claim(store, mins(1), mins(3), u32::try_from(n).unwrap(), &[])
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect::<Vec<_>>();
    assert_eq!(claimed.len(), n);
    for id in &claimed {
        store
            .failed(*id, mins(3), "HTTP 500", mins(2), mins(3), true)
            .unwrap();
    }
    claimed
}

fn read_then_write_transactions_never_fail_under_eight_writers(store: &Store) {
    let fx = org_fixture(store, "A");
    let dead = dead_deliveries(store, &fx, THREADS * ROUNDS);
    let users: Vec<_> = (0..THREADS)
        .map(|t| {
            let u = user(fx.org, &format!("u{t}"), &["agent"], &[]);
            store.create_user(&u).unwrap();
            u.id
        })
        .collect();
    let start = Barrier::new(THREADS);
    let teams: Vec<TeamId> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (fx, start, dead, users) = (&fx, &start, &dead, &users);
                s.spawn(move || {
                    start.wait();
                    let mut mine = Vec::new();
                    for r in 0..ROUNDS {
                        let choice = Preference {
                            event: format!("e{}", r % 3),
                            email: r % 2 == 0,
                            in_app: true,
                        };
                        store
                            .set_preferences(fx.org, users[(t + r) % THREADS], &[choice])
                            .unwrap_or_else(|e| panic!("set_preferences t{t} r{r}: {e}"));
                        let team = team(fx.org, &format!("team t{t} r{r}"), Some(fx.admin));
                        store
                            .create_team(&team)
                            .unwrap_or_else(|e| panic!("create_team t{t} r{r}: {e}"));
                        store
                            .add_team_member(fx.org, team.id, users[(t + r) % THREADS])
                            .unwrap_or_else(|e| panic!("add_team_member t{t} r{r}: {e}"));
                        store
                            .add_team_member(fx.org, fx.team, users[(t + r) % THREADS])
                            .unwrap_or_else(|e| panic!("add_team_member (shared) t{t}: {e}"));
                        let back = store
                            .retry(fx.org, dead[t * ROUNDS + r], mins(4), &audit_of(fx.org))
                            .unwrap_or_else(|e| panic!("retry t{t} r{r}: {e}"));
                        assert_eq!(back.state, DeliveryState::Pending);
                        mine.push(team.id);
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert_eq!(teams.len(), THREADS * ROUNDS);
    for (i, team) in teams.iter().enumerate() {
        assert_eq!(
            store.team_members(fx.org, *team).unwrap().len(),
            1,
            "team {i} has its member"
        );
    }
    let shared = store.team_members(fx.org, fx.team).unwrap();
    for u in &users {
        assert!(shared.contains(u), "every user joined the shared team once");
    }
    for u in &users {
        assert_eq!(store.preferences(fx.org, *u).unwrap().len(), 3);
    }
    let retried = all_audit(store, fx.org)
        .iter()
        .filter(|a| a.record.action == "delivery.retry")
        .count();
    assert_eq!(retried, THREADS * ROUNDS, "every retry was audited once");
}
