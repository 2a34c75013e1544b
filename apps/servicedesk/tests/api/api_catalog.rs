//! The service catalog through the API (issue 10, point 5): the "New laptop" item
//! built by a manager (model select, a justification shown only for a workstation, a
//! needed-by date, a two-stage approval policy), who sees it (requesters in its audience;
//! 404 for the others and for other organizations), who may edit it (403 for requesters),
//! every bad definition as a 422 naming its fields, versions (a PUT is version 2 and
//! version 1 stays readable) and optimistic concurrency (a stale `If-Match` is 409).

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use servicedesk_core::ids::OrgId;
use servicedesk_core::ports::AuditLog;

use crate::common::*;

api_tests!(
    a_manager_publishes_the_new_laptop_to_its_audience,
    bad_definitions_are_422_naming_each_field,
    a_put_is_a_new_version_and_a_stale_if_match_is_409,
    another_organizations_catalog_is_not_found,
);

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// The `(field, code)` pairs of a 422 problem, sorted.
#[track_caller]
fn field_errors(r: &Resp) -> Vec<(String, String)> {
    r.problem(422);
    assert_eq!(r.problem_type(), "urn:servicedesk:problem:validation");
    let mut errors: Vec<(String, String)> = r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", r.text))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    errors.sort();
    errors
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect();
    v.sort();
    v
}

fn put_if(app: &TestApp, token: &str, path: &str, etag: Option<&str>, body: &Value) -> Resp {
    let mut req = app.request("PUT", &api(path)).bearer(token);
    if let Some(etag) = etag {
        req = req.header("if-match", etag);
    }
    req.json(body).send()
}

fn catalog_actions(app: &TestApp, org: &str) -> Vec<String> {
    app.running()
        .store
        .entries(org.parse::<OrgId>().unwrap(), 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .filter(|a| a.starts_with("catalog_"))
        .collect()
}

/// The organization: a manager (Max), an Engineering team with requester Rita, an
/// IT-budget team of three, a requester outside both (Otto), and a "Hardware" category.
struct Org {
    manager: Session,
    rita: Session,
    otto: Session,
    org_id: String,
    max_id: String,
    engineering: String,
    budget: String,
    hardware: String,
}

fn org(app: &TestApp) -> Org {
    let admin = app.admin();
    let tok = admin.access.as_str();
    let org_id = app.get(tok, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let team = |name: &str| {
        let r = app.post(tok, "/teams", json!({ "name": name }));
        r.status_is(201);
        id_of(&r.body)
    };
    let engineering = team("Engineering");
    let budget = team("IT budget");
    let max = app.create_user(tok, "max@example.test", "Max", "manager", json!({}));
    app.create_user(
        tok,
        "rita@example.test",
        "Rita",
        "requester",
        json!({ "team_ids": [engineering] }),
    );
    app.create_user(tok, "otto@example.test", "Otto", "requester", json!({}));
    for who in ["bea", "bo", "bill"] {
        app.create_user(
            tok,
            &format!("{who}@example.test"),
            who,
            "agent",
            json!({ "team_ids": [budget] }),
        );
    }
    let manager = app.login("max@example.test", PASSWORD);
    let r = app.post(
        &manager.access,
        "/catalog-categories",
        json!({ "name": "Hardware", "description": "Things you can hold" }),
    );
    r.status_is(201);
    let hardware = id_of(&r.body);
    Org {
        rita: app.login("rita@example.test", PASSWORD),
        otto: app.login("otto@example.test", PASSWORD),
        manager,
        org_id,
        max_id: id_of(&max),
        engineering,
        budget,
        hardware,
    }
}

/// The item: model select, justification shown (and required) only for a
/// workstation, needed-by date; stage 1 the requester's manager, stage 2 any 2 of the
/// IT-budget team; requestable by Engineering.
fn new_laptop(o: &Org) -> Value {
    json!({
        "category_id": o.hardware,
        "name": "New laptop",
        "description": "A laptop for work",
        "owner_id": o.max_id,
        "fulfilment_team_id": o.budget,
        "audience": { "type": "restricted", "teams": [o.engineering] },
        "form": { "fields": [
            { "key": "model", "label": "Model", "required": true, "type": "single_select",
              "options": [ { "value": "standard", "label": "Standard" },
                           { "value": "developer", "label": "Developer" },
                           { "value": "workstation", "label": "Workstation" } ] },
            { "key": "justification", "label": "Why a workstation?", "required": true,
              "type": "long_text", "max_len": 2000,
              "visible_when": { "field": "model", "op": { "equals": "workstation" } } },
            { "key": "needed_by", "label": "Needed by", "required": true, "type": "date" }
        ] },
        "task_template": { "mode": "ordered", "tasks": [ { "title": "Order the laptop" },
                                                          { "title": "Hand it over" } ] },
        "approval_policy": { "stages": [
            { "name": "Manager", "approvers": ["requester_manager"], "decision": "any",
              "due_hours": 16, "on_timeout": "escalate_to_manager" },
            { "name": "IT budget", "approvers": [ { "team": o.budget } ],
              "decision": { "at_least": 2 }, "due_hours": 24, "reminder_percent": 50,
              "on_timeout": "reject" }
        ] }
    })
}

#[track_caller]
fn create_laptop(app: &TestApp, o: &Org) -> Value {
    let r = app.post(&o.manager.access, "/catalog-items", new_laptop(o));
    r.status_is(201);
    assert_eq!(r.etag(), "\"1\"");
    let id = id_of(&r.body);
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("/api/v1/catalog-items/{id}").as_str())
    );
    r.body
}

fn names(r: &Resp) -> Vec<String> {
    r.status_is(200);
    r.body
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_owned())
        .collect()
}

fn a_manager_publishes_the_new_laptop_to_its_audience(backend: Backend) {
    let app = TestApp::start(backend);
    let o = org(&app);
    let item = create_laptop(&app, &o);
    assert_eq!(item["version"], 1);
    assert_eq!(item["active"], true);
    assert_eq!(item["form"]["fields"][1]["visible_when"]["field"], "model");
    assert_eq!(
        item["approval_policy"]["stages"][1]["decision"],
        json!({ "at_least": 2 })
    );
    assert_eq!(
        item["approval_policy"]["stages"][1]["approvers"][0]["team"],
        o.budget
    );
    // The form's body round-trips exactly.
    assert_eq!(item["form"], new_laptop(&o)["form"]);
    let id = id_of(&item);

    // Rita (Engineering) sees and reads it; Otto, outside the audience, gets 404.
    assert_eq!(
        names(&app.get(&o.rita.access, "/catalog-items")),
        vec!["New laptop"]
    );
    let r = app.get(&o.rita.access, &format!("/catalog-items/{id}"));
    r.status_is(200);
    assert_eq!(r.etag(), "\"1\"");
    assert_eq!(r.body, item);
    assert!(names(&app.get(&o.otto.access, "/catalog-items")).is_empty());
    app.get(&o.otto.access, &format!("/catalog-items/{id}"))
        .problem(404);
    app.get(&o.otto.access, &format!("/catalog-items/{id}/versions/1"))
        .problem(404);
    // Everyone reads the categories.
    let cats = app.get(&o.otto.access, "/catalog-categories");
    assert_eq!(names(&cats), vec!["Hardware"]);

    // Requesters cannot edit the catalog.
    app.post(&o.rita.access, "/catalog-items", new_laptop(&o))
        .problem(403);
    put_if(
        &app,
        &o.rita.access,
        &format!("/catalog-items/{id}"),
        Some("\"1\""),
        &new_laptop(&o),
    )
    .problem(403);
    app.post(
        &o.rita.access,
        "/catalog-categories",
        json!({ "name": "Software" }),
    )
    .problem(403);

    // A deactivated item drops out of Rita's catalog (404 too), and stays for the manager.
    let mut retired = new_laptop(&o);
    retired["active"] = json!(false);
    put_if(
        &app,
        &o.manager.access,
        &format!("/catalog-items/{id}"),
        Some("\"1\""),
        &retired,
    )
    .status_is(200);
    assert!(names(&app.get(&o.rita.access, "/catalog-items")).is_empty());
    app.get(&o.rita.access, &format!("/catalog-items/{id}"))
        .problem(404);
    assert_eq!(
        names(&app.get(&o.manager.access, "/catalog-items")),
        vec!["New laptop"]
    );

    // A duplicate category name is a field error.
    assert_eq!(
        field_errors(&app.post(
            &o.manager.access,
            "/catalog-categories",
            json!({ "name": "Hardware" })
        )),
        pairs(&[("name", "taken")])
    );
    assert_eq!(
        catalog_actions(&app, &o.org_id),
        vec![
            "catalog_category.create",
            "catalog_item.create",
            "catalog_item.update"
        ]
    );
}

fn bad_definitions_are_422_naming_each_field(backend: Backend) {
    let app = TestApp::start(backend);
    let o = org(&app);
    let tok = o.manager.access.as_str();
    let ghost = "00000000-0000-7000-8000-000000000001";

    // Rules of the form itself: the condition looks at a later field, a key repeats, a
    // select has no options.
    let mut body = new_laptop(&o);
    body["form"]["fields"] = json!([
        { "key": "justification", "label": "Why?", "type": "long_text",
          "visible_when": { "field": "model", "op": { "equals": "workstation" } } },
        { "key": "model", "label": "Model", "type": "single_select", "options": [] },
        { "key": "model", "label": "Again", "type": "date" }
    ]);
    let errors = field_errors(&app.post(tok, "/catalog-items", body));
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    for expected in [
        "form.fields[0].visible_when",
        "form.fields[1].options",
        "form.fields[2].key",
    ] {
        assert!(
            fields.iter().any(|f| f.starts_with(expected)),
            "{expected} not in {errors:?}"
        );
    }

    // References that are not of the organization, each named by its path.
    let mut body = new_laptop(&o);
    body["category_id"] = json!(ghost);
    body["owner_id"] = json!(ghost);
    body["fulfilment_team_id"] = json!(ghost);
    body["fulfilment_sla_policy_id"] = json!(ghost);
    body["approval_policy"]["stages"][1]["approvers"][0]["team"] = json!(ghost);
    body["task_template"]["tasks"][1]["assignee_id"] = json!(ghost);
    assert_eq!(
        field_errors(&app.post(tok, "/catalog-items", body)),
        pairs(&[
            ("approval_policy.stages[1].approvers[0].team", "unknown"),
            ("category_id", "unknown"),
            ("fulfilment_sla_policy_id", "unknown"),
            ("fulfilment_team_id", "unknown"),
            ("owner_id", "unknown"),
            ("task_template.tasks[1].assignee_id", "unknown"),
        ])
    );

    // Shape errors before any rule: an unknown key, a wrong type.
    let mut body = new_laptop(&o);
    body["colour"] = json!("red");
    app.post(tok, "/catalog-items", body).problem(422);
    let mut body = new_laptop(&o);
    body["form"]["fields"][0]["requried"] = json!(true);
    app.post(tok, "/catalog-items", body).problem(422);
    let mut body = new_laptop(&o);
    body["name"] = json!("   ");
    assert_eq!(
        field_errors(&app.post(tok, "/catalog-items", body)),
        pairs(&[("name", "required")])
    );
    // Nothing of it was written.
    assert!(names(&app.get(tok, "/catalog-items")).is_empty());
    assert_eq!(
        catalog_actions(&app, &o.org_id),
        vec!["catalog_category.create"]
    );
}

fn a_put_is_a_new_version_and_a_stale_if_match_is_409(backend: Backend) {
    let app = TestApp::start(backend);
    let o = org(&app);
    let tok = o.manager.access.as_str();
    let v1 = create_laptop(&app, &o);
    let id = id_of(&v1);
    let path = format!("/catalog-items/{id}");

    let mut changed = new_laptop(&o);
    changed["form"]["fields"][2]["label"] = json!("Needed on");
    changed["approval_policy"]["stages"] = json!([]);
    let r = put_if(&app, tok, &path, Some("\"1\""), &changed);
    r.status_is(200);
    assert_eq!(r.etag(), "\"2\"");
    let v2 = r.body.clone();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["created_at"], v1["created_at"]);
    assert_eq!(v2["form"]["fields"][2]["label"], "Needed on");

    // Both versions stay readable; the current one is version 2.
    let r = app.get(&o.rita.access, &format!("{path}/versions/1"));
    r.status_is(200);
    assert_eq!(r.body, v1);
    assert_eq!(
        app.get(&o.rita.access, &format!("{path}/versions/2")).body,
        v2
    );
    app.get(tok, &format!("{path}/versions/3")).problem(404);
    app.get(tok, &format!("{path}/versions/0")).problem(404);
    app.get(tok, &format!("{path}/versions/abc")).problem(404);
    let r = app.get(tok, &path);
    assert_eq!(r.etag(), "\"2\"");
    assert_eq!(r.body, v2);

    // A stale If-Match is 409 naming the current version, and writes nothing.
    let r = put_if(&app, tok, &path, Some("\"1\""), &new_laptop(&o));
    r.problem(409);
    assert_eq!(r.problem_type(), "urn:servicedesk:problem:version-conflict");
    assert_eq!(r.body["current_version"], 2);
    assert_eq!(app.get(tok, &path).body, v2);
    // A malformed If-Match is 400.
    put_if(&app, tok, &path, Some("soon"), &new_laptop(&o)).problem(400);
    // An unchanged body writes no version.
    let r = put_if(&app, tok, &path, Some("\"2\""), &changed);
    r.status_is(200);
    assert_eq!(r.etag(), "\"2\"");
    // Without If-Match the current version is replaced.
    let r = put_if(&app, tok, &path, None, &new_laptop(&o));
    r.status_is(200);
    assert_eq!(r.body["version"], 3);
    assert_eq!(r.body["form"], v1["form"]);
    // A bad replacement is 422 and keeps version 3.
    let mut bad = new_laptop(&o);
    bad["owner_id"] = json!(o.engineering);
    assert_eq!(
        field_errors(&put_if(&app, tok, &path, Some("\"3\""), &bad)),
        pairs(&[("owner_id", "unknown")])
    );
    assert_eq!(app.get(tok, &path).etag(), "\"3\"");
    assert_eq!(
        catalog_actions(&app, &o.org_id),
        vec![
            "catalog_category.create",
            "catalog_item.create",
            "catalog_item.update",
            "catalog_item.update"
        ]
    );
}

fn another_organizations_catalog_is_not_found(backend: Backend) {
    let app = TestApp::start(backend);
    let o = org(&app);
    let item = create_laptop(&app, &o);
    let id = id_of(&item);

    let admin = app.admin();
    let tok = admin.access.as_str();
    let r = app.post(tok, "/organizations", json!({ "name": "Acme" }));
    r.status_is(201);
    let acme = id_of(&r.body);
    app.create_user(
        tok,
        "boss@acme.test",
        "Acme Admin",
        "admin",
        json!({ "org_id": acme }),
    );
    let other = app.login("boss@acme.test", PASSWORD);
    let ot = other.access.as_str();

    app.get(ot, &format!("/catalog-items/{id}")).problem(404);
    app.get(ot, &format!("/catalog-items/{id}/versions/1"))
        .problem(404);
    put_if(
        &app,
        ot,
        &format!("/catalog-items/{id}"),
        Some("\"1\""),
        &new_laptop(&o),
    )
    .problem(404);
    assert!(names(&app.get(ot, "/catalog-items")).is_empty());
    assert!(names(&app.get(ot, "/catalog-categories")).is_empty());
    // Nor may it list an item under the first organization's category or owner.
    let errors = field_errors(&app.post(ot, "/catalog-items", new_laptop(&o)));
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert!(fields.contains(&"category_id"), "{errors:?}");
    assert!(fields.contains(&"owner_id"), "{errors:?}");
    assert!(fields.contains(&"audience.teams[0]"), "{errors:?}");
    // The item is untouched.
    let r = app.get(&o.manager.access, &format!("/catalog-items/{id}"));
    assert_eq!(r.body, item);
}
