//! Notifications end to end (issue 5, NTF-1..NTF-5) against the real app, a real SMTP
//! server (aiosmtpd) and a local webhook receiver: an SLA breach sends exactly one mail and
//! one signed webhook per ticket and target; mail waits in the queue while the SMTP server
//! is down and arrives once; a failing webhook is dead-lettered after N tries and an admin
//! can retry it; two servers on one PostgreSQL database notify each breach once.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{Value, json};
use servicedesk_core::ports::Clock;

use crate::common::receiver::{Hook, Receiver};
use crate::common::*;

api_tests!(
    an_sla_breach_sends_one_mail_and_one_signed_webhook_per_target,
    mail_waits_while_the_smtp_server_is_down_and_arrives_once,
    a_failing_webhook_is_dead_lettered_and_retryable,
    inbox_and_preferences,
    two_servers_on_one_database_notify_each_breach_once,
    resolved_incidents_close_by_themselves_after_the_org_delay
);

/// Long enough for several rounds of every worker (they poll every second when idle).
fn settle() {
    std::thread::sleep(Duration::from_millis(3_000));
}

fn options(clock: Option<Arc<ShiftClock>>) -> Options {
    Options {
        mail: true,
        clock: clock.map(|c| c as Arc<dyn Clock>),
        retry_base_ms: 200,
        max_attempts: 3,
        ..Options::default()
    }
}

/// An agent in a new team; returns (agent id, email).
fn agent(app: &TestApp, admin: &str, name: &str) -> (String, String) {
    let team = app.post(admin, "/teams", json!({ "name": format!("Team {name}") }));
    team.status_is(201);
    let team_id = team.body["id"].as_str().unwrap().to_owned();
    let email = format!("{name}@example.test");
    let user = app.create_user(
        admin,
        &email,
        name,
        "agent",
        json!({ "team_ids": [team_id] }),
    );
    (user["id"].as_str().unwrap().to_owned(), email)
}

fn create_webhook(app: &TestApp, admin: &str, url: &str, events: Value) -> (String, String) {
    let r = app.post(
        admin,
        "/webhooks",
        json!({ "name": "ops", "url": url, "events": events }),
    );
    r.status_is(201);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["secret"].as_str().unwrap().to_owned(),
    )
}

fn verify(hook: &Hook, secret: &str) {
    let header = hook.header("x-servicedesk-signature").unwrap();
    servicedesk_webhook::verify(
        secret.as_bytes(),
        header,
        hook.body.as_bytes(),
        // The signature carries the server's (shifted) clock.
        header
            .split(',')
            .find_map(|p| p.strip_prefix("t="))
            .unwrap()
            .parse()
            .unwrap(),
        Duration::from_secs(300),
    )
    .unwrap_or_else(|e| panic!("signature does not verify: {e}"));
}

fn an_sla_breach_sends_one_mail_and_one_signed_webhook_per_target(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let Some(app) = TestApp::with(backend, options(Some(clock.clone()))) else {
        return;
    };
    let receiver = Receiver::start(200);
    let admin = app.admin().access;
    let (_, secret) = create_webhook(&app, &admin, &receiver.url, json!(["sla.breached"]));
    let (agent_id, agent_email) = agent(&app, &admin, "ada");
    let incident = app.open_incident(&admin, "Mail server down", "high", "high");
    let id = incident["id"].as_str().unwrap();
    app.post(
        &admin,
        &format!("/incidents/{id}/assign"),
        json!({ "assignee_id": agent_id }),
    )
    .status_is(200);
    let assigned = app.mailbox().wait_for(&agent_email, 1);
    assert!(
        assigned[0].subject.contains("was assigned to you"),
        "{:?}",
        assigned[0].subject
    );
    assert!(assigned[0].text.contains("Mail server down"));

    // Critical: 15 min response, 4 h resolution. A day later both are breached.
    clock.advance(TimeDelta::hours(24));
    let hooks = receiver.wait_for(2, 30);
    let breaches = |mails: &[Mail], target: &str| {
        mails
            .iter()
            .filter(|m| {
                m.subject
                    .contains(&format!("the {target} target was breached"))
            })
            .count()
    };
    eventually("both breach mails", || {
        let mails = app.mailbox().to(&agent_email);
        breaches(&mails, "first response") == 1 && breaches(&mails, "resolution") == 1
    });
    settle();
    let mails = app.mailbox().to(&agent_email);
    assert_eq!(breaches(&mails, "first response"), 1, "{mails:#?}");
    assert_eq!(breaches(&mails, "resolution"), 1, "{mails:#?}");
    let hooks_after = receiver.hooks();
    assert_eq!(
        hooks_after.len(),
        2,
        "one post per target, no more: {hooks:#?}"
    );
    let mut targets: Vec<String> = hooks_after
        .iter()
        .map(|h| {
            verify(h, &secret);
            assert_eq!(h.header("x-servicedesk-event"), Some("sla.breached"));
            let body = h.json();
            assert_eq!(body["data"]["ticket"]["id"], json!(id));
            body["data"]["event"]["target"].as_str().unwrap().to_owned()
        })
        .collect();
    targets.sort();
    assert_eq!(targets, ["first_response", "resolution"]);
    // A tampered body does not verify.
    let mut forged = hooks_after[0].clone();
    forged.body = forged.body.replace("sla.breached", "sla.warning");
    let header = forged.header("x-servicedesk-signature").unwrap().to_owned();
    let t: i64 = header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        servicedesk_webhook::verify(
            secret.as_bytes(),
            &header,
            forged.body.as_bytes(),
            t,
            Duration::from_secs(300)
        )
        .is_err()
    );
}

fn mail_waits_while_the_smtp_server_is_down_and_arrives_once(backend: Backend) {
    let Some(mut app) = TestApp::with(backend, options(None)) else {
        return;
    };
    let admin = app.admin().access;
    let (agent_id, agent_email) = agent(&app, &admin, "grace");
    app.mailbox.as_mut().unwrap().stop();
    let incident = app.open_incident(&admin, "VPN flaps", "low", "low");
    let id = incident["id"].as_str().unwrap();
    app.post(
        &admin,
        &format!("/incidents/{id}/assign"),
        json!({ "assignee_id": agent_id }),
    )
    .status_is(200);
    // The mail is queued and has failed at least once while the server is down.
    eventually("a failed mail attempt", || {
        let r = app.get(&admin, "/deliveries?channel=email&state=pending");
        r.body.as_array().unwrap().iter().any(|d| {
            d["target"] == json!(agent_id)
                && d["attempts"].as_u64().unwrap() >= 1
                && d["last_error"].is_string()
        })
    });
    app.mailbox.as_mut().unwrap().restart();
    let mails = app.mailbox().wait_for(&agent_email, 1);
    assert!(mails[0].subject.contains("INC-"));
    settle();
    assert_eq!(app.mailbox().to(&agent_email).len(), 1, "exactly once");
    // A server started afresh on the same database (a restart) sends nothing again.
    let restarted = servicedesk::start(app.config.clone()).unwrap();
    settle();
    restarted.stop();
    assert_eq!(
        app.mailbox().to(&agent_email).len(),
        1,
        "nothing twice after a restart"
    );
    let r = app.get(&admin, "/deliveries?channel=email&state=delivered");
    assert!(
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["target"] == json!(agent_id))
    );
}

fn a_failing_webhook_is_dead_lettered_and_retryable(backend: Backend) {
    let Some(app) = TestApp::with(backend, options(None)) else {
        return;
    };
    let receiver = Receiver::start(500);
    let admin = app.admin().access;
    let (hook_id, secret) =
        create_webhook(&app, &admin, &receiver.url, json!(["incident.created"]));
    app.open_incident(&admin, "Printer jam", "low", "low");

    // max_attempts = 3: three posts, then the dead-letter list.
    let mut dead = Value::Null;
    eventually("a dead letter", || {
        let r = app.get(
            &admin,
            &format!("/deliveries?state=dead&webhook_id={hook_id}"),
        );
        dead = r
            .body
            .as_array()
            .unwrap()
            .first()
            .cloned()
            .unwrap_or(Value::Null);
        !dead.is_null()
    });
    assert_eq!(dead["attempts"], json!(3));
    assert!(dead["last_error"].as_str().unwrap().contains("500"));
    settle();
    let tries = receiver.hooks();
    assert_eq!(tries.len(), 3, "no attempt after the dead letter");
    let delivery = dead["id"].as_str().unwrap();
    assert!(
        tries
            .iter()
            .all(|h| h.header("x-servicedesk-delivery") == Some(delivery))
    );

    // Not an admin: no access to the dead letters.
    app.create_user(&admin, "req@example.test", "Req", "requester", json!({}));
    let requester = app.login("req@example.test", PASSWORD).access;
    app.post(
        &requester,
        &format!("/deliveries/{delivery}/retry"),
        json!({}),
    )
    .problem(403);
    // Only dead deliveries can be retried.
    receiver.status.store(200, Ordering::SeqCst);
    let r = app.post(&admin, &format!("/deliveries/{delivery}/retry"), json!({}));
    r.status_is(200);
    assert_eq!(r.body["state"], json!("pending"));
    assert_eq!(r.body["attempts"], json!(0));
    let hooks = receiver.wait_for(4, 30);
    verify(&hooks[3], &secret);
    eventually("the retried delivery delivered", || {
        let r = app.get(
            &admin,
            &format!("/deliveries?state=delivered&webhook_id={hook_id}"),
        );
        r.body
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == json!(delivery))
    });
    app.post(&admin, &format!("/deliveries/{delivery}/retry"), json!({}))
        .problem(409);
}

fn inbox_and_preferences(backend: Backend) {
    let Some(app) = TestApp::with(backend, options(None)) else {
        return;
    };
    let admin = app.admin().access;
    let (agent_id, agent_email) = agent(&app, &admin, "linus");
    let agent_token = app.login(&agent_email, PASSWORD).access;
    // No mail for assignments, in-app only.
    let r = app
        .request("PUT", &api("/users/me/notification-preferences"))
        .bearer(&agent_token)
        .json(&json!({ "preferences": [
            { "event": "incident.assigned", "email": false, "in_app": true }
        ]}))
        .send();
    r.status_is(200);
    let assigned = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["event"] == json!("incident.assigned"))
        .unwrap()
        .clone();
    assert_eq!(assigned["email"], json!(false));
    app.request("PUT", &api("/users/me/notification-preferences"))
        .bearer(&agent_token)
        .json(&json!({ "preferences": [{ "event": "nope", "email": true, "in_app": true }] }))
        .send()
        .problem(422);

    let incident = app.open_incident(&admin, "Disk full", "low", "low");
    let id = incident["id"].as_str().unwrap();
    app.post(
        &admin,
        &format!("/incidents/{id}/assign"),
        json!({ "assignee_id": agent_id }),
    )
    .status_is(200);
    let mut inbox = Value::Null;
    eventually("an in-app notification", || {
        inbox = app.get(&agent_token, "/notifications").body;
        inbox["unread"] == json!(1)
    });
    let item = inbox["items"][0].clone();
    assert_eq!(item["kind"], json!("incident.assigned"));
    assert_eq!(item["incident_id"], json!(id));
    assert!(item["title"].as_str().unwrap().contains("assigned to you"));
    // Someone else's notification is not found.
    let nid = item["id"].as_str().unwrap();
    app.post(&admin, &format!("/notifications/{nid}/read"), json!({}))
        .problem(404);
    let r = app.post(
        &agent_token,
        &format!("/notifications/{nid}/read"),
        json!({}),
    );
    r.status_is(200);
    assert!(r.body["read_at"].is_string());
    assert_eq!(
        app.get(&agent_token, "/notifications").body["unread"],
        json!(0)
    );
    settle();
    assert!(
        app.mailbox().to(&agent_email).is_empty(),
        "the preference turned assignment mail off"
    );
}

fn two_servers_on_one_database_notify_each_breach_once(backend: Backend) {
    if backend != Backend::Postgres {
        // One embedded SQLite file is one process's database.
        return;
    }
    let clock = Arc::new(ShiftClock::default());
    let Some(app) = TestApp::with(backend, options(Some(clock.clone()))) else {
        return;
    };
    let second =
        servicedesk::start_with_clock(app.config.clone(), clock.clone() as Arc<dyn Clock>).unwrap();
    let receiver = Receiver::start(200);
    let admin = app.admin().access;
    create_webhook(&app, &admin, &receiver.url, json!(["sla.breached"]));
    let n = 6;
    let mut ids = Vec::new();
    for i in 0..n {
        let inc = app.open_incident(&admin, &format!("Outage {i}"), "high", "high");
        ids.push(inc["id"].as_str().unwrap().to_owned());
    }
    clock.advance(TimeDelta::hours(24));
    receiver.wait_for(2 * n, 30);
    settle();
    let hooks = receiver.hooks();
    let mut seen: Vec<(String, String)> = hooks
        .iter()
        .map(|h| {
            let b = h.json();
            (
                b["data"]["ticket"]["id"].as_str().unwrap().to_owned(),
                b["data"]["event"]["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let before = seen.len();
    seen.dedup();
    assert_eq!(before, seen.len(), "a breach was notified twice");
    assert_eq!(seen.len(), 2 * n);
    second.stop();
}

fn resolved_incidents_close_by_themselves_after_the_org_delay(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let Some(app) = TestApp::with(
        backend,
        Options {
            clock: Some(clock.clone() as Arc<dyn Clock>),
            ..Options::default()
        },
    ) else {
        return;
    };
    let admin = app.admin().access;
    let org = app.get(&admin, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let settings = format!("/organizations/{org}/settings");
    assert_eq!(
        app.get(&admin, &settings).body,
        json!({ "auto_close_days": null, "registration_closed": false })
    );
    app.patch(&admin, &settings, json!({ "auto_close_days": 0 }))
        .problem(422);
    app.patch(&admin, &settings, json!({ "auto_close_days": "soon" }))
        .problem(422);
    app.create_user(&admin, "req@example.test", "Req", "requester", json!({}));
    let requester = app.login("req@example.test", PASSWORD).access;
    app.patch(&requester, &settings, json!({ "auto_close_days": 1 }))
        .problem(403);
    let r = app.patch(&admin, &settings, json!({ "auto_close_days": 3 }));
    r.status_is(200);
    assert_eq!(r.body["auto_close_days"], json!(3));

    let resolved = app.open_incident(&admin, "Toner", "low", "low");
    let kept = app.open_incident(&admin, "Reopened later", "low", "low");
    for inc in [&resolved, &kept] {
        let id = inc["id"].as_str().unwrap();
        for body in [
            json!({ "action": "start" }),
            json!({ "action": "resolve", "resolution_code": "fixed", "resolution_notes": "Replaced" }),
        ] {
            app.post(&admin, &format!("/incidents/{id}/transitions"), body)
                .status_is(200);
        }
    }
    let kept_id = kept["id"].as_str().unwrap();
    app.post(
        &admin,
        &format!("/incidents/{kept_id}/transitions"),
        json!({ "action": "reopen" }),
    )
    .status_is(200);
    // Two days: not yet.
    clock.advance(TimeDelta::days(2));
    settle();
    let id = resolved["id"].as_str().unwrap();
    let admin = app.admin().access;
    assert_eq!(
        app.get(&admin, &format!("/incidents/{id}")).body["status"],
        json!("resolved")
    );
    clock.advance(TimeDelta::days(2));
    let admin = app.admin().access;
    eventually("the auto-close", || {
        app.get(&admin, &format!("/incidents/{id}")).body["status"] == json!("closed")
    });
    let history = app.get(&admin, &format!("/incidents/{id}/history")).body;
    assert!(
        history.to_string().contains("closed"),
        "history records the close: {history}"
    );
    assert_ne!(
        app.get(&admin, &format!("/incidents/{kept_id}")).body["status"],
        json!("closed"),
        "a reopened incident stays open"
    );
}
