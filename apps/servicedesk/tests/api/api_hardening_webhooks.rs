//! Webhook SSRF hardening (issue 9 point 1) against the real app: URLs that are literally a
//! non-public address are refused at creation and on change (422, nothing stored) unless the
//! operator's allow-list permits them; names that resolve to such addresses are refused at
//! send time without connecting; a target's answer body never reaches `GET /deliveries`.

#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::receiver::Receiver;
use crate::common::*;

api_tests!(
    webhooks_at_literal_non_public_addresses_are_refused,
    names_resolving_to_non_public_addresses_are_refused_at_send_time,
    a_target_answer_body_never_shows_in_deliveries
);

/// Waits until `check` holds (30 s).
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// An app without any allow-list: public addresses only.
fn strict(backend: Backend) -> Option<TestApp> {
    TestApp::with(
        backend,
        Options {
            webhook_allow: String::new(),
            retry_base_ms: 200,
            max_attempts: 3,
            ..Options::default()
        },
    )
}

fn url_error(r: &Resp) -> Value {
    r.problem(422);
    r.body["errors"]
        .as_array()
        .and_then(|e| e.iter().find(|f| f["field"] == "url").cloned())
        .unwrap_or_else(|| panic!("no url field error: {}", r.text))
}

fn webhooks_at_literal_non_public_addresses_are_refused(backend: Backend) {
    let Some(app) = strict(backend) else {
        return;
    };
    let admin = app.admin().access;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:127.0.0.1]:8080/hook",
        "http://127.0.0.1:9000/hook",
        "http://10.0.0.5/hook",
        "http://0.0.0.0/",
        "http://[::1]/",
        "https://[fd00::1]/",
        "http://localhost:8080/",
    ] {
        let r = app.post(
            &admin,
            "/webhooks",
            json!({ "name": "metadata", "url": url, "events": ["*"] }),
        );
        assert_eq!(
            url_error(&r)["code"],
            "non_public_address",
            "{url}: {}",
            r.text
        );
    }
    assert_eq!(
        app.get(&admin, "/webhooks").body,
        json!([]),
        "nothing stored"
    );

    // A public target is fine; moving it onto a private address is refused as well.
    let r = app.post(
        &admin,
        "/webhooks",
        json!({ "name": "ops", "url": "https://hooks.example.org/x", "events": ["*"] }),
    );
    r.status_is(201);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app.patch(
        &admin,
        &format!("/webhooks/{id}"),
        json!({ "url": "http://169.254.169.254/" }),
    );
    assert_eq!(url_error(&r)["code"], "non_public_address");
    let hook = app.get(&admin, &format!("/webhooks/{id}"));
    hook.status_is(200);
    assert_eq!(hook.body["url"], "https://hooks.example.org/x", "unchanged");
    assert_eq!(hook.body["version"], json!(1), "unchanged");

    // The default test app allows 127.0.0.1 (the operator's allow-list) but nothing else.
    let allowing = TestApp::start(backend);
    let admin = allowing.admin().access;
    allowing
        .post(
            &admin,
            "/webhooks",
            json!({ "name": "local", "url": "http://127.0.0.1:9/h", "events": ["*"] }),
        )
        .status_is(201);
    let r = allowing.post(
        &admin,
        "/webhooks",
        json!({ "name": "meta", "url": "http://169.254.169.254/", "events": ["*"] }),
    );
    assert_eq!(url_error(&r)["code"], "non_public_address");
}

fn names_resolving_to_non_public_addresses_are_refused_at_send_time(backend: Backend) {
    let Some(app) = strict(backend) else {
        return;
    };
    let admin = app.admin().access;
    // A listener that must never see a connection.
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let port = trap.local_addr().unwrap().port();
    // `127.1` is not an address literal for the URL check but resolves (without DNS) to
    // 127.0.0.1: the send-time check after the lookup must catch it.
    let r = app.post(
        &admin,
        "/webhooks",
        json!({ "name": "sneaky", "url": format!("http://127.1:{port}/h"), "events": ["incident.created"] }),
    );
    r.status_is(201);
    let hook = r.body["id"].as_str().unwrap().to_owned();
    app.open_incident(&admin, "Printer jam", "low", "low");
    let mut dead = Value::Null;
    eventually("a dead letter", || {
        let r = app.get(&admin, &format!("/deliveries?state=dead&webhook_id={hook}"));
        dead = r
            .body
            .as_array()
            .unwrap()
            .first()
            .cloned()
            .unwrap_or(Value::Null);
        !dead.is_null()
    });
    let error = dead["last_error"].as_str().unwrap();
    assert!(error.contains("refused: non-public address"), "{error}");
    assert!(
        !error.contains("127.0.0.1"),
        "no resolution oracle: {error}"
    );
    assert_eq!(dead["attempts"], json!(1), "refused at once, not retried");
    assert_eq!(
        trap.accept().map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::WouldBlock,
        "the refused address was connected to"
    );
}

fn a_target_answer_body_never_shows_in_deliveries(backend: Backend) {
    let Some(app) = TestApp::with(
        backend,
        Options {
            retry_base_ms: 200,
            max_attempts: 2,
            ..Options::default()
        },
    ) else {
        return;
    };
    let receiver = Receiver::start_with_body(500, "ami-id: SSRF-CANARY secret internal page");
    let admin = app.admin().access;
    let r = app.post(
        &admin,
        "/webhooks",
        json!({ "name": "ops", "url": receiver.url, "events": ["incident.created"] }),
    );
    r.status_is(201);
    let hook = r.body["id"].as_str().unwrap().to_owned();
    app.open_incident(&admin, "Printer jam", "low", "low");
    let mut dead = Value::Null;
    eventually("a dead letter", || {
        let r = app.get(&admin, &format!("/deliveries?state=dead&webhook_id={hook}"));
        dead = r
            .body
            .as_array()
            .unwrap()
            .first()
            .cloned()
            .unwrap_or(Value::Null);
        !dead.is_null()
    });
    assert_eq!(receiver.hooks().len(), 2, "the target was reached");
    let error = dead["last_error"].as_str().unwrap();
    assert!(error.contains("HTTP 500"), "{error}");
    let all = app.get(&admin, "/deliveries").text;
    for leaked in ["SSRF-CANARY", "ami-id", "secret internal page"] {
        assert!(!all.contains(leaked), "{leaked} shown: {all}");
    }
}
