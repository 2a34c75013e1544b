//! Issue 9 point 5: every argon2 hash goes through one bound (one hashing thread per core,
//! four waiting callers per core for at most 2 s, then 503 with `Retry-After`), so a burst
//! of logins cannot exhaust memory. Alone in its test binary so the process's peak memory
//! (VmHWM) measures this burst only.

#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use serde_json::json;
use servicedesk_http::extract::TrustedProxies;

use crate::common::*;

api_tests!(sixty_four_concurrent_logins_stay_within_the_hashing_memory_bound);

/// One burst at a time (the two backends' variants would otherwise overlap).
static BURST: Mutex<()> = Mutex::new(());

/// Room for what a burst allocates besides argon2: each of the 64 requests holds a server
/// thread (from the blocking pool) while it waits for a hashing slot, and a debug build
/// touches a few MiB of stack and allocator arena per thread: 3 MiB per request (measured:
/// about 2.2). Unbounded hashing would add 64 x 19 MiB instead.
const SLACK_KIB: u64 = 64 * 3 * 1024;

/// The process's peak resident memory so far, KiB.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

fn sixty_four_concurrent_logins_stay_within_the_hashing_memory_bound(backend: Backend) {
    let _one = BURST
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // Distinct clients (through a trusted proxy) so the attempt limits let every login hash.
    let app = TestApp::with(
        backend,
        Options {
            trusted_proxies: TrustedProxies::parse("127.0.0.1").unwrap(),
            ..Options::default()
        },
    )
    .unwrap();
    // Warm up: the server, one hash, and a burst of the same size that hashes nothing
    // (bogus refresh tokens), so client threads, server threads and their allocator arenas
    // are in the baseline and the difference is what hashing adds.
    app.admin();
    std::thread::scope(|s| {
        for _ in 0..64 {
            s.spawn(|| {
                app.post_anon("/auth/refresh", json!({ "refresh_token": "bogus" }))
                    .problem(401);
            });
        }
    });
    let baseline = vm_hwm_kib();
    let results: Vec<(u16, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let app = &app;
                s.spawn(move || {
                    let (email, password) = if i % 4 == 0 {
                        (ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD)
                    } else {
                        (format!("nobody{i}@example.test"), "wrong password")
                    };
                    let r = app
                        .request("POST", &api("/auth/login"))
                        .header(
                            "x-forwarded-for",
                            &format!("10.9.{}.{}", i / 200, i % 200 + 1),
                        )
                        .json(&json!({ "email": email, "password": password }))
                        .send();
                    (r.status, r.header("retry-after"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let peak = vm_hwm_kib();
    for (status, retry) in &results {
        assert!(
            [200, 401, 429, 503].contains(status),
            "a login answered {status}"
        );
        if *status == 503 || *status == 429 {
            assert!(
                retry
                    .as_deref()
                    .is_some_and(|r| r.parse::<u64>().is_ok_and(|s| s >= 1)),
                "{status} without Retry-After"
            );
        }
    }
    let count = |s: u16| results.iter().filter(|(st, _)| *st == s).count();
    assert!(
        count(401) + count(200) > 0,
        "some logins were checked: {results:?}"
    );
    assert!(count(503) > 0, "64 at once overflow the bound: {results:?}");
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get) as u64;
    let m_cost = u64::from(servicedesk_auth::Argon2Hasher::default().m_cost_kib());
    let allowed = baseline + cores * m_cost + SLACK_KIB;
    assert!(
        peak <= allowed,
        "peak {peak} KiB > baseline {baseline} + {cores} cores x {m_cost} KiB + {SLACK_KIB} KiB slack"
    );
    println!(
        "statuses: 200={} 401={} 429={} 503={}; peak {peak} KiB, baseline {baseline} KiB, allowed {allowed} KiB",
        count(200),
        count(401),
        count(429),
        count(503)
    );
}
