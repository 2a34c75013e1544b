//! The whole incident journey of issue 4 through the HTTP API of the real app, on SQLite
//! and PostgreSQL: the admin sets up a team, an agent and a requester; a second requester
//! self-registers and verifies by the mailed token (a real SMTP server receives it); the
//! agent turns on MFA and signs in with it; the requester opens an incident; the agent
//! assigns, starts, holds, resumes, comments and resolves; the requester sees the public
//! comment but not the internal note, and closes. Plus password reset by mailed token.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::common::*;

api_tests!(incident_journey, password_reset_by_mailed_token);

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

fn actions(incident: &Value) -> Vec<String> {
    ids(&incident["legal_actions"])
}

/// A lifecycle move with `If-Match`; checks 200, the new status and the new `ETag`.
#[track_caller]
fn transition(app: &TestApp, token: &str, incident: &Value, body: Value, status: &str) -> Value {
    let id = incident["id"].as_str().unwrap();
    let version = incident["version"].as_i64().unwrap();
    let r = app
        .request("POST", &api(&format!("/incidents/{id}/transitions")))
        .bearer(token)
        .header("if-match", &format!("\"{version}\""))
        .json(&body)
        .send();
    r.status_is(200);
    assert_eq!(r.body["status"], status, "after {body}: {}", r.text);
    assert!(
        r.body["version"].as_i64().unwrap() > version,
        "the version grows: {}",
        r.text
    );
    assert_eq!(r.etag(), format!("\"{}\"", r.body["version"]));
    r.body.clone()
}

fn incident_journey(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };

    // --- The admin signs in and sets up the organization. ---
    let admin = app.admin();
    let me = app.get(&admin.access, "/users/me");
    me.status_is(200);
    assert_eq!(me.body["email"], ADMIN_EMAIL);
    assert_eq!(ids(&me.body["roles"]), vec!["admin"]);
    let org_id = me.body["org_id"].as_str().unwrap().to_owned();

    let r = app.post(&admin.access, "/teams", json!({ "name": "Service Desk" }));
    r.status_is(201);
    assert_eq!(r.body["name"], "Service Desk");
    assert_eq!(r.body["org_id"], org_id.as_str());
    let team_id = r.body["id"].as_str().unwrap().to_owned();

    let agent = app.create_user(
        &admin.access,
        "agent@servicedesk.test",
        "Alex Agent",
        "agent",
        json!({}),
    );
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    assert_eq!(ids(&agent["roles"]), vec!["agent"]);
    assert_eq!(agent["org_id"], org_id.as_str());
    let r = app.post(
        &admin.access,
        &format!("/teams/{team_id}/members"),
        json!({ "user_id": agent_id }),
    );
    r.status_is(204);
    let r = app.get(&admin.access, &format!("/users/{agent_id}"));
    r.status_is(200);
    assert_eq!(
        ids(&r.body["team_ids"]),
        vec![team_id.clone()],
        "the agent is in the team"
    );

    let requester = app.create_user(
        &admin.access,
        "requester@servicedesk.test",
        "Rita Requester",
        "requester",
        json!({}),
    );
    assert_eq!(ids(&requester["roles"]), vec!["requester"]);
    let requester_id = requester["id"].as_str().unwrap().to_owned();

    let teams = app.get(&admin.access, "/teams");
    teams.status_is(200);
    assert!(
        teams
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == team_id.as_str())
    );
    let users = app.get(&admin.access, "/users");
    users.status_is(200);
    let emails: Vec<&str> = users
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    for e in [
        ADMIN_EMAIL,
        "agent@servicedesk.test",
        "requester@servicedesk.test",
    ] {
        assert!(emails.contains(&e), "{e} in {emails:?}");
    }

    // --- A second requester self-registers (asking for admin: ignored) and verifies. ---
    let reg_email = "newcomer@servicedesk.test";
    let r = app.post_anon(
        "/auth/register",
        json!({ "email": reg_email, "name": "Nina Newcomer", "password": PASSWORD, "role": "admin", "org_id": org_id }),
    );
    r.status_is(202);
    let r = app.login_raw(reg_email, PASSWORD);
    r.problem(403);
    assert!(r.body.get("access_token").is_none());

    let mails = app.mailbox().wait_for(reg_email, 1);
    assert_eq!(mails.len(), 1, "one verification mail: {mails:#?}");
    let mail = &mails[0];
    assert!(mail.to.contains(reg_email), "To: {}", mail.to);
    assert!(!mail.subject.is_empty());
    assert!(!mail.html.is_empty(), "an HTML part too");
    let link = mail.link();
    assert!(
        link.starts_with("http://desk.example.test/"),
        "link from the public URL: {link}"
    );
    let token = mail.token();
    assert!(
        mail.html.contains("?token="),
        "the HTML part carries the link too"
    );

    let r = app.post_anon("/auth/verify-email", json!({ "token": "not-the-token" }));
    r.problem(422);
    let r = app.post_anon("/auth/verify-email", json!({ "token": token }));
    r.status_is(204);
    let r = app.post_anon("/auth/verify-email", json!({ "token": token }));
    r.problem(422); // single use
    let newcomer = app.login(reg_email, PASSWORD);
    let r = app.get(&newcomer.access, "/users/me");
    r.status_is(200);
    assert_eq!(
        ids(&r.body["roles"]),
        vec!["requester"],
        "self-registration makes requesters only"
    );
    assert_eq!(r.body["org_id"], org_id.as_str());
    assert_eq!(r.body["name"], "Nina Newcomer");

    // --- The agent turns on MFA and signs in with it. ---
    let agent_s = app.login("agent@servicedesk.test", PASSWORD);
    let (secret, recovery, step) = enable_mfa(&app, &agent_s.access);
    assert_eq!(recovery.len(), 10, "ten recovery codes");
    let distinct: std::collections::HashSet<&String> = recovery.iter().collect();
    assert_eq!(distinct.len(), 10);
    let r = app.login_raw("agent@servicedesk.test", PASSWORD);
    r.status_is(200);
    assert_eq!(r.body["mfa_required"], true, "{}", r.text);
    assert!(
        r.body.get("access_token").is_none(),
        "no tokens before the second factor: {}",
        r.text
    );
    let mfa_token = r.body["mfa_token"].as_str().unwrap().to_owned();
    let r = app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": mfa_token, "code": "000000" }),
    );
    r.problem(401);
    // The confirmation used this step's code: the next step's is new (±1 step accepted).
    let r = app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": mfa_token, "code": totp_at(&secret, step + 1) }),
    );
    r.status_is(200);
    let agent_s = Session::from_tokens(&r);
    let r = app.get(&agent_s.access, "/users/me");
    r.status_is(200);
    assert_eq!(r.body["id"], agent_id.as_str());

    // --- The requester opens an incident. ---
    let req_s = app.login("requester@servicedesk.test", PASSWORD);
    let r = app.post(
        &req_s.access,
        "/incidents",
        json!({
            "title": "Mail client crashes on start",
            "description": "Outlook closes right after the splash screen since this morning.",
            "impact": "high",
            "urgency": "medium",
            "category": "software/email",
        }),
    );
    r.status_is(201);
    let inc = r.body.clone();
    let id = inc["id"].as_str().unwrap().to_owned();
    assert_eq!(inc["number"], 1);
    assert_eq!(inc["reference"], "INC-1");
    assert_eq!(inc["status"], "new");
    assert_eq!(
        inc["priority"], "high",
        "high impact × medium urgency = high"
    );
    assert_eq!(inc["impact"], "high");
    assert_eq!(inc["urgency"], "medium");
    assert_eq!(inc["requester_id"], requester_id.as_str());
    assert_eq!(inc["version"], 1);
    assert_eq!(r.etag(), "\"1\"");
    assert!(
        r.header("location").is_some_and(|l| l.ends_with(&id)),
        "Location: {:?}",
        r.header("location")
    );
    let sla = &inc["sla"];
    assert!(sla.is_object(), "an SLA applies: {}", r.text);
    for clock in ["first_response", "resolution"] {
        assert!(sla[clock]["due_at"].is_string(), "{clock} due: {sla}");
        assert_eq!(sla[clock]["paused"], false);
        assert_eq!(sla[clock]["breached"], false);
    }
    assert!(
        actions(&inc).contains(&"cancel".to_owned()),
        "the requester may withdraw: {:?}",
        actions(&inc)
    );
    for staff_only in ["assign", "start", "resolve"] {
        assert!(
            !actions(&inc).contains(&staff_only.to_owned()),
            "{staff_only} is not the requester's: {:?}",
            actions(&inc)
        );
    }

    // Read back by id and by number, with the ETag.
    for path in [format!("/incidents/{id}"), "/incidents/INC-1".to_owned()] {
        let r = app.get(&req_s.access, &path);
        r.status_is(200);
        assert_eq!(r.body["id"], id.as_str());
        assert_eq!(r.etag(), format!("\"{}\"", r.body["version"]));
    }

    // --- The agent assigns it to the team and to themself. ---
    let r = app.post(
        &agent_s.access,
        &format!("/incidents/{id}/assign"),
        json!({ "team_id": team_id, "assignee_id": agent_id }),
    );
    r.status_is(200);
    let inc = r.body.clone();
    assert_eq!(inc["status"], "open");
    assert_eq!(inc["team_id"], team_id.as_str());
    assert_eq!(inc["assignee_id"], agent_id.as_str());
    assert_eq!(r.etag(), format!("\"{}\"", inc["version"]));
    let acts = actions(&inc);
    assert!(
        acts.contains(&"start".to_owned()),
        "the agent may start: {acts:?}"
    );

    // Start, hold (the resolution clock pauses), resume.
    let inc = transition(
        &app,
        &agent_s.access,
        &inc,
        json!({ "action": "start" }),
        "in_progress",
    );
    let inc = transition(
        &app,
        &agent_s.access,
        &inc,
        json!({ "action": "hold" }),
        "on_hold",
    );
    assert_eq!(
        inc["sla"]["resolution"]["paused"], true,
        "on hold pauses the resolution clock: {}",
        inc["sla"]
    );
    assert!(actions(&inc).contains(&"resume".to_owned()));
    let inc = transition(
        &app,
        &agent_s.access,
        &inc,
        json!({ "action": "resume" }),
        "in_progress",
    );
    assert_eq!(inc["sla"]["resolution"]["paused"], false);

    // An internal note and a public comment.
    let note = "Internal: the crash dump points at a broken add-in";
    let public = "We are on it: please keep Outlook closed for now.";
    let r = app.post(
        &agent_s.access,
        &format!("/incidents/{id}/comments"),
        json!({ "body": note, "internal": true }),
    );
    r.status_is(201);
    assert_eq!(r.body["internal"], true);
    assert_eq!(r.body["author_id"], agent_id.as_str());
    let r = app.post(
        &agent_s.access,
        &format!("/incidents/{id}/comments"),
        json!({ "body": public }),
    );
    r.status_is(201);
    assert_eq!(r.body["internal"], false);

    // Resolve (code and notes are required).
    let r = app.get(&agent_s.access, &format!("/incidents/{id}"));
    r.status_is(200);
    let inc = r.body.clone();
    let r = app.post(
        &agent_s.access,
        &format!("/incidents/{id}/transitions"),
        json!({ "action": "resolve" }),
    );
    assert!(
        r.status == 422 || r.status == 409,
        "resolve without code and notes: {} {}",
        r.status,
        r.text
    );
    r.problem(r.status);
    let inc = transition(
        &app,
        &agent_s.access,
        &inc,
        json!({ "action": "resolve", "resolution_code": "fixed", "resolution_notes": "Removed the broken add-in." }),
        "resolved",
    );
    assert_eq!(inc["resolution_code"], "fixed");
    assert_eq!(inc["resolution_notes"], "Removed the broken add-in.");
    assert!(inc["resolved_at"].is_string());

    // --- The requester sees the public comment, not the internal note. ---
    let r = app.get(&req_s.access, &format!("/incidents/{id}/comments"));
    r.status_is(200);
    let bodies: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&public),
        "the requester sees the public comment: {bodies:?}"
    );
    assert!(
        !bodies.contains(&note),
        "the requester must not see the internal note: {bodies:?}"
    );
    assert!(
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["internal"] == false),
        "{}",
        r.text
    );
    assert!(
        !r.text.contains("crash dump"),
        "no trace of the note: {}",
        r.text
    );
    // Staff see both.
    let r = app.get(&agent_s.access, &format!("/incidents/{id}/comments"));
    r.status_is(200);
    let bodies: Vec<&str> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert!(
        bodies.contains(&public) && bodies.contains(&note),
        "staff see both: {bodies:?}"
    );
    // A requester cannot write internal notes.
    let r = app.post(
        &req_s.access,
        &format!("/incidents/{id}/comments"),
        json!({ "body": "sneaky", "internal": true }),
    );
    assert!(
        r.status == 403 || r.status == 422,
        "requester internal note: {} {}",
        r.status,
        r.text
    );
    r.problem(r.status);

    // --- The requester confirms: closed. ---
    let r = app.get(&req_s.access, "/incidents/INC-1");
    r.status_is(200);
    let inc = r.body.clone();
    assert_eq!(inc["status"], "resolved");
    let acts = actions(&inc);
    assert!(
        acts.contains(&"close".to_owned()) && acts.contains(&"reopen".to_owned()),
        "requester on resolved: {acts:?}"
    );
    let inc = transition(
        &app,
        &req_s.access,
        &inc,
        json!({ "action": "close" }),
        "closed",
    );
    assert!(inc["closed_at"].is_string());
    assert!(
        actions(&inc).is_empty(),
        "nothing more to do on a closed incident: {:?}",
        actions(&inc)
    );

    // --- History lists the changes. ---
    let r = app.get(&agent_s.access, &format!("/incidents/{id}/history"));
    r.status_is(200);
    let rows = r.body["items"].as_array().unwrap();
    let statuses: Vec<&str> = rows
        .iter()
        .filter(|h| h["field"] == "status")
        .map(|h| h["new_value"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        statuses,
        vec![
            "new",
            "open",
            "in_progress",
            "on_hold",
            "in_progress",
            "resolved",
            "closed"
        ],
        "status history: {}",
        r.text
    );
    for field in ["team_id", "assignee_id"] {
        assert!(
            rows.iter()
                .any(|h| h["field"] == field
                    && h["new_value"].as_str().is_some_and(|v| !v.is_empty())),
            "history records {field}: {}",
            r.text
        );
    }
    assert!(
        rows.iter().any(|h| h["actor_id"] == agent_id.as_str()),
        "the agent's changes are attributed"
    );
    assert!(
        rows.iter().any(|h| h["actor_id"] == requester_id.as_str()),
        "the requester's too"
    );

    // --- The queue. ---
    let r = app.get(&admin.access, "/incidents?status=closed");
    r.status_is(200);
    let items = r.body["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["id"] == id.as_str()), "{}", r.text);
    assert!(
        r.body.get("next_cursor").is_some(),
        "next_cursor is part of the page: {}",
        r.text
    );
    let r = app.get(&newcomer.access, "/incidents");
    r.status_is(200);
    assert!(
        r.body["items"].as_array().unwrap().is_empty(),
        "another requester's queue is empty: {}",
        r.text
    );
}

fn password_reset_by_mailed_token(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let admin = app.admin();
    let email = "forgetful@servicedesk.test";
    app.create_user(
        &admin.access,
        email,
        "Fred Forgetful",
        "requester",
        json!({}),
    );
    let before = app.login(email, PASSWORD);

    // Known and unknown addresses answer the same.
    let known = app.post_anon("/auth/password-reset", json!({ "email": email }));
    known.status_is(202);
    let unknown = app.post_anon(
        "/auth/password-reset",
        json!({ "email": "nobody@servicedesk.test" }),
    );
    unknown.status_is(202);
    assert_eq!(
        known.text, unknown.text,
        "no enumeration through the reset answer"
    );

    let mails = app.mailbox().wait_for(email, 1);
    let token = mails[0].token();
    assert!(mails[0].link().contains("?token="));

    let new_password = "a brand new passphrase";
    let r = app.post_anon(
        "/auth/password-confirm",
        json!({ "token": token, "new_password": "short" }),
    );
    r.problem(422);
    let r = app.post_anon(
        "/auth/password-confirm",
        json!({ "token": token, "new_password": new_password }),
    );
    r.status_is(204);
    let r = app.post_anon(
        "/auth/password-confirm",
        json!({ "token": token, "new_password": "yet another passphrase" }),
    );
    r.problem(422); // single use

    app.login_raw(email, PASSWORD).problem(401);
    app.login(email, new_password);
    // Every earlier session is gone.
    app.get(&before.access, "/users/me").problem(401);
    app.post_anon("/auth/refresh", json!({ "refresh_token": before.refresh }))
        .problem(401);
    // Nothing was mailed to the unknown address.
    assert!(app.mailbox().to("nobody@servicedesk.test").is_empty());
}
