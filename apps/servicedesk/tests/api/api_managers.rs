//! Managers and delegations (issue 10 point 7, the identity side): `PATCH /users/{id}`
//! sets and clears `manager_id` (audited; never the user, never a loop, never a user of
//! another organization); `/users/me/delegations` creates, lists and withdraws the
//! caller's delegations.
//!
//! No leak: a user of another organization named as manager or delegate answers 422
//! `unknown`, exactly like an id that exists nowhere, so the answer does not tell whether
//! the id exists elsewhere. Someone else's delegation id answers 404 like an unknown one.

#![allow(clippy::unwrap_used)]

use chrono::{Days, NaiveDate};
use serde_json::{Value, json};

use crate::common::*;

api_tests!(
    manager_is_set_shown_audited_and_cleared,
    manager_must_not_be_self_a_loop_inactive_or_foreign,
    delegations_are_created_listed_and_withdrawn,
    delegations_refuse_foreign_delegates_and_hide_others_ids,
);

fn today() -> NaiveDate {
    chrono::DateTime::from_timestamp(unix_now(), 0)
        .unwrap()
        .date_naive()
}

fn on(days: u64) -> String {
    today()
        .checked_add_days(Days::new(days))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
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

/// A second organization with an admin and a member; answers (admin token, member id).
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

fn manager_is_set_shown_audited_and_cleared(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let boss = app.create_user(&admin, "boss@example.test", "Boss", "manager", json!({}));
    let ann = app.create_user(&admin, "ann@example.test", "Ann", "requester", json!({}));
    assert!(ann["manager_id"].is_null(), "no manager at first: {ann}");
    let (boss_id, ann_id) = (id_of(&boss), id_of(&ann));

    let r = app.patch(
        &admin,
        &format!("/users/{ann_id}"),
        json!({ "manager_id": boss_id }),
    );
    r.status_is(200);
    assert_eq!(r.body["manager_id"], boss_id.as_str());
    let read = app.get(&admin, &format!("/users/{ann_id}"));
    assert_eq!(read.body["manager_id"], boss_id.as_str());
    let ann_token = app.login("ann@example.test", PASSWORD).access;
    assert_eq!(
        app.get(&ann_token, "/users/me").body["manager_id"],
        boss_id.as_str()
    );
    let listed = app.get(&admin, "/users?limit=200");
    let in_list = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ann_id.as_str());
    assert_eq!(in_list.unwrap()["manager_id"], boss_id.as_str());

    // Another field alone leaves the manager as it is.
    let r = app.patch(
        &admin,
        &format!("/users/{ann_id}"),
        json!({ "name": "Ann B" }),
    );
    r.status_is(200);
    assert_eq!(r.body["manager_id"], boss_id.as_str());

    // The user cannot choose their own manager (their approver).
    let r = app.patch(
        &ann_token,
        &format!("/users/{ann_id}"),
        json!({ "manager_id": null }),
    );
    r.problem(403);

    // null clears it.
    let r = app.patch(
        &admin,
        &format!("/users/{ann_id}"),
        json!({ "manager_id": null }),
    );
    r.status_is(200);
    assert!(r.body["manager_id"].is_null(), "{}", r.body);

    // Both changes are in the audit log as user.update, with before and after.
    let events = app.get(&admin, "/audit-events?limit=200&action=user.update");
    events.status_is(200);
    let changes: Vec<&Value> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_id"] == ann_id.as_str())
        .filter_map(|e| e["detail"].get("manager_id"))
        .collect();
    assert_eq!(
        changes,
        [
            &json!({ "from": boss_id, "to": null }),
            &json!({ "from": null, "to": boss_id }),
        ],
        "newest first"
    );
}

fn manager_must_not_be_self_a_loop_inactive_or_foreign(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let ids: Vec<String> = ["a", "b", "c", "gone"]
        .iter()
        .map(|n| {
            id_of(&app.create_user(&admin, &format!("{n}@example.test"), n, "agent", json!({})))
        })
        .collect();
    let (a, b, c, gone) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let set = |user: &str, manager: &str| {
        app.patch(
            &admin,
            &format!("/users/{user}"),
            json!({ "manager_id": manager }),
        )
    };
    // a reports to b, b to c.
    set(a, b).status_is(200);
    set(b, c).status_is(200);
    assert_eq!(field_codes(&set(a, a)), one("manager_id", "self"));
    assert_eq!(field_codes(&set(c, a)), one("manager_id", "loop"));
    assert_eq!(field_codes(&set(b, a)), one("manager_id", "loop"));
    app.patch(
        &admin,
        &format!("/users/{gone}"),
        json!({ "active": false }),
    )
    .status_is(200);
    assert_eq!(field_codes(&set(c, gone)), one("manager_id", "inactive"));
    // Another organization's user answers exactly like an id that exists nowhere.
    let (_, foreign) = other_org(&app, &admin);
    let unknown = "018f0000-0000-7000-8000-000000000000";
    assert_eq!(field_codes(&set(c, &foreign)), one("manager_id", "unknown"));
    assert_eq!(field_codes(&set(c, unknown)), one("manager_id", "unknown"));
    assert_eq!(
        set(c, &foreign).body["errors"][0]["message"],
        set(c, unknown).body["errors"][0]["message"]
    );
    // Not a UUID: refused before anything is looked up.
    app.patch(
        &admin,
        &format!("/users/{c}"),
        json!({ "manager_id": "boss" }),
    )
    .problem(422);
    // Nothing of the refused changes was stored.
    assert!(app.get(&admin, &format!("/users/{c}")).body["manager_id"].is_null());
    assert_eq!(
        app.get(&admin, &format!("/users/{a}")).body["manager_id"],
        b.as_str()
    );
}

fn delegations_are_created_listed_and_withdrawn(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let boss = app.create_user(&admin, "boss@example.test", "Boss", "manager", json!({}));
    let deputy = app.create_user(&admin, "deputy@example.test", "Deputy", "agent", json!({}));
    let (boss_id, deputy_id) = (id_of(&boss), id_of(&deputy));
    let token = app.login("boss@example.test", PASSWORD).access;
    assert_eq!(app.get(&token, "/users/me/delegations").body, json!([]));

    let later = app.post(
        &token,
        "/users/me/delegations",
        json!({ "delegate_id": deputy_id, "starts_on": on(30), "ends_on": on(40) }),
    );
    later.status_is(201);
    assert_eq!(later.body["user_id"], boss_id.as_str());
    assert_eq!(later.body["delegate_id"], deputy_id.as_str());
    assert_eq!(later.body["starts_on"], on(30).as_str());
    assert_eq!(later.body["ends_on"], on(40).as_str());
    let now = app.post(
        &token,
        "/users/me/delegations",
        json!({ "delegate_id": deputy_id, "starts_on": on(0), "ends_on": on(0) }),
    );
    now.status_is(201);
    let listed = app.get(&token, "/users/me/delegations");
    listed.status_is(200);
    let ids: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id_of(&now.body), id_of(&later.body)], "by start date");

    // Broken rules are named.
    let post = |body: Value| app.post(&token, "/users/me/delegations", body);
    let r = post(json!({ "delegate_id": boss_id, "starts_on": on(1), "ends_on": on(2) }));
    assert_eq!(field_codes(&r), one("delegate_id", "self"));
    let r = post(json!({ "delegate_id": deputy_id, "starts_on": on(5), "ends_on": on(4) }));
    assert_eq!(field_codes(&r), one("ends_on", "before_start"));
    let r = post(json!({ "delegate_id": deputy_id, "starts_on": on(1), "ends_on": on(400) }));
    assert_eq!(field_codes(&r), one("ends_on", "too_long"));
    let r =
        post(json!({ "delegate_id": deputy_id, "starts_on": "2026-02-30", "ends_on": "someday" }));
    assert_eq!(
        field_codes(&r),
        vec![
            ("starts_on".to_owned(), "invalid_date".to_owned()),
            ("ends_on".to_owned(), "invalid_date".to_owned()),
        ]
    );
    post(json!({ "delegate_id": deputy_id, "starts_on": on(1) })).problem(422);
    post(json!({ "delegate_id": deputy_id, "starts_on": on(1), "ends_on": on(2), "x": 1 }))
        .problem(422);

    // Withdrawn: gone from the list; a second time is 404.
    let id = id_of(&later.body);
    app.delete(&token, &format!("/users/me/delegations/{id}"))
        .status_is(204);
    let listed = app.get(&token, "/users/me/delegations");
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
    app.delete(&token, &format!("/users/me/delegations/{id}"))
        .problem(404);

    // Audited, by the giver.
    let events = app.get(&admin, "/audit-events?limit=200&target_kind=delegation");
    events.status_is(200);
    let actions: Vec<(&str, &str)> = events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("delegation.delete", id.as_str()),
            ("delegation.create", id_of(&now.body).as_str()),
            ("delegation.create", id.as_str()),
        ]
    );
    let newest = &events.body["items"][0];
    assert_eq!(newest["actor_id"], boss_id.as_str());
    assert_eq!(newest["detail"]["delegate_id"], deputy_id.as_str());
}

fn delegations_refuse_foreign_delegates_and_hide_others_ids(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let deputy =
        id_of(&app.create_user(&admin, "deputy@example.test", "Deputy", "agent", json!({})));
    let retired = id_of(&app.create_user(&admin, "old@example.test", "Old", "agent", json!({})));
    app.patch(
        &admin,
        &format!("/users/{retired}"),
        json!({ "active": false }),
    )
    .status_is(200);
    let (foreign_admin, foreign) = other_org(&app, &admin);
    let body =
        |delegate: &str| json!({ "delegate_id": delegate, "starts_on": on(1), "ends_on": on(3) });

    let r = app.post(&admin, "/users/me/delegations", body(&foreign));
    assert_eq!(field_codes(&r), one("delegate_id", "unknown"));
    let r = app.post(
        &admin,
        "/users/me/delegations",
        body("018f0000-0000-7000-8000-000000000000"),
    );
    assert_eq!(field_codes(&r), one("delegate_id", "unknown"));
    let r = app.post(&admin, "/users/me/delegations", body(&retired));
    assert_eq!(field_codes(&r), one("delegate_id", "inactive"));

    let mine = app.post(&admin, "/users/me/delegations", body(&deputy));
    mine.status_is(201);
    let id = id_of(&mine.body);
    // Neither the delegate, nor an admin of another organization, finds it.
    let deputy_token = app.login("deputy@example.test", PASSWORD).access;
    for token in [&deputy_token, &foreign_admin] {
        app.delete(token, &format!("/users/me/delegations/{id}"))
            .problem(404);
        assert_eq!(app.get(token, "/users/me/delegations").body, json!([]));
    }
    assert_eq!(
        app.get(&admin, "/users/me/delegations")
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "still there"
    );
}
