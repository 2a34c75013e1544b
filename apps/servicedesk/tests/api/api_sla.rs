//! Business calendars and SLA policies through the API (issue 5, SLA-1, SLA-2, SLA-5
//! configuration): `/calendars`, `/sla-policies`, their versions and audit records, every
//! validation rule as a 422 problem with field errors, the calendar math helpers `due` and
//! `business-minutes` (DST weekend, holidays, a year boundary, a closing-time landing,
//! twenty-year ranges, limits), permissions (managers and admins manage, agents read,
//! requesters get 403) and tenancy (another organization's calendar or policy is 404).

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use servicedesk_core::ids::OrgId;
use servicedesk_core::ports::AuditLog;

use crate::common::*;

api_tests!(
    calendars_round_trip_with_versions_and_audit,
    every_calendar_mistake_is_a_field_error,
    due_and_business_minutes_follow_the_calendar,
    bad_calendar_math_questions_are_422,
    sla_policies_round_trip_and_drive_new_incidents,
    every_policy_mistake_is_a_field_error,
    managers_manage_agents_read_requesters_are_refused,
    another_organizations_settings_are_not_found,
);

/// The NY office of the issue, with Christmas and New Year's Day off.
fn ny_office(name: &str) -> Value {
    let day = json!([["09:00", "12:00"], ["13:00", "18:00"]]);
    json!({
        "name": name,
        "time_zone": "America/New_York",
        "hours": { "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [], "sun": [] },
        "holidays": ["2026-12-25", "2027-01-01"],
    })
}

/// Every day 00:00-24:00 in UTC.
fn round_the_clock(name: &str) -> Value {
    let day = json!([["00:00", "24:00"]]);
    json!({
        "name": name,
        "time_zone": "UTC",
        "hours": { "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day },
    })
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[track_caller]
fn create_calendar(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post(token, "/calendars", body);
    r.status_is(201);
    r.body
}

/// PATCH with `If-Match: "<version>"`.
fn patch_if(app: &TestApp, token: &str, path: &str, version: i64, body: &Value) -> Resp {
    app.request("PATCH", &api(path))
        .bearer(token)
        .header("if-match", &format!("\"{version}\""))
        .json(body)
        .send()
}

/// The `(field, code)` pairs of a 422 problem.
#[track_caller]
fn field_errors(r: &Resp) -> Vec<(String, String)> {
    r.problem(422);
    assert_eq!(r.problem_type(), "urn:servicedesk:problem:validation");
    r.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {}", r.text))
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

/// Asserts a 422 naming exactly `expected`.
#[track_caller]
fn rejects(r: &Resp, expected: &[(&str, &str)]) {
    assert_eq!(field_errors(r), pairs(expected), "{}", r.text);
}

fn org_of(app: &TestApp, token: &str) -> String {
    app.get(token, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn audit_actions(app: &TestApp, org: &str) -> Vec<String> {
    app.running()
        .store
        .entries(org.parse::<OrgId>().unwrap(), 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .filter(|a| a.starts_with("calendar.") || a.starts_with("sla_policy."))
        .collect()
}

fn calendars_round_trip_with_versions_and_audit(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();

    let r = app.post(tok, "/calendars", ny_office("NY office"));
    r.status_is(201);
    assert_eq!(r.etag(), "\"1\"");
    let ny = r.body.clone();
    let id = id_of(&ny);
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("/api/v1/calendars/{id}").as_str())
    );
    assert_eq!(ny["name"], "NY office");
    assert_eq!(ny["time_zone"], "America/New_York");
    assert_eq!(ny["version"], 1);
    assert_eq!(
        ny["hours"]["mon"],
        json!([["09:00", "12:00"], ["13:00", "18:00"]])
    );
    assert_eq!(ny["hours"]["sat"], json!([]));
    assert_eq!(ny["holidays"], json!(["2026-12-25", "2027-01-01"]));

    // A 24×7 calendar; unsorted, touching intervals come back sorted and merged, and a
    // missing weekday is closed.
    let all = create_calendar(&app, tok, round_the_clock("Around the clock"));
    assert_eq!(all["hours"]["sun"], json!([["00:00", "24:00"]]));
    let split = create_calendar(
        &app,
        tok,
        json!({
            "name": "Split",
            "time_zone": "Europe/Berlin",
            "hours": { "tue": [["13:00", "17:00"], ["08:00", "12:00"], ["12:00", "13:00"]] },
        }),
    );
    assert_eq!(split["hours"]["tue"], json!([["08:00", "17:00"]]));
    assert_eq!(split["hours"]["mon"], json!([]));
    assert_eq!(split["holidays"], json!([]));

    let r = app.get(tok, &format!("/calendars/{id}"));
    r.status_is(200);
    assert_eq!(r.etag(), "\"1\"");
    assert_eq!(r.body, ny);
    let r = app.get(tok, "/calendars");
    r.status_is(200);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["24x7", "Around the clock", "NY office", "Split"]
    );

    // PATCH needs the version read.
    let change = json!({ "holidays": ["2026-12-24", "2026-12-25", "2027-01-01"] });
    app.patch(tok, &format!("/calendars/{id}"), change.clone())
        .problem(428);
    let r = patch_if(&app, tok, &format!("/calendars/{id}"), 1, &change);
    r.status_is(200);
    assert_eq!(r.etag(), "\"2\"");
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.body["holidays"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["hours"], ny["hours"], "absent fields stay");
    // A stale version is refused and changes nothing.
    let r = patch_if(
        &app,
        tok,
        &format!("/calendars/{id}"),
        1,
        &json!({ "name": "Stale" }),
    );
    r.problem(409);
    assert_eq!(r.body["current_version"], 2);
    // The version may come in the body instead.
    let r = app.patch(
        tok,
        &format!("/calendars/{id}"),
        json!({ "name": "New York office", "time_zone": "America/Toronto", "version": 2 }),
    );
    r.status_is(200);
    assert_eq!(r.body["name"], "New York office");
    assert_eq!(r.body["time_zone"], "America/Toronto");
    assert_eq!(r.body["version"], 3);
    let r = app.get(tok, &format!("/calendars/{id}"));
    assert_eq!(r.body["name"], "New York office");
    // Unknown and malformed ids are 404.
    app.get(tok, "/calendars/0193a0a0-0000-7000-8000-000000000000")
        .problem(404);
    app.get(tok, "/calendars/not-a-uuid").problem(404);
    patch_if(
        &app,
        tok,
        "/calendars/0193a0a0-0000-7000-8000-000000000000",
        1,
        &json!({ "name": "Ghost" }),
    )
    .problem(404);

    let org = org_of(&app, tok);
    assert_eq!(
        audit_actions(&app, &org),
        vec![
            "calendar.create",
            "calendar.create",
            "calendar.create",
            "calendar.update",
            "calendar.update"
        ]
    );
}

fn every_calendar_mistake_is_a_field_error(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    let with = |patch: Value| {
        let mut body = ny_office("Bad");
        body.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        app.post(tok, "/calendars", body)
    };
    rejects(
        &with(json!({ "time_zone": "Mars/Olympus_Mons" })),
        &[("time_zone", "unknown")],
    );
    rejects(
        &with(json!({ "hours": { "mon": [["9am", "12:00"], ["13:00", "18:5"]] } })),
        &[
            ("hours.mon[0]", "invalid_time"),
            ("hours.mon[1]", "invalid_time"),
        ],
    );
    rejects(
        &with(json!({ "hours": { "mon": [["25:00", "26:00"]] } })),
        &[("hours.mon[0]", "invalid_time")],
    );
    rejects(
        &with(json!({ "hours": { "tue": [["18:00", "09:00"]], "wed": [["10:00", "10:00"]] } })),
        &[
            ("hours.tue[0]", "end_not_after_start"),
            ("hours.wed[0]", "end_not_after_start"),
        ],
    );
    rejects(
        &with(json!({ "hours": { "thu": [["09:00", "12:00"], ["11:30", "14:00"]] } })),
        &[("hours.thu", "overlap")],
    );
    rejects(
        &with(json!({ "hours": { "monday": [["09:00", "12:00"]], "fri": [["09:00"]] } })),
        &[
            ("hours.fri[0]", "invalid_interval"),
            ("hours.monday", "unknown_day"),
        ],
    );
    rejects(
        &with(json!({ "hours": { "sat": [], "sun": [] } })),
        &[("hours", "no_working_time")],
    );
    rejects(
        &with(json!({ "hours": {} })),
        &[("hours", "no_working_time")],
    );
    rejects(
        &with(json!({ "holidays": ["2026-02-30", "12/25/2026", "2026-12-25"] })),
        &[
            ("holidays[0]", "invalid_date"),
            ("holidays[1]", "invalid_date"),
        ],
    );
    rejects(&with(json!({ "name": "  " })), &[("name", "required")]);
    // Several mistakes at once are all named.
    rejects(
        &with(json!({ "name": "", "time_zone": "Nowhere", "holidays": ["soon"] })),
        &[
            ("name", "required"),
            ("time_zone", "unknown"),
            ("holidays[0]", "invalid_date"),
        ],
    );
    // The wrong shape is 422 too (without field detail).
    app.post(
        tok,
        "/calendars",
        json!({ "name": "No hours", "time_zone": "UTC" }),
    )
    .problem(422);
    app.post(
        tok,
        "/calendars",
        json!({ "name": "Numbers", "time_zone": "UTC", "hours": { "mon": [[9, 17]] } }),
    )
    .problem(422);
    // A taken name is a field error, like a taken team or role name.
    create_calendar(&app, tok, ny_office("Taken"));
    rejects(
        &app.post(tok, "/calendars", ny_office("Taken")),
        &[("name", "taken")],
    );
    // PATCH: the same rules; renaming onto a taken name too; nothing changes.
    let other = create_calendar(&app, tok, round_the_clock("Other"));
    let path = format!("/calendars/{}", id_of(&other));
    rejects(
        &patch_if(
            &app,
            tok,
            &path,
            1,
            &json!({ "hours": { "mon": [["09:00", "12:00"], ["10:00", "11:00"]] } }),
        ),
        &[("hours.mon", "overlap")],
    );
    rejects(
        &patch_if(&app, tok, &path, 1, &json!({ "name": "Taken" })),
        &[("name", "taken")],
    );
    rejects(
        &patch_if(&app, tok, &path, 1, &json!({})),
        &[("body", "empty")],
    );
    let r = app.get(tok, &path);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["name"], "Other");
}

/// `GET /calendars/{id}/due?start=…&minutes=…` → the due instant.
#[track_caller]
fn due(app: &TestApp, token: &str, calendar: &str, start: &str, minutes: i64) -> String {
    let r = app.get(
        token,
        &format!("/calendars/{calendar}/due?start={start}&minutes={minutes}"),
    );
    r.status_is(200);
    r.body["due"].as_str().unwrap().to_owned()
}

/// `GET /calendars/{id}/business-minutes?from=…&to=…` → minutes.
#[track_caller]
fn business_minutes(app: &TestApp, token: &str, calendar: &str, from: &str, to: &str) -> i64 {
    let r = app.get(
        token,
        &format!("/calendars/{calendar}/business-minutes?from={from}&to={to}"),
    );
    r.status_is(200);
    r.body["minutes"].as_i64().unwrap()
}

fn due_and_business_minutes_follow_the_calendar(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    let ny = id_of(&create_calendar(&app, tok, ny_office("NY office")));
    let all = id_of(&create_calendar(&app, tok, round_the_clock("24x7 UTC")));

    // The DST weekend: Friday 2026-03-06 17:00 EST + 120 min = 1 h on Friday, then Monday
    // from 09:00 EDT (13:00Z, an hour earlier in UTC than the week before): 10:00 EDT.
    assert_eq!(
        due(&app, tok, &ny, "2026-03-06T22:00:00Z", 120),
        "2026-03-09T14:00:00Z"
    );
    // The same start written with its local offset (URL-encoded `-` needs nothing).
    assert_eq!(
        due(&app, tok, &ny, "2026-03-06T17:00:00-05:00", 120),
        "2026-03-09T14:00:00Z"
    );
    // A `+` offset must be URL-encoded: 2026-03-06T23:00:00+01:00 is 22:00Z.
    assert_eq!(
        due(&app, tok, &ny, "2026-03-06T23:00:00%2B01:00", 120),
        "2026-03-09T14:00:00Z"
    );
    // A holiday: Thursday 2026-12-24 17:00 EST + 120 min skips Christmas and the weekend.
    assert_eq!(
        due(&app, tok, &ny, "2026-12-24T22:00:00Z", 120),
        "2026-12-28T15:00:00Z"
    );
    // A year boundary (and New Year's Day off): Thursday 2026-12-31 17:00 EST + 120 min is
    // Monday 2027-01-04 10:00 EST.
    assert_eq!(
        due(&app, tok, &ny, "2026-12-31T22:00:00Z", 120),
        "2027-01-04T15:00:00Z"
    );
    // Landing exactly on a closing time: that closing time, not the next opening.
    // Monday 2026-03-02 13:00 EST + 5 h = 18:00 EST.
    assert_eq!(
        due(&app, tok, &ny, "2026-03-02T18:00:00Z", 300),
        "2026-03-02T23:00:00Z"
    );
    // ... and the morning interval's close at noon: 09:00 + 3 h = 12:00 EST.
    assert_eq!(
        due(&app, tok, &ny, "2026-03-02T14:00:00Z", 180),
        "2026-03-02T17:00:00Z"
    );
    // One minute more goes past lunch.
    assert_eq!(
        due(&app, tok, &ny, "2026-03-02T14:00:00Z", 181),
        "2026-03-02T18:01:00Z"
    );
    // A start outside hours counts from the next opening; zero minutes is the start.
    assert_eq!(
        due(&app, tok, &ny, "2026-03-07T12:00:00Z", 60),
        "2026-03-09T14:00:00Z"
    );
    assert_eq!(
        due(&app, tok, &ny, "2026-03-07T12:00:00Z", 0),
        "2026-03-07T12:00:00Z"
    );
    // 24×7: wall-clock time, across a year and through ten years of minutes.
    assert_eq!(
        due(&app, tok, &all, "2026-12-31T23:30:00Z", 60),
        "2027-01-01T00:30:00Z"
    );
    assert_eq!(
        due(&app, tok, &all, "2026-01-01T00:00:00Z", 5_259_600),
        "2036-01-01T12:00:00Z"
    );
    // The seeded 24×7 calendar too.
    let seeded = app.get(tok, "/calendars").body.as_array().unwrap()[0].clone();
    assert_eq!(seeded["name"], "24x7");
    assert_eq!(
        due(&app, tok, &id_of(&seeded), "2026-03-08T06:00:00Z", 90),
        "2026-03-08T07:30:00Z"
    );
    // Ten years' worth of minutes on the NY calendar (40 h a week) lie some 42 years ahead.
    let far = due(&app, tok, &ny, "2026-01-01T00:00:00Z", 5_259_600);
    assert!(far.starts_with("20"), "{far}");
    assert!(far.as_str() > "2045-01-01", "{far}");

    // Business minutes: Friday 17:00 EST to Monday 10:00 EDT across the DST change = 2 h;
    // from 16:00 EST, 3 h.
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &ny,
            "2026-03-06T22:00:00Z",
            "2026-03-09T14:00:00Z"
        ),
        120
    );
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &ny,
            "2026-03-06T21:00:00Z",
            "2026-03-09T14:00:00Z"
        ),
        180
    );
    // Across the year boundary: Thursday 2026-12-31 (8 h), New Year's Day off, the weekend,
    // Monday 2027-01-04 (8 h).
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &ny,
            "2026-12-31T14:00:00Z",
            "2027-01-05T14:00:00Z"
        ),
        960
    );
    // Two whole years of 24×7: 730 days.
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &all,
            "2026-01-01T00:00:00Z",
            "2028-01-01T00:00:00Z"
        ),
        730 * 1440
    );
    // Twenty years is allowed; an empty range is zero; partial minutes round down.
    let twenty = business_minutes(
        &app,
        tok,
        &ny,
        "2026-01-01T00:00:00Z",
        "2045-12-31T00:00:00Z",
    );
    assert!(twenty > 19 * 250 * 8 * 60, "{twenty}");
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &ny,
            "2026-03-06T21:00:00Z",
            "2026-03-06T21:00:00Z"
        ),
        0
    );
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &all,
            "2026-03-06T21:00:00Z",
            "2026-03-06T21:01:59Z"
        ),
        1
    );
    // Due and business minutes are inverse: the holiday case read back.
    assert_eq!(
        business_minutes(
            &app,
            tok,
            &ny,
            "2026-12-24T22:00:00Z",
            "2026-12-28T15:00:00Z"
        ),
        120
    );
}

fn bad_calendar_math_questions_are_422(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    let ny = id_of(&create_calendar(&app, tok, ny_office("NY office")));
    let due_q = |q: &str| app.get(tok, &format!("/calendars/{ny}/due{q}"));
    let span_q = |q: &str| app.get(tok, &format!("/calendars/{ny}/business-minutes{q}"));

    rejects(
        &due_q(""),
        &[("start", "required"), ("minutes", "required")],
    );
    rejects(
        &due_q("?start=2026-03-06T22:00:00Z"),
        &[("minutes", "required")],
    );
    rejects(
        &due_q("?start=yesterday&minutes=5"),
        &[("start", "invalid")],
    );
    rejects(
        &due_q("?start=2026-03-06&minutes=5"),
        &[("start", "invalid")],
    );
    // An unencoded `+` offset arrives as a space: invalid, with a hint.
    let r = due_q("?start=2026-03-06T23:00:00+01:00&minutes=5");
    rejects(&r, &[("start", "invalid")]);
    assert!(r.text.contains("%2B"), "{}", r.text);
    rejects(
        &due_q("?start=2026-03-06T22:00:00Z&minutes=-1"),
        &[("minutes", "negative")],
    );
    rejects(
        &due_q("?start=2026-03-06T22:00:00Z&minutes=1.5"),
        &[("minutes", "invalid")],
    );
    rejects(
        &due_q("?start=2026-03-06T22:00:00Z&minutes=5259601"),
        &[("minutes", "too_large")],
    );
    rejects(
        &due_q("?start=2026-03-06T22:00:00Z&minutes=99999999999999999999999"),
        &[("minutes", "invalid")],
    );
    rejects(
        &due_q("?start=9999-01-01T00:00:00Z&minutes=5"),
        &[("start", "out_of_range")],
    );
    rejects(
        &span_q("?from=2026-03-09T14:00:00Z&to=2026-03-06T21:00:00Z"),
        &[("to", "before_from")],
    );
    rejects(
        &span_q("?from=2000-01-01T00:00:00Z&to=2030-01-01T00:00:00Z"),
        &[("to", "range_too_long")],
    );
    rejects(&span_q(""), &[("from", "required"), ("to", "required")]);
    rejects(
        &span_q("?from=nope&to=2026-03-06T21:00:00Z"),
        &[("from", "invalid")],
    );
    // Unknown calendars are 404 whatever the parameters.
    app.get(
        tok,
        "/calendars/0193a0a0-0000-7000-8000-000000000000/due?start=2026-03-06T22:00:00Z&minutes=5",
    )
    .problem(404);
    app.get(
        tok,
        "/calendars/0193a0a0-0000-7000-8000-000000000000/business-minutes?from=2026-03-06T22:00:00Z&to=2026-03-07T22:00:00Z",
    )
    .problem(404);

    // A sparse calendar (one hour on Mondays) cannot hold ten years of minutes within the
    // century the walk looks ahead: a clear 422, not a wrong instant or a hung request.
    let sparse = id_of(&create_calendar(
        &app,
        tok,
        json!({ "name": "Sparse", "time_zone": "UTC", "hours": { "mon": [["09:00", "10:00"]] } }),
    ));
    let r = app.get(
        tok,
        &format!("/calendars/{sparse}/due?start=2026-01-01T00:00:00Z&minutes=5259600"),
    );
    rejects(&r, &[("minutes", "beyond_horizon")]);
    assert_eq!(
        due(&app, tok, &sparse, "2026-01-01T00:00:00Z", 3120),
        "2026-12-28T10:00:00Z"
    );
}

fn policy_body(name: &str, calendar: &str) -> Value {
    json!({
        "name": name,
        "rank": -1,
        "conditions": { "priorities": ["low"] },
        "calendar_id": calendar,
        "first_response_minutes": 30,
        "resolution_minutes": 600,
    })
}

fn sla_policies_round_trip_and_drive_new_incidents(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    let ny = id_of(&create_calendar(&app, tok, ny_office("NY office")));
    let team = app.post(tok, "/teams", json!({ "name": "Network" }));
    team.status_is(201);
    let team_id = id_of(&team.body);

    let mut body = policy_body("Low, office hours", &ny);
    body["escalations"] = json!([
        { "on": "warning", "target": "resolution", "action": { "type": "notify_assignee" } },
        { "on": "breach", "target": null, "action": { "type": "reassign_team", "team_id": team_id } },
        { "on": "breach", "action": { "type": "raise_priority" } },
    ]);
    let r = app.post(tok, "/sla-policies", body);
    r.status_is(201);
    assert_eq!(r.etag(), "\"1\"");
    let policy = r.body.clone();
    let id = id_of(&policy);
    assert_eq!(
        r.header("location").as_deref(),
        Some(format!("/api/v1/sla-policies/{id}").as_str())
    );
    assert_eq!(policy["calendar_id"], ny.as_str());
    assert_eq!(policy["rank"], -1);
    assert_eq!(
        policy["conditions"],
        json!({ "ticket_types": [], "priorities": ["low"], "categories": [], "requester_orgs": [] })
    );
    assert_eq!(policy["first_response_minutes"], 30);
    assert_eq!(policy["resolution_minutes"], 600);
    assert_eq!(policy["warn_percent"], 75, "default threshold");
    assert_eq!(
        policy["pause_statuses"],
        json!(["on_hold"]),
        "default pause"
    );
    assert_eq!(policy["active"], true);
    assert_eq!(
        policy["escalations"],
        json!([
            { "on": "warning", "target": "resolution", "action": { "type": "notify_assignee" } },
            { "on": "breach", "target": null, "action": { "type": "reassign_team", "team_id": team_id } },
            { "on": "breach", "target": null, "action": { "type": "raise_priority" } },
        ])
    );
    let r = app.get(tok, &format!("/sla-policies/{id}"));
    r.status_is(200);
    assert_eq!(r.body, policy);
    assert_eq!(r.etag(), "\"1\"");
    // Listed by rank: the new one first, then the four seeded defaults.
    let r = app.get(tok, "/sla-policies");
    r.status_is(200);
    let names: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "Low, office hours",
            "Default critical",
            "Default high",
            "Default medium",
            "Default low"
        ]
    );

    // A new low incident gets the new policy (rank -1 beats the defaults).
    let inc = app.open_incident(tok, "Slow wiki", "low", "low");
    assert_eq!(inc["priority"], "low");
    let r = app.get(tok, &format!("/incidents/{}", id_of(&inc)));
    assert_eq!(
        r.body["sla"]["policy_id"],
        id.as_str(),
        "incident sla: {}",
        r.text
    );

    // PATCH: If-Match required, stale refused, a real change bumps the version.
    let path = format!("/sla-policies/{id}");
    app.patch(tok, &path, json!({ "active": false }))
        .problem(428);
    let r = patch_if(
        &app,
        tok,
        &path,
        1,
        &json!({ "active": false, "warn_percent": 90, "pause_statuses": ["on_hold", "new"], "escalations": [] }),
    );
    r.status_is(200);
    assert_eq!(r.etag(), "\"2\"");
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["warn_percent"], 90);
    assert_eq!(r.body["pause_statuses"], json!(["on_hold", "new"]));
    assert_eq!(r.body["escalations"], json!([]));
    assert_eq!(r.body["resolution_minutes"], 600, "absent fields stay");
    let r = patch_if(&app, tok, &path, 1, &json!({ "rank": 5 }));
    r.problem(409);
    assert_eq!(r.body["current_version"], 2);
    // An inactive policy is no longer selected.
    let inc = app.open_incident(tok, "Slow wiki again", "low", "low");
    let r = app.get(tok, &format!("/incidents/{}", id_of(&inc)));
    assert_ne!(r.body["sla"]["policy_id"], id.as_str(), "{}", r.text);
    // Moved to another calendar and renamed, via the body's version.
    let all = id_of(&create_calendar(&app, tok, round_the_clock("All hours")));
    let r = app.patch(
        tok,
        &path,
        json!({ "calendar_id": all, "name": "Low, all hours", "version": 2 }),
    );
    r.status_is(200);
    assert_eq!(r.body["calendar_id"], all.as_str());
    assert_eq!(r.body["version"], 3);
    app.get(tok, "/sla-policies/0193a0a0-0000-7000-8000-000000000000")
        .problem(404);
    app.get(tok, "/sla-policies/nope").problem(404);

    let org = org_of(&app, tok);
    assert_eq!(
        audit_actions(&app, &org),
        vec![
            "calendar.create",
            "sla_policy.create",
            "sla_policy.update",
            "calendar.create",
            "sla_policy.update"
        ]
    );
}

fn every_policy_mistake_is_a_field_error(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    let ny = id_of(&create_calendar(&app, tok, ny_office("NY office")));
    let with = |patch: Value| {
        let mut body = policy_body("Bad", &ny);
        body.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        app.post(tok, "/sla-policies", body)
    };
    rejects(
        &with(json!({ "calendar_id": "0193a0a0-0000-7000-8000-000000000000" })),
        &[("calendar_id", "unknown")],
    );
    rejects(
        &with(json!({ "first_response_minutes": 0, "resolution_minutes": -5 })),
        &[
            ("first_response_minutes", "not_positive"),
            ("resolution_minutes", "not_positive"),
        ],
    );
    rejects(
        &with(json!({ "resolution_minutes": 5_259_601 })),
        &[("resolution_minutes", "too_large")],
    );
    for bad in [0, 101, -1] {
        rejects(
            &with(json!({ "warn_percent": bad })),
            &[("warn_percent", "out_of_range")],
        );
    }
    rejects(
        &with(json!({ "pause_statuses": ["on_hold", "waiting", "resolved"] })),
        &[
            ("pause_statuses[1]", "unknown"),
            ("pause_statuses[2]", "not_pausable"),
        ],
    );
    rejects(
        &with(json!({ "conditions": {
            "ticket_types": ["incident", "ticket"],
            "priorities": ["p1"],
            "categories": [""],
            "requester_orgs": ["acme"],
        } })),
        &[
            ("conditions.ticket_types[1]", "unknown"),
            ("conditions.priorities[0]", "unknown"),
            ("conditions.categories[0]", "required"),
            ("conditions.requester_orgs[0]", "invalid"),
        ],
    );
    rejects(
        &with(json!({ "escalations": [
            { "on": "late", "target": "response", "action": { "type": "notify_team" } },
            { "on": "breach", "action": { "type": "reassign_team" } },
            { "on": "breach", "action": { "type": "reassign_team", "team_id": "0193a0a0-0000-7000-8000-000000000000" } },
            { "on": "warning", "action": { "type": "page_everyone" } },
        ] })),
        &[
            ("escalations[0].on", "unknown"),
            ("escalations[0].target", "unknown"),
            ("escalations[1].action.team_id", "required"),
            ("escalations[3].action.type", "unknown"),
        ],
    );
    // The team check runs once the rules are well-formed.
    rejects(
        &with(json!({ "escalations": [
            { "on": "breach", "action": { "type": "reassign_team", "team_id": "0193a0a0-0000-7000-8000-000000000000" } },
        ] })),
        &[("escalations[0].action.team_id", "unknown")],
    );
    rejects(&with(json!({ "name": "" })), &[("name", "required")]);
    // Wrong shapes.
    with(json!({ "calendar_id": "not-a-uuid" })).problem(422);
    with(json!({ "rank": "first" })).problem(422);
    app.post(tok, "/sla-policies", json!({ "name": "Only a name" }))
        .problem(422);
    // Names are unique.
    app.post(tok, "/sla-policies", policy_body("Taken", &ny))
        .status_is(201);
    rejects(
        &app.post(tok, "/sla-policies", policy_body("Taken", &ny)),
        &[("name", "taken")],
    );
    // PATCH applies the same rules and changes nothing when refused.
    let r = app.post(tok, "/sla-policies", policy_body("Other", &ny));
    let path = format!("/sla-policies/{}", id_of(&r.body));
    rejects(
        &patch_if(
            &app,
            tok,
            &path,
            1,
            &json!({ "warn_percent": 0, "calendar_id": "0193a0a0-0000-7000-8000-000000000000" }),
        ),
        &[("warn_percent", "out_of_range")],
    );
    rejects(
        &patch_if(
            &app,
            tok,
            &path,
            1,
            &json!({ "calendar_id": "0193a0a0-0000-7000-8000-000000000000" }),
        ),
        &[("calendar_id", "unknown")],
    );
    rejects(
        &patch_if(&app, tok, &path, 1, &json!({ "name": "Taken" })),
        &[("name", "taken")],
    );
    rejects(
        &patch_if(&app, tok, &path, 1, &json!({})),
        &[("body", "empty")],
    );
    assert_eq!(app.get(tok, &path).body["version"], 1);
}

fn managers_manage_agents_read_requesters_are_refused(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    for (email, role) in [
        ("mia@sla.test", "manager"),
        ("abe@sla.test", "agent"),
        ("rae@sla.test", "requester"),
    ] {
        app.create_user(tok, email, role, role, json!({}));
    }
    let manager = app.login("mia@sla.test", PASSWORD);
    let agent = app.login("abe@sla.test", PASSWORD);
    let requester = app.login("rae@sla.test", PASSWORD);

    // Managers manage.
    let cal = create_calendar(&app, &manager.access, ny_office("Managed"));
    let cal_id = id_of(&cal);
    let r = app.post(
        &manager.access,
        "/sla-policies",
        policy_body("Managed", &cal_id),
    );
    r.status_is(201);
    let pol_id = id_of(&r.body);
    patch_if(
        &app,
        &manager.access,
        &format!("/calendars/{cal_id}"),
        1,
        &json!({ "name": "Managed office" }),
    )
    .status_is(200);
    patch_if(
        &app,
        &manager.access,
        &format!("/sla-policies/{pol_id}"),
        1,
        &json!({ "rank": 3 }),
    )
    .status_is(200);

    let math = [
        format!("/calendars/{cal_id}/due?start=2026-03-06T22:00:00Z&minutes=120"),
        format!(
            "/calendars/{cal_id}/business-minutes?from=2026-03-06T21:00:00Z&to=2026-03-09T14:00:00Z"
        ),
    ];
    let reads = [
        "/calendars".to_owned(),
        format!("/calendars/{cal_id}"),
        "/sla-policies".to_owned(),
        format!("/sla-policies/{pol_id}"),
        math[0].clone(),
        math[1].clone(),
    ];
    // Agents read, and use the calendar math.
    for path in &reads {
        app.get(&agent.access, path).status_is(200);
    }
    assert_eq!(
        app.get(&agent.access, &math[0]).body["due"],
        "2026-03-09T14:00:00Z"
    );
    // ... but do not manage.
    app.post(&agent.access, "/calendars", ny_office("Agent's"))
        .problem(403);
    app.post(
        &agent.access,
        "/sla-policies",
        policy_body("Agent's", &cal_id),
    )
    .problem(403);
    patch_if(
        &app,
        &agent.access,
        &format!("/calendars/{cal_id}"),
        2,
        &json!({ "name": "Hijacked" }),
    )
    .problem(403);
    patch_if(
        &app,
        &agent.access,
        &format!("/sla-policies/{pol_id}"),
        2,
        &json!({ "active": false }),
    )
    .problem(403);
    // Requesters get 403 everywhere, even with bad input.
    for path in &reads {
        app.get(&requester.access, path).problem(403);
    }
    app.get(&requester.access, &format!("/calendars/{cal_id}/due"))
        .problem(403);
    app.post(&requester.access, "/calendars", ny_office("Mine"))
        .problem(403);
    app.post(
        &requester.access,
        "/calendars",
        json!({ "name": "", "time_zone": "x", "hours": {} }),
    )
    .problem(403);
    app.post(
        &requester.access,
        "/sla-policies",
        policy_body("Mine", &cal_id),
    )
    .problem(403);
    patch_if(
        &app,
        &requester.access,
        &format!("/sla-policies/{pol_id}"),
        2,
        &json!({ "active": false }),
    )
    .problem(403);
    // Nothing changed, and without a token it is 401.
    assert_eq!(
        app.get(tok, &format!("/calendars/{cal_id}")).body["name"],
        "Managed office"
    );
    assert_eq!(
        app.get(tok, &format!("/sla-policies/{pol_id}")).body["active"],
        true
    );
    app.request("GET", "/api/v1/calendars").send().problem(401);
    app.request("GET", "/api/v1/sla-policies")
        .send()
        .problem(401);
}

fn another_organizations_settings_are_not_found(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let tok = admin.access.as_str();
    let cal_id = id_of(&create_calendar(&app, tok, ny_office("HQ")));
    let r = app.post(tok, "/sla-policies", policy_body("HQ", &cal_id));
    r.status_is(201);
    let pol_id = id_of(&r.body);
    let team = app.post(tok, "/teams", json!({ "name": "HQ desk" }));
    let team_id = id_of(&team.body);

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

    // The other organization sees none of it; its lists are its own.
    app.get(ot, &format!("/calendars/{cal_id}")).problem(404);
    app.get(ot, &format!("/sla-policies/{pol_id}")).problem(404);
    app.get(
        ot,
        &format!("/calendars/{cal_id}/due?start=2026-03-06T22:00:00Z&minutes=120"),
    )
    .problem(404);
    app.get(
        ot,
        &format!(
            "/calendars/{cal_id}/business-minutes?from=2026-03-06T21:00:00Z&to=2026-03-09T14:00:00Z"
        ),
    )
    .problem(404);
    patch_if(
        &app,
        ot,
        &format!("/calendars/{cal_id}"),
        1,
        &json!({ "name": "Mine now" }),
    )
    .problem(404);
    patch_if(
        &app,
        ot,
        &format!("/sla-policies/{pol_id}"),
        1,
        &json!({ "active": false }),
    )
    .problem(404);
    let r = app.get(ot, "/calendars");
    r.status_is(200);
    assert_eq!(r.body, json!([]));
    let r = app.get(ot, "/sla-policies");
    r.status_is(200);
    assert_eq!(r.body, json!([]));
    // Its policies cannot use HQ's calendar or reassign to HQ's team.
    rejects(
        &app.post(ot, "/sla-policies", policy_body("Borrowed", &cal_id)),
        &[("calendar_id", "unknown")],
    );
    let own_cal = id_of(&create_calendar(&app, ot, ny_office("HQ")));
    let mut body = policy_body("HQ", &own_cal);
    body["escalations"] =
        json!([{ "on": "breach", "action": { "type": "reassign_team", "team_id": team_id } }]);
    rejects(
        &app.post(ot, "/sla-policies", body),
        &[("escalations[0].action.team_id", "unknown")],
    );
    // Same names in another organization are fine.
    app.post(ot, "/sla-policies", policy_body("HQ", &own_cal))
        .status_is(201);
    // HQ's settings are untouched.
    assert_eq!(
        app.get(tok, &format!("/calendars/{cal_id}")).body["version"],
        1
    );
    assert_eq!(
        app.get(tok, &format!("/sla-policies/{pol_id}")).body["version"],
        1
    );
}
