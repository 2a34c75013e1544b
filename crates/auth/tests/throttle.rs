//! In-memory login throttling, directly and through the core's `Throttle` port.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use servicedesk_auth::{RetryAfter, Throttle};

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
}

/// 3 failures per 60 s lock for 300 s.
fn throttle() -> Throttle {
    Throttle::new(3, TimeDelta::seconds(60), TimeDelta::seconds(300))
}

#[test]
fn n_failures_block_with_retry_after() {
    let th = throttle();
    let key = "login:acct:alice@example.com";
    th.record_failure(key, t(0));
    th.record_failure(key, t(10));
    assert_eq!(th.check(key, t(10)), Ok(()), "two failures are allowed");
    th.record_failure(key, t(20));
    assert_eq!(th.check(key, t(20)), Err(RetryAfter(300)));
    assert_eq!(th.check(key, t(100)), Err(RetryAfter(220)));
    assert_eq!(th.check(key, t(319)), Err(RetryAfter(1)));
    assert_eq!(
        th.check(key, t(320)),
        Ok(()),
        "unlocked when the lockout ends"
    );
}

#[test]
fn sub_second_remaining_rounds_up() {
    let th = throttle();
    for _ in 0..3 {
        th.record_failure("k", t(0));
    }
    let almost = t(299) + TimeDelta::milliseconds(500);
    assert_eq!(th.check("k", almost), Err(RetryAfter(1)));
}

#[test]
fn reset_clears() {
    let th = throttle();
    for i in 0..3 {
        th.record_failure("k", t(i));
    }
    assert!(th.check("k", t(5)).is_err());
    th.reset("k");
    assert_eq!(th.check("k", t(5)), Ok(()));
    // And the count starts over.
    th.record_failure("k", t(6));
    th.record_failure("k", t(7));
    assert_eq!(th.check("k", t(7)), Ok(()));
}

#[test]
fn failures_outside_the_window_do_not_count() {
    let th = throttle();
    th.record_failure("k", t(0));
    th.record_failure("k", t(30));
    th.record_failure("k", t(61)); // the first has left the 60 s window
    assert_eq!(th.check("k", t(61)), Ok(()));
    th.record_failure("k", t(80)); // 30, 61, 80 are inside
    assert!(th.check("k", t(80)).is_err());
}

#[test]
fn after_the_lockout_the_count_starts_over() {
    let th = throttle();
    for i in 0..3 {
        th.record_failure("k", t(i));
    }
    assert!(th.check("k", t(2)).is_err());
    th.record_failure("k", t(100)); // ignored while locked: does not extend the lockout
    assert_eq!(th.check("k", t(302)), Ok(()));
    th.record_failure("k", t(303));
    assert_eq!(
        th.check("k", t(303)),
        Ok(()),
        "one fresh failure does not re-lock"
    );
}

#[test]
fn keys_are_independent() {
    let th = throttle();
    for i in 0..3 {
        th.record_failure("login:acct:a", t(i));
    }
    assert!(th.check("login:acct:a", t(3)).is_err());
    assert_eq!(th.check("login:acct:b", t(3)), Ok(()));
    assert_eq!(th.check("login:ip:10.0.0.1", t(3)), Ok(()));
    th.reset("login:acct:b");
    assert!(th.check("login:acct:a", t(3)).is_err());
}

#[test]
fn prune_forgets_expired_entries() {
    let th = throttle();
    for i in 0..50 {
        th.record_failure(&format!("ip:{i}"), t(0));
    }
    for i in 0..3 {
        th.record_failure("locked", t(i));
    }
    assert_eq!(th.len(), 51);
    th.prune(t(30));
    assert_eq!(th.len(), 51, "failures still inside the window are kept");
    th.prune(t(61));
    assert_eq!(th.len(), 1, "only the locked key is left");
    assert!(th.check("locked", t(61)).is_err());
    th.prune(t(400));
    assert!(th.is_empty());
}

#[test]
fn memory_is_bounded_by_max_keys() {
    let th = throttle().with_max_keys(100);
    for i in 0..3 {
        th.record_failure("victim", t(i));
    }
    for i in 0..1000 {
        th.record_failure(&format!("spray:{i}"), t(10));
    }
    assert!(th.len() <= 100, "{}", th.len());
    assert!(
        th.check("victim", t(10)).is_err(),
        "locked keys are evicted last"
    );
}

#[test]
fn usable_through_the_core_port_from_many_threads() {
    use servicedesk_core::ports::Throttle as ThrottlePort;
    let th: Arc<dyn ThrottlePort> = Arc::new(Throttle::new(
        40,
        TimeDelta::seconds(60),
        TimeDelta::seconds(60),
    ));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let th = Arc::clone(&th);
            std::thread::spawn(move || {
                for _ in 0..10 {
                    th.failure("shared", t(0));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(th.check("shared", t(1)), Err(59));
    th.reset("shared");
    assert_eq!(th.check("shared", t(1)), Ok(()));
}
