//! Requesters see no internal work (issue 9, point 9), black-box on both backends: tasks
//! need `task:read` (a requester's `GET /incidents/{id}/tasks` is 403), history rows about
//! team, assignee, escalation and SLA internals are staff-only, and the notification
//! router re-checks every recipient: a work note never reaches a requester, by mail or
//! in-app, even when they are (still) the incident's assignee (an agent demoted to
//! requester after the assignment; there are no watchers yet, and the assignee is the one
//! recipient of work notes).

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

api_tests!(
    a_requester_may_not_list_tasks,
    a_requesters_history_has_no_internal_rows,
    a_work_note_never_reaches_a_requester,
);

/// The rows of a list answer: `{items: [...]}` (paged) or a bare array.
fn rows(body: &Value) -> Vec<Value> {
    body.get("items")
        .unwrap_or(body)
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {body}"))
        .clone()
}

/// An agent in a new team; returns (agent id, email, team id).
fn agent(app: &TestApp, admin: &str, name: &str) -> (String, String, String) {
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
    (user["id"].as_str().unwrap().to_owned(), email, team_id)
}

/// A requester and their session token.
fn requester(app: &TestApp, admin: &str, name: &str) -> (String, String) {
    let email = format!("{name}@example.test");
    app.create_user(admin, &email, name, "requester", json!({}));
    let token = app.login(&email, PASSWORD).access;
    (email, token)
}

/// An incident the requester opened, assigned by the admin to `agent_id` in `team_id`.
fn assigned_incident(
    app: &TestApp,
    admin: &str,
    requester: &str,
    agent_id: &str,
    team_id: &str,
) -> String {
    let incident = app.open_incident(requester, "VPN drops every hour", "medium", "high");
    let id = incident["id"].as_str().unwrap().to_owned();
    app.post(
        admin,
        &format!("/incidents/{id}/assign"),
        json!({ "team_id": team_id, "assignee_id": agent_id }),
    )
    .status_is(200);
    id
}

fn a_requester_may_not_list_tasks(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (agent_id, agent_email, team_id) = agent(&app, &admin, "tessa");
    let (_, req) = requester(&app, &admin, "rita");
    let id = assigned_incident(&app, &admin, &req, &agent_id, &team_id);
    app.post(
        &admin,
        &format!("/incidents/{id}/tasks"),
        json!({ "title": "Replace the VPN concentrator" }),
    )
    .status_is(201);

    // The requester reads their incident, not its tasks.
    app.get(&req, &format!("/incidents/{id}")).status_is(200);
    let r = app.get(&req, &format!("/incidents/{id}/tasks"));
    r.problem(403);
    assert!(
        !r.text.contains("Replace the VPN concentrator"),
        "a refusal shows no task: {}",
        r.text
    );
    // Staff with task:read do.
    let agent = app.login(&agent_email, PASSWORD).access;
    for token in [&admin, &agent] {
        let r = app.get(token, &format!("/incidents/{id}/tasks"));
        r.status_is(200);
        let tasks = rows(&r.body);
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0]["title"], json!("Replace the VPN concentrator"));
    }
}

fn a_requesters_history_has_no_internal_rows(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (agent_id, _, team_id) = agent(&app, &admin, "ivan");
    let (_, req) = requester(&app, &admin, "rosa");
    let id = assigned_incident(&app, &admin, &req, &agent_id, &team_id);
    let (_, _, network) = agent(&app, &admin, "nina");
    app.post(
        &admin,
        &format!("/incidents/{id}/escalate"),
        json!({ "to_team_id": network, "reason": "tunnel hardware" }),
    )
    .status_is(200);
    app.post(
        &admin,
        &format!("/incidents/{id}/tasks"),
        json!({ "title": "Check the tunnel logs" }),
    )
    .status_is(201);
    app.post(
        &admin,
        &format!("/incidents/{id}/transitions"),
        json!({ "action": "start" }),
    )
    .status_is(200);

    let fields = |token: &str| -> Vec<String> {
        let r = app.get(token, &format!("/incidents/{id}/history"));
        r.status_is(200);
        rows(&r.body)
            .iter()
            .map(|h| h["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let staff = fields(&admin);
    for internal in ["team_id", "assignee_id", "escalation_level", "task"] {
        assert!(
            staff.iter().any(|f| f == internal),
            "staff see the {internal} row: {staff:?}"
        );
    }
    let theirs = fields(&req);
    assert!(
        theirs.iter().any(|f| f == "status"),
        "the requester follows the status: {theirs:?}"
    );
    for f in &theirs {
        assert!(
            ![
                "team_id",
                "assignee_id",
                "escalation_level",
                "task",
                "task_status"
            ]
            .contains(&f.as_str())
                && !f.starts_with("sla_"),
            "a requester sees no internal row, got {f} in {theirs:?}"
        );
    }
}

/// Waits until `check` holds (30 s).
#[track_caller]
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn a_work_note_never_reaches_a_requester(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let admin = app.admin().access;
    let (agent_id, agent_email, team_id) = agent(&app, &admin, "wendy");
    let (req_email, req) = requester(&app, &admin, "reggie");
    let id = assigned_incident(&app, &admin, &req, &agent_id, &team_id);
    app.mailbox().wait_for(&agent_email, 1);

    // The assignee becomes a requester and stays the incident's assignee.
    app.patch(
        &admin,
        &format!("/users/{agent_id}"),
        json!({ "role": "requester" }),
    )
    .status_is(200);
    app.post(
        &admin,
        &format!("/incidents/{id}/comments"),
        json!({ "body": "WORK-NOTE-SECRET: the root cause is our firewall", "internal": true }),
    )
    .status_is(201);
    // A public reply after it, as a marker: once the requester has it, the note was routed.
    app.post(
        &admin,
        &format!("/incidents/{id}/comments"),
        json!({ "body": "PUBLIC-REPLY: we are on it", "internal": false }),
    )
    .status_is(201);
    eventually("the public reply's mails", || {
        [&req_email, &agent_email].iter().all(|a| {
            app.mailbox()
                .to(a)
                .iter()
                .any(|m| m.text.contains("PUBLIC-REPLY"))
        })
    });
    std::thread::sleep(Duration::from_millis(2_000));

    for address in [&agent_email, &req_email] {
        for m in app.mailbox().to(address) {
            assert!(
                !m.text.contains("WORK-NOTE-SECRET") && !m.html.contains("WORK-NOTE-SECRET"),
                "{address} was mailed the work note: {}",
                m.subject
            );
        }
    }
    let demoted = app.login(&agent_email, PASSWORD).access;
    for token in [&demoted, &req] {
        let inbox = app.get(token, "/notifications");
        inbox.status_is(200);
        for n in rows(&inbox.body) {
            assert!(
                !n["body"]
                    .as_str()
                    .unwrap_or("")
                    .contains("WORK-NOTE-SECRET")
                    && !n["title"]
                        .as_str()
                        .unwrap_or("")
                        .contains("WORK-NOTE-SECRET"),
                "in-app work note for a requester: {n}"
            );
        }
    }
    // The demoted assignee still reads the ticket (own scope covers an assignee) and hears
    // of the public reply: the router ran for them and left out only the work note.
    let inbox = app.get(&demoted, "/notifications");
    let comments: Vec<Value> = rows(&inbox.body)
        .into_iter()
        .filter(|n| n["kind"] == json!("incident.comment_added"))
        .collect();
    assert_eq!(comments.len(), 1, "{}", inbox.text);
    assert!(
        comments[0]["body"]
            .as_str()
            .unwrap()
            .contains("PUBLIC-REPLY")
    );
    let mails = app.mailbox().to(&agent_email);
    assert!(
        mails.iter().any(|m| m.text.contains("PUBLIC-REPLY")),
        "the public reply was mailed to the demoted assignee"
    );
}
