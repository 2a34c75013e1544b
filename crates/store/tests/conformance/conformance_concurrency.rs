//! Conformance of the store under concurrent writers, on both backends (pool of 10):
//! gapless per-organization numbers for 8 × 1,000 concurrent creates, one winner among
//! concurrent updates of the same version, an intact audit chain after concurrent writes,
//! gapless task numbers, one incident for concurrent creates with the same idempotency
//! key, and concurrent creates some of which the database refuses (on PostgreSQL they are
//! written in batches, several organizations in one: each caller still gets exactly its
//! own answer, and each organization its own gapless numbers and chain). On SQLite this relies on `busy_timeout` and immediate write locks.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Barrier;

use servicedesk_core::entities::Incident;
use servicedesk_core::ids::IncidentId;
use servicedesk_core::ports::{
    AuditCheck, AuditLog, IdempotencyKey, IncidentStore, StoreError, WriteSet,
};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    pool = 10;
    concurrent_creates_get_gapless_unique_numbers,
    concurrent_updates_of_one_version_have_one_winner,
    concurrent_writes_keep_the_audit_chain_intact,
    concurrent_task_creates_get_gapless_numbers,
    concurrent_creates_with_one_idempotency_key_make_one_incident,
    concurrent_creates_with_bad_ones_answer_each_as_alone,
    concurrent_creates_of_several_organizations_keep_each_ones_numbers_and_chain,
);

const THREADS: usize = 8;

/// Runs `work(t)` on `THREADS` threads released together, and joins what they return in
/// thread order.
fn all_at_once<T: Send>(work: impl Fn(usize) -> Vec<T> + Sync) -> Vec<T> {
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (start, work) = (&start, &work);
                s.spawn(move || {
                    start.wait();
                    work(t)
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

fn concurrent_creates_get_gapless_unique_numbers(store: &Store) {
    const PER_THREAD: usize = 1_000;
    let fx = org_fixture(store, "A");
    let numbers: Vec<i64> = all_at_once(|t| {
        let empty = WriteSet::default();
        (0..PER_THREAD)
            .map(|n| {
                let mut inc = incident(&fx, fx.requester, &format!("t{t} n{n}"));
                // Keep each create small: no SLA, no write set.
                inc.sla = None;
                inc.next_sla_due_at = None;
                store
                    .create(fx.org, &inc, &empty, None)
                    .unwrap()
                    .value
                    .number
            })
            .collect()
    });
    let total = (THREADS * PER_THREAD) as i64;
    let unique: HashSet<i64> = numbers.iter().copied().collect();
    assert_eq!(numbers.len() as i64, total);
    assert_eq!(unique.len() as i64, total, "duplicate numbers");
    let mut sorted = numbers;
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (1..=total).collect::<Vec<_>>(),
        "numbers are exactly 1..={total}"
    );
    assert_eq!(store.get_by_number(fx.org, total).unwrap().number, total);
    // The counter continues after the burst.
    assert_eq!(
        create(store, &incident(&fx, fx.requester, "after")).number,
        total + 1
    );
}

fn concurrent_updates_of_one_version_have_one_winner(store: &Store) {
    let fx = org_fixture(store, "A");
    let inc = create(store, &incident(&fx, fx.requester, "Contended"));
    let start = Barrier::new(THREADS);
    let results: Vec<Result<i64, StoreError>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (fx, inc, start) = (&fx, &inc, &start);
                s.spawn(move || {
                    let mut next = inc.clone();
                    next.title = format!("Winner {t}");
                    next.updated_at = mins(t as i64 + 1);
                    let w = update_write(
                        inc,
                        fx.agent,
                        next.updated_at,
                        "title",
                        "Contended",
                        &next.title,
                    );
                    start.wait();
                    store
                        .update(fx.org, &next, 1, &w)
                        .map(|stored| stored.version)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one update of version 1 wins: {results:?}"
    );
    assert_eq!(winners[0], &Ok(2));
    for r in &results {
        match r {
            Ok(_) => {}
            Err(StoreError::Conflict { current, .. }) => assert_eq!(*current, 2),
            Err(e) => panic!("a losing update must be a Conflict, got {e:?}"),
        }
    }
    let stored = store.get(fx.org, inc.id).unwrap();
    assert_eq!(stored.version, 2);
    assert!(stored.title.starts_with("Winner "));
    assert_eq!(
        store.history(fx.org, inc.id).unwrap().len(),
        2,
        "one history row per winner"
    );
    assert_eq!(all_audit(store, fx.org).len(), 2);
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact { entries: 2 }
    );
    assert_eq!(outbox_probe(store).len(), 2, "only the winner's event");
}

fn concurrent_writes_keep_the_audit_chain_intact(store: &Store) {
    const PER_THREAD: usize = 40;
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let start = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let fx = if t % 2 == 0 { &a } else { &b };
            let start = &start;
            s.spawn(move || {
                start.wait();
                for n in 0..PER_THREAD {
                    let inc = incident(fx, fx.requester, &format!("t{t} n{n}"));
                    store
                        .create(fx.org, &inc, &create_write(&inc, fx.requester), None)
                        .unwrap();
                }
            });
        }
    });
    let per_org = (THREADS / 2 * PER_THREAD) as u64;
    for fx in [&a, &b] {
        assert_eq!(
            store.verify(fx.org).unwrap(),
            AuditCheck::Intact { entries: per_org }
        );
        let entries = all_audit(store, fx.org);
        let seqs: Vec<i64> = entries.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=per_org as i64).collect::<Vec<_>>());
        for pair in entries.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        assert!(entries.iter().all(|e| e.record.org_id == fx.org));
    }
    assert_eq!(outbox_probe(store).len() as u64, 2 * per_org);
}

fn concurrent_task_creates_get_gapless_numbers(store: &Store) {
    const PER_THREAD: usize = 50;
    let fx = org_fixture(store, "A");
    let parents: Vec<_> = (0..THREADS)
        .map(|t| create(store, &incident(&fx, fx.requester, &format!("Parent {t}"))))
        .collect();
    let start = Barrier::new(THREADS);
    let numbers: Vec<i64> = std::thread::scope(|s| {
        let workers: Vec<_> = parents
            .iter()
            .map(|parent| {
                let (fx, start) = (&fx, &start);
                s.spawn(move || {
                    start.wait();
                    (0..PER_THREAD)
                        .map(|n| {
                            let t = task(fx.org, parent.id, &format!("task {n}"), mins(n as i64));
                            store
                                .create_task(fx.org, &t, &WriteSet::default())
                                .unwrap()
                                .number
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let total = (THREADS * PER_THREAD) as i64;
    let mut sorted = numbers;
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=total).collect::<Vec<_>>());
    for parent in &parents {
        assert_eq!(
            store.open_task_count(fx.org, parent.id).unwrap(),
            PER_THREAD as u32
        );
    }
}

fn concurrent_creates_with_one_idempotency_key_make_one_incident(store: &Store) {
    let fx = org_fixture(store, "A");
    let key = IdempotencyKey {
        user_id: fx.requester,
        key: "double-click".to_owned(),
    };
    let start = Barrier::new(THREADS);
    let results: Vec<_> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (fx, key, start) = (&fx, &key, &start);
                s.spawn(move || {
                    let inc = incident(fx, fx.requester, &format!("Attempt {t}"));
                    let w = create_write(&inc, fx.requester);
                    start.wait();
                    store.create(fx.org, &inc, &w, Some(key.clone()))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(
        ok.len(),
        THREADS,
        "every request with the key succeeds: {results:?}"
    );
    assert_eq!(
        ok.iter().filter(|c| !c.replayed).count(),
        1,
        "exactly one created it"
    );
    let first = ok.iter().find(|c| !c.replayed).unwrap().value.clone();
    assert!(
        ok.iter().all(|c| c.value == first),
        "every replay returns the first incident"
    );
    assert_eq!(org_ids(store, fx.org), [first.id].into_iter().collect());
    assert_eq!(all_audit(store, fx.org).len(), 1);
    assert_eq!(outbox_probe(store).len(), 1);
    assert_eq!(first.number, 1);
    assert_eq!(
        create(store, &incident(&fx, fx.requester, "next")).number,
        2,
        "no gap"
    );
}

/// On PostgreSQL: the `sent` creates since `before` (`Store::create_batches`) all went
/// through batches, and at least one batch held more than one.
fn assert_batched(store: &Store, before: Option<(u64, u64)>, sent: usize) {
    if let (Some((runs0, items0)), Some((runs, items))) = (before, store.create_batches()) {
        let (runs, items) = (runs - runs0, items - items0);
        assert_eq!(items, sent as u64);
        assert!(
            runs < items,
            "no batch formed: {runs} batches for {items} creates"
        );
    }
}

/// Sends one create in `fx`'s organization, under the id `taken` when given (the database
/// refuses it: the id is in use): what was sent, its write, and the answer.
fn send_create(
    store: &Store,
    fx: &Fx,
    title: &str,
    taken: Option<IncidentId>,
) -> (Incident, WriteSet, Result<Incident, StoreError>) {
    let mut inc = incident(fx, fx.requester, title);
    if let Some(id) = taken {
        inc.id = id;
    }
    let write = create_write(&inc, fx.requester);
    let got = store.create(fx.org, &inc, &write, None).map(|c| c.value);
    (inc, write, got)
}

fn concurrent_creates_with_bad_ones_answer_each_as_alone(store: &Store) {
    const PER_THREAD: usize = 60;
    let fx = org_fixture(store, "A");
    // A ticket under an id already taken: the database refuses it (the key). The use case
    // never sends one; a client's retry racing its own first attempt could look like it.
    let first = create(store, &incident(&fx, fx.requester, "first"));
    let alone = send_create(store, &fx, "alone and bad", Some(first.id))
        .2
        .unwrap_err();
    let before = store.create_batches();
    let outcomes: Vec<(bool, Incident, WriteSet, Result<Incident, StoreError>)> =
        all_at_once(|t| {
            (0..PER_THREAD)
                .map(|n| {
                    let bad = (t * PER_THREAD + n) % 7 == 3;
                    let (inc, write, got) =
                        send_create(store, &fx, &format!("t{t} n{n}"), bad.then_some(first.id));
                    (bad, inc, write, got)
                })
                .collect()
        });
    let mut numbers = Vec::new();
    for (bad, sent, write, got) in &outcomes {
        if *bad {
            assert_eq!(got.as_ref().unwrap_err(), &alone, "{}", sent.title);
            assert_eq!(store.get(fx.org, sent.id).unwrap(), first);
            continue;
        }
        let got = got.as_ref().unwrap();
        assert_eq!(
            got,
            &Incident {
                number: got.number,
                ..sent.clone()
            }
        );
        assert_eq!(&store.get(fx.org, sent.id).unwrap(), got);
        let history = store.history(fx.org, sent.id).unwrap();
        assert_eq!(history, write.history);
        numbers.push(got.number);
    }
    let good = outcomes.iter().filter(|(bad, ..)| !bad).count();
    numbers.sort_unstable();
    // Number 1 is the first ticket's.
    assert_eq!(
        numbers,
        (2..=good as i64 + 1).collect::<Vec<_>>(),
        "gapless"
    );
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact {
            entries: good as u64 + 1
        }
    );
    assert_eq!(outbox_probe(store).len(), good + 1);
    // On PostgreSQL the creates went in batches (that is what this test is about there).
    assert_batched(store, before, outcomes.len());
}

fn concurrent_creates_of_several_organizations_keep_each_ones_numbers_and_chain(store: &Store) {
    const PER_THREAD: usize = 50;
    const ORGS: usize = 4;
    let orgs: Vec<_> = (0..ORGS)
        .map(|i| org_fixture(store, &format!("Org {i}")))
        .collect();
    // Org 0 has one refused create in five: the others' creates, batched with them, must
    // get their numbers all the same.
    let taken = create(store, &incident(&orgs[0], orgs[0].requester, "first"));
    let alone = send_create(store, &orgs[0], "alone and bad", Some(taken.id))
        .2
        .unwrap_err();
    let before = store.create_batches();
    let outcomes: Vec<(usize, bool, Incident, Result<Incident, StoreError>)> = all_at_once(|t| {
        (0..PER_THREAD)
            .map(|n| {
                let o = (t + n) % ORGS;
                let bad = o == 0 && n % 5 == 2;
                let (inc, _, got) = send_create(
                    store,
                    &orgs[o],
                    &format!("t{t} n{n}"),
                    bad.then_some(taken.id),
                );
                (o, bad, inc, got)
            })
            .collect()
    });
    for (o, fx) in orgs.iter().enumerate() {
        let mine: Vec<_> = outcomes.iter().filter(|(org, ..)| *org == o).collect();
        let mut numbers = Vec::new();
        for (_, bad, sent, got) in &mine {
            if *bad {
                assert_eq!(got.as_ref().unwrap_err(), &alone, "{}", sent.title);
                continue;
            }
            let got = got.as_ref().unwrap();
            assert_eq!(got.org_id, fx.org);
            assert_eq!(&store.get(fx.org, sent.id).unwrap(), got);
            numbers.push(got.number);
        }
        numbers.sort_unstable();
        // Org 0's number 1 is the first ticket's.
        let first = if o == 0 { 2 } else { 1 };
        let good = numbers.len() as i64;
        assert_eq!(
            numbers,
            (first..first + good).collect::<Vec<_>>(),
            "org {o}: gapless"
        );
        assert_eq!(
            store.verify(fx.org).unwrap(),
            AuditCheck::Intact {
                entries: (good + first - 1) as u64
            },
            "org {o}"
        );
    }
    assert_batched(store, before, outcomes.len());
}
