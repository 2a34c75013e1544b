//! Issue 9 point 2: the privilege ceiling. Nobody gives a role, or builds a custom role,
//! holding more than they hold themselves; the admin role only by an admin; the platform
//! admin flag only by a platform admin; the last admin of an organization and the last
//! platform admin stay. Every refusal is a 403 problem and leaves the data as it was.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::common::*;

api_tests!(
    user_creator_cannot_create_an_admin_or_a_wider_role,
    user_updater_cannot_promote_or_demote_above_itself,
    custom_role_beyond_own_grants_is_refused,
    custom_role_edit_is_bounded_by_the_editor,
    last_admin_of_an_org_cannot_be_demoted_or_deactivated,
    last_platform_admin_stays_and_the_flag_follows_the_admin_role,
    platform_admin_flag_is_granted_only_by_a_platform_admin,
    concurrent_demotions_leave_an_admin,
);

/// The grants of built-in role `name` as `{permission, scope}` objects.
fn grants_of(app: &TestApp, token: &str, name: &str) -> Vec<Value> {
    let r = app.get(token, "/roles");
    r.status_is(200);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .find(|role| role["name"] == name)
        .unwrap_or_else(|| panic!("no role {name}: {}", r.text))["permissions"]
        .as_array()
        .unwrap()
        .clone()
}

/// A custom role `hr`: everything a requester holds plus creating, reading and updating
/// users of the organization. Returns a signed-in `hr` user's token.
fn hr_user(app: &TestApp, admin: &str) -> String {
    let mut permissions = grants_of(app, admin, "requester");
    permissions.retain(|g| !g["permission"].as_str().unwrap().starts_with("user:"));
    for p in ["user:create", "user:read", "user:update"] {
        permissions.push(json!({ "permission": p, "scope": "org" }));
    }
    app.post(
        admin,
        "/roles",
        json!({ "name": "hr", "permissions": permissions }),
    )
    .status_is(201);
    app.create_user(admin, "hr@example.test", "Hr", "hr", json!({}));
    app.login("hr@example.test", PASSWORD).access
}

fn user_count(app: &TestApp, admin: &str) -> usize {
    let r = app.get(admin, "/users?limit=200");
    r.status_is(200);
    r.body.as_array().unwrap().len()
}

fn user_json(app: &TestApp, admin: &str, id: &str) -> Value {
    let r = app.get(admin, &format!("/users/{id}"));
    r.status_is(200);
    r.body.clone()
}

fn user_body(email: &str, role: &str) -> Value {
    json!({ "email": email, "name": "New", "password": PASSWORD, "role": role })
}

fn user_creator_cannot_create_an_admin_or_a_wider_role(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let hr = hr_user(&app, &admin);
    let before = user_count(&app, &admin);

    for role in ["admin", "manager", "agent"] {
        let r = app.post(
            &hr,
            "/users",
            user_body(&format!("{role}@example.test"), role),
        );
        r.problem(403);
        assert!(
            r.body["detail"].as_str().unwrap().contains("role"),
            "{}",
            r.text
        );
    }
    assert_eq!(
        user_count(&app, &admin),
        before,
        "a refused create writes nothing"
    );
    app.login_raw("admin@example.test", PASSWORD).status_is(401);

    // Within the ceiling it works: hr holds everything a requester holds.
    app.post(&hr, "/users", user_body("req@example.test", "requester"))
        .status_is(201);
    assert_eq!(user_count(&app, &admin), before + 1);
}

fn user_updater_cannot_promote_or_demote_above_itself(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let hr = hr_user(&app, &admin);
    let requester = app.create_user(&admin, "r@example.test", "R", "requester", json!({}));
    let rid = requester["id"].as_str().unwrap();
    let agent = app.create_user(&admin, "a@example.test", "A", "agent", json!({}));
    let aid = agent["id"].as_str().unwrap();
    let second_admin = app.create_user(&admin, "ad@example.test", "Ad", "admin", json!({}));
    let adid = second_admin["id"].as_str().unwrap();

    for role in ["admin", "manager", "agent"] {
        app.patch(&hr, &format!("/users/{rid}"), json!({ "role": role }))
            .problem(403);
    }
    // Someone above the actor can be neither demoted nor deactivated by it.
    app.patch(
        &hr,
        &format!("/users/{aid}"),
        json!({ "role": "requester" }),
    )
    .problem(403);
    app.patch(&hr, &format!("/users/{adid}"), json!({ "active": false }))
        .problem(403);
    app.patch(&hr, &format!("/users/{adid}"), json!({ "role": "hr" }))
        .problem(403);

    assert_eq!(user_json(&app, &admin, rid)["roles"], json!(["requester"]));
    assert_eq!(user_json(&app, &admin, aid)["roles"], json!(["agent"]));
    let ad = user_json(&app, &admin, adid);
    assert_eq!(ad["roles"], json!(["admin"]));
    assert_eq!(ad["active"], json!(true));
    app.login("ad@example.test", PASSWORD);

    // Within the ceiling: a requester may be renamed and deactivated.
    app.patch(&hr, &format!("/users/{rid}"), json!({ "active": false }))
        .status_is(200);
}

fn custom_role_beyond_own_grants_is_refused(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    app.post(
        &admin,
        "/roles",
        json!({ "name": "rolesmith", "permissions": [
            { "permission": "role:manage", "scope": "org" },
            { "permission": "role:read", "scope": "org" },
            { "permission": "incident:read", "scope": "own" },
        ]}),
    )
    .status_is(201);
    app.create_user(&admin, "rs@example.test", "Rs", "rolesmith", json!({}));
    let rs = app.login("rs@example.test", PASSWORD).access;

    let wider = app.post(
        &rs,
        "/roles",
        json!({ "name": "wider", "permissions": [
            { "permission": "incident:read", "scope": "org" },
        ]}),
    );
    wider.problem(403);
    assert!(
        wider.body["detail"]
            .as_str()
            .unwrap()
            .contains("incident:read"),
        "the refusal names the grant: {}",
        wider.text
    );
    app.post(
        &rs,
        "/roles",
        json!({ "name": "other", "permissions": [
            { "permission": "user:create", "scope": "org" },
        ]}),
    )
    .problem(403);
    let names: Vec<String> = app
        .get(&admin, "/roles")
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(!names.contains(&"wider".to_owned()) && !names.contains(&"other".to_owned()));

    // The same grant at an equal or narrower scope is fine.
    app.post(
        &rs,
        "/roles",
        json!({ "name": "narrow", "permissions": [
            { "permission": "incident:read", "scope": "own" },
        ]}),
    )
    .status_is(201);
}

/// A new organization with one admin (created by the platform admin); returns (org id,
/// admin id, admin token).
fn org_with_admin(app: &TestApp, platform: &str, tag: &str) -> (String, String, String) {
    let org = app.post(
        platform,
        "/organizations",
        json!({ "name": format!("Org {tag}") }),
    );
    org.status_is(201);
    let org_id = org.body["id"].as_str().unwrap().to_owned();
    let email = format!("admin-{tag}@example.test");
    let user = app.create_user(
        platform,
        &email,
        "Admin",
        "admin",
        json!({ "org_id": org_id }),
    );
    let token = app.login(&email, PASSWORD).access;
    (org_id, user["id"].as_str().unwrap().to_owned(), token)
}

fn last_admin_of_an_org_cannot_be_demoted_or_deactivated(backend: Backend) {
    let app = TestApp::start(backend);
    let platform = app.admin().access;
    let (_, aid, a) = org_with_admin(&app, &platform, "one");

    let r = app.patch(&a, &format!("/users/{aid}"), json!({ "role": "agent" }));
    r.problem(403);
    assert!(
        r.body["detail"].as_str().unwrap().contains("last"),
        "{}",
        r.text
    );
    app.patch(&a, &format!("/users/{aid}"), json!({ "active": false }))
        .problem(403);
    let me = app.get(&a, "/users/me");
    assert_eq!(me.body["roles"], json!(["admin"]));
    assert_eq!(me.body["active"], json!(true));

    // With a second admin, one of them may go; then the other is the last again.
    let b = app.create_user(&a, "second-one@example.test", "B", "admin", json!({}));
    let bid = b["id"].as_str().unwrap();
    app.patch(&a, &format!("/users/{bid}"), json!({ "active": false }))
        .status_is(200);
    app.patch(&a, &format!("/users/{aid}"), json!({ "role": "manager" }))
        .problem(403);
    app.patch(&a, &format!("/users/{bid}"), json!({ "active": true }))
        .status_is(200);
    app.patch(&a, &format!("/users/{aid}"), json!({ "role": "manager" }))
        .status_is(200);
}

fn last_platform_admin_stays_and_the_flag_follows_the_admin_role(backend: Backend) {
    let app = TestApp::start(backend);
    let platform = app.admin().access;
    let me = app.get(&platform, "/users/me").body;
    let pid = me["id"].as_str().unwrap().to_owned();
    // A second org admin in the default organization: only the platform rule is left.
    let c = app.create_user(&platform, "c@example.test", "C", "admin", json!({}));
    let cid = c["id"].as_str().unwrap().to_owned();

    let r = app.patch(
        &platform,
        &format!("/users/{pid}"),
        json!({ "role": "agent" }),
    );
    r.problem(403);
    assert!(
        r.body["detail"].as_str().unwrap().contains("platform"),
        "{}",
        r.text
    );
    app.patch(
        &platform,
        &format!("/users/{pid}"),
        json!({ "platform_admin": false }),
    )
    .problem(403);
    app.post(
        &platform,
        "/organizations",
        json!({ "name": "Still platform" }),
    )
    .status_is(201);

    // Hand the flag to C; then the first may step down, and loses the flag with the role.
    app.patch(
        &platform,
        &format!("/users/{cid}"),
        json!({ "platform_admin": true }),
    )
    .status_is(200);
    let c_token = app.login("c@example.test", PASSWORD).access;
    app.post(&c_token, "/organizations", json!({ "name": "By C" }))
        .status_is(201);
    app.patch(
        &platform,
        &format!("/users/{pid}"),
        json!({ "role": "agent" }),
    )
    .status_is(200);
    let old = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).access;
    app.post(&old, "/organizations", json!({ "name": "Not any more" }))
        .problem(403);
    // Made admin again, the flag does not come back by itself.
    app.patch(
        &c_token,
        &format!("/users/{pid}"),
        json!({ "role": "admin" }),
    )
    .status_is(200);
    let old = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).access;
    app.post(&old, "/organizations", json!({ "name": "Still not" }))
        .problem(403);
}

fn platform_admin_flag_is_granted_only_by_a_platform_admin(backend: Backend) {
    let app = TestApp::start(backend);
    let platform = app.admin().access;
    let (_, aid, a) = org_with_admin(&app, &platform, "two");
    let b = app.create_user(&a, "second-two@example.test", "B", "admin", json!({}));
    let bid = b["id"].as_str().unwrap();

    for id in [aid.as_str(), bid] {
        let r = app.patch(
            &a,
            &format!("/users/{id}"),
            json!({ "platform_admin": true }),
        );
        r.problem(403);
        assert!(
            r.body["detail"].as_str().unwrap().contains("platform"),
            "{}",
            r.text
        );
    }
    for (email, token) in [
        ("admin-two@example.test", a.clone()),
        (
            "second-two@example.test",
            app.login("second-two@example.test", PASSWORD).access,
        ),
    ] {
        let t = app.login(email, PASSWORD).access;
        app.post(
            &t,
            "/organizations",
            json!({ "name": format!("by {email}") }),
        )
        .problem(403);
        app.get(&token, "/users/me").status_is(200);
    }

    // The platform admin may grant it, but only to an admin.
    let req = app.create_user(
        &platform,
        "req-two@example.test",
        "R",
        "requester",
        json!({}),
    );
    let rid = req["id"].as_str().unwrap();
    let r = app.patch(
        &platform,
        &format!("/users/{rid}"),
        json!({ "platform_admin": true }),
    );
    r.problem(422);
    let rt = app.login("req-two@example.test", PASSWORD).access;
    app.post(&rt, "/organizations", json!({ "name": "by requester" }))
        .problem(403);
}

fn concurrent_demotions_leave_an_admin(backend: Backend) {
    let app = TestApp::start(backend);
    let platform = app.admin().access;
    for round in 0..3 {
        let (_, aid, a) = org_with_admin(&app, &platform, &format!("race{round}"));
        let b = app.create_user(
            &a,
            &format!("b-race{round}@example.test"),
            "B",
            "admin",
            json!({}),
        );
        let bid = b["id"].as_str().unwrap().to_owned();
        let observer_email = format!("m-race{round}@example.test");
        app.create_user(&a, &observer_email, "M", "manager", json!({}));
        let observer = app.login(&observer_email, PASSWORD).access;
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let ha = s.spawn(|| {
                app.patch(&a, &format!("/users/{aid}"), json!({ "role": "agent" }))
                    .status
            });
            let hb = s.spawn(|| {
                app.patch(&a, &format!("/users/{bid}"), json!({ "active": false }))
                    .status
            });
            vec![ha.join().unwrap(), hb.join().unwrap()]
        });
        let ok = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(ok, 1, "exactly one demotion passes: {statuses:?}");
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 403),
            "the other is refused, not failed: {statuses:?}"
        );
        let left: Vec<Value> = [&aid, &bid]
            .iter()
            .map(|id| user_json(&app, &observer, id))
            .collect();
        let admins = left
            .iter()
            .filter(|u| u["active"] == json!(true) && u["roles"] == json!(["admin"]))
            .count();
        assert_eq!(admins, 1, "one active admin is left: {left:?}");
    }
}

fn put(app: &TestApp, token: &str, path: &str, body: Value) -> Resp {
    app.request("PUT", &api(path))
        .bearer(token)
        .json(&body)
        .send()
}

fn role_grants(app: &TestApp, admin: &str, name: &str) -> Value {
    let roles = app.get(admin, "/roles").body;
    roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no role {name}"))["permissions"]
        .clone()
}

fn custom_role_edit_is_bounded_by_the_editor(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let own_read = json!([{ "permission": "incident:read", "scope": "own" }]);
    app.post(
        &admin,
        "/roles",
        json!({ "name": "rolesmith", "permissions": [
            { "permission": "role:manage", "scope": "org" },
            { "permission": "role:read", "scope": "org" },
            { "permission": "incident:read", "scope": "own" },
        ]}),
    )
    .status_is(201);
    app.post(
        &admin,
        "/roles",
        json!({ "name": "helpdesk", "permissions": own_read }),
    )
    .status_is(201);
    app.post(
        &admin,
        "/roles",
        json!({ "name": "big", "permissions": [{ "permission": "incident:read", "scope": "org" }] }),
    )
    .status_is(201);
    app.create_user(&admin, "rs@example.test", "Rs", "rolesmith", json!({}));
    let rs = app.login("rs@example.test", PASSWORD).access;
    let smith_before = role_grants(&app, &admin, "rolesmith");
    let big_before = role_grants(&app, &admin, "big");

    // Widening a role beyond one's own grants, one's own role included: 403, unchanged.
    let wider = json!({ "permissions": [{ "permission": "incident:read", "scope": "org" }] });
    put(&app, &rs, "/roles/helpdesk", wider.clone()).problem(403);
    assert_eq!(role_grants(&app, &admin, "helpdesk"), own_read);
    let mut self_escalation = smith_before.as_array().unwrap().clone();
    self_escalation.push(json!({ "permission": "user:create", "scope": "org" }));
    put(
        &app,
        &rs,
        "/roles/rolesmith",
        json!({ "permissions": self_escalation }),
    )
    .problem(403);
    assert_eq!(role_grants(&app, &admin, "rolesmith"), smith_before);
    // A role above the editor cannot be changed by it, not even narrowed.
    put(&app, &rs, "/roles/big", json!({ "permissions": [] })).problem(403);
    assert_eq!(role_grants(&app, &admin, "big"), big_before);
    // Built-in and unknown roles are not custom roles of the organization.
    put(&app, &admin, "/roles/admin", json!({ "permissions": [] })).problem(404);
    put(&app, &admin, "/roles/nobody", json!({ "permissions": [] })).problem(404);
    put(
        &app,
        &admin,
        "/roles/helpdesk",
        json!({ "permissions": [{ "permission": "no:such" }] }),
    )
    .problem(422);

    // Within the ceiling the edit goes through, and is audited.
    let within = json!({ "permissions": [
        { "permission": "incident:read", "scope": "own" },
        { "permission": "role:read", "scope": "org" },
    ]});
    let r = put(&app, &rs, "/roles/helpdesk", within);
    r.status_is(200);
    assert_eq!(r.body["permissions"].as_array().unwrap().len(), 2);
    assert_eq!(
        role_grants(&app, &admin, "helpdesk")
            .as_array()
            .unwrap()
            .len(),
        2
    );
    put(&app, &admin, "/roles/big", json!({ "permissions": [] })).status_is(200);
    let events = app.get(&admin, "/audit-events?action=role.update").body;
    assert_eq!(events["items"].as_array().unwrap().len(), 2, "{events}");
}
