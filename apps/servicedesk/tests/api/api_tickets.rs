//! The ticket kernel through the API (issue 10), on both backends: one queue across kinds
//! (`GET /tickets`), a ticket by reference, typed links shown on both ends with their
//! rules (no loops, one original, no twice), tasks across parents (`GET /tasks`), and the
//! one visibility rule with other people's and other organizations' tickets answering 404.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};

use crate::common::*;

api_tests!(
    one_queue_lists_tickets_by_class_with_kind_and_reference,
    a_status_filter_needs_one_kind,
    links_show_on_both_ends_and_keep_their_rules,
    tickets_of_others_answer_not_found,
    my_tasks_span_parents_and_need_task_read,
    a_parent_cannot_close_while_a_child_is_open,
);

/// Works an incident to resolved as the admin.
fn resolve(app: &TestApp, admin: &str, me: &str, id: &str) {
    app.post(
        admin,
        &format!("/incidents/{id}/assign"),
        json!({ "assignee_id": me }),
    )
    .status_is(200);
    app.post(
        admin,
        &format!("/incidents/{id}/transitions"),
        json!({ "action": "start" }),
    )
    .status_is(200);
    app.post(
        admin,
        &format!("/incidents/{id}/transitions"),
        json!({ "action": "resolve", "resolution_code": "fixed", "resolution_notes": "done" }),
    )
    .status_is(200);
}

fn a_parent_cannot_close_while_a_child_is_open(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let me = app.get(&admin, "/users/me").body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let parent = app.open_incident(&admin, "Site outage", "high", "high");
    let child = app.open_incident(&admin, "Shop down", "high", "high");
    let (p, c) = (
        parent["id"].as_str().unwrap(),
        child["id"].as_str().unwrap(),
    );
    app.post(
        &admin,
        &format!("/tickets/{p}/links"),
        json!({ "type": "parent_of", "target": c }),
    )
    .status_is(201);
    resolve(&app, &admin, &me, p);
    let r = app.post(
        &admin,
        &format!("/incidents/{p}/transitions"),
        json!({ "action": "close" }),
    );
    r.problem(409);
    assert!(r.text.contains("child ticket"), "{}", r.text);
    resolve(&app, &admin, &me, c);
    app.post(
        &admin,
        &format!("/incidents/{c}/transitions"),
        json!({ "action": "close" }),
    )
    .status_is(200);
    app.post(
        &admin,
        &format!("/incidents/{p}/transitions"),
        json!({ "action": "close" }),
    )
    .status_is(200);
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {body}"))
        .iter()
        .map(|t| t["reference"].as_str().unwrap().to_owned())
        .collect()
}

fn staff(app: &TestApp, admin: &str) -> (String, String, String) {
    let team = app.post(admin, "/teams", json!({ "name": "Desk" }));
    team.status_is(201);
    let team_id = team.body["id"].as_str().unwrap().to_owned();
    let agent = app.create_user(
        admin,
        "ada@example.test",
        "Ada",
        "agent",
        json!({ "team_ids": [team_id] }),
    );
    let token = app.login("ada@example.test", PASSWORD).access;
    (agent["id"].as_str().unwrap().to_owned(), token, team_id)
}

fn requester(app: &TestApp, admin: &str, name: &str) -> String {
    let email = format!("{name}@example.test");
    app.create_user(admin, &email, name, "requester", json!({}));
    app.login(&email, PASSWORD).access
}

fn one_queue_lists_tickets_by_class_with_kind_and_reference(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (agent_id, agent, team) = staff(&app, &admin);
    let req = requester(&app, &admin, "rory");
    let a = app.open_incident(&req, "Printer jams", "low", "low");
    let b = app.open_incident(&req, "VPN down", "high", "high");
    let b_id = b["id"].as_str().unwrap();
    assert_eq!(a["kind"], "incident");
    assert_eq!(a["status_class"], "open");
    app.post(
        &agent,
        &format!("/incidents/{b_id}/assign"),
        json!({ "team_id": team, "assignee_id": agent_id }),
    )
    .status_is(200);
    app.post(
        &agent,
        &format!("/incidents/{b_id}/transitions"),
        json!({ "action": "start" }),
    )
    .status_is(200);
    app.post(
        &agent,
        &format!("/incidents/{b_id}/transitions"),
        json!({ "action": "hold" }),
    )
    .status_is(200);

    let r = app.get(&agent, "/tickets?status_class=open");
    r.status_is(200);
    assert_eq!(ids(&r.body), vec![a["reference"].as_str().unwrap()]);
    let item = &r.body["items"][0];
    assert_eq!(item["kind"], "incident");
    assert_eq!(item["status_class"], "open");
    assert!(item["sla_state"].is_string());

    let r = app.get(&agent, "/tickets?status_class=pending");
    assert_eq!(ids(&r.body), vec![b["reference"].as_str().unwrap()]);
    let r = app.get(&agent, "/tickets?assignee_id=me");
    assert_eq!(ids(&r.body), vec![b["reference"].as_str().unwrap()]);
    let r = app.get(&agent, "/tickets?unassigned=true");
    assert_eq!(
        ids(&r.body),
        vec![a["reference"].as_str().unwrap()],
        "triage: no team"
    );
    let r = app.get(&agent, "/tickets?kind=incident&status=on_hold");
    assert_eq!(ids(&r.body), vec![b["reference"].as_str().unwrap()]);
    let r = app.get(&agent, "/tickets?kind=request");
    assert_eq!(ids(&r.body), Vec::<String>::new());

    // Paged with a cursor, nothing twice.
    let r = app.get(&agent, "/tickets?limit=1&sort=created");
    let first = ids(&r.body);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = app.get(
        &agent,
        &format!("/tickets?limit=1&sort=created&cursor={cursor}"),
    );
    let second = ids(&r.body);
    assert_eq!(first.len() + second.len(), 2);
    assert_ne!(first, second);

    // The search box's jump: by reference, any case.
    let reference = b["reference"].as_str().unwrap().to_lowercase();
    let r = app.get(&agent, &format!("/tickets/{reference}"));
    r.status_is(200);
    assert_eq!(r.body["id"], b["id"]);
    assert_eq!(r.body["status"], "on_hold");
}

fn a_status_filter_needs_one_kind(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let r = app.get(&admin, "/tickets?status=new");
    r.problem(422);
    assert_eq!(r.body["errors"][0]["field"], "status");
    assert_eq!(r.body["errors"][0]["code"], "requires_kind");
    let r = app.get(&admin, "/tickets?kind=incident&status=fulfilled");
    r.problem(422);
    assert_eq!(r.body["errors"][0]["code"], "invalid");
    app.get(&admin, "/tickets?kind=incident&status=new,open")
        .status_is(200);
    app.get(&admin, "/tickets?kind=widget").problem(422);
}

fn links_show_on_both_ends_and_keep_their_rules(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (_, agent, _) = staff(&app, &admin);
    let req = requester(&app, &admin, "rory");
    let refs: Vec<String> = ["Mail down", "Mail slow", "Outlook crashes"]
        .iter()
        .map(|t| {
            app.open_incident(&req, t, "medium", "medium")["reference"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let (p, c, g) = (&refs[0], &refs[1], &refs[2]);

    let r = app.post(
        &agent,
        &format!("/tickets/{p}/links"),
        json!({ "type": "parent_of", "target": c }),
    );
    r.status_is(201);
    assert_eq!(r.body["relation"], "parent_of");
    assert_eq!(r.body["ticket"]["reference"], c.as_str());
    // Seen from the child, by the child's own name for it.
    let r = app.get(&agent, &format!("/tickets/{c}/links"));
    r.status_is(200);
    assert_eq!(r.body[0]["relation"], "child_of");
    assert_eq!(r.body[0]["ticket"]["reference"], p.as_str());
    // A child_of from the other side is the same relation: 409.
    let r = app.post(
        &agent,
        &format!("/tickets/{c}/links"),
        json!({ "type": "child_of", "target": p }),
    );
    r.problem(409);
    // G child of C; then P child of G would loop.
    app.post(
        &agent,
        &format!("/tickets/{c}/links"),
        json!({ "type": "parent_of", "target": g }),
    )
    .status_is(201);
    let r = app.post(
        &agent,
        &format!("/tickets/{p}/links"),
        json!({ "type": "child_of", "target": g }),
    );
    r.problem(422);
    assert_eq!(r.body["errors"][0]["code"], "cycle", "{}", r.text);
    let r = app.post(
        &agent,
        &format!("/tickets/{p}/links"),
        json!({ "type": "relates_to", "target": p }),
    );
    assert_eq!(r.body["errors"][0]["code"], "self");
    // A duplicate has one original.
    app.post(
        &agent,
        &format!("/tickets/{g}/links"),
        json!({ "type": "duplicate_of", "target": p }),
    )
    .status_is(201);
    let r = app.post(
        &agent,
        &format!("/tickets/{g}/links"),
        json!({ "type": "duplicate_of", "target": c }),
    );
    assert_eq!(r.body["errors"][0]["code"], "one_original", "{}", r.text);
    let r = app.get(&agent, &format!("/tickets/{p}/links"));
    let relations: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["relation"].as_str().unwrap())
        .collect();
    assert_eq!(relations, ["parent_of", "duplicated_by"]);
    // relates_to is symmetric: once is enough.
    app.post(
        &agent,
        &format!("/tickets/{p}/links"),
        json!({ "type": "relates_to", "target": g }),
    )
    .status_is(201);
    app.post(
        &agent,
        &format!("/tickets/{g}/links"),
        json!({ "type": "relates_to", "target": p }),
    )
    .problem(409);
    // Both tickets' history name the link.
    let id = app.get(&agent, &format!("/tickets/{c}")).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let h = app.get(&agent, &format!("/incidents/{id}/history"));
    assert!(h.text.contains(&format!("child_of {p}")), "{}", h.text);

    // A requester may read their ticket but not link it; unlinking removes both ends.
    let r = app.post(
        &req,
        &format!("/tickets/{p}/links"),
        json!({ "type": "relates_to", "target": c }),
    );
    r.problem(403);
    let link = app.get(&agent, &format!("/tickets/{c}/links")).body[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&agent, &format!("/tickets/{c}/links/{link}"))
        .status_is(204);
    let r = app.get(&agent, &format!("/tickets/{p}/links"));
    assert!(!r.text.contains(&format!("\"{c}\"")), "{}", r.text);
    app.delete(&agent, &format!("/tickets/{c}/links/{link}"))
        .problem(404);
    let actions: Vec<String> = app.get(&admin, "/audit-events?action=ticket.link").body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions.len(), 4, "every link is audited: {actions:?}");
}

fn tickets_of_others_answer_not_found(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let mine = requester(&app, &admin, "mina");
    let theirs = requester(&app, &admin, "theo");
    let t = app.open_incident(&theirs, "Their laptop", "low", "low");
    let reference = t["reference"].as_str().unwrap();
    app.get(&mine, &format!("/tickets/{reference}"))
        .problem(404);
    app.get(&mine, &format!("/tickets/{}", t["id"].as_str().unwrap()))
        .problem(404);
    app.get(&mine, &format!("/tickets/{reference}/links"))
        .problem(404);
    assert_eq!(ids(&app.get(&mine, "/tickets").body), Vec::<String>::new());
    let own = app.open_incident(&mine, "My laptop", "low", "low");
    let own_ref = own["reference"].as_str().unwrap();
    let r = app.post(
        &admin,
        &format!("/tickets/{own_ref}/links"),
        json!({ "type": "relates_to", "target": reference }),
    );
    r.status_is(201);
    // Mina sees her ticket's links without the one to a ticket she may not read.
    let r = app.get(&mine, &format!("/tickets/{own_ref}/links"));
    assert_eq!(r.body, json!([]));

    // Another organization's admin: 404 for every id and reference of this one.
    let org = app.post(&admin, "/organizations", json!({ "name": "Beta" }));
    let org_b = org.body["id"].as_str().unwrap().to_owned();
    app.create_user(
        &admin,
        "boss@beta.test",
        "Boss",
        "admin",
        json!({ "org_id": org_b }),
    );
    let boss = app.login("boss@beta.test", PASSWORD).access;
    app.get(&boss, &format!("/tickets/{reference}"))
        .problem(404);
    app.get(&boss, &format!("/tickets/{}", t["id"].as_str().unwrap()))
        .problem(404);
    let b_ticket = app.open_incident(&boss, "Beta's own", "low", "low");
    let r = app.post(
        &boss,
        &format!("/tickets/{}/links", b_ticket["id"].as_str().unwrap()),
        json!({ "type": "relates_to", "target": t["id"] }),
    );
    r.problem(404);
    app.get(&mine, "/tickets/not-a-ref").problem(404);
}

fn my_tasks_span_parents_and_need_task_read(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (agent_id, agent, team) = staff(&app, &admin);
    let req = requester(&app, &admin, "rory");
    let mut refs = Vec::new();
    for title in ["Laptop A", "Laptop B"] {
        let i = app.open_incident(&req, title, "low", "low");
        let id = i["id"].as_str().unwrap();
        app.post(
            &agent,
            &format!("/incidents/{id}/assign"),
            json!({ "team_id": team, "assignee_id": agent_id }),
        )
        .status_is(200);
        let t = app.post(
            &agent,
            &format!("/incidents/{id}/tasks"),
            json!({ "title": format!("Image {title}"), "assignee_id": agent_id }),
        );
        t.status_is(201);
        refs.push(t.body["reference"].as_str().unwrap().to_owned());
        app.post(
            &agent,
            &format!("/incidents/{id}/tasks"),
            json!({ "title": "Unassigned step" }),
        )
        .status_is(201);
    }
    let r = app.get(&agent, "/tasks?assignee_id=me");
    r.status_is(200);
    let got: Vec<String> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["reference"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, refs);
    assert!(r.body["items"][0]["ticket_id"].is_string());
    let r = app.get(&agent, "/tasks?status=open&limit=3");
    assert_eq!(r.body["items"].as_array().unwrap().len(), 3);
    assert!(r.body["next_cursor"].is_string());
    app.get(&req, "/tasks").problem(403);
    app.get(&agent, "/tasks?assignee_id=someone").problem(422);
}
