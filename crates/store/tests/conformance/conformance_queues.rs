//! What `/metrics` reads from the store (issue 12): queue depths (outbox backlog, its oldest
//! due message, dead letters) as the outbox moves, and the pool's state and waits — a
//! checkout that found no idle connection is counted and timed, and the scrape's own read
//! never waits for a connection.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use servicedesk_core::ports::{IncidentStore, Outbox, StoreError};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    pool = 2;
    queue_depths_follow_the_outbox,
    pool_waits_are_counted_and_queue_depths_never_wait,
);

fn queue_depths_follow_the_outbox(store: &Store) {
    let fx = org_fixture(store, "A");
    let base = store.queue_depths().unwrap();
    let mut events = 0;
    for n in 0..3 {
        let inc = incident(&fx, fx.requester, &format!("Queued {n}"));
        let w = create_write(&inc, fx.requester);
        events += w.events.len() as u64;
        store.create(fx.org, &inc, &w, None).unwrap();
    }
    let d = store.queue_depths().unwrap();
    assert_eq!(d.outbox_pending, base.outbox_pending + events, "{d:?}");
    assert_eq!(d.outbox_dead, base.outbox_dead, "{d:?}");
    let oldest = d.outbox_oldest.unwrap();
    assert!(
        oldest <= t0(),
        "the incidents' events are due since t0: {d:?}"
    );

    // Settle everything: one dead letter, the rest delivered.
    let claimed = store.claim(far(0), far(5), 1_000).unwrap();
    assert_eq!(claimed.len() as u64, d.outbox_pending);
    let (dead, delivered) = claimed.split_first().unwrap();
    assert!(
        store
            .fail(
                dead.event.id,
                dead.lease_until,
                "boom",
                far(1),
                far(2),
                true
            )
            .unwrap()
    );
    for m in delivered {
        assert!(store.complete(m.event.id, m.lease_until, far(1)).unwrap());
    }
    let d = store.queue_depths().unwrap();
    assert_eq!(d.outbox_pending, 0, "{d:?}");
    assert_eq!(d.outbox_oldest, None, "{d:?}");
    assert_eq!(d.outbox_dead, base.outbox_dead + 1, "{d:?}");
    assert_eq!(d.deliveries_pending, 0, "{d:?}");
    assert_eq!(d.deliveries_dead, 0, "{d:?}");
}

fn pool_waits_are_counted_and_queue_depths_never_wait(store: &Store) {
    let db = store.database();
    // Warm: every connection opened and idle.
    drop((db.conn().unwrap(), db.conn().unwrap()));
    let before = db.pool_stats();
    assert_eq!(before.max, 2);
    assert!(before.idle <= before.connections && before.connections <= 2);

    let held = (db.conn().unwrap(), db.conn().unwrap());
    let s = db.pool_stats();
    assert_eq!((s.connections, s.idle), (2, 0), "{s:?}");
    assert_eq!(
        s.waits, before.waits,
        "checkouts that found an idle one did not wait"
    );

    // The scrape's read answers at once instead of queuing behind the requests.
    let started = Instant::now();
    assert!(matches!(store.queue_depths(), Err(StoreError::Busy(_))));
    assert!(started.elapsed() < Duration::from_secs(1));

    // A checkout that must wait is counted with its wait.
    let (a, b) = held;
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(a);
    });
    let c = db.conn().unwrap();
    release.join().unwrap();
    let s = db.pool_stats();
    assert_eq!(s.waits, before.waits + 1, "{s:?}");
    assert!(
        s.wait_time >= before.wait_time + Duration::from_millis(200),
        "{s:?}"
    );
    assert_eq!(s.timeouts, before.timeouts, "{s:?}");
    drop((b, c));
    assert!(store.queue_depths().is_ok());
}
