//! What the web console's administration pages need from the API: a user's time zone
//! (`PATCH /users/{id}` by administrators and by users themselves, shown by every user
//! read, audited), deleting custom roles (`DELETE /roles/{name}`: built-in roles are fixed,
//! a role users still hold is refused with 409 naming how many, audited) and removing team
//! members (`DELETE /teams/{id}/members/{user_id}`, audited). Everyone without the
//! permission gets 403; another organization's ids answer 404 like unknown ones.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::common::*;

api_tests!(
    time_zone_is_set_shown_cleared_and_audited,
    users_set_their_own_time_zone_and_name_but_never_their_roles,
    a_bad_time_zone_is_422_and_changes_nothing,
    custom_role_is_deleted_audited_and_gone_from_the_list,
    deleting_a_role_refuses_built_ins_unknown_foreign_and_unauthorised_callers,
    a_role_in_use_is_409_naming_its_holders,
    team_member_is_removed_and_audited,
    removing_a_member_refuses_unauthorised_callers_and_foreign_ids,
);

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

fn put(app: &TestApp, token: &str, path: &str, body: Value) -> Resp {
    app.request("PUT", &api(path))
        .bearer(token)
        .json(&body)
        .send()
}

#[track_caller]
fn field_codes(r: &Resp) -> Vec<(String, String)> {
    r.problem(422);
    r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn one(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_owned(), code.to_owned())]
}

/// The audit entries of the caller's organization with `action`, newest first.
fn audited(app: &TestApp, admin: &str, action: &str) -> Vec<Value> {
    let r = app.get(admin, &format!("/audit-events?limit=200&action={action}"));
    r.status_is(200);
    r.body["items"].as_array().unwrap().clone()
}

fn role_names(app: &TestApp, token: &str) -> Vec<String> {
    let r = app.get(token, "/roles");
    r.status_is(200);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

fn create_role(app: &TestApp, token: &str, name: &str, permissions: Value) {
    app.post(
        token,
        "/roles",
        json!({ "name": name, "permissions": permissions }),
    )
    .status_is(201);
}

/// A second organization with an admin and an agent; answers (admin token, agent id).
fn other_org(app: &TestApp, platform: &str) -> (String, String) {
    let org = app.post(platform, "/organizations", json!({ "name": "Elsewhere" }));
    org.status_is(201);
    let org_id = id_of(&org.body);
    app.create_user(
        platform,
        "boss@elsewhere.test",
        "Boss",
        "admin",
        json!({ "org_id": org_id }),
    );
    let member = app.create_user(
        platform,
        "member@elsewhere.test",
        "Member",
        "agent",
        json!({ "org_id": org_id }),
    );
    (
        app.login("boss@elsewhere.test", PASSWORD).access,
        id_of(&member),
    )
}

/// Signs in a new user of the default organization with `role`; answers (token, id).
fn signed_in(app: &TestApp, admin: &str, email: &str, role: &str) -> (String, String) {
    let u = app.create_user(admin, email, email, role, json!({}));
    (app.login(email, PASSWORD).access, id_of(&u))
}

fn time_zone_is_set_shown_cleared_and_audited(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let ann = app.create_user(&admin, "ann@example.test", "Ann", "requester", json!({}));
    assert!(ann["time_zone"].is_null(), "absent means UTC: {ann}");
    let ann_id = id_of(&ann);
    let path = format!("/users/{ann_id}");

    let r = app.patch(&admin, &path, json!({ "time_zone": "Europe/Berlin" }));
    r.status_is(200);
    assert_eq!(r.body["time_zone"], "Europe/Berlin");
    assert_eq!(app.get(&admin, &path).body["time_zone"], "Europe/Berlin");
    let listed = app.get(&admin, "/users?limit=200");
    let in_list = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ann_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(in_list["time_zone"], "Europe/Berlin");
    let ann_token = app.login("ann@example.test", PASSWORD).access;
    assert_eq!(
        app.get(&ann_token, "/users/me").body["time_zone"],
        "Europe/Berlin"
    );

    // Another field alone leaves it; null clears it.
    let r = app.patch(&admin, &path, json!({ "name": "Ann B" }));
    r.status_is(200);
    assert_eq!(r.body["time_zone"], "Europe/Berlin");
    let r = app.patch(&admin, &path, json!({ "time_zone": null }));
    r.status_is(200);
    assert!(r.body["time_zone"].is_null(), "{}", r.body);
    assert!(app.get(&ann_token, "/users/me").body["time_zone"].is_null());

    // Both changes are user.update entries with before and after, newest first.
    let changes: Vec<Value> = audited(&app, &admin, "user.update")
        .iter()
        .filter(|e| e["target_id"] == ann_id.as_str())
        .filter_map(|e| e["detail"].get("time_zone").cloned())
        .collect();
    assert_eq!(
        changes,
        [
            json!({ "from": "Europe/Berlin", "to": null }),
            json!({ "from": null, "to": "Europe/Berlin" }),
        ]
    );
}

fn users_set_their_own_time_zone_and_name_but_never_their_roles(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    for (email, role) in [
        ("req@example.test", "requester"),
        ("agent@example.test", "agent"),
        ("lead@example.test", "manager"),
    ] {
        let (token, id) = signed_in(&app, &admin, email, role);
        let path = format!("/users/{id}");
        let r = app.patch(
            &token,
            &path,
            json!({ "time_zone": "America/New_York", "name": "Renamed" }),
        );
        r.status_is(200);
        assert_eq!(r.body["time_zone"], "America/New_York", "{role}");
        assert_eq!(r.body["name"], "Renamed", "{role}");

        // Never their own roles, not even alongside a time zone: 403, nothing changed.
        for body in [
            json!({ "role": "admin" }),
            json!({ "time_zone": "Asia/Tokyo", "role": "admin" }),
            json!({ "time_zone": "Asia/Tokyo", "active": false }),
        ] {
            app.patch(&token, &path, body.clone()).problem(403);
        }
        let me = app.get(&token, "/users/me").body;
        assert_eq!(me["roles"], json!([role]), "{role}");
        assert_eq!(me["time_zone"], "America/New_York", "{role}");
        assert_eq!(me["active"], true);

        // Nor anyone else's time zone.
        let admin_id = app.get(&admin, "/users/me").body["id"].clone();
        app.patch(
            &token,
            &format!("/users/{}", admin_id.as_str().unwrap()),
            json!({ "time_zone": "Asia/Tokyo" }),
        )
        .problem(403);
    }
    assert!(app.get(&admin, "/users/me").body["time_zone"].is_null());

    // Another organization's admin cannot reach our users: 404, like an unknown id.
    let (boss, _) = other_org(&app, &admin);
    let ours = id_of(&app.create_user(&admin, "ours@example.test", "Ours", "agent", json!({})));
    app.patch(
        &boss,
        &format!("/users/{ours}"),
        json!({ "time_zone": "Asia/Tokyo" }),
    )
    .problem(404);
    assert!(app.get(&admin, &format!("/users/{ours}")).body["time_zone"].is_null());
}

fn a_bad_time_zone_is_422_and_changes_nothing(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (token, id) = signed_in(&app, &admin, "tz@example.test", "agent");
    let path = format!("/users/{id}");
    app.patch(&admin, &path, json!({ "time_zone": "Europe/Lisbon" }))
        .status_is(200);
    let before = app.get(&admin, &path).body;
    let events = audited(&app, &admin, "user.update").len();

    for bad in ["Mars/Olympus_Mons", "europe/berlin", "UTC+02:00", "", " "] {
        for caller in [&admin, &token] {
            let r = app.patch(
                caller,
                &path,
                json!({ "time_zone": bad, "name": "Not Applied" }),
            );
            assert_eq!(field_codes(&r), one("time_zone", "unknown"), "{bad:?}");
        }
    }
    // Not a string at all: 422 as well, never a 500.
    for bad in [
        json!(42),
        json!(["Europe/Berlin"]),
        json!({ "zone": "UTC" }),
    ] {
        app.patch(&admin, &path, json!({ "time_zone": bad }))
            .problem(422);
    }
    assert_eq!(app.get(&admin, &path).body, before, "nothing changed");
    assert_eq!(audited(&app, &admin, "user.update").len(), events);
}

fn custom_role_is_deleted_audited_and_gone_from_the_list(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let admin_id = app.get(&admin, "/users/me").body["id"].clone();
    create_role(
        &app,
        &admin,
        "auditor",
        json!([{ "permission": "audit_event:read" }]),
    );
    create_role(&app, &admin, "keeper", json!([]));
    assert!(role_names(&app, &admin).contains(&"auditor".to_owned()));

    let r = app.delete(&admin, "/roles/auditor");
    r.status_is(204);
    assert!(r.text.is_empty(), "{}", r.text);
    let names = role_names(&app, &admin);
    assert!(!names.contains(&"auditor".to_owned()), "{names:?}");
    assert!(names.contains(&"keeper".to_owned()), "{names:?}");
    // Gone: deleting, editing or granting it again finds nothing.
    app.delete(&admin, "/roles/auditor").problem(404);
    put(&app, &admin, "/roles/auditor", json!({ "permissions": [] })).problem(404);
    let r = app.post(
        &admin,
        "/users",
        json!({ "email": "late@example.test", "name": "Late", "password": PASSWORD, "role": "auditor" }),
    );
    assert_eq!(field_codes(&r), one("role", "unknown"));
    // The name is free again.
    create_role(&app, &admin, "auditor", json!([]));

    let deletions = audited(&app, &admin, "role.delete");
    assert_eq!(deletions.len(), 1, "{deletions:?}");
    let entry = &deletions[0];
    assert_eq!(entry["target_kind"], "role");
    assert_eq!(entry["target_id"], "auditor");
    assert_eq!(entry["actor_id"], admin_id);
    assert_eq!(
        entry["detail"]["grants"],
        json!([{ "permission": "audit_event:read", "scope": "org" }])
    );
}

fn deleting_a_role_refuses_built_ins_unknown_foreign_and_unauthorised_callers(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    create_role(
        &app,
        &admin,
        "big",
        json!([{ "permission": "incident:read", "scope": "org" }]),
    );

    // Built-in roles are fixed: 422 naming `name`, even for an admin.
    for builtin in ["admin", "manager", "agent", "requester"] {
        let r = app.delete(&admin, &format!("/roles/{builtin}"));
        assert_eq!(field_codes(&r), one("name", "builtin"), "{builtin}");
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("built-in"),
            "{}",
            r.text
        );
    }
    // Unknown names, including ones the path pattern excludes.
    app.delete(&admin, "/roles/nobody").problem(404);
    app.delete(&admin, "/roles/Not%20A%20Role").problem(404);

    // Another organization's role is not ours to see: 404, and it stays.
    let (boss, _) = other_org(&app, &admin);
    create_role(&app, &boss, "theirs", json!([]));
    app.delete(&admin, "/roles/theirs").problem(404);
    assert!(role_names(&app, &boss).contains(&"theirs".to_owned()));

    // Without role:manage: 403, whatever the role; without a token: 401.
    for (email, role) in [
        ("lead@example.test", "manager"),
        ("agent@example.test", "agent"),
        ("req@example.test", "requester"),
    ] {
        let (token, _) = signed_in(&app, &admin, email, role);
        app.delete(&token, "/roles/big").problem(403);
        app.delete(&token, "/roles/admin").problem(403);
    }
    app.request("DELETE", &api("/roles/big"))
        .send()
        .problem(401);

    // role:manage, but less than the role grants: 403 (nobody removes a role above them).
    create_role(
        &app,
        &admin,
        "rolesmith",
        json!([
            { "permission": "role:manage", "scope": "org" },
            { "permission": "role:read", "scope": "org" },
            { "permission": "incident:read", "scope": "own" },
        ]),
    );
    let (smith, _) = signed_in(&app, &admin, "smith@example.test", "rolesmith");
    app.delete(&smith, "/roles/big").problem(403);
    assert!(role_names(&app, &admin).contains(&"big".to_owned()));
    // Within the ceiling the same caller may.
    create_role(
        &app,
        &admin,
        "small",
        json!([{ "permission": "incident:read", "scope": "own" }]),
    );
    app.delete(&smith, "/roles/small").status_is(204);
    assert!(audited(&app, &admin, "role.delete").len() == 1);
}

fn a_role_in_use_is_409_naming_its_holders(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    create_role(
        &app,
        &admin,
        "helpdesk",
        json!([{ "permission": "incident:read", "scope": "own" }]),
    );
    let first = id_of(&app.create_user(&admin, "h1@example.test", "H1", "helpdesk", json!({})));
    let second = id_of(&app.create_user(&admin, "h2@example.test", "H2", "helpdesk", json!({})));
    // A deactivated holder still holds the role (reactivating would need it).
    app.patch(
        &admin,
        &format!("/users/{second}"),
        json!({ "active": false }),
    )
    .status_is(200);

    let r = app.delete(&admin, "/roles/helpdesk");
    r.problem(409);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("held by 2 users"), "{detail}");
    assert!(role_names(&app, &admin).contains(&"helpdesk".to_owned()));
    for id in [&first, &second] {
        assert_eq!(
            app.get(&admin, &format!("/users/{id}")).body["roles"],
            json!(["helpdesk"])
        );
    }

    app.patch(
        &admin,
        &format!("/users/{first}"),
        json!({ "role": "agent" }),
    )
    .status_is(200);
    let r = app.delete(&admin, "/roles/helpdesk");
    r.problem(409);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("held by 1 user:"),
        "{}",
        r.text
    );
    app.patch(
        &admin,
        &format!("/users/{second}"),
        json!({ "role": "requester" }),
    )
    .status_is(200);
    app.delete(&admin, "/roles/helpdesk").status_is(204);
    assert!(!role_names(&app, &admin).contains(&"helpdesk".to_owned()));
    // Refusals wrote nothing; the deletion one entry.
    assert_eq!(audited(&app, &admin, "role.delete").len(), 1);
}

fn team_member_is_removed_and_audited(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let admin_id = app.get(&admin, "/users/me").body["id"].clone();
    let make_team = |name: &str| {
        let r = app.post(&admin, "/teams", json!({ "name": name }));
        r.status_is(201);
        id_of(&r.body)
    };
    let (network, desk) = (make_team("Network"), make_team("Desk"));
    let ann = id_of(&app.create_user(
        &admin,
        "ann@example.test",
        "Ann",
        "agent",
        json!({ "team_ids": [network, desk] }),
    ));
    let user_teams = |id: &str| -> Vec<String> {
        let mut teams: Vec<String> = app.get(&admin, &format!("/users/{id}")).body["team_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        teams.sort();
        teams
    };

    let r = app.delete(&admin, &format!("/teams/{network}/members/{ann}"));
    r.status_is(204);
    assert_eq!(
        user_teams(&ann),
        std::slice::from_ref(&desk),
        "only that membership goes"
    );
    // Not a member any more: 404, and nothing is recorded.
    app.delete(&admin, &format!("/teams/{network}/members/{ann}"))
        .problem(404);
    // Added back, removed again by a manager (the permission that adds members).
    app.post(
        &admin,
        &format!("/teams/{network}/members"),
        json!({ "user_id": ann }),
    )
    .status_is(204);
    let (lead, _) = signed_in(&app, &admin, "lead@example.test", "manager");
    app.delete(&lead, &format!("/teams/{network}/members/{ann}"))
        .status_is(204);
    assert_eq!(user_teams(&ann), std::slice::from_ref(&desk));

    let removals = audited(&app, &admin, "team.member_remove");
    assert_eq!(removals.len(), 2, "{removals:?}");
    let first = removals.last().unwrap();
    assert_eq!(first["target_kind"], "team");
    assert_eq!(first["target_id"], network.as_str());
    assert_eq!(first["actor_id"], admin_id);
    assert_eq!(first["detail"]["user_id"], ann.as_str());
}

fn removing_a_member_refuses_unauthorised_callers_and_foreign_ids(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let team = app.post(&admin, "/teams", json!({ "name": "Network" }));
    team.status_is(201);
    let team = id_of(&team.body);
    let ann = id_of(&app.create_user(
        &admin,
        "ann@example.test",
        "Ann",
        "agent",
        json!({ "team_ids": [team] }),
    ));
    let path = format!("/teams/{team}/members/{ann}");

    // Agents and requesters (members or not) lack team:manage: 403; no token: 401.
    let ann_token = app.login("ann@example.test", PASSWORD).access;
    let (req, _) = signed_in(&app, &admin, "req@example.test", "requester");
    for token in [&ann_token, &req] {
        app.delete(token, &path).problem(403);
    }
    app.request("DELETE", &api(&path)).send().problem(401);

    // Another organization's team or user, an unknown team, a malformed id: 404.
    let (boss, theirs) = other_org(&app, &admin);
    let their_team = app.post(&boss, "/teams", json!({ "name": "Theirs" }));
    their_team.status_is(201);
    let their_team = id_of(&their_team.body);
    app.post(
        &boss,
        &format!("/teams/{their_team}/members"),
        json!({ "user_id": theirs }),
    )
    .status_is(204);
    let unknown = "018f0000-0000-7000-8000-000000000000";
    for foreign in [
        format!("/teams/{their_team}/members/{theirs}"),
        format!("/teams/{team}/members/{theirs}"),
        format!("/teams/{unknown}/members/{ann}"),
        format!("/teams/{team}/members/{unknown}"),
        format!("/teams/not-a-uuid/members/{ann}"),
    ] {
        app.delete(&admin, &foreign).problem(404);
    }
    // The other organization's admin cannot touch ours either.
    app.delete(&boss, &path).problem(404);

    // Nothing was removed anywhere, nothing recorded.
    let ann_teams = app.get(&admin, &format!("/users/{ann}")).body["team_ids"].clone();
    assert_eq!(ann_teams, json!([team]));
    let their_member = app.get(&boss, &format!("/users/{theirs}")).body["team_ids"].clone();
    assert_eq!(their_member, json!([their_team]));
    assert!(audited(&app, &admin, "team.member_remove").is_empty());
    assert!(audited(&app, &boss, "team.member_remove").is_empty());
}
