//! Issue 11, administration: an admin signs a user out everywhere
//! (`POST /users/{id}/sessions/revoke`) and reads whether a user has two-step verification
//! on (`GET /users/{id}/mfa`); neither is open to agents, managers or another
//! organization's admin. Black-box on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use servicedesk_core::ids::OrgId;
use servicedesk_core::ports::AuditLog;

use crate::common::*;

api_tests!(
    an_admin_signs_a_user_out_everywhere,
    an_admin_reads_whether_a_user_has_two_step_verification,
);

fn audit_actions(app: &TestApp, org: &str) -> Vec<String> {
    app.running()
        .store
        .entries(org.parse::<OrgId>().unwrap(), 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .collect()
}

fn an_admin_signs_a_user_out_everywhere(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let me = app.get(&admin, "/users/me");
    let org = me.body["org_id"].as_str().unwrap().to_owned();
    let user = app.create_user(
        &admin,
        "roamer@servicedesk.test",
        "Roamer",
        "agent",
        json!({}),
    );
    let id = user["id"].as_str().unwrap().to_owned();
    let laptop = app.login("roamer@servicedesk.test", PASSWORD);
    let phone = app.login("roamer@servicedesk.test", PASSWORD);
    // Not for a colleague, nor for another organization's admin.
    app.create_user(
        &admin,
        "peer2@servicedesk.test",
        "Peer",
        "manager",
        json!({}),
    );
    let peer = app.login("peer2@servicedesk.test", PASSWORD).access;
    app.post(&peer, &format!("/users/{id}/sessions/revoke"), json!({}))
        .problem(403);
    let acme = app.post(&admin, "/organizations", json!({ "name": "Acme Sessions" }));
    app.create_user(
        &admin,
        "boss@acme-sessions.test",
        "Boss",
        "admin",
        json!({ "org_id": acme.body["id"] }),
    );
    let boss = app.login("boss@acme-sessions.test", PASSWORD).access;
    app.post(&boss, &format!("/users/{id}/sessions/revoke"), json!({}))
        .problem(404);
    app.get(&laptop.access, "/users/me").status_is(200);

    app.post(&admin, &format!("/users/{id}/sessions/revoke"), json!({}))
        .status_is(204);
    // Every session: both access tokens and both refresh tokens are dead.
    for s in [&laptop, &phone] {
        app.get(&s.access, "/users/me").problem(401);
        app.post_anon("/auth/refresh", json!({ "refresh_token": s.refresh }))
            .problem(401);
    }
    // The password still signs in.
    app.login("roamer@servicedesk.test", PASSWORD);
    assert!(
        audit_actions(&app, &org)
            .iter()
            .any(|a| a == "user.sessions_revoke")
    );
    // An unknown id is 404, and a malformed one is refused.
    app.post(
        &admin,
        "/users/00000000-0000-7000-8000-000000000000/sessions/revoke",
        json!({}),
    )
    .problem(404);
}

fn an_admin_reads_whether_a_user_has_two_step_verification(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let user = app.create_user(
        &admin,
        "careful@servicedesk.test",
        "Careful",
        "agent",
        json!({}),
    );
    let id = user["id"].as_str().unwrap().to_owned();
    let r = app.get(&admin, &format!("/users/{id}/mfa"));
    r.status_is(200);
    assert_eq!(r.body["enabled"], false, "{}", r.text);
    let session = app.login("careful@servicedesk.test", PASSWORD);
    enable_mfa_with(&app, &session.access, PASSWORD);
    let r = app.get(&admin, &format!("/users/{id}/mfa"));
    assert_eq!(r.body["enabled"], true, "{}", r.text);
    // Not for the agent themselves reading a colleague, nor across organizations.
    app.create_user(&admin, "nosy@servicedesk.test", "Nosy", "agent", json!({}));
    let nosy = app.login("nosy@servicedesk.test", PASSWORD).access;
    app.get(&nosy, &format!("/users/{id}/mfa")).problem(403);
    app.get(&admin, "/users/00000000-0000-7000-8000-000000000000/mfa")
        .problem(404);
}
