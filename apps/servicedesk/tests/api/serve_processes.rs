//! Two `servicedesk serve` processes (the real binary) and the in-process test app on one
//! PostgreSQL database, all running their SLA monitors, dispatchers and couriers: every
//! breach is posted to the webhook exactly once per ticket and target (issue 5).
//!
//! Runs on PostgreSQL only (an embedded SQLite file belongs to one process) and takes
//! about a minute: the SLA policy it creates has 1-minute targets, and the binaries run on
//! the real clock.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::common::receiver::Receiver;
use crate::common::*;

/// A `serve` process, killed on drop.
struct Serve {
    child: Child,
    base: String,
    _data: tempfile::TempDir,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(app: &TestApp) -> Serve {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_servicedesk"))
        .arg("serve")
        .env("DATABASE_URL", &app.config.database_url)
        .env("SERVICEDESK_BIND", "127.0.0.1:0")
        .env("SERVICEDESK_DATA_DIR", data.path())
        .env(
            "SERVICEDESK_JWT_SECRET",
            STANDARD.encode(&app.config.jwt_secret),
        )
        .env(
            "SERVICEDESK_SECRET_KEY",
            STANDARD.encode(&app.config.secret_key),
        )
        .env("SERVICEDESK_RETRY_BASE_MS", "200")
        .env("SERVICEDESK_RATE_LIMIT_PER_MINUTE", "0")
        .env("SERVICEDESK_WEBHOOK_ALLOW", "127.0.0.1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("Servicedesk listening on ") {
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve did not start listening within 60 s");
    Serve {
        child,
        base,
        _data: data,
    }
}

#[test]
fn two_serve_processes_post_each_breach_once() {
    if !pg_enabled() {
        println!("skipped: {PG_ENV} not set");
        return;
    }
    let app = TestApp::with(
        Backend::Postgres,
        Options {
            retry_base_ms: 200,
            ..Options::default()
        },
    )
    .unwrap();
    let (a, b) = (serve(&app), serve(&app));
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let admin = app.admin().access;
    // Through process A: the same keys and database, so the test app's token is valid.
    let me = http
        .get(format!("{}/api/v1/users/me", a.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .call()
        .unwrap();
    assert_eq!(me.status(), 200);

    let receiver = Receiver::start(200);
    app.post(
        &admin,
        "/webhooks",
        json!({ "name": "ops", "url": receiver.url, "events": ["sla.breached"] }),
    )
    .status_is(201);
    let calendar = app.get(&admin, "/calendars").body[0]["id"].clone();
    app.post(
        &admin,
        "/sla-policies",
        json!({
            "name": "One minute",
            "rank": 0,
            "conditions": { "priorities": ["low"] },
            "calendar_id": calendar,
            "first_response_minutes": 1,
            "resolution_minutes": 1,
            "warn_percent": 50,
        }),
    )
    .status_is(201);
    let n = 4;
    let mut ids = Vec::new();
    for i in 0..n {
        let r = http
            .post(format!(
                "{}/api/v1/incidents",
                if i % 2 == 0 { &a.base } else { &b.base }
            ))
            .header("Authorization", &format!("Bearer {admin}"))
            .send_json(json!({
                "title": format!("Slow VPN {i}"),
                "description": "Every morning",
                "impact": "low",
                "urgency": "low",
            }))
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.into_body().read_json().unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    // Both clocks of each ticket breach a minute after it opened.
    receiver.wait_for(2 * n, 150);
    // Every process sweeps again meanwhile: nothing more may come.
    std::thread::sleep(Duration::from_secs(5));
    let mut seen: Vec<(String, String)> = receiver
        .hooks()
        .iter()
        .map(|h| {
            let body = h.json();
            (
                body["data"]["ticket"]["id"].as_str().unwrap().to_owned(),
                body["data"]["event"]["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let posts = seen.len();
    seen.sort();
    seen.dedup();
    assert_eq!(posts, seen.len(), "a breach was posted twice: {seen:?}");
    assert_eq!(seen.len(), 2 * n);
    for id in &ids {
        assert!(seen.contains(&(id.clone(), "first_response".to_owned())));
        assert!(seen.contains(&(id.clone(), "resolution".to_owned())));
    }
}

/// Polls `url` with `token` until it answers `want`; how long that took, or `None` after 5 s.
fn until_status(http: &ureq::Agent, url: &str, token: &str, want: u16) -> Option<Duration> {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        let r = http
            .get(url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        if r.status() == want {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The in-process app and two `serve` processes on one PostgreSQL database, and an HTTP
/// agent that answers every status; `None` (after saying so) without PostgreSQL.
fn two_servers() -> Option<(TestApp, Serve, Serve, ureq::Agent)> {
    if !pg_enabled() {
        println!("skipped: {PG_ENV} not set");
        return None;
    }
    let app = TestApp::start(Backend::Postgres);
    let (a, b) = (serve(&app), serve(&app));
    let http: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    Some((app, a, b, http))
}

/// The value of a counter series without labels on `base`'s /metrics.
fn counter(http: &ureq::Agent, base: &str, series: &str) -> u64 {
    let text = http
        .get(format!("{base}/metrics"))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no series {series}")) as u64
}

/// Issue 12: each process caches the authentication reads, and a change made through one
/// process (or by SQL behind every process's back) reaches the others' caches within a
/// second: a token logged out, a user deactivated, a role taken away.
#[test]
fn a_logout_or_deactivation_on_one_server_is_refused_by_the_other_within_a_second() {
    let Some((app, a, b, http)) = two_servers() else {
        return;
    };
    let admin = app.admin().access;
    let me = |base: &str| format!("{base}/api/v1/users/me");
    let get = |url: &str, token: &str| {
        http.get(url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap()
            .status()
    };
    let login = |base: &str, email: &str| -> String {
        let r = http
            .post(format!("{base}/api/v1/auth/login"))
            .send_json(json!({ "email": email, "password": PASSWORD }))
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.into_body().read_json().unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let agent = app.create_user(&admin, "agent@cache.test", "Agent", "agent", json!({}));
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    app.create_user(&admin, "other@cache.test", "Other", "requester", json!({}));

    // 1. Logout on A. B has served the token many times (its caches are warm).
    let token = login(&a.base, "agent@cache.test");
    let kept = login(&b.base, "agent@cache.test");
    for _ in 0..5 {
        assert_eq!(get(&me(&b.base), &token), 200);
        assert_eq!(get(&me(&a.base), &token), 200);
    }
    let r = http
        .post(format!("{}/api/v1/auth/logout", a.base))
        .header("Authorization", &format!("Bearer {token}"))
        .send_empty()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(get(&me(&a.base), &token), 401, "A refuses at once");
    let took = until_status(&http, &me(&b.base), &token, 401).expect("B never refused");
    assert!(took < Duration::from_secs(1), "B refused after {took:?}");
    assert_eq!(get(&me(&b.base), &kept), 200, "the other session lives on");

    // 2. A role taken away on A: B stops granting what the role granted.
    let queue = |base: &str| format!("{base}/api/v1/calendars");
    assert_eq!(get(&queue(&b.base), &kept), 200, "an agent reads calendars");
    let r = http
        .patch(format!("{}/api/v1/users/{agent_id}", a.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .send_json(json!({ "role": "requester" }))
        .unwrap();
    assert_eq!(r.status(), 200);
    let took = until_status(&http, &queue(&b.base), &kept, 403).expect("B kept the old role");
    assert!(
        took < Duration::from_secs(1),
        "B used the old role for {took:?}"
    );

    // 3. Deactivation on A.
    for _ in 0..5 {
        assert_eq!(get(&me(&b.base), &kept), 200);
    }
    let r = http
        .patch(format!("{}/api/v1/users/{agent_id}", a.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .send_json(json!({ "active": false }))
        .unwrap();
    assert_eq!(r.status(), 200);
    let took = until_status(&http, &me(&b.base), &kept, 401).expect("B never refused");
    assert!(took < Duration::from_secs(1), "B refused after {took:?}");

    // 4. A change behind every process's back (SQL): the table's trigger tells them all.
    let other = login(&b.base, "other@cache.test");
    for base in [&a.base, &b.base] {
        assert_eq!(get(&me(base), &other), 200);
    }
    app.sql("UPDATE users SET active = false WHERE email = 'other@cache.test'");
    for base in [&a.base, &b.base] {
        let took = until_status(&http, &me(base), &other, 401).expect("never refused");
        assert!(
            took < Duration::from_secs(1),
            "{base} refused after {took:?}"
        );
    }
}

/// Issue 12: each process caches incidents read by id. An edit made through one server is
/// answered by that server at once (its own write flushes), and by the other within a
/// second; so are a soft delete and a change made by SQL behind every process's back.
#[test]
fn an_incident_changed_on_one_server_is_answered_new_by_the_other_within_a_second() {
    let Some((app, a, b, http)) = two_servers() else {
        return;
    };
    let admin = app.admin().access;
    let incident = app.post(
        &admin,
        "/incidents",
        json!({ "title": "cached title 0", "description": "d", "impact": "low", "urgency": "low" }),
    );
    incident.status_is(201);
    let id = incident.body["id"].as_str().unwrap().to_owned();
    let url = |base: &str| format!("{base}/api/v1/incidents/{id}");
    let read = |base: &str| -> (u16, serde_json::Value) {
        let r = http
            .get(url(base))
            .header("Authorization", &format!("Bearer {admin}"))
            .call()
            .unwrap();
        let status = r.status().as_u16();
        let body = if status == 200 {
            r.into_body().read_json().unwrap()
        } else {
            serde_json::Value::Null
        };
        (status, body)
    };
    let hits = |base: &str| counter(&http, base, "servicedesk_incident_cache_hits_total");
    let until = |base: &str, want: &dyn Fn(u16, &serde_json::Value) -> bool| {
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            let (status, body) = read(base);
            if want(status, &body) {
                return Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    };

    // 1. Edits on A: A answers each at once, B within a second. Each time B first serves
    // the incident from its cache (the SLA monitor's claims also announce `tickets` about
    // once a second, so a few reads in a row are enough for one hit).
    for n in 1..=5 {
        let before = hits(&b.base);
        let started = std::time::Instant::now();
        while hits(&b.base) == before && started.elapsed() < Duration::from_secs(5) {
            assert_eq!(read(&b.base).0, 200, "B serves it");
        }
        assert!(hits(&b.base) > before, "B never answered it from its cache");
        let (_, before) = read(&a.base);
        let title = format!("cached title {n}");
        let r = http
            .patch(url(&a.base))
            .header("Authorization", &format!("Bearer {admin}"))
            .send_json(json!({ "title": title, "version": before["version"] }))
            .unwrap();
        assert_eq!(r.status(), 200);
        let (_, now) = read(&a.base);
        assert_eq!(now["title"], title, "A answers its own write at once");
        let took = until(&b.base, &|_, body| body["title"] == title).expect("B kept the old title");
        assert!(
            took < Duration::from_secs(1),
            "B answered the old title for {took:?}"
        );
    }

    // 2. A change by SQL behind every process's back: the trigger tells them all.
    for base in [&a.base, &b.base] {
        assert_eq!(read(base).1["title"], "cached title 5");
    }
    app.sql(&format!(
        "UPDATE tickets SET title = 'changed by sql' WHERE id = '{id}'"
    ));
    for base in [&a.base, &b.base] {
        let took = until(base, &|_, body| body["title"] == "changed by sql").expect("never seen");
        assert!(
            took < Duration::from_secs(1),
            "{base} saw it after {took:?}"
        );
    }

    // 3. The incident's details changed by SQL (the other table of the incident's read).
    for base in [&a.base, &b.base] {
        assert_eq!(read(base).1["escalation_level"], 0);
    }
    app.sql(&format!(
        "UPDATE incident_details SET escalation_level = 7 WHERE ticket_id = '{id}'"
    ));
    for base in [&a.base, &b.base] {
        let took = until(base, &|_, body| body["escalation_level"] == 7).expect("never seen");
        assert!(
            took < Duration::from_secs(1),
            "{base} saw it after {took:?}"
        );
    }

    // 4. A soft delete on B: B answers 404 at once, A within a second.
    let (_, current) = read(&b.base);
    let r = http
        .delete(url(&b.base))
        .header("Authorization", &format!("Bearer {admin}"))
        .header("If-Match", &format!("\"{}\"", current["version"]))
        .call()
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(read(&b.base).0, 404, "B answers its own delete at once");
    let took = until(&a.base, &|status, _| status == 404).expect("A kept serving it");
    assert!(took < Duration::from_secs(1), "A served it for {took:?}");
}

/// Issue 12: each process caches pages of the incident queue. A new incident announces
/// nothing, so a cached page is checked against the organization's incident counter: an
/// incident created through one server is in the other's very next page, with no wait.
/// Changes to listed incidents reach the other's pages within a second, as for reads by id.
#[test]
fn an_incident_created_on_one_server_is_listed_by_the_other_at_once() {
    let Some((app, a, b, http)) = two_servers() else {
        return;
    };
    let admin = app.admin().access;
    let bearer = format!("Bearer {admin}");
    let list = |base: &str| -> Vec<serde_json::Value> {
        let r = http
            .get(format!("{base}/api/v1/incidents?status=new"))
            .header("Authorization", &bearer)
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.into_body().read_json().unwrap();
        body["items"].as_array().unwrap().clone()
    };
    let create = |base: &str, title: &str| -> String {
        let r = http
            .post(format!("{base}/api/v1/incidents"))
            .header("Authorization", &bearer)
            .send_json(
                json!({ "title": title, "description": "d", "impact": "low", "urgency": "low" }),
            )
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: serde_json::Value = r.into_body().read_json().unwrap();
        body["id"].as_str().unwrap().to_owned()
    };
    let hits = |base: &str| counter(&http, base, "servicedesk_incident_page_cache_hits_total");
    let ids = |items: &[serde_json::Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    // B serves its page from the cache before each step (the SLA monitor's writes flush it
    // about once a second, so a few lists in a row are enough for one hit).
    let cached_on_b = || {
        let before = hits(&b.base);
        let started = std::time::Instant::now();
        while hits(&b.base) == before && started.elapsed() < Duration::from_secs(5) {
            list(&b.base);
        }
        assert!(
            hits(&b.base) > before,
            "B never answered a page from its cache"
        );
    };

    create(&a.base, "listed 0");
    for n in 1..=5 {
        cached_on_b();
        let id = create(&a.base, &format!("listed {n}"));
        let page = list(&b.base);
        assert_eq!(
            ids(&page).first(),
            Some(&id),
            "B's next page lacks the incident A just created"
        );
        assert_eq!(page.len(), n + 1, "every incident once");
    }

    // A change through A: B's page shows it within a second.
    cached_on_b();
    let rename = |base: &str, title: &str| -> String {
        let newest = &list(base)[0];
        let id = newest["id"].as_str().unwrap().to_owned();
        let r = http
            .patch(format!("{base}/api/v1/incidents/{id}"))
            .header("Authorization", &bearer)
            .send_json(json!({ "title": title, "version": newest["version"] }))
            .unwrap();
        assert_eq!(r.status(), 200);
        id
    };
    let id = rename(&a.base, "renamed on a");
    let started = std::time::Instant::now();
    while list(&b.base)[0]["title"] != "renamed on a" {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "B listed the old title for over a second"
        );
        std::thread::sleep(Duration::from_millis(5));
    }

    // A change through B itself: B's own next page has it.
    cached_on_b();
    assert_eq!(rename(&b.base, "renamed on b"), id, "the same incident");
    assert_eq!(list(&b.base)[0]["title"], "renamed on b");
}
