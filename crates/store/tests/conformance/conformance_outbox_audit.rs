//! Conformance of `Outbox` (claim, lease, complete, fail with retry, dead letters,
//! exclusive claims across threads) and `AuditLog` (the per-organization hash chain, paging
//! through entries, and detection of altered or deleted rows) on both backends.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use chrono::TimeDelta;
use servicedesk_core::events::EventPayload;
use servicedesk_core::ids::{EventId, OrgId};
use servicedesk_core::ports::{AuditCheck, AuditLog, IncidentStore, Outbox, StoreError, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    outbox_claim_lease_complete_fail_and_dead,
    outbox_limit_and_unknown_ids,
    outbox_claims_are_exclusive_across_threads,
    outbox_mail_tokens_are_scrubbed_once_delivered,
    outbox_settling_needs_the_claimers_lease,
    outbox_complete_all_marks_only_what_the_lease_still_holds,
    outbox_dead_lettered_mail_tokens_are_scrubbed,
    audit_entries_form_a_chain_per_org,
    audit_altered_row_is_named,
    audit_every_field_is_covered_by_the_hash,
    audit_deleted_row_is_detected,
    audit_altered_hash_is_detected,
    audit_hash_is_the_documented_one_on_every_backend,
);

fn ids(msgs: &[servicedesk_core::ports::OutboxMessage]) -> HashSet<EventId> {
    msgs.iter().map(|m| m.event.id).collect()
}

fn set<const N: usize>(v: [EventId; N]) -> HashSet<EventId> {
    v.into_iter().collect()
}

fn outbox_claim_lease_complete_fail_and_dead(store: &Store) {
    let fx = org_fixture(store, "A");
    let mut writes = Vec::new();
    for n in 0..3 {
        let inc = incident(&fx, fx.requester, &format!("Outbox {n}"));
        let w = create_write(&inc, fx.requester);
        store.create(fx.org, &inc, &w, None).unwrap();
        writes.push((inc, w));
    }
    let (inc0, _) = &writes[0];
    let mut changed = store.get(fx.org, inc0.id).unwrap();
    changed.title = "Outbox 0 (edited)".to_owned();
    changed.updated_at = mins(5);
    let wu = update_write(
        inc0,
        fx.agent,
        mins(5),
        "title",
        "Outbox 0",
        "Outbox 0 (edited)",
    );
    store.update(fx.org, &changed, 1, &wu).unwrap();
    let [e1, e2, e3] = [0, 1, 2].map(|i| writes[i].1.events[0].id);
    let e4 = wu.events[0].id;
    let mut all_events: Vec<_> = writes.iter().map(|(_, w)| w.events[0].clone()).collect();
    all_events.push(wu.events[0].clone());

    // First claim: everything, untried, with the events as written.
    let t = far(0);
    let claimed = store.claim(t, far(5), 10).unwrap();
    assert_eq!(ids(&claimed), set([e1, e2, e3, e4]));
    for m in &claimed {
        assert_eq!(m.attempts, 0);
        assert!(m.available_at <= t, "claimed a message not yet available");
        let written = all_events.iter().find(|e| e.id == m.event.id).unwrap();
        assert_eq!(&m.event, written, "the outbox keeps the event as written");
    }

    // Leased: hidden until lease_until.
    assert!(
        store.claim(far(1), far(6), 10).unwrap().is_empty(),
        "leased messages are hidden"
    );
    assert!(store.claim(far(4), far(9), 10).unwrap().is_empty());
    // After the lease: back (the claimer died).
    let again = store.claim(far(6), far(10), 10).unwrap();
    assert_eq!(ids(&again), set([e1, e2, e3, e4]));

    // Settle: e1 delivered, e2 retried later, e3 dead; e4 stays leased until far(10).
    assert!(store.complete(e1, far(10), far(6)).unwrap());
    assert!(
        store
            .fail(e2, far(10), "smtp: 451 try later", far(6), far(120), false)
            .unwrap()
    );
    assert!(
        store
            .fail(e3, far(10), "webhook: 410 gone", far(6), far(30), true)
            .unwrap()
    );
    // Settled messages cannot be settled again.
    assert!(!store.complete(e1, far(10), far(7)).unwrap());
    assert!(
        !store
            .fail(e3, far(10), "again", far(7), far(8), true)
            .unwrap()
    );

    assert!(
        store.claim(far(7), far(8), 10).unwrap().is_empty(),
        "nothing due yet"
    );
    // Claim e4 with a long lease so it stays out of the way of the retry checks below.
    let at_60 = store.claim(far(60), far(300), 10).unwrap();
    assert_eq!(
        ids(&at_60),
        set([e4]),
        "e2 waits for retry_at, e3 is dead, e1 done"
    );
    assert!(
        store
            .claim(far(119), far(119) + TimeDelta::seconds(30), 10)
            .unwrap()
            .is_empty()
    );

    let at_120 = store.claim(far(120), far(125), 10).unwrap();
    assert_eq!(ids(&at_120), set([e2]), "e2 comes back at retry_at");
    let m2 = &at_120[0];
    assert_eq!(m2.attempts, 1);
    assert_eq!(m2.available_at, far(120));

    // A second failure counts again.
    assert!(
        store
            .fail(e2, far(125), "smtp: 451 still", far(121), far(200), false)
            .unwrap()
    );
    assert!(store.complete(e4, far(300), far(121)).unwrap());
    assert!(store.claim(far(150), far(155), 10).unwrap().is_empty());
    let at_200 = store.claim(far(200), far(205), 10).unwrap();
    assert_eq!(ids(&at_200), set([e2]));
    assert_eq!(at_200[0].attempts, 2);
    assert_eq!(at_200[0].available_at, far(200));
    assert!(store.complete(e2, far(205), far(201)).unwrap());

    // Delivered and dead messages never come back.
    assert!(
        store
            .claim(far(100_000), far(100_001), 100)
            .unwrap()
            .is_empty()
    );
    assert!(outbox_probe(store).is_empty());
}

fn outbox_limit_and_unknown_ids(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = incident(&fx, fx.requester, "Many events");
    let mut w = create_write(&inc, fx.requester);
    for n in 0..4 {
        w.events.push(event(
            fx.org,
            None,
            mins(n),
            EventPayload::IncidentRestored {
                incident_id: inc.id,
            },
        ));
    }
    store.create(fx.org, &inc, &w, None).unwrap();
    let written: HashSet<EventId> = event_ids(&w).into_iter().collect();
    assert_eq!(written.len(), 5);

    let p1 = store.claim(far(0), far(10), 2).unwrap();
    let p2 = store.claim(far(0), far(10), 2).unwrap();
    let p3 = store.claim(far(0), far(10), 2).unwrap();
    let p4 = store.claim(far(0), far(10), 2).unwrap();
    assert_eq!((p1.len(), p2.len(), p3.len(), p4.len()), (2, 2, 1, 0));
    let mut seen = HashSet::new();
    for m in p1.iter().chain(&p2).chain(&p3) {
        assert!(
            seen.insert(m.event.id),
            "message claimed twice within its lease"
        );
    }
    assert_eq!(seen, written);

    let unknown: EventId = new_id();
    assert_not_found("complete unknown", store.complete(unknown, far(10), far(1)));
    assert_not_found(
        "fail unknown",
        store.fail(unknown, far(10), "x", far(1), far(2), false),
    );
    assert_not_found(
        "fail unknown dead",
        store.fail(unknown, far(10), "x", far(1), far(2), true),
    );
}

fn outbox_claims_are_exclusive_across_threads(store: &Store) {
    let fx = org_fixture(store, "A");
    let mut expected = HashSet::new();
    for n in 0..4 {
        let inc = incident(&fx, fx.requester, &format!("Burst {n}"));
        let mut w = create_write(&inc, fx.requester);
        for k in 0..49 {
            w.events.push(event(
                fx.org,
                None,
                mins(k),
                EventPayload::IncidentRestored {
                    incident_id: inc.id,
                },
            ));
        }
        expected.extend(event_ids(&w));
        store.create(fx.org, &inc, &w, None).unwrap();
    }
    assert_eq!(expected.len(), 200);

    let claimed: Vec<Vec<EventId>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let batch = store.claim(far(0), far(60), 7).unwrap();
                        if batch.is_empty() {
                            return mine;
                        }
                        mine.extend(batch.into_iter().map(|m| m.event.id));
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut seen = HashSet::new();
    for id in claimed.iter().flatten() {
        assert!(seen.insert(*id), "message {id} was claimed by two claimers");
    }
    assert_eq!(seen, expected, "every message claimed exactly once");
}

const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Creates an incident and `updates` updates in `org`, one audit record each.
fn audited_writes(
    store: &Store,
    fx: &Fx,
    updates: i64,
) -> Vec<servicedesk_core::events::AuditRecord> {
    let inc = incident(fx, fx.requester, "Audited");
    let wc = create_write(&inc, fx.requester);
    store.create(fx.org, &inc, &wc, None).unwrap();
    let mut records = wc.audit.clone();
    let mut current = store.get(fx.org, inc.id).unwrap();
    for n in 1..=updates {
        let mut next = current.clone();
        next.title = format!("Audited {n}");
        next.updated_at = mins(n);
        let w = update_write(
            &inc,
            fx.agent,
            mins(n),
            "title",
            &current.title,
            &next.title,
        );
        current = store.update(fx.org, &next, current.version, &w).unwrap();
        records.extend(w.audit);
    }
    records
}

fn assert_chain(entries: &[servicedesk_core::ports::AuditEntry]) {
    let mut prev = ZERO_HASH.to_owned();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1, "seq runs from 1 without gaps");
        assert_eq!(
            e.prev_hash, prev,
            "entry {} links to its predecessor",
            e.seq
        );
        assert_eq!(e.hash.len(), 64, "hash is SHA-256 hex");
        assert!(e.hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(e.hash, e.prev_hash);
        prev = e.hash.clone();
    }
}

fn audit_entries_form_a_chain_per_org(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    assert!(all_audit(store, a.org).is_empty());
    assert_eq!(
        store.verify(a.org).unwrap(),
        AuditCheck::Intact { entries: 0 }
    );

    let mut records = audited_writes(store, &a, 4);
    // One write carrying two audit records (the system acting, no actor).
    let inc = store.get_by_number(a.org, 1).unwrap();
    let mut next = inc.clone();
    next.updated_at = mins(30);
    let w = WriteSet {
        audit: vec![
            audit(
                a.org,
                None,
                "sla.warning",
                "incident",
                &inc.id.to_string(),
                mins(30),
            ),
            audit(
                a.org,
                None,
                "incident.escalate",
                "incident",
                &inc.id.to_string(),
                mins(30),
            ),
        ],
        ..WriteSet::default()
    };
    store.update(a.org, &next, inc.version, &w).unwrap();
    records.extend(w.audit.clone());

    let entries = all_audit(store, a.org);
    assert_eq!(entries.len(), 7);
    assert_chain(&entries);
    let stored: Vec<_> = entries.iter().map(|e| e.record.clone()).collect();
    assert_eq!(stored, records, "records kept as written, in write order");
    assert_eq!(entries[0].prev_hash, ZERO_HASH);

    // Paging.
    let page = store.entries(a.org, 2, 2).unwrap();
    assert_eq!(page.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(page, entries[2..4].to_vec());
    assert_eq!(store.entries(a.org, 5, 100).unwrap(), entries[5..].to_vec());
    assert!(store.entries(a.org, 7, 10).unwrap().is_empty());
    assert_eq!(store.entries(a.org, 0, 1).unwrap(), entries[..1].to_vec());
    assert_eq!(
        store.verify(a.org).unwrap(),
        AuditCheck::Intact { entries: 7 }
    );

    // B's chain is its own: starts at 1 from the zero hash, none of A's records.
    assert!(all_audit(store, b.org).is_empty());
    let b_records = audited_writes(store, &b, 1);
    let b_entries = all_audit(store, b.org);
    assert_chain(&b_entries);
    assert_eq!(
        b_entries
            .iter()
            .map(|e| e.record.clone())
            .collect::<Vec<_>>(),
        b_records
    );
    assert!(b_entries.iter().all(|e| e.record.org_id == b.org));
    assert_eq!(
        store.verify(b.org).unwrap(),
        AuditCheck::Intact { entries: 2 }
    );
    assert_eq!(
        all_audit(store, a.org),
        entries,
        "A unchanged by B's writes"
    );
    let nobody: OrgId = new_id();
    assert!(all_audit(store, nobody).is_empty());
    assert_eq!(
        store.verify(nobody).unwrap(),
        AuditCheck::Intact { entries: 0 }
    );
}

#[track_caller]
fn assert_broken_at(check: AuditCheck, allowed: &[i64], what: &str) {
    match check {
        AuditCheck::Broken { seq, reason } => {
            assert!(
                allowed.contains(&seq),
                "{what}: Broken names seq {seq} ({reason}), expected one of {allowed:?}"
            );
            assert!(!reason.is_empty(), "{what}: a reason is given");
        }
        other => panic!("{what}: expected Broken at {allowed:?}, got {other:?}"),
    }
}

fn audit_altered_row_is_named(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    audited_writes(store, &a, 4);
    audited_writes(store, &b, 4);
    assert_eq!(
        store.verify(a.org).unwrap(),
        AuditCheck::Intact { entries: 5 }
    );

    let changed = exec_sql(
        store,
        &format!(
            "UPDATE audit_events SET action = 'x' WHERE org_id = '{}' AND seq = 3",
            sql_id(a.org)
        ),
    );
    assert_eq!(
        changed, 1,
        "the audit row of org A with seq 3 exists (org_id stored as hyphenated UUID text)"
    );
    assert_broken_at(store.verify(a.org).unwrap(), &[3], "altered action");
    assert_eq!(
        store.verify(b.org).unwrap(),
        AuditCheck::Intact { entries: 5 },
        "B unaffected"
    );
}

fn audit_every_field_is_covered_by_the_hash(store: &Store) {
    let tampers = [
        ("actor_id", "actor_id = NULL"),
        ("action", "action = 'incident.delete'"),
        ("target_kind", "target_kind = 'task'"),
        ("target_id", "target_id = 'someone-else'"),
        ("at", "at = '2001-01-01 00:00:00'"),
        ("detail", "detail = '{\"tampered\":true}'"),
    ];
    for (field, set) in tampers {
        let fx = org_fixture(store, field);
        audited_writes(store, &fx, 3);
        assert_eq!(
            store.verify(fx.org).unwrap(),
            AuditCheck::Intact { entries: 4 }
        );
        let n = exec_sql(
            store,
            &format!(
                "UPDATE audit_events SET {set} WHERE org_id = '{}' AND seq = 2",
                sql_id(fx.org)
            ),
        );
        assert_eq!(n, 1);
        assert_broken_at(
            store.verify(fx.org).unwrap(),
            &[2],
            &format!("altered {field}"),
        );
    }
}

fn audit_deleted_row_is_detected(store: &Store) {
    let a = org_fixture(store, "A");
    audited_writes(store, &a, 4);
    let n = exec_sql(
        store,
        &format!(
            "DELETE FROM audit_events WHERE org_id = '{}' AND seq = 3",
            sql_id(a.org)
        ),
    );
    assert_eq!(n, 1);
    // The gap is at 3; the first entry whose link no longer holds is 4.
    assert_broken_at(store.verify(a.org).unwrap(), &[3, 4], "deleted middle row");

    // Deleting the first row breaks the chain at its start.
    let b = org_fixture(store, "B");
    audited_writes(store, &b, 2);
    exec_sql(
        store,
        &format!(
            "DELETE FROM audit_events WHERE org_id = '{}' AND seq = 1",
            sql_id(b.org)
        ),
    );
    assert_broken_at(store.verify(b.org).unwrap(), &[1, 2], "deleted first row");
}

fn audit_altered_hash_is_detected(store: &Store) {
    let a = org_fixture(store, "A");
    audited_writes(store, &a, 4);
    let fake = "ab".repeat(32);
    let n = exec_sql(
        store,
        &format!(
            "UPDATE audit_events SET hash = '{fake}' WHERE org_id = '{}' AND seq = 2",
            sql_id(a.org)
        ),
    );
    assert_eq!(n, 1);
    assert_broken_at(store.verify(a.org).unwrap(), &[2], "altered stored hash");

    // Rewriting a row's content together with its own hash still breaks the next link.
    let b = org_fixture(store, "B");
    audited_writes(store, &b, 4);
    exec_sql(
        store,
        &format!(
            "UPDATE audit_events SET action = 'x', hash = '{fake}' WHERE org_id = '{}' AND seq = 2",
            sql_id(b.org)
        ),
    );
    assert_broken_at(
        store.verify(b.org).unwrap(),
        &[2, 3],
        "altered content and hash",
    );
    match store.entries(b.org, 0, 100) {
        Ok(entries) => assert_eq!(entries.len(), 5, "entries still readable"),
        Err(StoreError::Unavailable(_)) => {}
        Err(e) => panic!("entries after tampering: {e:?}"),
    }
}

#[derive(diesel::QueryableByName)]
struct PayloadRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    payload: String,
}

fn outbox_mail_tokens_are_scrubbed_once_delivered(store: &Store) {
    use diesel::RunQueryDsl;
    let fx = org_fixture(store, "A");
    let inc = incident(&fx, fx.requester, "carrier");
    let mut w = create_write(&inc, fx.requester);
    let mail = event(
        fx.org,
        Some(fx.requester),
        inc.created_at,
        EventPayload::PasswordResetRequested {
            user_id: fx.requester,
            email: "r@example.org".into(),
            name: "R".into(),
            token: "SECRET-TOKEN-123".into(),
        },
    );
    w.events.push(mail.clone());
    store.create(fx.org, &inc, &w, None).unwrap();
    let payloads = |store: &Store| -> Vec<String> {
        let mut conn = store.database().conn().unwrap();
        diesel::sql_query("SELECT payload FROM outbox")
            .load::<PayloadRow>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|r| r.payload)
            .collect()
    };
    assert!(
        payloads(store)
            .iter()
            .any(|p| p.contains("SECRET-TOKEN-123")),
        "pending mail keeps its token"
    );
    let claimed = store.claim(far(0), far(5), 10).unwrap();
    let msg = claimed
        .iter()
        .find(|m| m.event.id == mail.id)
        .expect("the mail is claimed");
    assert!(
        matches!(&msg.event.payload, EventPayload::PasswordResetRequested { token, .. } if token == "SECRET-TOKEN-123")
    );
    for m in &claimed {
        assert!(store.complete(m.event.id, m.lease_until, far(1)).unwrap());
    }
    let after = payloads(store);
    assert!(
        !after.iter().any(|p| p.contains("SECRET-TOKEN-123")),
        "delivered mail no longer holds the token: {after:?}"
    );
    assert!(
        after.iter().any(|p| p.contains("incident")),
        "other delivered events keep their payload"
    );
}

fn outbox_settling_needs_the_claimers_lease(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = incident(&fx, fx.requester, "Slow dispatcher");
    let w = create_write(&inc, fx.requester);
    store.create(fx.org, &inc, &w, None).unwrap();
    let id = w.events[0].id;

    // Worker A claims with a short lease and stalls past it; worker B re-claims.
    let a = store.claim(far(0), far(5), 10).unwrap();
    let a = a.iter().find(|m| m.event.id == id).unwrap().clone();
    assert_eq!(a.lease_until, far(5));
    let b = store.claim(far(6), far(60), 10).unwrap();
    let b = b.iter().find(|m| m.event.id == id).unwrap().clone();
    assert_eq!(b.lease_until, far(60));

    // A's settlements are refused and change nothing: neither complete nor fail.
    assert!(!store.complete(id, a.lease_until, far(7)).unwrap());
    assert!(
        !store
            .fail(id, a.lease_until, "late", far(7), far(8), true)
            .unwrap()
    );
    assert!(
        !store
            .fail(id, a.lease_until, "late", far(7), far(8), false)
            .unwrap()
    );
    // Still B's: hidden from claims until B's lease ends, not dead, not delivered.
    assert!(store.claim(far(30), far(31), 10).unwrap().is_empty());

    // B fails it (retry), and A's stale lease still cannot complete the new attempt.
    assert!(
        store
            .fail(id, b.lease_until, "smtp: 451", far(8), far(100), false)
            .unwrap()
    );
    assert!(
        !store.complete(id, b.lease_until, far(9)).unwrap(),
        "settled twice"
    );
    let c = store.claim(far(100), far(110), 10).unwrap();
    let c = c.iter().find(|m| m.event.id == id).unwrap().clone();
    assert_eq!(c.attempts, 1, "A's refused failures did not count");
    assert!(!store.complete(id, a.lease_until, far(101)).unwrap());
    assert!(store.complete(id, c.lease_until, far(101)).unwrap());
    assert!(store.claim(far(1_000), far(1_001), 10).unwrap().is_empty());
}

fn outbox_complete_all_marks_only_what_the_lease_still_holds(store: &Store) {
    use diesel::RunQueryDsl;
    let fx = org_fixture(store, "A");
    // Three incidents' events, and a password mail whose token must go once delivered.
    let mut events = Vec::new();
    for title in ["one", "two", "three"] {
        let inc = incident(&fx, fx.requester, title);
        let mut w = create_write(&inc, fx.requester);
        if title == "three" {
            w.events.push(event(
                fx.org,
                Some(fx.requester),
                inc.created_at,
                EventPayload::PasswordResetRequested {
                    user_id: fx.requester,
                    email: "r@example.org".into(),
                    name: "R".into(),
                    token: "BATCH-TOKEN-9".into(),
                },
            ));
        }
        store.create(fx.org, &inc, &w, None).unwrap();
        events.extend(w.events.iter().map(|e| e.id));
    }
    assert_eq!(events.len(), 4);
    let a = store.claim(far(0), far(5), 10).unwrap();
    assert_eq!(ids(&a), events.iter().copied().collect());
    // Past A's lease, B re-claims everything, completes one and fails another.
    let b = store.claim(far(6), far(60), 10).unwrap();
    assert_eq!(b.len(), 4);
    assert!(store.complete(events[0], far(60), far(7)).unwrap());
    assert!(
        store
            .fail(events[1], far(60), "smtp: 451", far(7), far(100), false)
            .unwrap()
    );
    // A's late batch marks nothing: none of the four is held under its lease.
    assert_eq!(store.complete_all(&events, far(5), far(8)).unwrap(), 0);
    // B's batch marks the two it still holds, not the settled or retried ones, nor an
    // unknown id.
    let unknown = EventId(uuid::Uuid::now_v7());
    let mut batch = events.clone();
    batch.push(unknown);
    assert_eq!(store.complete_all(&batch, far(60), far(9)).unwrap(), 2);
    assert_eq!(
        store.complete_all(&batch, far(60), far(10)).unwrap(),
        0,
        "marked twice"
    );
    assert_eq!(store.complete_all(&[], far(60), far(10)).unwrap(), 0);
    // Only the retried one comes back, at its retry time; the delivered mail lost its token.
    let again = store.claim(far(100), far(110), 10).unwrap();
    assert_eq!(ids(&again), set([events[1]]));
    let mut conn = store.database().conn().unwrap();
    let payloads: Vec<String> = diesel::sql_query("SELECT payload FROM outbox")
        .load::<PayloadRow>(&mut *conn)
        .unwrap()
        .into_iter()
        .map(|r| r.payload)
        .collect();
    assert!(
        !payloads.iter().any(|p| p.contains("BATCH-TOKEN-9")),
        "{payloads:?}"
    );
    assert_eq!(payloads.len(), 4);
}

fn outbox_dead_lettered_mail_tokens_are_scrubbed(store: &Store) {
    use diesel::RunQueryDsl;
    let fx = org_fixture(store, "A");
    let inc = incident(&fx, fx.requester, "carrier");
    let mut w = create_write(&inc, fx.requester);
    for (n, token) in ["DEAD-TOKEN-1", "RETRY-TOKEN-2"].into_iter().enumerate() {
        w.events.push(event(
            fx.org,
            Some(fx.requester),
            inc.created_at + TimeDelta::seconds(n as i64),
            EventPayload::EmailVerificationRequested {
                user_id: fx.requester,
                email: "r@example.org".into(),
                name: "R".into(),
                token: token.into(),
            },
        ));
    }
    store.create(fx.org, &inc, &w, None).unwrap();
    let payloads = |store: &Store| -> Vec<String> {
        let mut conn = store.database().conn().unwrap();
        diesel::sql_query("SELECT payload FROM outbox")
            .load::<PayloadRow>(&mut *conn)
            .unwrap()
            .into_iter()
            .map(|r| r.payload)
            .collect()
    };
    let claimed = store.claim(far(0), far(5), 10).unwrap();
    for m in &claimed {
        let token = match &m.event.payload {
            EventPayload::EmailVerificationRequested { token, .. } => Some(token.as_str()),
            _ => None,
        };
        let dead = token != Some("RETRY-TOKEN-2");
        assert!(
            store
                .fail(m.event.id, m.lease_until, "smtp: 550", far(1), far(2), dead)
                .unwrap()
        );
    }
    let after = payloads(store);
    assert!(
        !after.iter().any(|p| p.contains("DEAD-TOKEN-1")),
        "a dead-lettered mail no longer holds its token: {after:?}"
    );
    assert!(
        after.iter().any(|p| p.contains("RETRY-TOKEN-2")),
        "a mail still to be retried keeps its token"
    );
    assert!(
        after.iter().any(|p| p.contains("incident")),
        "other dead events keep their payload"
    );
}

/// The chain's hash, computed here from its definition (SHA-256 over each field's UTF-8,
/// prefixed with its length as 8 big-endian bytes): PostgreSQL computes it in the database
/// and SQLite in the process, and both must give exactly this.
fn documented_hash(prev: &str, e: &servicedesk_core::ports::AuditEntry) -> String {
    use sha2::{Digest, Sha256};
    let r = &e.record;
    let mut h = Sha256::new();
    for part in [
        prev.to_owned(),
        r.org_id.to_string(),
        e.seq.to_string(),
        r.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        r.action.clone(),
        r.target_kind.clone(),
        r.target_id.clone(),
        r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        r.detail.to_string(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    format!("{:x}", h.finalize())
}

fn audit_hash_is_the_documented_one_on_every_backend(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = incident(&fx, fx.requester, "Hashed");
    let wc = create_write(&inc, fx.requester);
    store.create(fx.org, &inc, &wc, None).unwrap();
    let current = store.get(fx.org, inc.id).unwrap();
    // What a careless second definition would get wrong: characters outside ASCII (bytes,
    // not characters, are counted), no actor, a time with nanoseconds and one on a whole
    // second, an empty field, quotes and backslashes in the detail.
    let odd = chrono::DateTime::parse_from_rfc3339("2026-02-28T23:59:59.123456789Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let whole = chrono::DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut first = audit(
        fx.org,
        None,
        "sla.warning",
        "incident",
        "Zürich ☕ 東京",
        odd,
    );
    first.detail = serde_json::json!({ "note": "say \"hi\" \\ bye", "emoji": "🛠️", "n": -1.5 });
    let mut second = audit(fx.org, Some(fx.agent), "incident.update", "", "", whole);
    second.detail = serde_json::json!({});
    let mut next = current.clone();
    next.updated_at = mins(5);
    let w = WriteSet {
        audit: vec![first, second],
        ..WriteSet::default()
    };
    store.update(fx.org, &next, current.version, &w).unwrap();

    let entries = all_audit(store, fx.org);
    assert_eq!(entries.len(), 3);
    assert_chain(&entries);
    let mut prev = ZERO_HASH.to_owned();
    for e in &entries {
        assert_eq!(e.hash, documented_hash(&prev, e), "entry {}", e.seq);
        prev = e.hash.clone();
    }
    assert_eq!(
        entries[1].record.at.timestamp_subsec_nanos(),
        123_456_000,
        "the time is kept to the microsecond it was hashed with"
    );
    assert_eq!(entries[1].record.target_id, "Zürich ☕ 東京");
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact { entries: 3 }
    );
}

/// PostgreSQL appends a batch's audit entries in one call (`servicedesk_audit_append_all`).
/// Entries of two organizations interleaved (A, A, B, A) give each its own gapless chain,
/// continuing the one written before, that `verify` (which recomputes every hash in Rust)
/// finds intact.
#[test]
fn audit_runs_of_interleaved_organizations_chain_on_postgres() {
    let Some(db) = TestDb::postgres(2) else {
        return;
    };
    let store = db.store();
    let a = org_fixture(store, "runs A");
    let b = org_fixture(store, "runs B");
    let before = |org| match store.verify(org).unwrap() {
        AuditCheck::Intact { entries } => entries,
        broken => panic!("{broken:?}"),
    };
    let (a0, b0) = (before(a.org), before(b.org));
    let mut conn = store.database().conn().unwrap();
    let servicedesk_store::DbConn::Postgresql(pg) = &mut *conn else {
        panic!("not PostgreSQL");
    };
    let sql = format!(
        "SELECT servicedesk_audit_append_all( \
           ARRAY['{a}', '{a}', '{b}', '{a}'], ARRAY[NULL, '{u}', '{u}', NULL], \
           ARRAY['x.one', 'x.two', 'x.three', 'x.four'], ARRAY['incident', 'incident', 'incident', 'incident'], \
           ARRAY['t1', 't2', 't3', 't4'], \
           ARRAY['2026-12-04 10:00:00', '2026-12-04 10:00:01.5', '2026-12-04 10:00:02', '2026-12-04 10:00:03']::timestamp[], \
           ARRAY['{{}}', '{{\"k\":1}}', '{{}}', '{{}}'], \
           '0000000000000000000000000000000000000000000000000000000000000000')",
        a = a.org,
        b = b.org,
        u = a.agent,
    );
    diesel::RunQueryDsl::execute(diesel::sql_query(sql), pg).unwrap();
    drop(conn);
    assert_eq!(
        store.verify(a.org).unwrap(),
        AuditCheck::Intact { entries: a0 + 3 }
    );
    assert_eq!(
        store.verify(b.org).unwrap(),
        AuditCheck::Intact { entries: b0 + 1 }
    );
    let actions = |org| -> Vec<String> {
        store
            .entries(org, 0, 100)
            .unwrap()
            .into_iter()
            .map(|e| e.record.action)
            .filter(|a| a.starts_with("x."))
            .collect()
    };
    assert_eq!(actions(a.org), ["x.one", "x.two", "x.four"]);
    assert_eq!(actions(b.org), ["x.three"]);
}
