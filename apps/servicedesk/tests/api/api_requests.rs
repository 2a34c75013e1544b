//! Service requests end to end (issue 10), black-box on both backends: the "New laptop"
//! item (model select; a justification shown and required only for a workstation; a
//! needed-by date), approvals in two stages — the requester's manager, then any 2 of the 3
//! members of an IT-budget team — the full path to fulfilled with its ordered tasks, a
//! rejection, a timeout on the Clock port (reminder mail, then escalation to the
//! approver's manager), a delegate approving "on behalf of", a non-approver's 404,
//! self-approval refused, and one approver approving twice at once counted once.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use serde_json::{Value, json};
use servicedesk_core::ports::{Clock, SystemClock};

use crate::common::receiver::Receiver;
use crate::common::*;

api_tests!(
    a_laptop_request_is_approved_in_two_stages_and_fulfilled_by_its_tasks,
    a_rejection_needs_a_comment_and_ends_the_request,
    an_undecided_stage_reminds_then_escalates_to_the_approvers_manager,
    a_delegate_approves_on_behalf_of_the_approver,
    drafts_may_be_incomplete_and_requests_for_others_need_a_manager_or_staff,
    a_request_has_sla_clocks_the_monitor_breaches_and_webhooks_hear_of_it,
    a_fulfilled_request_closes_by_itself_after_the_org_delay,
    a_request_takes_comments_and_shows_its_history_to_whom_it_may,
    duplicates_end_with_their_original,
);

/// Auto-close works on every kind: a fulfilled request closes once the organization's
/// `auto_close_days` have passed, by the request's own lifecycle move.
fn a_fulfilled_request_closes_by_itself_after_the_org_delay(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let Some(app) = TestApp::with(
        backend,
        Options {
            clock: Some(clock.clone() as Arc<dyn Clock>),
            ..Options::default()
        },
    ) else {
        return;
    };
    let admin = app.admin().access;
    let org = app.get(&admin, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &admin,
        &format!("/organizations/{org}/settings"),
        json!({ "auto_close_days": 1 }),
    )
    .status_is(200);
    let (owner, _) = person(&app, &admin, "olga", "manager", json!({}));
    let (_, rita) = person(&app, &admin, "rita", "requester", json!({}));
    let cat = app.post(&admin, "/catalog-categories", json!({ "name": "Access" }));
    let item = app.post(
        &admin,
        "/catalog-items",
        json!({ "category_id": id(&cat.body), "name": "VPN access", "owner_id": owner,
                "audience": { "type": "everyone" } }),
    );
    item.status_is(201);
    let r = submit(&app, &rita, &id(&item.body), json!({}));
    let rid = id(&r.body);
    // Rita may not fulfil her own request; staff may.
    app.post(
        &rita,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "fulfil" }),
    )
    .problem(403);
    let r = app.post(
        &admin,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "fulfil" }),
    );
    r.status_is(200);
    assert_eq!(r.body["status"], "fulfilled");
    clock.advance(TimeDelta::hours(12));
    std::thread::sleep(Duration::from_secs(2));
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).access;
    assert_eq!(
        app.get(&admin, &format!("/service-requests/{rid}")).body["status"],
        "fulfilled",
        "not yet"
    );
    clock.advance(TimeDelta::hours(13));
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).access;
    eventually("the auto-close", || {
        app.get(&admin, &format!("/service-requests/{rid}")).body["status"] == "closed"
    });
}

/// The SLA monitor, the router and webhooks work on requests as on incidents: an item
/// without approval goes straight to fulfilment under the matching policy (the seeded
/// 24×7 "Default medium": 1 h response, 8 h resolution); a day later both clocks are
/// breached, once each, and the subscribed webhook hears of the request by its kind and
/// reference.
fn a_request_has_sla_clocks_the_monitor_breaches_and_webhooks_hear_of_it(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let Some(app) = TestApp::with(
        backend,
        Options {
            clock: Some(clock.clone() as Arc<dyn Clock>),
            ..Options::default()
        },
    ) else {
        return;
    };
    let admin = app.admin().access;
    let receiver = Receiver::start(200);
    let hook = app.post(
        &admin,
        "/webhooks",
        json!({
            "name": "ops", "url": receiver.url, "events": ["sla.breached", "request.submitted"]
        }),
    );
    hook.status_is(201);
    let (owner, _) = person(&app, &admin, "olga", "manager", json!({}));
    let (_, rita) = person(&app, &admin, "rita", "requester", json!({}));
    let cat = app.post(&admin, "/catalog-categories", json!({ "name": "Access" }));
    let item = app.post(
        &admin,
        "/catalog-items",
        json!({
            "category_id": id(&cat.body), "name": "VPN access", "owner_id": owner,
            "audience": { "type": "everyone" }
        }),
    );
    item.status_is(201);
    let r = submit(&app, &rita, &id(&item.body), json!({}));
    r.status_is(201);
    assert_eq!(r.body["status"], "fulfilling");
    assert!(
        r.body["next_sla_due_at"].is_string(),
        "the clocks run: {}",
        r.body
    );
    let rid = id(&r.body);
    let submitted = receiver.wait_for(1, 30);
    let body = submitted[0].json();
    assert_eq!(body["event"], "request.submitted");
    assert_eq!(body["data"]["ticket"]["kind"], "request");
    assert_eq!(body["data"]["ticket"]["reference"], "REQ-1");
    assert!(
        body["summary"].as_str().unwrap().contains("REQ-1"),
        "{body}"
    );

    clock.advance(TimeDelta::hours(24));
    let hooks = receiver.wait_for(3, 30);
    std::thread::sleep(Duration::from_secs(3));
    let breaches: Vec<Value> = receiver
        .hooks()
        .iter()
        .map(|h| h.json())
        .filter(|b| b["event"] == "sla.breached")
        .collect();
    assert_eq!(breaches.len(), 2, "each clock once: {hooks:?}");
    for b in &breaches {
        assert_eq!(b["data"]["ticket"]["id"], rid.as_str());
        assert_eq!(b["data"]["ticket"]["kind"], "request");
    }
    let agent = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).access;
    let r = app.get(&agent, "/tickets?kind=request&sla_state=breached");
    assert_eq!(r.body["items"][0]["reference"], "REQ-1", "{}", r.text);
}

/// The people of the story, signed in.
struct Desk {
    admin: String,
    manager: String,
    rita: (String, String),
    max: (String, String),
    boss: (String, String),
    budget: Vec<(String, String)>,
    agent: (String, String),
    item: String,
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

fn person(app: &TestApp, admin: &str, name: &str, role: &str, extra: Value) -> (String, String) {
    let email = format!("{name}@example.test");
    let user = app.create_user(admin, &email, name, role, extra);
    (id(&user), app.login(&email, PASSWORD).access)
}

fn set_manager(app: &TestApp, admin: &str, user: &str, manager: &str) {
    let r = app.patch(
        admin,
        &format!("/users/{user}"),
        json!({ "manager_id": manager }),
    );
    r.status_is(200);
    assert_eq!(r.body["manager_id"], manager);
}

fn laptop_item(
    app: &TestApp,
    manager: &str,
    owner: &str,
    desk_team: &str,
    budget_team: &str,
    timeout: &str,
) -> String {
    let cat = app.post(
        manager,
        "/catalog-categories",
        json!({ "name": "Hardware" }),
    );
    cat.status_is(201);
    let body = json!({
        "category_id": id(&cat.body),
        "name": "New laptop",
        "description": "A laptop for work.",
        "owner_id": owner,
        "fulfilment_team_id": desk_team,
        "audience": { "type": "everyone" },
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
        "task_template": { "mode": "ordered", "tasks": [
            { "title": "Order the laptop" }, { "title": "Image and hand over" } ] },
        "approval_policy": { "stages": [
            { "name": "Manager", "approvers": ["requester_manager"], "decision": "any",
              "due_hours": 8, "reminder_percent": 50, "on_timeout": timeout },
            { "name": "IT budget", "approvers": [ { "team": budget_team } ],
              "decision": { "at_least": 2 }, "due_hours": 16, "on_timeout": "reject" }
        ] }
    });
    let r = app.post(manager, "/catalog-items", body);
    r.status_is(201);
    id(&r.body)
}

fn desk(app: &TestApp, timeout: &str) -> Desk {
    let admin = app.admin().access;
    let team = |name: &str| id(&app.post(&admin, "/teams", json!({ "name": name })).body);
    let (desk_team, budget_team) = (team("Service Desk"), team("IT budget"));
    let manager = person(app, &admin, "mona", "manager", json!({}));
    let agent = person(
        app,
        &admin,
        "alex",
        "agent",
        json!({ "team_ids": [desk_team] }),
    );
    let boss = person(app, &admin, "bella", "requester", json!({}));
    let max = person(app, &admin, "max", "requester", json!({}));
    let rita = person(app, &admin, "rita", "requester", json!({}));
    set_manager(app, &admin, &rita.0, &max.0);
    set_manager(app, &admin, &max.0, &boss.0);
    let budget: Vec<_> = ["bo", "bea", "ben"]
        .iter()
        .map(|n| {
            person(
                app,
                &admin,
                n,
                "agent",
                json!({ "team_ids": [budget_team] }),
            )
        })
        .collect();
    let item = laptop_item(
        app,
        &manager.1,
        &manager.0,
        &desk_team,
        &budget_team,
        timeout,
    );
    Desk {
        admin,
        manager: manager.1,
        rita,
        max,
        boss,
        budget,
        agent,
        item,
    }
}

fn submit(app: &TestApp, token: &str, item: &str, answers: Value) -> Resp {
    app.post(
        token,
        "/service-requests",
        json!({ "item_id": item, "answers": answers }),
    )
}

fn workstation() -> Value {
    json!({ "model": "workstation", "justification": "CAD work", "needed_by": "2027-01-15" })
}

/// The pending approval of `approver` on `request`.
fn approval_of(request: &Value, approver: &str) -> String {
    request["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["approver_id"] == approver && a["state"] == "pending")
        .map(id)
        .unwrap_or_else(|| panic!("no pending approval of {approver} in {request}"))
}

fn a_laptop_request_is_approved_in_two_stages_and_fulfilled_by_its_tasks(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let d = desk(&app, "escalate_to_manager");

    // Submitting without a required field names it; a workstation needs its justification.
    let r = submit(
        &app,
        &d.rita.1,
        &d.item,
        json!({ "model": "workstation", "needed_by": "2027-01-15" }),
    );
    r.problem(422);
    let fields: Vec<&str> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["answers.justification"], "{}", r.text);
    let r = submit(
        &app,
        &d.rita.1,
        &d.item,
        json!({ "model": "laptop", "needed_by": "soon" }),
    );
    r.problem(422);
    assert_eq!(
        r.body["errors"].as_array().unwrap().len(),
        2,
        "every bad field: {}",
        r.text
    );

    // A standard laptop drops a stale justification.
    let r = submit(&app, &d.rita.1, &d.item, workstation());
    r.status_is(201);
    let req = r.body.clone();
    assert_eq!(req["kind"], "request");
    assert_eq!(req["reference"], "REQ-1");
    assert_eq!(req["status"], "pending_approval");
    assert_eq!(req["status_class"], "pending");
    assert_eq!(req["answers"]["justification"], "CAD work");
    assert_eq!(req["stages"][0]["approvers"], json!([d.max.0]));
    assert_eq!(req["stages"][1]["required"], 2);
    let rid = id(&req);
    let first = approval_of(&req, &d.max.0);

    // Max is asked (mail + inbox); Rita hears it was submitted.
    app.mailbox().wait_for("max@example.test", 1);
    let r = app.get(&d.max.1, "/approvals?state=pending");
    r.status_is(200);
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["reference"], "REQ-1");

    // Nobody else decides: a budget holder (not yet asked) gets 404; self-approval 403.
    app.post(
        &d.budget[0].1,
        &format!("/approvals/{first}/approve"),
        json!({}),
    )
    .problem(404);
    app.post(&d.rita.1, &format!("/approvals/{first}/approve"), json!({}))
        .problem(403);
    app.get(&d.budget[0].1, &format!("/service-requests/{rid}"))
        .problem(404);

    // Max approves: stage 2 opens for the three budget holders.
    let r = app.post(
        &d.max.1,
        &format!("/approvals/{first}/approve"),
        json!({ "comment": "ok" }),
    );
    r.status_is(200);
    assert_eq!(r.body["current_stage"], 1);
    let after = app.get(&d.agent.1, &format!("/service-requests/{rid}"));
    after.status_is(200);
    let b0 = approval_of(&after.body, &d.budget[0].0);
    // A decision is final.
    app.post(&d.max.1, &format!("/approvals/{first}/approve"), json!({}))
        .problem(409);

    // The same approver approving twice at once counts once.
    let (a, b) = std::thread::scope(|s| {
        let one = s.spawn(|| {
            app.post(
                &d.budget[0].1,
                &format!("/approvals/{b0}/approve"),
                json!({}),
            )
            .status
        });
        let two = s.spawn(|| {
            app.post(
                &d.budget[0].1,
                &format!("/approvals/{b0}/approve"),
                json!({}),
            )
            .status
        });
        (one.join().unwrap(), two.join().unwrap())
    });
    let mut codes = [a, b];
    codes.sort_unstable();
    assert_eq!(codes, [200, 409], "one decision wins");
    let now = app
        .get(&d.agent.1, &format!("/service-requests/{rid}"))
        .body;
    assert_eq!(now["status"], "pending_approval", "1 of 2 is not enough");
    let approved = now["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["state"] == "approved")
        .count();
    assert_eq!(approved, 2, "max's and one budget approval");

    // The second budget approval approves; the third becomes moot; fulfilment starts.
    let b1 = approval_of(&now, &d.budget[1].0);
    let r = app.post(
        &d.budget[1].1,
        &format!("/approvals/{b1}/approve"),
        json!({}),
    );
    r.status_is(200);
    let done = app
        .get(&d.agent.1, &format!("/service-requests/{rid}"))
        .body;
    assert_eq!(done["status"], "fulfilling");
    assert_eq!(done["approval_state"], "approved");
    let moot: Vec<&Value> = done["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["approver_id"] == d.budget[2].0.as_str())
        .collect();
    assert_eq!(moot[0]["state"], "cancelled");

    // Ordered tasks: the second starts when the first is done; the last done fulfils.
    let tasks = |app: &TestApp| {
        app.get(&d.agent.1, "/tasks?status=open,in_progress").body["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let open = tasks(&app);
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["title"], "Order the laptop");
    assert_eq!(open[0]["ticket_id"], rid.as_str());
    let finish = |task: &str| {
        for action in ["start", "complete"] {
            app.post(
                &d.agent.1,
                &format!("/tasks/{task}/transitions"),
                json!({ "action": action }),
            )
            .status_is(200);
        }
    };
    finish(&id(&open[0]));
    let mid = app.get(&d.rita.1, &format!("/service-requests/{rid}")).body;
    assert_eq!(mid["status"], "fulfilling", "one of two tasks done");
    let open = tasks(&app);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["title"], "Image and hand over");
    finish(&id(&open[0]));
    let fulfilled = app.get(&d.rita.1, &format!("/service-requests/{rid}"));
    assert_eq!(fulfilled.body["status"], "fulfilled");
    assert_eq!(fulfilled.body["status_class"], "resolved");

    // Rita was told at submission, approval and fulfilment.
    eventually("rita's mails", || {
        let subjects: Vec<String> = app
            .mailbox()
            .to("rita@example.test")
            .iter()
            .map(|m| m.subject.clone())
            .collect();
        ["submitted", "approved", "fulfilled"]
            .iter()
            .all(|w| subjects.iter().any(|s| s.contains(w)))
    });
    // She closes it; the queue and the history know.
    app.post(
        &d.rita.1,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "close" }),
    )
    .status_is(200);
    let r = app.get(&d.agent.1, "/tickets?kind=request&status_class=closed");
    assert_eq!(r.body["items"][0]["reference"], "REQ-1");
    let history = app.get(&d.agent.1, &format!("/incidents/{rid}/history"));
    let _ = history;
    let _ = (&d.admin, &d.manager, &d.boss);
}

fn a_rejection_needs_a_comment_and_ends_the_request(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let d = desk(&app, "reject");
    let r = submit(&app, &d.rita.1, &d.item, workstation());
    r.status_is(201);
    let rid = id(&r.body);
    let first = approval_of(&r.body, &d.max.0);
    let r = app.post(&d.max.1, &format!("/approvals/{first}/reject"), json!({}));
    r.problem(422);
    assert_eq!(r.body["errors"][0]["field"], "comment");
    // An oversize comment is refused, and the approval stays open to a proper one.
    let r = app.post(
        &d.max.1,
        &format!("/approvals/{first}/reject"),
        json!({ "comment": "x".repeat(4001) }),
    );
    r.problem(422);
    assert_eq!(r.body["errors"][0]["field"], "comment");
    let r = app.post(
        &d.max.1,
        &format!("/approvals/{first}/reject"),
        json!({ "comment": "Standard is enough" }),
    );
    r.status_is(200);
    let req = app.get(&d.rita.1, &format!("/service-requests/{rid}")).body;
    assert_eq!(req["status"], "rejected");
    assert_eq!(req["approval_state"], "rejected");
    assert_eq!(req["approvals"][0]["comment"], "Standard is enough");
    assert!(
        app.get(&d.max.1, "/approvals")
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
    eventually("the rejection mail", || {
        app.mailbox()
            .to("rita@example.test")
            .iter()
            .any(|m| m.subject.contains("rejected"))
    });
    // Cancelling a rejected request is not a move; closing it is.
    app.post(
        &d.rita.1,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "cancel" }),
    )
    .problem(409);
    app.post(
        &d.rita.1,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "close" }),
    )
    .status_is(200);
}

fn an_undecided_stage_reminds_then_escalates_to_the_approvers_manager(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let Some(app) = TestApp::with(
        backend,
        Options {
            mail: true,
            clock: Some(clock.clone() as Arc<dyn Clock>),
            ..Options::default()
        },
    ) else {
        return;
    };
    let d = desk(&app, "escalate_to_manager");
    let r = submit(&app, &d.rita.1, &d.item, workstation());
    r.status_is(201);
    let rid = id(&r.body);
    // 8 business hours (no SLA calendar: round the clock) — the reminder at half of it.
    app.mailbox().wait_for("max@example.test", 1);
    clock.advance(TimeDelta::hours(5));
    eventually("the reminder", || {
        app.mailbox()
            .to("max@example.test")
            .iter()
            .any(|m| m.subject.contains("Reminder"))
    });
    clock.advance(TimeDelta::hours(4));
    // Nine hours on, the morning's tokens have expired: sign in again.
    let boss = app.login("bella@example.test", PASSWORD).access;
    let agent = app.login("alex@example.test", PASSWORD).access;
    eventually("the escalation to max's manager", || {
        let r = app.get(&boss, "/approvals");
        r.body.as_array().is_some_and(|a| a.len() == 1)
    });
    let mine = app.get(&boss, "/approvals").body;
    assert_eq!(mine[0]["reference"], "REQ-1");
    assert_eq!(mine[0]["stage"], "Manager");
    app.mailbox().wait_for("bella@example.test", 1);
    // The manager's manager decides the stage.
    let r = app.post(
        &boss,
        &format!("/approvals/{}/approve", id(&mine[0])),
        json!({}),
    );
    r.status_is(200);
    let req = app.get(&agent, &format!("/service-requests/{rid}")).body;
    assert_eq!(req["current_stage"], 1, "{req}");
    let first = &req["approvals"][0];
    assert_eq!(first["approver_id"], d.max.0.as_str());
    assert_eq!(
        first["state"], "cancelled",
        "max's undecided approval became moot"
    );
}

fn a_delegate_approves_on_behalf_of_the_approver(backend: Backend) {
    let app = TestApp::start(backend);
    let d = desk(&app, "reject");
    // Max is away: Dana decides for him today.
    let dana = person(&app, &d.admin, "dana", "requester", json!({}));
    let today = SystemClock.now().date_naive();
    let r = app.post(&d.max.1, "/users/me/delegations", json!({
        "delegate_id": dana.0, "starts_on": today.to_string(), "ends_on": (today + TimeDelta::days(3)).to_string()
    }));
    r.status_is(201);
    let r = submit(&app, &d.rita.1, &d.item, workstation());
    let first = approval_of(&r.body, &d.max.0);
    let rid = id(&r.body);
    let pending = app.get(&dana.1, "/approvals").body;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    let r = app.post(
        &dana.1,
        &format!("/approvals/{first}/approve"),
        json!({ "comment": "for Max" }),
    );
    r.status_is(200);
    let req = app
        .get(&d.agent.1, &format!("/service-requests/{rid}"))
        .body;
    let decided = &req["approvals"][0];
    assert_eq!(decided["approver_id"], d.max.0.as_str());
    assert_eq!(
        decided["decided_by"],
        dana.0.as_str(),
        "Dana on behalf of Max"
    );
    // A delegate is never the requester: Rita as Max's delegate still cannot approve her own.
    let r = app.post(
        &d.max.1,
        "/users/me/delegations",
        json!({
            "delegate_id": d.rita.0, "starts_on": today.to_string(), "ends_on": today.to_string()
        }),
    );
    r.status_is(201);
    let again = submit(&app, &d.rita.1, &d.item, workstation()).body;
    let second = approval_of(&again, &d.max.0);
    app.post(
        &d.rita.1,
        &format!("/approvals/{second}/approve"),
        json!({}),
    )
    .problem(403);
}

fn drafts_may_be_incomplete_and_requests_for_others_need_a_manager_or_staff(backend: Backend) {
    let app = TestApp::start(backend);
    let d = desk(&app, "reject");
    let r = app.post(
        &d.rita.1,
        "/service-requests",
        json!({ "item_id": d.item, "draft": true, "answers": { "model": "workstation" } }),
    );
    r.status_is(201);
    assert_eq!(r.body["status"], "draft");
    assert!(r.body["approvals"].as_array().unwrap().is_empty());
    let rid = id(&r.body);
    // Submitting the incomplete draft names the missing answers.
    let r = app.post(
        &d.rita.1,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "submit" }),
    );
    r.problem(422);
    // Rita may not request for Max; Max (her manager) may request for her; an agent may.
    let body =
        |who: &str| json!({ "item_id": d.item, "answers": workstation(), "requested_for": who });
    app.post(&d.rita.1, "/service-requests", body(&d.max.0))
        .problem(403);
    let r = app.post(&d.max.1, "/service-requests", body(&d.rita.0));
    r.status_is(201);
    assert_eq!(r.body["requester_id"], d.rita.0.as_str());
    assert_eq!(r.body["created_by"], d.max.0.as_str());
    // Max placed it, so Max is not its approver: stage 1 goes to... max is rita's manager
    // and a party: the stage cannot be reached.
    let _ = r;
    let r = app.post(&d.agent.1, "/service-requests", body(&d.rita.0));
    r.status_is(201);
    // Another organization's item id is 404; cancelling closes approvals.
    let rid2 = id(&r.body);
    app.post(
        &d.rita.1,
        &format!("/service-requests/{rid2}/transitions"),
        json!({ "action": "cancel" }),
    )
    .status_is(200);
    let req = app
        .get(&d.rita.1, &format!("/service-requests/{rid2}"))
        .body;
    assert_eq!(req["status"], "cancelled");
    assert!(
        req["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["state"] == "cancelled")
    );
    app.get(&d.max.1, &format!("/service-requests/{rid2}"))
        .status_is(200);
}

/// An item that needs no approval: a request for it goes straight to fulfilment.
fn vpn_item(app: &TestApp, admin: &str, owner: &str) -> String {
    let cat = app.post(admin, "/catalog-categories", json!({ "name": "Access" }));
    let item = app.post(
        admin,
        "/catalog-items",
        json!({ "category_id": id(&cat.body), "name": "VPN access", "owner_id": owner,
                "audience": { "type": "everyone" } }),
    );
    item.status_is(201);
    id(&item.body)
}

fn a_request_takes_comments_and_shows_its_history_to_whom_it_may(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (owner, _) = person(&app, &admin, "olga", "manager", json!({}));
    let (rita_id, rita) = person(&app, &admin, "rita", "requester", json!({}));
    let (_, sam) = person(&app, &admin, "sam", "requester", json!({}));
    let item = vpn_item(&app, &admin, &owner);
    let r = submit(&app, &rita, &item, json!({}));
    r.status_is(201);
    let rid = id(&r.body);
    let reference = r.body["reference"].as_str().unwrap().to_owned();
    assert!(r.body["first_responded_at"].is_null(), "{}", r.body);

    // Bad bodies change nothing.
    for bad in [json!({ "body": "" }), json!({ "body": "x".repeat(20_001) })] {
        app.post(&rita, &format!("/service-requests/{rid}/comments"), bad)
            .problem(422);
    }
    // The requester comments; a work note is for staff.
    app.post(
        &rita,
        &format!("/service-requests/{rid}/comments"),
        json!({ "body": "Needed from Monday" }),
    )
    .status_is(201);
    app.post(
        &rita,
        &format!("/service-requests/{rid}/comments"),
        json!({ "body": "sneaky", "internal": true }),
    )
    .problem(403);
    app.post(
        &admin,
        &format!("/service-requests/{reference}/comments"),
        json!({ "body": "Token ordered from the vendor", "internal": true }),
    )
    .status_is(201);
    // Staff's first public answer stops the first-response clock.
    app.post(
        &admin,
        &format!("/service-requests/{rid}/comments"),
        json!({ "body": "On it" }),
    )
    .status_is(201);
    let after = app.get(&rita, &format!("/service-requests/{rid}")).body;
    assert!(after["first_responded_at"].is_string(), "{after}");

    let bodies = |token: &str| -> Vec<String> {
        let page = app.get(token, &format!("/service-requests/{rid}/comments"));
        page.status_is(200);
        page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(bodies(&rita), ["Needed from Monday", "On it"]);
    assert_eq!(
        bodies(&admin),
        [
            "Needed from Monday",
            "Token ordered from the vendor",
            "On it"
        ]
    );
    // Paging walks the same rows.
    let first = app.get(&admin, &format!("/service-requests/{rid}/comments?limit=2"));
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app.get(
        &admin,
        &format!("/service-requests/{rid}/comments?limit=2&cursor={cursor}"),
    );
    assert_eq!(rest.body["items"][0]["body"], "On it");
    app.get(
        &admin,
        &format!("/service-requests/{rid}/comments?cursor=bogus"),
    )
    .problem(422);

    // History: staff see the internal rows (team, SLA bookkeeping); the requester does not.
    let fields = |token: &str| -> Vec<String> {
        let page = app.get(token, &format!("/service-requests/{rid}/history?limit=200"));
        page.status_is(200);
        page.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["field"].as_str().unwrap().to_owned())
            .collect()
    };
    let staff_rows = fields(&admin);
    let rita_rows = fields(&rita);
    assert!(
        staff_rows.iter().any(|f| f == "first_responded_at"),
        "{staff_rows:?}"
    );
    assert!(rita_rows.iter().any(|f| f == "status"), "{rita_rows:?}");
    assert!(
        !rita_rows.iter().any(|f| f == "first_responded_at"),
        "{rita_rows:?}"
    );
    assert!(rita_rows.len() < staff_rows.len());

    // Somebody else's request is not there at all.
    app.get(&sam, &format!("/service-requests/{rid}/comments"))
        .problem(404);
    app.get(&sam, &format!("/service-requests/{rid}/history"))
        .problem(404);
    app.post(
        &sam,
        &format!("/service-requests/{rid}/comments"),
        json!({ "body": "hello" }),
    )
    .problem(404);
    assert_eq!(bodies(&rita).len(), 2);

    // A closed request takes no more comments.
    app.post(
        &admin,
        &format!("/service-requests/{rid}/transitions"),
        json!({ "action": "cancel" }),
    )
    .status_is(200);
    app.post(
        &rita,
        &format!("/service-requests/{rid}/comments"),
        json!({ "body": "too late" }),
    )
    .problem(409);
    let _ = rita_id;
}

fn status_of(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(token, path);
    r.status_is(200);
    r.body
}

/// Works an incident to resolved as the admin (assigned to the admin).
fn resolve_incident(app: &TestApp, admin: &str, id: &str) {
    let me = app.get(admin, "/users/me").body["id"].clone();
    app.post(
        admin,
        &format!("/incidents/{id}/assign"),
        json!({ "assignee_id": me }),
    )
    .status_is(200);
    for body in [
        json!({ "action": "start" }),
        json!({ "action": "resolve", "resolution_code": "fixed", "resolution_notes": "done" }),
    ] {
        app.post(admin, &format!("/incidents/{id}/transitions"), body)
            .status_is(200);
    }
}

fn link_duplicate(app: &TestApp, admin: &str, duplicate: &str, original: &str) {
    app.post(
        admin,
        &format!("/tickets/{duplicate}/links"),
        json!({ "type": "duplicate_of", "target": original }),
    )
    .status_is(201);
}

fn duplicates_end_with_their_original(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let (owner, _) = person(&app, &admin, "olga", "manager", json!({}));
    let (_, rita) = person(&app, &admin, "rita", "requester", json!({}));
    let item = vpn_item(&app, &admin, &owner);
    let original = app.open_incident(&admin, "VPN down", "high", "high");
    let a = id(&original);
    let a_ref = original["reference"].as_str().unwrap().to_owned();
    // A new duplicate (nobody started it), a started one, a chain (c → b → a), and a
    // request placed for the same outage.
    let b = id(&app.open_incident(&admin, "Cannot reach VPN", "medium", "medium"));
    let c = id(&app.open_incident(&admin, "VPN again", "low", "low"));
    let started = id(&app.open_incident(&rita, "VPN broken for me", "low", "low"));
    resolve_incident(&app, &admin, &started);
    app.post(
        &admin,
        &format!("/incidents/{started}/transitions"),
        json!({ "action": "reopen" }),
    )
    .status_is(200);
    let r = submit(&app, &rita, &item, json!({}));
    r.status_is(201);
    let req = id(&r.body);
    link_duplicate(&app, &admin, &b, &a);
    link_duplicate(&app, &admin, &c, &b);
    link_duplicate(&app, &admin, &started, &a);
    link_duplicate(&app, &admin, &req, &a);
    // A duplicate of a cancelled original stays as it is.
    let gone = id(&app.open_incident(&admin, "Printer jam", "low", "low"));
    let d = id(&app.open_incident(&admin, "Printer jammed", "low", "low"));
    link_duplicate(&app, &admin, &d, &gone);
    app.post(
        &admin,
        &format!("/incidents/{gone}/transitions"),
        json!({ "action": "cancel" }),
    )
    .status_is(200);

    resolve_incident(&app, &admin, &a);
    for dup in [&b, &c, &started] {
        eventually("the duplicate's resolution", || {
            status_of(&app, &admin, &format!("/incidents/{dup}"))["status"] == "resolved"
        });
        let inc = status_of(&app, &admin, &format!("/incidents/{dup}"));
        assert_eq!(inc["resolution_code"], "duplicate", "{inc}");
    }
    let b_inc = status_of(&app, &admin, &format!("/incidents/{b}"));
    assert!(
        b_inc["resolution_notes"].as_str().unwrap().contains(&a_ref),
        "{b_inc}"
    );
    // The system took no ownership, and the history shows both moves.
    assert!(b_inc["assignee_id"].is_null(), "{b_inc}");
    let history = status_of(&app, &admin, &format!("/incidents/{b}/history?limit=200"));
    let moves: Vec<String> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "status" && !h["old_value"].is_null())
        .map(|h| {
            format!(
                "{}>{}",
                h["old_value"].as_str().unwrap_or(""),
                h["new_value"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        moves,
        ["new>in_progress", "in_progress>resolved"],
        "{history}"
    );
    eventually("the duplicate request's withdrawal", || {
        status_of(&app, &admin, &format!("/service-requests/{req}"))["status"] == "cancelled"
    });
    // The requester of a resolved duplicate confirms or reopens it as any resolution.
    app.post(
        &rita,
        &format!("/incidents/{started}/transitions"),
        json!({ "action": "close" }),
    )
    .status_is(200);

    // Linked after the original was resolved: resolved at once.
    let late = id(&app.open_incident(&admin, "VPN, still?", "low", "low"));
    link_duplicate(&app, &admin, &late, &a);
    eventually("the late duplicate's resolution", || {
        status_of(&app, &admin, &format!("/incidents/{late}"))["status"] == "resolved"
    });
    // The cancelled original's duplicate was linked and the cancel routed long before.
    assert_eq!(
        status_of(&app, &admin, &format!("/incidents/{d}"))["status"],
        "new"
    );
}
