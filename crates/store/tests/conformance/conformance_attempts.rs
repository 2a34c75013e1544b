//! Conformance of the attempt counters (issue 9 point 4) on both backends: check-and-count
//! is one atomic step, so 8 threads × 10 concurrent attempts on one counter with a limit of
//! 10 are counted exactly 10 times and every other attempt is refused; a new counter
//! created by two threads at once is counted twice, not lost; settling resets or refunds.

#![allow(clippy::unwrap_used)]

use std::sync::Barrier;

use chrono::TimeDelta;
use servicedesk_core::ports::{AttemptKey, AttemptPolicy, AttemptStore, Settle};
use servicedesk_store::Store;

use crate::common::*;

conformance!(pool = 10;
    concurrent_attempts_are_counted_exactly_up_to_the_limit,
    settling_resets_and_refunds,
);

fn lockout(key: &str, max: u32) -> AttemptKey {
    AttemptKey {
        key: key.into(),
        policy: AttemptPolicy::Lockout {
            max_failures: max,
            window: TimeDelta::minutes(15),
            lockout: TimeDelta::minutes(15),
        },
    }
}

fn concurrent_attempts_are_counted_exactly_up_to_the_limit(store: &Store) {
    let keys = [
        lockout("client:192.0.2.1", 10),
        lockout("login:account:a@b.c", 1000),
    ];
    let barrier = Barrier::new(8);
    let accepted: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let (keys, barrier) = (&keys, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    (0..10)
                        .filter(|_| store.attempt(keys, t0()).unwrap().is_none())
                        .count()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(accepted, 10, "exactly the limit was let through");
    assert_eq!(store.attempt(&keys, t0()).unwrap(), Some(15 * 60));
    // A refused attempt counted nothing on the other counter either: it has 10.
    let other = [lockout("login:account:a@b.c", 11)];
    assert_eq!(store.attempt(&other, t0()).unwrap(), None, "the 11th");
    assert_eq!(store.attempt(&other, t0()).unwrap(), Some(15 * 60));
    // After the lockout the key accepts again.
    assert_eq!(store.attempt(&keys[..1], mins(16)).unwrap(), None);
}

fn settling_resets_and_refunds(store: &Store) {
    let k = lockout("k", 2);
    assert_eq!(store.attempt(std::slice::from_ref(&k), t0()).unwrap(), None);
    assert_eq!(store.attempt(std::slice::from_ref(&k), t0()).unwrap(), None);
    assert!(
        store
            .attempt(std::slice::from_ref(&k), t0())
            .unwrap()
            .is_some()
    );
    // A refund takes the last attempt back and releases the lock.
    store.settle(&[(k.clone(), Settle::Refund)], t0()).unwrap();
    assert_eq!(store.attempt(std::slice::from_ref(&k), t0()).unwrap(), None);
    // A reset forgets the counter.
    store.settle(&[(k.clone(), Settle::Reset)], t0()).unwrap();
    assert_eq!(store.attempt(std::slice::from_ref(&k), t0()).unwrap(), None);
    assert_eq!(store.attempt(std::slice::from_ref(&k), t0()).unwrap(), None);
    // Spent counters are pruned.
    let gone = store.prune_attempts(mins(60), mins(60)).unwrap();
    assert!(gone >= 1, "pruned {gone}");
    // Settling an unknown key is a no-op.
    store
        .settle(&[(lockout("nope", 1), Settle::Refund)], t0())
        .unwrap();
}
