//! Attacks the API must refuse (issue 4 acceptance), each its own test on SQLite and
//! PostgreSQL: tenancy and ownership leaks, lost updates, replayed creates, forged or
//! stolen tokens, TOTP replay, password guessing and account enumeration, hostile bodies,
//! and request floods.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::*;

api_tests!(
    another_requesters_incident_is_not_found,
    another_orgs_incident_is_not_found,
    requester_cannot_administer,
    stale_if_match_conflicts_and_changes_nothing,
    replayed_idempotency_key_returns_the_same_incident,
    tampered_jwt_is_rejected,
    expired_jwt_is_rejected,
    alg_none_jwt_is_rejected,
    wrong_audience_jwt_is_rejected,
    reused_refresh_token_revokes_the_family,
    access_token_is_rejected_after_logout,
    totp_code_replay_is_rejected,
    password_guessing_is_throttled_without_enumeration,
    malformed_json_is_400_problem,
    wrong_types_are_422_problem,
    unknown_enum_values_are_422_problem,
    oversize_body_is_413_problem,
    unknown_route_is_404_problem,
    rate_limit_answers_429_with_retry_after,
    rate_limit_is_per_user_not_per_token,
    rate_limit_cannot_be_dodged_with_bogus_tokens,
);

/// A user of the default organization with a session.
struct Someone {
    id: String,
    org_id: String,
    session: Session,
}

fn someone(app: &TestApp, admin: &Session, email: &str, role: &str) -> Someone {
    let user = app.create_user(
        &admin.access,
        email,
        email.split('@').next().unwrap(),
        role,
        json!({}),
    );
    let session = app.login(email, PASSWORD);
    Someone {
        id: user["id"].as_str().unwrap().to_owned(),
        org_id: user["org_id"].as_str().unwrap().to_owned(),
        session,
    }
}

/// Every read of `id` by `token` is a 404 problem, and every write answers exactly what
/// the same write on an id that exists nowhere answers (404, or a 403 for a permission the
/// caller has on no incident at all): nothing tells that the incident exists.
#[track_caller]
fn invisible(app: &TestApp, token: &str, id: &str) {
    for path in [
        format!("/incidents/{id}"),
        format!("/incidents/{id}/comments"),
        format!("/incidents/{id}/history"),
        format!("/incidents/{id}/tasks"),
    ] {
        app.get(token, &path).problem(404);
    }
    let ghost = Uuid::new_v4().to_string();
    let writes: [(&str, &str, Value); 5] = [
        ("POST", "comments", json!({ "body": "hello?" })),
        ("POST", "transitions", json!({ "action": "cancel" })),
        ("POST", "assign", json!({ "assignee_id": Uuid::new_v4() })),
        ("POST", "tasks", json!({ "title": "sneak in" })),
        ("PATCH", "", json!({ "title": "mine now" })),
    ];
    for (method, sub, body) in writes {
        let send = |target: &str| {
            let path = if sub.is_empty() {
                api(&format!("/incidents/{target}"))
            } else {
                api(&format!("/incidents/{target}/{sub}"))
            };
            app.request(method, &path)
                .bearer(token)
                .header("if-match", "\"1\"")
                .json(&body)
                .send()
        };
        let real = send(id);
        let none = send(&ghost);
        assert!(
            real.status == 404 || real.status == 403,
            "{method} {}: expected 404 (or a blanket 403), got {} {}",
            real.path,
            real.status,
            real.text
        );
        real.problem(real.status);
        assert_eq!(
            (real.status, &real.body["type"], &real.body["detail"]),
            (none.status, &none.body["type"], &none.body["detail"]),
            "{method} …/{sub}: the answer differs from a non-existent incident's: {} vs {}",
            real.text,
            none.text
        );
    }
}

fn listed(app: &TestApp, token: &str, id: &str) -> bool {
    let r = app.get(token, "/incidents?limit=200");
    r.status_is(200);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == id)
}

fn another_requesters_incident_is_not_found(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let alice = someone(&app, &admin, "alice@servicedesk.test", "requester");
    let bob = someone(&app, &admin, "bob@servicedesk.test", "requester");
    let inc = app.open_incident(
        &alice.session.access,
        "Alice's laptop is slow",
        "low",
        "low",
    );
    let id = inc["id"].as_str().unwrap();

    invisible(&app, &bob.session.access, id);
    app.get(&bob.session.access, "/incidents/INC-1")
        .problem(404);
    assert!(
        !listed(&app, &bob.session.access, id),
        "Bob's queue must not list Alice's incident"
    );
    let r = app.get(
        &bob.session.access,
        &format!("/incidents?requester_id={}", alice.id),
    );
    r.status_is(200);
    assert!(
        r.body["items"].as_array().unwrap().is_empty(),
        "filtering by Alice leaks nothing: {}",
        r.text
    );

    // Unchanged, and still Alice's.
    let r = app.get(&alice.session.access, &format!("/incidents/{id}"));
    r.status_is(200);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["title"], "Alice's laptop is slow");
    assert_eq!(r.body["status"], "new");
    let r = app.get(&alice.session.access, &format!("/incidents/{id}/comments"));
    r.status_is(200);
    assert!(
        r.body["items"].as_array().unwrap().is_empty(),
        "Bob's comment did not land: {}",
        r.text
    );
}

fn another_orgs_incident_is_not_found(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let alice = someone(&app, &admin, "alice@servicedesk.test", "requester");
    let team = app.post(&admin.access, "/teams", json!({ "name": "Desk" }));
    team.status_is(201);
    let team_id = team.body["id"].as_str().unwrap().to_owned();
    let inc = app.open_incident(
        &alice.session.access,
        "Org one's printer",
        "medium",
        "medium",
    );
    let id = inc["id"].as_str().unwrap().to_owned();

    // The platform admin creates a second organization and its admin.
    let r = app.post(&admin.access, "/organizations", json!({ "name": "Acme" }));
    r.status_is(201);
    let org2 = r.body["id"].as_str().unwrap().to_owned();
    assert_ne!(org2, alice.org_id);
    let r = app.post(&admin.access, "/organizations", json!({ "name": "Acme" }));
    assert!(
        r.status == 409 || r.status == 422,
        "a taken organization name: {} {}",
        r.status,
        r.text
    );
    r.problem(r.status);
    let admin2 = app.create_user(
        &admin.access,
        "boss@acme.test",
        "Acme Boss",
        "admin",
        json!({ "org_id": org2 }),
    );
    assert_eq!(admin2["org_id"], org2.as_str());
    let admin2 = app.login("boss@acme.test", PASSWORD);
    let r = app.get(&admin2.access, "/users/me");
    r.status_is(200);
    assert_eq!(r.body["org_id"], org2.as_str());

    // Its admin creates a requester and an agent there.
    let req2 = app.create_user(
        &admin2.access,
        "req@acme.test",
        "Acme Requester",
        "requester",
        json!({}),
    );
    assert_eq!(req2["org_id"], org2.as_str());
    let agent2 = app.create_user(
        &admin2.access,
        "agent@acme.test",
        "Acme Agent",
        "agent",
        json!({}),
    );
    assert_eq!(agent2["org_id"], org2.as_str());
    let req2 = app.login("req@acme.test", PASSWORD);
    let agent2 = app.login("agent@acme.test", PASSWORD);

    for token in [&admin2.access, &req2.access, &agent2.access] {
        invisible(&app, token, &id);
        assert!(
            !listed(&app, token, &id),
            "org 2 must not list org 1's incident"
        );
    }
    app.post(
        &admin2.access,
        &format!("/incidents/{id}/assign"),
        json!({ "team_id": team_id }),
    )
    .problem(404);
    // By number: org 2 has no INC-1 yet; once it has, it is its own.
    app.get(&admin2.access, "/incidents/INC-1").problem(404);
    let own = app.open_incident(&req2.access, "Acme's own problem", "low", "high");
    assert_eq!(own["number"], 1, "numbers are per organization");
    let r = app.get(&admin2.access, "/incidents/INC-1");
    r.status_is(200);
    assert_eq!(r.body["id"], own["id"]);
    assert_ne!(r.body["id"], id.as_str());

    // Org 2's admin is confined to org 2.
    app.get(&admin2.access, &format!("/users/{}", alice.id))
        .problem(404);
    let r = app.post(
        &admin2.access,
        "/users",
        json!({ "email": "mole@acme.test", "name": "Mole", "password": PASSWORD, "role": "admin", "org_id": alice.org_id }),
    );
    assert!(
        r.status == 404 || r.status == 403,
        "creating users in another org: {} {}",
        r.status,
        r.text
    );
    r.problem(r.status);
    app.post(
        &admin2.access,
        "/organizations",
        json!({ "name": "Shadow" }),
    )
    .problem(403);
    let r = app.get(&admin2.access, "/organizations");
    r.status_is(200);
    let orgs: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        orgs,
        vec![org2.as_str()],
        "an org admin sees only its organization"
    );
    let r = app.get(&admin2.access, "/users");
    r.status_is(200);
    assert!(
        !r.text.contains("alice@servicedesk.test"),
        "org 1's users do not leak: {}",
        r.text
    );
    let r = app.get(&admin2.access, "/teams");
    r.status_is(200);
    assert!(
        !r.text.contains(&team_id),
        "org 1's teams do not leak: {}",
        r.text
    );

    // Org 1's incident is untouched.
    let r = app.get(&alice.session.access, &format!("/incidents/{id}"));
    r.status_is(200);
    assert_eq!(r.body["version"], 1);
    assert_eq!(r.body["status"], "new");
}

fn requester_cannot_administer(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    let tok = &rita.session.access;
    let r = app.post(tok, "/users", json!({ "email": "x@servicedesk.test", "name": "X", "password": PASSWORD, "role": "admin" }));
    r.problem(403);
    app.post(tok, "/teams", json!({ "name": "Mine" }))
        .problem(403);
    app.post(tok, "/organizations", json!({ "name": "Mine" }))
        .problem(403);
    app.post(
        tok,
        "/roles",
        json!({ "name": "godmode", "permissions": [{ "permission": "user:create" }] }),
    )
    .problem(403);
    let r = app.patch(
        tok,
        &format!("/users/{}", rita.id),
        json!({ "role": "admin" }),
    );
    r.problem(403);
    let r = app.get(tok, "/users/me");
    r.status_is(200);
    assert_eq!(r.body["roles"], json!(["requester"]), "still a requester");
    // A requester may not raise incidents for someone else.
    let r = app.post(
        tok,
        "/incidents",
        json!({ "title": "On behalf", "description": "x", "impact": "low", "urgency": "low", "requester_id": Uuid::new_v4() }),
    );
    r.problem(403);
}

fn stale_if_match_conflicts_and_changes_nothing(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    let inc = app.open_incident(&rita.session.access, "Original title", "low", "medium");
    let id = inc["id"].as_str().unwrap();
    let path = api(&format!("/incidents/{id}"));

    // Two clients read version 1; the first write wins.
    let r = app.get(&admin.access, &format!("/incidents/{id}"));
    assert_eq!(r.etag(), "\"1\"");
    let first = app
        .request("PATCH", &path)
        .bearer(&admin.access)
        .header("if-match", "\"1\"")
        .json(&json!({ "title": "First writer" }))
        .send();
    first.status_is(200);
    assert_eq!(first.body["title"], "First writer");
    assert_eq!(first.body["version"], 2);
    assert_eq!(first.etag(), "\"2\"");

    let stale = app
        .request("PATCH", &path)
        .bearer(&admin.access)
        .header("if-match", "\"1\"")
        .json(&json!({ "title": "Second writer", "urgency": "high" }))
        .send();
    stale.problem(409);
    assert_eq!(stale.body["current_version"], 2, "{}", stale.text);

    // Also through the body's version, and on a lifecycle move.
    let r = app.patch(
        &admin.access,
        &format!("/incidents/{id}"),
        json!({ "title": "Third", "version": 1 }),
    );
    r.problem(409);
    let r = app
        .request("POST", &api(&format!("/incidents/{id}/transitions")))
        .bearer(&admin.access)
        .header("if-match", "\"1\"")
        .json(&json!({ "action": "cancel" }))
        .send();
    r.problem(409);
    // No precondition at all is refused too.
    let r = app.patch(
        &admin.access,
        &format!("/incidents/{id}"),
        json!({ "title": "Blind write" }),
    );
    r.problem(428);

    // Nothing changed.
    let r = app.get(&admin.access, &format!("/incidents/{id}"));
    r.status_is(200);
    assert_eq!(r.body["title"], "First writer");
    assert_eq!(r.body["urgency"], "medium");
    assert_eq!(r.body["priority"], inc["priority"]);
    assert_eq!(r.body["status"], "new");
    assert_eq!(r.body["version"], 2);
    assert_eq!(r.etag(), "\"2\"");
    let r = app.get(&admin.access, &format!("/incidents/{id}/history"));
    r.status_is(200);
    let titles: Vec<&Value> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "title")
        .collect();
    assert_eq!(
        titles.len(),
        1,
        "one title change in the history: {}",
        r.text
    );
}

fn replayed_idempotency_key_returns_the_same_incident(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    let bob = someone(&app, &admin, "bob@servicedesk.test", "requester");
    let body = json!({ "title": "VPN drops every hour", "description": "Since Monday.", "impact": "medium", "urgency": "high" });
    let key = "5f0c8c7e-retry-42";
    let create = |token: &str| {
        app.request("POST", &api("/incidents"))
            .bearer(token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };

    let first = create(&rita.session.access);
    first.status_is(201);
    let second = create(&rita.session.access);
    assert!(
        second.status == 200 || second.status == 201,
        "replay: {} {}",
        second.status,
        second.text
    );
    assert_eq!(
        second.body["id"], first.body["id"],
        "the replay answers the same incident"
    );
    assert_eq!(second.body["number"], first.body["number"]);
    let third = create(&rita.session.access);
    assert_eq!(third.body["id"], first.body["id"]);

    let r = app.get(&admin.access, "/incidents?q=VPN");
    r.status_is(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        1,
        "one row for three requests with one key: {}",
        r.text
    );
    let r = app.get(
        &admin.access,
        &format!("/incidents/{}/history", first.body["id"].as_str().unwrap()),
    );
    let creations = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["field"] == "status" && h["new_value"] == "new")
        .count();
    assert_eq!(creations, 1, "created once: {}", r.text);

    // The key belongs to its user: another requester's create with it is a new incident.
    let other = create(&bob.session.access);
    other.status_is(201);
    assert_ne!(other.body["id"], first.body["id"]);
    assert_eq!(other.body["requester_id"], bob.id.as_str());
}

// ---- tokens ----

/// Claims the app would put in an access token for `who`, valid for ten minutes.
fn claims(who: &Someone) -> Value {
    let now = unix_now();
    json!({
        "sub": who.id,
        "org": who.org_id,
        "jti": Uuid::new_v4().to_string(),
        "typ": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
    })
}

#[track_caller]
fn unauthorized(app: &TestApp, token: &str, what: &str) {
    let r = app.get(token, "/users/me");
    assert_eq!(
        r.status, 401,
        "{what}: expected 401, got {} {}",
        r.status, r.text
    );
    r.problem(401);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer")),
        "{what}: WWW-Authenticate: Bearer"
    );
    let r = app.get(token, "/incidents");
    assert_eq!(r.status, 401, "{what} on /incidents: {}", r.text);
}

/// A forged token with the app's own key and correct claims works: the refusals below are
/// down to the one thing each changes.
#[track_caller]
fn control_token_works(app: &TestApp, who: &Someone) {
    let token = sign_jwt(&app.config.jwt_secret, JWT_KID, &claims(who));
    let r = app.get(&token, "/users/me");
    r.status_is(200);
    assert_eq!(r.body["id"], who.id.as_str());
}

fn tampered_jwt_is_rejected(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let admin_id = app.get(&admin.access, "/users/me").body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    let token = rita.session.access.clone();
    app.get(&token, "/users/me").status_is(200);
    let parts: Vec<&str> = token.split('.').collect();

    // A flipped character in the middle of the signature.
    let mut sig: Vec<char> = parts[2].chars().collect();
    let mid = sig.len() / 2;
    sig[mid] = if sig[mid] == 'A' { 'B' } else { 'A' };
    let flipped: String = sig.into_iter().collect();
    unauthorized(
        &app,
        &format!("{}.{}.{flipped}", parts[0], parts[1]),
        "flipped signature",
    );

    // The payload rewritten to claim the admin's identity, signature kept.
    let mut payload = json_b64(parts[1]);
    payload["sub"] = json!(admin_id);
    unauthorized(
        &app,
        &format!("{}.{}.{}", parts[0], b64_json(&payload), parts[2]),
        "payload swapped to the admin",
    );
    // The payload's expiry pushed out, signature kept.
    let mut payload = json_b64(parts[1]);
    payload["exp"] = json!(payload["exp"].as_i64().unwrap() + 86_400);
    unauthorized(
        &app,
        &format!("{}.{}.{}", parts[0], b64_json(&payload), parts[2]),
        "expiry pushed out",
    );
    // An unknown key id, a truncated token, the signature dropped, garbage.
    let mut header = json_b64(parts[0]);
    header["kid"] = json!("k2");
    unauthorized(
        &app,
        &format!("{}.{}.{}", b64_json(&header), parts[1], parts[2]),
        "unknown kid",
    );
    unauthorized(&app, &token[..token.len() - 5], "truncated");
    unauthorized(&app, &format!("{}.{}.", parts[0], parts[1]), "no signature");
    unauthorized(&app, "not-a-jwt", "garbage");
    // A token signed with another key.
    unauthorized(
        &app,
        &sign_jwt(
            b"0123456789abcdef0123456789abcdef-other",
            JWT_KID,
            &claims(&rita),
        ),
        "wrong key",
    );
    // No credentials at all.
    app.request("GET", &api("/users/me")).send().problem(401);

    // The genuine token still works.
    app.get(&token, "/users/me").status_is(200);
}

fn expired_jwt_is_rejected(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    control_token_works(&app, &rita);
    let now = unix_now();
    let mut c = claims(&rita);
    c["iat"] = json!(now - 3600);
    c["nbf"] = json!(now - 3600);
    c["exp"] = json!(now - 60);
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "expired a minute ago",
    );
    c["exp"] = json!(now - 1);
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "expired a second ago",
    );
    // Not yet valid.
    let mut c = claims(&rita);
    c["nbf"] = json!(now + 3600);
    c["iat"] = json!(now + 3600);
    c["exp"] = json!(now + 7200);
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "not yet valid",
    );
}

fn alg_none_jwt_is_rejected(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    control_token_works(&app, &rita);
    let genuine_payload = rita.session.access.split('.').nth(1).unwrap().to_owned();
    for alg in ["none", "None", "NONE"] {
        let header = b64_json(&json!({ "alg": alg, "typ": "JWT", "kid": JWT_KID }));
        unauthorized(
            &app,
            &format!("{header}.{}.", b64_json(&claims(&rita))),
            &format!("alg {alg}, forged claims"),
        );
        unauthorized(
            &app,
            &format!("{header}.{genuine_payload}."),
            &format!("alg {alg}, genuine claims"),
        );
    }
    // Another algorithm announced over the same key (HS512).
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512);
    header.kid = Some(JWT_KID.into());
    let hs512 = jsonwebtoken::encode(
        &header,
        &claims(&rita),
        &jsonwebtoken::EncodingKey::from_secret(&app.config.jwt_secret),
    )
    .unwrap();
    unauthorized(&app, &hs512, "HS512");
}

fn wrong_audience_jwt_is_rejected(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    control_token_works(&app, &rita);
    let mut c = claims(&rita);
    c["aud"] = json!("other");
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "audience other",
    );
    c["aud"] = json!(["other", "another"]);
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "audience list without ours",
    );
    let mut c = claims(&rita);
    c.as_object_mut().unwrap().remove("aud");
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "no audience",
    );
    let mut c = claims(&rita);
    c["iss"] = json!("evil");
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "issuer evil",
    );
    let mut c = claims(&rita);
    c["typ"] = json!("mfa");
    unauthorized(
        &app,
        &sign_jwt(&app.config.jwt_secret, JWT_KID, &c),
        "an MFA challenge as access token",
    );
}

fn reused_refresh_token_revokes_the_family(backend: Backend) {
    use servicedesk_core::ports::{Clock, FixedClock, SystemClock};
    let clock = std::sync::Arc::new(FixedClock::new(SystemClock.now()));
    let app = TestApp::with(
        backend,
        Options {
            clock: Some(clock.clone() as std::sync::Arc<dyn Clock>),
            ..Options::default()
        },
    )
    .unwrap();
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    let first = rita.session.clone();

    let r = app.post_anon("/auth/refresh", json!({ "refresh_token": first.refresh }));
    r.status_is(200);
    let second = Session::from_tokens(&r);
    assert_ne!(second.refresh, first.refresh, "rotated on use");
    assert_ne!(second.access, first.access);
    app.get(&second.access, "/users/me").status_is(200);

    // A thief replays the rotated token after the 30 s grace for concurrent tabs (issue 9
    // point 11): refused, and the whole family dies with it.
    clock.advance(chrono::TimeDelta::seconds(31));
    app.post_anon("/auth/refresh", json!({ "refresh_token": first.refresh }))
        .problem(401);
    app.post_anon("/auth/refresh", json!({ "refresh_token": second.refresh }))
        .problem(401);
    unauthorized(&app, &second.access, "access token of the revoked family");
    unauthorized(
        &app,
        &first.access,
        "first access token of the revoked family",
    );

    // Other sessions live on; garbage is refused.
    let other = app.login("rita@servicedesk.test", PASSWORD);
    app.get(&other.access, "/users/me").status_is(200);
    app.post_anon("/auth/refresh", json!({ "refresh_token": "made-up" }))
        .problem(401);
    let r = app.post_anon("/auth/refresh", json!({ "refresh_token": other.refresh }));
    r.status_is(200);
}

fn access_token_is_rejected_after_logout(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let rita = someone(&app, &admin, "rita@servicedesk.test", "requester");
    let keep = app.login("rita@servicedesk.test", PASSWORD);
    let s = rita.session;
    app.get(&s.access, "/users/me").status_is(200);
    app.request("POST", &api("/auth/logout"))
        .bearer(&s.access)
        .send()
        .status_is(204);
    unauthorized(&app, &s.access, "access token after logout");
    app.post_anon("/auth/refresh", json!({ "refresh_token": s.refresh }))
        .problem(401);
    app.request("POST", &api("/auth/logout"))
        .bearer(&s.access)
        .send()
        .problem(401);
    // Only that session ended.
    app.get(&keep.access, "/users/me").status_is(200);
}

fn totp_code_replay_is_rejected(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let alex = someone(&app, &admin, "alex@servicedesk.test", "agent");
    let (secret, recovery, step) = enable_mfa(&app, &alex.session.access);

    let challenge = || {
        let r = app.login_raw("alex@servicedesk.test", PASSWORD);
        r.status_is(200);
        assert_eq!(r.body["mfa_required"], true, "{}", r.text);
        assert!(r.body.get("access_token").is_none());
        r.body["mfa_token"].as_str().unwrap().to_owned()
    };
    // The code of the step the confirmation used is spent already.
    let r = app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": challenge(), "code": totp_at(&secret, step) }),
    );
    r.problem(401);

    // The next step's code is new (one step of clock skew is accepted).
    let code = totp_at(&secret, step + 1);
    let first = challenge();
    // The challenge is not an access token.
    unauthorized(&app, &first, "an MFA challenge as bearer token");
    let r = app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": first, "code": code }),
    );
    r.status_is(200);
    Session::from_tokens(&r);

    // The same code again: on a new challenge, and on the used one.
    let r = app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": challenge(), "code": code }),
    );
    r.problem(401);
    assert!(r.body.get("access_token").is_none());
    app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": first, "code": code }),
    )
    .problem(401);

    // A recovery code works once.
    let r = app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": challenge(), "code": recovery[0] }),
    );
    r.status_is(200);
    app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": challenge(), "code": recovery[0] }),
    )
    .problem(401);
}

/// Twenty wrong passwords for `email` on a fresh app.
fn guess(backend: Backend, existing: bool) -> (Vec<Resp>, Option<Resp>) {
    let app = TestApp::start(backend);
    let email = "victim@servicedesk.test";
    if existing {
        let admin = app.admin();
        app.create_user(&admin.access, email, "Victim", "requester", json!({}));
    }
    let tries: Vec<Resp> = (0..20)
        .map(|i| app.login_raw(email, &format!("wrong password {i}")))
        .collect();
    let right = existing.then(|| app.login_raw(email, PASSWORD));
    (tries, right)
}

fn password_guessing_is_throttled_without_enumeration(backend: Backend) {
    let (real, right) = guess(backend, true);
    let (ghost, _) = guess(backend, false);
    for (name, tries) in [("existing account", &real), ("unknown address", &ghost)] {
        tries[0].problem(401);
        let last = &tries[19];
        last.problem(429);
        let retry = last
            .header("retry-after")
            .unwrap_or_else(|| panic!("{name}: 429 without Retry-After"));
        assert!(
            retry.parse::<u64>().is_ok_and(|s| s > 0),
            "{name}: Retry-After {retry:?}"
        );
        let first_429 = tries.iter().position(|r| r.status == 429).unwrap();
        assert!(
            first_429 <= 10,
            "{name}: throttled only after {first_429} failures"
        );
        assert!(
            tries[first_429..].iter().all(|r| r.status == 429),
            "{name}: stays throttled"
        );
        for r in tries {
            assert!(
                r.status == 401 || r.status == 429,
                "{name}: {} {}",
                r.status,
                r.text
            );
            r.problem(r.status);
        }
    }
    // The answers cannot tell the two apart.
    for (i, (a, b)) in real.iter().zip(&ghost).enumerate() {
        assert_eq!(
            a.status,
            b.status,
            "attempt {}: statuses differ (account enumeration)",
            i + 1
        );
        let keys = |r: &Resp| {
            let mut k: Vec<String> = r.body.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(a), keys(b), "attempt {}: body shapes differ", i + 1);
        for field in ["type", "title", "detail"] {
            assert_eq!(
                a.body[field],
                b.body[field],
                "attempt {}: {field} differs",
                i + 1
            );
        }
        assert_eq!(
            a.header("retry-after").is_some(),
            b.header("retry-after").is_some()
        );
    }
    // While locked, even the right password is refused.
    right.unwrap().problem(429);
}

// ---- hostile bodies ----

#[track_caller]
fn never_500(r: &Resp) {
    assert!(
        r.status < 500,
        "{} {} answered {}: {}",
        r.method,
        r.path,
        r.status,
        r.text
    );
}

fn malformed_json_is_400_problem(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    for (path, token) in [
        ("/auth/login", None),
        ("/incidents", Some(&admin.access)),
        ("/users", Some(&admin.access)),
    ] {
        for body in [
            "{\"email\": \"a@b.c\", \"password\": ",
            "{not json}",
            "[1, 2",
            "\u{0}\u{1}garbage",
            "{\"title\": \"x\",}",
        ] {
            let mut req = app
                .request("POST", &api(path))
                .raw("application/json", body);
            if let Some(t) = token {
                req = req.bearer(t);
            }
            let r = req.send();
            never_500(&r);
            r.problem(400);
        }
    }
    // An empty body where JSON is required.
    let r = app
        .request("POST", &api("/incidents"))
        .bearer(&admin.access)
        .raw("application/json", "")
        .send();
    never_500(&r);
    assert!(
        r.status == 400 || r.status == 422,
        "empty body: {} {}",
        r.status,
        r.text
    );
    r.problem(r.status);
    // Not JSON at all.
    let r = app
        .request("POST", &api("/auth/login"))
        .raw("text/plain", "email=a&password=b")
        .send();
    never_500(&r);
    r.problem(415);
    let r = app.get(&admin.access, "/incidents?limit=200");
    assert!(
        r.body["items"].as_array().unwrap().is_empty(),
        "nothing was created"
    );
}

fn wrong_types_are_422_problem(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let cases = [
        ("/auth/login", json!({ "email": 42, "password": true })),
        (
            "/auth/login",
            json!({ "email": ["a@b.c"], "password": "x" }),
        ),
        ("/auth/login", json!({ "email": "a@b.c" })),
        (
            "/incidents",
            json!({ "title": 5, "description": "d", "impact": "low", "urgency": "low" }),
        ),
        (
            "/incidents",
            json!({ "title": "t", "description": null, "impact": "low", "urgency": "low" }),
        ),
        (
            "/incidents",
            json!({ "title": "t", "description": "d", "impact": 1, "urgency": "low" }),
        ),
        (
            "/incidents",
            json!({ "title": "t", "description": "d", "impact": "low", "urgency": "low", "requester_id": "not-a-uuid" }),
        ),
        ("/incidents", json!([1, 2, 3])),
        ("/incidents", json!("a string")),
        (
            "/users",
            json!({ "email": "u@servicedesk.test", "name": "U", "password": PASSWORD, "role": "agent", "team_ids": "all" }),
        ),
        ("/teams", json!({ "name": { "nested": true } })),
    ];
    for (path, body) in cases {
        let r = app.post(&admin.access, path, body.clone());
        never_500(&r);
        assert_eq!(r.status, 422, "POST {path} {body}: {} {}", r.status, r.text);
        r.problem(422);
    }
    // Field-level validation: a blank title, an oversize title.
    let r = app.post(
        &admin.access,
        "/incidents",
        json!({ "title": " ", "description": "d", "impact": "low", "urgency": "low" }),
    );
    r.problem(422);
    assert!(
        r.body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|f| f["field"] == "title")),
        "{}",
        r.text
    );
    let r = app.post(
        &admin.access,
        "/incidents",
        json!({ "title": "x".repeat(201), "description": "d", "impact": "low", "urgency": "low" }),
    );
    r.problem(422);
    // Query strings.
    for q in [
        "limit=lots",
        "created_from=yesterday",
        "team_id=42",
        "limit=-1",
    ] {
        let r = app.get(&admin.access, &format!("/incidents?{q}"));
        never_500(&r);
        r.problem(422);
    }
    let r = app.get(&admin.access, "/incidents?limit=200");
    assert!(
        r.body["items"].as_array().unwrap().is_empty(),
        "nothing was created: {}",
        r.text
    );
}

fn unknown_enum_values_are_422_problem(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let inc = app.open_incident(&admin.access, "Enum target", "low", "low");
    let id = inc["id"].as_str().unwrap();
    let cases = [
        (
            "/incidents".to_owned(),
            json!({ "title": "t", "description": "d", "impact": "huge", "urgency": "low" }),
        ),
        (
            "/incidents".to_owned(),
            json!({ "title": "t", "description": "d", "impact": "low", "urgency": "whenever" }),
        ),
        (
            "/incidents".to_owned(),
            json!({ "title": "t", "description": "d", "impact": "HIGH", "urgency": "low" }),
        ),
        (
            format!("/incidents/{id}/transitions"),
            json!({ "action": "explode" }),
        ),
        (
            format!("/incidents/{id}/tasks"),
            json!({ "title": "t", "priority": "urgentest" }),
        ),
        (
            "/roles".to_owned(),
            json!({ "name": "custom", "permissions": [{ "permission": "incident:read", "scope": "galaxy" }] }),
        ),
    ];
    for (path, body) in cases {
        let r = app.post(&admin.access, &path, body.clone());
        never_500(&r);
        assert_eq!(r.status, 422, "POST {path} {body}: {} {}", r.status, r.text);
        r.problem(422);
    }
    let r = app.patch(
        &admin.access,
        &format!("/incidents/{id}"),
        json!({ "impact": "huge", "version": 1 }),
    );
    r.problem(422);
    for q in ["status=exploded", "priority=urgentest", "sort=random"] {
        let r = app.get(&admin.access, &format!("/incidents?{q}"));
        never_500(&r);
        r.problem(422);
    }
    let r = app.post(&admin.access, "/users", json!({ "email": "u@servicedesk.test", "name": "U", "password": PASSWORD, "role": "overlord" }));
    r.problem(422);
    let r = app.get(&admin.access, "/incidents?limit=200");
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the target exists: {}", r.text);
    assert_eq!(items[0]["version"], 1, "and it is unchanged");
}

fn oversize_body_is_413_problem(backend: Backend) {
    let app = TestApp::with(
        backend,
        Options {
            body_limit: 4096,
            ..Options::default()
        },
    )
    .unwrap();
    let admin = app.admin();
    let big = "x".repeat(10 * 1024);
    let r = app.post(
        &admin.access,
        "/incidents",
        json!({ "title": "Big", "description": big, "impact": "low", "urgency": "low" }),
    );
    never_500(&r);
    r.problem(413);
    let r = app.post_anon(
        "/auth/login",
        json!({ "email": ADMIN_EMAIL, "password": big }),
    );
    never_500(&r);
    r.problem(413);
    // Far over the limit: still 413, not 500.
    let huge = "y".repeat(256 * 1024);
    let r = app.post(
        &admin.access,
        "/incidents",
        json!({ "title": "Huge", "description": huge, "impact": "low", "urgency": "low" }),
    );
    never_500(&r);
    r.problem(413);
    // Under the limit is fine.
    let ok = "z".repeat(2 * 1024);
    let r = app.post(
        &admin.access,
        "/incidents",
        json!({ "title": "Fits", "description": ok, "impact": "low", "urgency": "low" }),
    );
    r.status_is(201);
    let r = app.get(&admin.access, "/incidents?limit=200");
    assert_eq!(
        r.body["items"].as_array().unwrap().len(),
        1,
        "only the small one was created: {}",
        r.text
    );
}

fn unknown_route_is_404_problem(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    // Outside /api the console answers: its 404 page, HTML, never a stack trace.
    let r = app.request("GET", "/nope").send();
    never_500(&r);
    assert_eq!(r.status, 404, "{}", r.text);
    assert!(r.text.contains("Not found"), "{}", r.text);
    for path in [
        "/api/v1/nope",
        "/api/v2/incidents",
        "/api/v1/incidents/42/frobnicate",
    ] {
        let r = app.request("GET", path).send();
        never_500(&r);
        r.problem(404);
        let r = app.request("GET", path).bearer(&admin.access).send();
        r.problem(404);
    }
    let r = app
        .request("POST", "/api/v1/nope")
        .bearer(&admin.access)
        .json(&json!({}))
        .send();
    r.problem(404);
    // Ids that do not exist or do not parse.
    for path in [
        "/incidents/INC-999",
        "/incidents/00000000-0000-7000-8000-000000000000",
        "/incidents/not-an-id",
        "/incidents/INC-x",
    ] {
        let r = app.get(&admin.access, path);
        never_500(&r);
        r.problem(404);
    }
    app.get(&admin.access, &format!("/users/{}", Uuid::new_v4()))
        .problem(404);
    app.get(&admin.access, "/users/not-a-uuid").problem(404);
}

// ---- request floods ----

fn rate_limited_app(backend: Backend) -> TestApp {
    TestApp::with(
        backend,
        Options {
            rate_limit_per_minute: 5,
            ..Options::default()
        },
    )
    .unwrap()
}

#[track_caller]
fn throttled(r: &Resp) {
    r.problem(429);
    let retry = r.header("retry-after").expect("429 without Retry-After");
    let secs: u64 = retry
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After {retry:?}"));
    assert!((1..=60).contains(&secs), "Retry-After {secs}");
    assert_eq!(r.body["retry_after"], json!(secs));
}

fn rate_limit_answers_429_with_retry_after(backend: Backend) {
    let app = rate_limited_app(backend);
    // Anonymous budget (by address): 1 of 5.
    let admin = app.admin();
    // Admin's budget: 1 of 5.
    app.create_user(
        &admin.access,
        "rita@servicedesk.test",
        "Rita",
        "requester",
        json!({}),
    );
    // Anonymous: 2 of 5.
    let rita = app.login("rita@servicedesk.test", PASSWORD);
    for _ in 2..=5 {
        app.get(&admin.access, "/users/me").status_is(200);
    }
    throttled(&app.get(&admin.access, "/users/me"));
    throttled(&app.get(&admin.access, "/incidents"));
    // Another user has a budget of their own.
    app.get(&rita.access, "/users/me").status_is(200);
    // Anonymous requests count against the address: 3..5 pass (refused), the 6th is throttled.
    for _ in 3..=5 {
        app.post_anon("/auth/refresh", json!({ "refresh_token": "nope" }))
            .problem(401);
    }
    throttled(&app.post_anon("/auth/refresh", json!({ "refresh_token": "nope" })));
    throttled(&app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD));
    // Health and metrics are not under the API budget.
    app.request("GET", "/healthz").send().status_is(200);
}

fn rate_limit_is_per_user_not_per_token(backend: Backend) {
    let app = rate_limited_app(backend);
    let admin = app.admin();
    app.create_user(
        &admin.access,
        "rita@servicedesk.test",
        "Rita",
        "requester",
        json!({}),
    );
    // Two sessions of the same user share one budget (the issue asks for a per-user limit).
    let one = app.login("rita@servicedesk.test", PASSWORD);
    let two = app.login("rita@servicedesk.test", PASSWORD);
    for i in 0..5 {
        let token = if i % 2 == 0 { &one.access } else { &two.access };
        app.get(token, "/users/me").status_is(200);
    }
    let r = app.get(&two.access, "/users/me");
    assert_eq!(
        r.status, 429,
        "the 6th request of the same user within a minute (second session): {} {}",
        r.status, r.text
    );
    throttled(&r);
}

fn rate_limit_cannot_be_dodged_with_bogus_tokens(backend: Backend) {
    let app = rate_limited_app(backend);
    // An anonymous client that sends a different made-up bearer token with each request
    // must still run into the limit of its address.
    let statuses: Vec<u16> = (0..8)
        .map(|i| {
            app.request("POST", &api("/auth/refresh"))
                .bearer(&format!("made-up-{i}"))
                .json(&json!({ "refresh_token": "nope" }))
                .send()
                .status
        })
        .collect();
    assert!(
        statuses.contains(&429),
        "8 requests within a minute with made-up bearer tokens were never throttled: {statuses:?}"
    );
    let statuses: Vec<u16> = (0..8)
        .map(|i| app.get(&format!("made-up-{i}"), "/incidents").status)
        .collect();
    assert!(
        statuses.contains(&429),
        "8 unauthenticated reads with made-up tokens: {statuses:?}"
    );
}
