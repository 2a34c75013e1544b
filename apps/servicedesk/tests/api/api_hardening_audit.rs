//! Issue 9 point 7 (and the audit bits of 17): administration writes land in the
//! hash-chained audit log; `GET /audit-events` shows it to the organization's admins
//! (filters, cursor paging, tenancy); `servicedesk audit verify` checks every chain and
//! names the first bad record; duplicate organization names are 409; custom roles carry
//! their real creation time.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::process::Command;

use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};

use crate::common::*;

api_tests!(
    administration_writes_are_audited,
    audit_events_filter_and_page,
    audit_events_are_for_admins_of_the_organization,
    audit_verify_cli_names_the_first_bad_record,
    duplicate_organization_name_is_409,
    custom_role_created_at_is_real,
    audit_event_filters_are_what_the_document_declares,
);

/// Every entry of the caller's (or `org`'s) audit log, newest first, through the pages.
fn all_events(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/audit-events?limit=200{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(token, &path);
        r.status_is(200);
        out.extend(r.body["items"].as_array().unwrap().iter().cloned());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

fn administration_writes_are_audited(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let me = app.get(&admin, "/users/me").body;
    let admin_id = me["id"].as_str().unwrap().to_owned();

    let u = app.create_user(&admin, "u@example.test", "U", "requester", json!({}));
    let uid = u["id"].as_str().unwrap().to_owned();
    app.patch(
        &admin,
        &format!("/users/{uid}"),
        json!({ "name": "Ursula" }),
    )
    .status_is(200);
    app.patch(&admin, &format!("/users/{uid}"), json!({ "role": "agent" }))
        .status_is(200);
    app.patch(&admin, &format!("/users/{uid}"), json!({ "active": false }))
        .status_is(200);
    let team = app.post(&admin, "/teams", json!({ "name": "Network" }));
    team.status_is(201);
    let tid = team.body["id"].as_str().unwrap().to_owned();
    app.post(
        &admin,
        &format!("/teams/{tid}/members"),
        json!({ "user_id": uid }),
    )
    .status_is(204);
    // A repeated membership is a no-op and records nothing.
    app.post(
        &admin,
        &format!("/teams/{tid}/members"),
        json!({ "user_id": uid }),
    )
    .status_is(204);
    app.post(
        &admin,
        "/roles",
        json!({ "name": "auditor", "permissions": [{ "permission": "audit_event:read" }] }),
    )
    .status_is(201);
    let org = app.post(&admin, "/organizations", json!({ "name": "Second" }));
    org.status_is(201);
    let org2 = org.body["id"].as_str().unwrap().to_owned();

    let events = all_events(&app, &admin, "");
    let got = actions(&events);
    for expected in [
        "user.bootstrap",
        "user.create",
        "user.update",
        "user.role_change",
        "user.deactivate",
        "team.create",
        "team.member_add",
        "role.create",
    ] {
        assert!(
            got.contains(&expected.to_owned()),
            "{expected} missing from {got:?}"
        );
    }
    assert_eq!(
        got.iter().filter(|a| *a == "team.member_add").count(),
        1,
        "{got:?}"
    );
    // Newest first, consecutive sequence numbers, each linked to the one before.
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] == w[1] + 1), "{seqs:?}");
    for w in events.windows(2) {
        assert_eq!(w[0]["prev_hash"], w[1]["hash"]);
    }
    let role_change = events
        .iter()
        .find(|e| e["action"] == "user.role_change")
        .unwrap();
    assert_eq!(role_change["actor_id"], json!(admin_id));
    assert_eq!(role_change["target_kind"], "user");
    assert_eq!(role_change["target_id"], json!(uid));
    assert_eq!(
        role_change["detail"]["roles"],
        json!({ "from": ["requester"], "to": ["agent"] })
    );
    let create = events
        .iter()
        .find(|e| e["action"] == "user.create")
        .unwrap();
    assert!(
        !create.to_string().contains("argon2") && !create.to_string().contains(PASSWORD),
        "no secrets in the audit log: {create}"
    );

    // The new organization's chain starts with its creation, by the platform admin.
    let theirs = all_events(&app, &admin, &format!("&org={org2}"));
    assert_eq!(actions(&theirs), vec!["organization.create".to_owned()]);
    assert_eq!(theirs[0]["actor_id"], json!(admin_id));
    assert_eq!(theirs[0]["seq"], 1);

    // Settings writes of the new organization land in its chain too.
    app.patch(
        &admin,
        &format!("/organizations/{org2}/settings"),
        json!({ "auto_close_days": 5 }),
    )
    .status_is(200);
    let theirs = all_events(&app, &admin, &format!("&org={org2}"));
    assert_eq!(theirs[0]["action"], "organization.settings");
}

fn audit_events_filter_and_page(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let other_admin = app.create_user(&admin, "second@example.test", "Second", "admin", json!({}));
    let other = app.login("second@example.test", PASSWORD).access;
    let other_id = other_admin["id"].as_str().unwrap().to_owned();
    let before_teams = unix_now();
    for i in 0..5 {
        app.post(&other, "/teams", json!({ "name": format!("Team {i}") }))
            .status_is(201);
    }
    let everything = all_events(&app, &admin, "");
    assert!(everything.len() >= 7, "{everything:?}");

    // Paging: limit 2, newest first, no duplicates, ends, and adds up to everything.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/audit-events?limit=2".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = app.get(&admin, &path);
        r.status_is(200);
        let items = r.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|e| e["seq"].as_i64().unwrap()));
        pages += 1;
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 50, "paging does not end");
    }
    let distinct: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), seen.len(), "no entry twice: {seen:?}");
    assert_eq!(seen.len(), everything.len());
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );
    let default_page = app.get(&admin, "/audit-events");
    default_page.status_is(200);
    assert_eq!(
        default_page.body["items"].as_array().unwrap().len(),
        everything.len().min(50)
    );

    // Filters.
    let by_action = all_events(&app, &admin, "&action=team.create");
    assert_eq!(by_action.len(), 5);
    let by_actor = all_events(&app, &admin, &format!("&actor={other_id}"));
    assert_eq!(by_actor.len(), 5);
    assert!(by_actor.iter().all(|e| e["actor_id"] == json!(other_id)));
    let by_target = all_events(
        &app,
        &admin,
        &format!("&target_kind=user&target_id={other_id}"),
    );
    assert_eq!(actions(&by_target), vec!["user.create".to_owned()]);
    let future = "2999-01-01T00:00:00Z";
    assert!(all_events(&app, &admin, &format!("&from={future}")).is_empty());
    let since = chrono::DateTime::from_timestamp(before_teams - 1, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let recent = all_events(&app, &admin, &format!("&from={since}&to={future}"));
    assert!(recent.len() >= 5 && recent.len() < everything.len() + 1);
    let old = all_events(&app, &admin, "&to=2000-01-01T00:00:00Z");
    assert!(old.is_empty());

    // Bad paging input is a 4xx problem, never a 500.
    app.get(&admin, "/audit-events?limit=201").problem(422);
    app.get(&admin, "/audit-events?limit=0").problem(422);
    app.get(&admin, "/audit-events?cursor=not-a-cursor")
        .problem(422);
    let r = app.get(
        &admin,
        &format!("/audit-events?from={future}&to=2000-01-01T00:00:00Z"),
    );
    r.problem(422);
    let r = app.get(&admin, "/audit-events?actor=not-a-uuid");
    assert!(r.status == 400 || r.status == 422, "{}", r.text);
    r.problem(r.status);
}

fn audit_events_are_for_admins_of_the_organization(backend: Backend) {
    let app = TestApp::start(backend);
    let platform = app.admin().access;
    let org = app.post(&platform, "/organizations", json!({ "name": "Tenant" }));
    let org2 = org.body["id"].as_str().unwrap().to_owned();
    app.create_user(
        &platform,
        "t-admin@example.test",
        "T",
        "admin",
        json!({ "org_id": org2 }),
    );
    let tenant_admin = app.login("t-admin@example.test", PASSWORD).access;
    app.post(&tenant_admin, "/teams", json!({ "name": "Tenant team" }))
        .status_is(201);
    for role in ["agent", "manager", "requester"] {
        let email = format!("{role}@example.test");
        app.create_user(&platform, &email, role, role, json!({}));
        let t = app.login(&email, PASSWORD).access;
        app.get(&t, "/audit-events").problem(403);
    }
    // A custom role with audit_event:read may read.
    app.post(
        &platform,
        "/roles",
        json!({ "name": "auditor", "permissions": [{ "permission": "audit_event:read" }] }),
    )
    .status_is(201);
    app.create_user(&platform, "auditor@example.test", "A", "auditor", json!({}));
    let auditor = app.login("auditor@example.test", PASSWORD).access;
    app.get(&auditor, "/audit-events").status_is(200);

    // The tenant admin sees its own chain and nothing of the default organization.
    let own = all_events(&app, &tenant_admin, "");
    assert!(own.iter().all(|e| e["org_id"] == json!(org2)), "{own:?}");
    assert!(actions(&own).contains(&"team.create".to_owned()));
    let default_org = app.get(&platform, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&tenant_admin, &format!("/audit-events?org={default_org}"))
        .problem(404);
    app.get(&auditor, &format!("/audit-events?org={org2}"))
        .problem(404);
    // The platform admin may look into any organization; an unknown one is 404.
    let theirs = all_events(&app, &platform, &format!("&org={org2}"));
    assert_eq!(theirs.len(), own.len());
    app.get(
        &platform,
        &format!("/audit-events?org={}", uuid::Uuid::new_v4()),
    )
    .problem(404);
    app.request("GET", &api("/audit-events"))
        .send()
        .problem(401);
}

/// Runs `servicedesk audit verify` against the app's database.
fn verify_cli(app: &TestApp, extra: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_servicedesk"))
        .args([
            "--database-url",
            &app.config.database_url,
            "audit",
            "verify",
        ])
        .args(extra)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn execute_sql(app: &TestApp, backend: Backend, sql: &str) -> usize {
    match backend {
        Backend::Sqlite => {
            let mut c =
                diesel::sqlite::SqliteConnection::establish(&app.config.database_url).unwrap();
            diesel::sql_query(sql).execute(&mut c).unwrap()
        }
        Backend::Postgres => {
            let mut c = diesel::pg::PgConnection::establish(&app.config.database_url).unwrap();
            diesel::sql_query(sql).execute(&mut c).unwrap()
        }
    }
}

fn audit_verify_cli_names_the_first_bad_record(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let org = app.post(&admin, "/organizations", json!({ "name": "Other" }));
    let org2 = org.body["id"].as_str().unwrap().to_owned();
    for i in 0..4 {
        app.post(&admin, "/teams", json!({ "name": format!("T{i}") }))
            .status_is(201);
    }
    let default_org = app.get(&admin, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (ok, text) = verify_cli(&app, &[]);
    assert!(ok, "an untouched log verifies: {text}");
    assert!(
        text.contains(&default_org) && text.contains(&org2),
        "{text}"
    );
    assert!(text.contains("intact"), "{text}");

    // Someone edits entry 3 of the default organization in the database.
    let changed = execute_sql(
        &app,
        backend,
        &format!(
            "UPDATE audit_events SET detail = '{{\"name\":\"forged\"}}' \
             WHERE org_id = '{default_org}' AND seq = 3"
        ),
    );
    assert_eq!(changed, 1);
    let (ok, text) = verify_cli(&app, &[]);
    assert!(!ok, "a tampered log fails: {text}");
    assert!(
        text.contains(&default_org),
        "names the organization: {text}"
    );
    assert!(
        text.contains("entry 3"),
        "names the first bad record: {text}"
    );
    // --org limits the check: the other organization's chain is intact.
    let (ok, text) = verify_cli(&app, &["--org", &org2]);
    assert!(ok, "{text}");
    let (ok, text) = verify_cli(&app, &["--org", &default_org]);
    assert!(!ok && text.contains("entry 3"), "{text}");

    // A deleted row breaks the chain where it was.
    execute_sql(
        &app,
        backend,
        &format!("DELETE FROM audit_events WHERE org_id = '{org2}' AND seq = 1"),
    );
    let (ok, text) = verify_cli(&app, &["--org", &org2]);
    assert!(!ok && text.contains("entry 1"), "{text}");
}

fn duplicate_organization_name_is_409(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    app.post(&admin, "/organizations", json!({ "name": "Acme" }))
        .status_is(201);
    let before = app
        .get(&admin, "/organizations")
        .body
        .as_array()
        .unwrap()
        .len();
    let r = app.post(&admin, "/organizations", json!({ "name": "Acme" }));
    r.problem(409);
    assert_eq!(
        r.problem_type(),
        "urn:servicedesk:problem:duplicate",
        "{}",
        r.text
    );
    app.post(&admin, "/organizations", json!({ "name": DEFAULT_ORG }))
        .problem(409);
    assert_eq!(
        app.get(&admin, "/organizations")
            .body
            .as_array()
            .unwrap()
            .len(),
        before
    );
}

fn custom_role_created_at_is_real(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let start = unix_now();
    app.post(
        &admin,
        "/roles",
        json!({ "name": "dated", "permissions": [{ "permission": "incident:read" }] }),
    )
    .status_is(201);
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        created_at: chrono::NaiveDateTime,
    }
    let sql = "SELECT created_at FROM roles WHERE name = 'dated'";
    let rows: Vec<Row> = match backend {
        Backend::Sqlite => {
            let mut c =
                diesel::sqlite::SqliteConnection::establish(&app.config.database_url).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
        Backend::Postgres => {
            let mut c = diesel::pg::PgConnection::establish(&app.config.database_url).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
    };
    assert_eq!(rows.len(), 1);
    let at = rows[0].created_at.and_utc().timestamp();
    assert!(
        (start - 5..=unix_now() + 5).contains(&at),
        "created_at {} is the creation time",
        rows[0].created_at
    );
}

/// Issue 9 point 16 for `GET /audit-events` and `PUT /roles/{name}`: the document declares
/// the filters' lengths and patterns, the cursor's shape and the page size, and the server
/// refuses exactly what they exclude (422 naming the field) and takes what they allow.
fn audit_event_filters_are_what_the_document_declares(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let doc = app.request("GET", "/api/openapi.json").send().body;
    let params = doc["paths"]["/api/v1/audit-events"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let schema = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no parameter {name}"))["schema"]
            .clone()
    };
    for (name, max) in [("action", 100), ("target_kind", 100), ("target_id", 200)] {
        let s = schema(name);
        assert_eq!(s["minLength"], 1, "{name}: {s}");
        assert_eq!(s["maxLength"], max, "{name}: {s}");
        assert!(
            s["pattern"].as_str().unwrap().contains(r"\x00-\x1f"),
            "{name}: {s}"
        );
    }
    assert_eq!(schema("cursor")["pattern"], r"^[1-9][0-9]{0,17}$");
    assert_eq!(schema("limit")["minimum"], 1);
    assert_eq!(schema("limit")["maximum"], 200);
    assert!(schema("from")["pattern"].is_string(), "{}", schema("from"));
    let role_name = doc["paths"]["/api/v1/roles/{name}"]["put"]["parameters"][0]["schema"].clone();
    assert_eq!(role_name["pattern"], "^[a-z0-9_-]+$", "{role_name}");
    assert_eq!(role_name["maxLength"], 64, "{role_name}");

    // Refused: what the schema excludes, with the field named.
    let long_action = "a".repeat(101);
    let long_target = "t".repeat(201);
    for (query, field) in [
        ("cursor=0", "cursor"),
        ("cursor=01", "cursor"),
        ("cursor=%2B5", "cursor"),
        ("cursor=-5", "cursor"),
        ("cursor=1234567890123456789", "cursor"),
        ("cursor=", "cursor"),
        ("action=", "action"),
        (&format!("action={long_action}"), "action"),
        ("action=user%01update", "action"),
        ("target_kind=us%C2%85er", "target_kind"),
        (&format!("target_id={long_target}"), "target_id"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
    ] {
        let r = app.get(&admin, &format!("/audit-events?{query}"));
        r.problem(422);
        assert_eq!(r.body["errors"][0]["field"], field, "{query}: {}", r.text);
    }
    // Taken: the edges the schema allows.
    let longest_action = "a".repeat(100);
    let longest_target = "t".repeat(200);
    for query in [
        "cursor=1".to_owned(),
        "cursor=999999999999999999".to_owned(),
        format!("action={longest_action}"),
        "action=user%20update%C2%A0%C3%A9".to_owned(),
        format!("target_id={longest_target}"),
        "limit=1".to_owned(),
        "limit=200".to_owned(),
    ] {
        let r = app.get(&admin, &format!("/audit-events?{query}"));
        r.status_is(200);
        assert!(r.body["items"].is_array(), "{query}: {}", r.text);
    }
    // A name the path pattern excludes names no role.
    app.request("PUT", &api("/roles/Not%20A%20Role"))
        .bearer(&admin)
        .json(&json!({ "permissions": [] }))
        .send()
        .problem(404);
}
