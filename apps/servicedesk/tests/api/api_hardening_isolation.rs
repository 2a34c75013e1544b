//! Isolation of slow targets (issue 9 point 15) against the real app: a tarpit webhook
//! (accepts the connection, never answers) of one organization does not hold up another
//! organization's webhook, and the tarpit never gets more than the per-target number of
//! connections at once; an SMTP server that never answers does not hold up webhooks
//! either, because account mails are deliveries sent by the courier, not by the outbox
//! dispatcher.

#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::receiver::Receiver;
use crate::common::*;

api_tests!(
    a_tarpit_target_does_not_delay_another_organizations_webhook,
    a_tarpit_smtp_server_does_not_delay_webhooks
);

/// Accepts connections, reads what comes and never answers; counts connections open now
/// and at most.
struct Tarpit {
    url: String,
    open: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    accepted: Arc<AtomicUsize>,
}

impl Tarpit {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let open = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (o, p, a) = (open.clone(), peak.clone(), accepted.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                a.fetch_add(1, Ordering::SeqCst);
                let now = o.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(now, Ordering::SeqCst);
                let o = o.clone();
                std::thread::spawn(move || {
                    // Hold the connection until the client gives up.
                    let mut sink = [0u8; 1024];
                    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
                    o.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Self {
            url,
            open,
            peak,
            accepted,
        }
    }
}

fn a_tarpit_target_does_not_delay_another_organizations_webhook(backend: Backend) {
    let Some(app) = TestApp::with(backend, Options::default()) else {
        return;
    };
    let admin = app.admin().access;

    // Organization B and its admin, with a healthy receiver.
    let r = app.post(&admin, "/organizations", json!({ "name": "Beta" }));
    r.status_is(201);
    let org_b = r.body["id"].as_str().unwrap().to_owned();
    app.create_user(
        &admin,
        "boss@beta.test",
        "Beta Boss",
        "admin",
        json!({ "org_id": org_b }),
    );
    let admin_b = app.login("boss@beta.test", PASSWORD).access;
    let healthy = Receiver::start(204);
    app.post(
        &admin_b,
        "/webhooks",
        json!({ "name": "ops", "url": healthy.url, "events": ["incident.created"] }),
    )
    .status_is(201);

    // Organization A's webhook is a tarpit, with a backlog of deliveries.
    let tarpit = Tarpit::start();
    app.post(
        &admin,
        "/webhooks",
        json!({ "name": "tarpit", "url": tarpit.url, "events": ["incident.created"] }),
    )
    .status_is(201);
    for n in 0..6 {
        app.open_incident(&admin, &format!("Tarpit fodder {n}"), "low", "low");
    }
    // Wait until the tarpit holds sends (each lasts the 10 s request timeout).
    let deadline = Instant::now() + Duration::from_secs(20);
    while tarpit.open.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the tarpit was never reached");
        std::thread::sleep(Duration::from_millis(50));
    }

    // B's event goes out while A's target stalls: within a few worker polls, not after
    // A's timeouts (one alone is 10 s).
    let started = Instant::now();
    app.open_incident(&admin_b, "Beta's printer", "low", "low");
    let hooks = healthy.wait_for(1, 30);
    let took = started.elapsed();
    assert_eq!(
        hooks[0].header("x-servicedesk-event"),
        Some("incident.created")
    );
    assert!(
        took < Duration::from_secs(6),
        "B's webhook waited {took:?} behind A's tarpit"
    );
    assert!(
        tarpit.open.load(Ordering::SeqCst) > 0,
        "the tarpit still holds its sends: B did not wait for them to time out"
    );
    // The tarpit never held more than the per-target limit (2) at once.
    assert!(
        tarpit.peak.load(Ordering::SeqCst) <= 2,
        "{} connections at once to one target",
        tarpit.peak.load(Ordering::SeqCst)
    );
    assert!(tarpit.accepted.load(Ordering::SeqCst) >= 1);
}

fn a_tarpit_smtp_server_does_not_delay_webhooks(backend: Backend) {
    let smtp = Tarpit::start();
    let smtp_url = smtp.url.replace("http://", "smtp://").replace("/hook", "");
    let Some(app) = TestApp::with(
        backend,
        Options {
            smtp_url: Some(smtp_url),
            ..Options::default()
        },
    ) else {
        return;
    };
    let admin = app.admin().access;
    let healthy = Receiver::start(204);
    app.post(
        &admin,
        "/webhooks",
        json!({ "name": "ops", "url": healthy.url, "events": ["incident.created"] }),
    )
    .status_is(201);
    // An account mail (password reset) to the server that never answers.
    let r = app.post_anon("/auth/password-reset", json!({ "email": ADMIN_EMAIL }));
    assert!(r.status < 300, "{} {}", r.status, r.text);
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.open.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "the SMTP server was never reached"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // While the mail hangs (10 s per SMTP step), ticket events keep flowing.
    let started = Instant::now();
    app.open_incident(&admin, "Printer jam", "low", "low");
    healthy.wait_for(1, 30);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(6),
        "the webhook waited {took:?} behind the SMTP server"
    );
    // The mail is a delivery like any other: listed, pending, without its link.
    let r = app.get(&admin, "/deliveries?channel=email");
    r.status_is(200);
    let mails: Vec<_> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "user.password_reset_requested")
        .cloned()
        .collect();
    assert_eq!(mails.len(), 1, "{}", r.text);
    assert_eq!(mails[0]["state"], "pending");
    assert!(!r.text.contains("token="), "{}", r.text);
}
