//! The live feed (issue 5, NTF-3): `GET /api/v1/stream` is a WebSocket that refuses,
//! before the upgrade, anyone without a valid access token (header or `?access_token=`),
//! then pushes as JSON text frames exactly the ticket events the user may see — their own
//! tickets for a requester (no internal notes), the team's for an agent, nothing of another
//! organization — answers pings, closes when the token expires, and on PostgreSQL carries
//! items published on one server process to sockets on another (LISTEN/NOTIFY).
//!
//! Nothing publishes real events yet (the outbox fan-out comes separately), so the tests
//! publish through the app's `feed` handle with items built from incidents opened through
//! the API. Invisible items are proven skipped by publishing a visible marker after them:
//! the feed keeps order, so the marker arriving first means nothing before it was sent.

#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{Value, json};
use servicedesk_core::feed::{FeedItem, FeedTicket};
use servicedesk_core::ids::{EventId, IncidentId, OrgId, TeamId, UserId};
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{HandshakeError, Message, WebSocket};
use uuid::Uuid;

use crate::common::*;

api_tests!(
    stream_refuses_before_the_upgrade_without_a_valid_token,
    stream_sends_each_user_only_what_they_may_see,
    stream_answers_pings_and_client_close,
    stream_closes_when_the_access_token_expires,
    stream_accepts_browsers_of_allowed_origins,
    real_ticket_events_reach_the_sockets_that_may_see_them,
    a_service_request_reaches_the_feed_with_its_kind_and_reference,
);

/// The feed carries every kind: a requester's socket gets their request's events, named
/// by kind and reference, and another requester's socket gets none.
fn a_service_request_reaches_the_feed_with_its_kind_and_reference(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let r1 = person(
        &app,
        &admin.access,
        "r1@servicedesk.test",
        "requester",
        json!({}),
    );
    let r2 = person(
        &app,
        &admin.access,
        "r2@servicedesk.test",
        "requester",
        json!({}),
    );
    let cat = app.post(
        &admin.access,
        "/catalog-categories",
        json!({ "name": "Access" }),
    );
    cat.status_is(201);
    let item = app.post(
        &admin.access,
        "/catalog-items",
        json!({ "category_id": cat.body["id"], "name": "VPN access", "owner_id": r2.id,
                "audience": { "type": "everyone" } }),
    );
    item.status_is(201);
    let mut s_r1 = open(addr_of(&app), &Auth::Header(&r1.session.access));
    let mut s_r2 = open(addr_of(&app), &Auth::Header(&r2.session.access));
    let r = app.post(
        &r1.session.access,
        "/service-requests",
        json!({ "item_id": item.body["id"], "answers": {} }),
    );
    r.status_is(201);
    let first = s_r1.next_any();
    assert_eq!(first.kind, "request.submitted");
    assert_eq!(
        first.ticket.kind,
        servicedesk_core::tickets::TicketKind::Request
    );
    assert_eq!(first.ticket.reference, "REQ-1");
    assert_eq!(first.ticket.id.to_string(), r.body["id"].as_str().unwrap());
    let second = s_r1.next_any();
    assert_eq!(second.kind, "request.status_changed");
    assert_eq!(
        second.ticket.status, "fulfilling",
        "no approval: straight to fulfilment"
    );
    // R2 got none of it: the feed keeps order, so their own next ticket comes first.
    let own = app.open_incident(&r2.session.access, "Own ticket", "low", "low");
    let next = s_r2.next_any();
    assert_eq!(next.ticket.id.to_string(), own["id"].as_str().unwrap());
    assert_eq!(next.kind, "incident.created");
}

/// The whole path: an API write commits an event to the outbox, the dispatcher publishes
/// it, and the sockets that may see the ticket get it — the requester their own ticket's
/// public events but not the work note, the admin everything.
fn real_ticket_events_reach_the_sockets_that_may_see_them(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let r1 = person(
        &app,
        &admin.access,
        "r1@servicedesk.test",
        "requester",
        json!({}),
    );
    let mut s_admin = open(addr_of(&app), &Auth::Header(&admin.access));
    let mut s_r1 = open(addr_of(&app), &Auth::Query(&r1.session.access));
    let inc = app.open_incident(&r1.session.access, "Monitor flickers", "low", "low");
    let id = inc["id"].as_str().unwrap();
    app.post(
        &admin.access,
        &format!("/incidents/{id}/comments"),
        json!({ "body": "Looks like the cable", "internal": true }),
    )
    .status_is(201);
    app.post(
        &admin.access,
        &format!("/incidents/{id}/comments"),
        json!({ "body": "We'll swap the cable", "internal": false }),
    )
    .status_is(201);
    let kinds = |s: &mut Feed, n: usize| -> Vec<(String, bool)> {
        (0..n)
            .map(|_| {
                let item = s.next_any();
                assert_eq!(item.ticket.id.to_string(), id);
                (item.kind, item.internal)
            })
            .collect()
    };
    assert_eq!(
        kinds(&mut s_admin, 3),
        [
            ("incident.created".to_owned(), false),
            ("incident.comment_added".to_owned(), true),
            ("incident.comment_added".to_owned(), false),
        ]
    );
    assert_eq!(
        kinds(&mut s_r1, 2),
        [
            ("incident.created".to_owned(), false),
            ("incident.comment_added".to_owned(), false),
        ],
        "the requester never sees the work note"
    );
}

/// How a socket authenticates.
enum Auth<'a> {
    None,
    Header(&'a str),
    Query(&'a str),
}

/// What the server answered instead of upgrading.
#[derive(Debug)]
struct Refused {
    status: u16,
    content_type: String,
    body: Value,
}

/// A connected live-feed socket.
struct Feed {
    ws: WebSocket<TcpStream>,
}

fn addr_of(app: &TestApp) -> SocketAddr {
    app.running().addr
}

fn connect(addr: SocketAddr, auth: &Auth<'_>) -> Result<Feed, Refused> {
    connect_from(addr, auth, None)
}

/// Like [`connect`], sending `Origin` as a browser does.
fn connect_from(addr: SocketAddr, auth: &Auth<'_>, origin: Option<&str>) -> Result<Feed, Refused> {
    let url = match auth {
        Auth::Query(token) => format!("ws://{addr}/api/v1/stream?access_token={token}"),
        _ => format!("ws://{addr}/api/v1/stream"),
    };
    let mut request = url.into_client_request().unwrap();
    if let Auth::Header(token) = auth {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
    }
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    match tungstenite::client(request, stream) {
        Ok((ws, response)) => {
            assert_eq!(response.status().as_u16(), 101);
            Ok(Feed { ws })
        }
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => Err(Refused {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            body: response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
        }),
        Err(e) => panic!("WebSocket handshake failed: {e}"),
    }
}

#[track_caller]
fn open(addr: SocketAddr, auth: &Auth<'_>) -> Feed {
    connect(addr, auth).unwrap_or_else(|r| panic!("the stream refused: {r:?}"))
}

#[track_caller]
fn refused(addr: SocketAddr, auth: &Auth<'_>, what: &str) -> Refused {
    match connect(addr, auth) {
        Ok(_) => panic!("{what}: the stream upgraded"),
        Err(r) => r,
    }
}

impl Feed {
    /// The next item this test published by hand, parsed (pings and pongs skipped, and
    /// the items the app itself publishes for the tickets the test opens — their event
    /// ids are version 7, the test's version 4); panics on anything else or after 20 s.
    #[track_caller]
    fn next_item(&mut self) -> FeedItem {
        loop {
            let item = self.next_any();
            if item.event_id.0.get_version_num() != 7 {
                return item;
            }
        }
    }

    /// The next item, whoever published it.
    #[track_caller]
    fn next_any(&mut self) -> FeedItem {
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    return serde_json::from_str(text.as_str())
                        .unwrap_or_else(|e| panic!("a frame that is not a FeedItem: {text}: {e}"));
                }
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
                Ok(other) => panic!("expected a text frame, got {other:?}"),
                Err(e) => panic!("no frame: {e}"),
            }
        }
    }

    /// Reads until the server's close frame; returns it.
    #[track_caller]
    fn close_frame(&mut self) -> Option<CloseFrame> {
        loop {
            match self.ws.read() {
                Ok(Message::Close(frame)) => return frame,
                Ok(Message::Ping(_) | Message::Pong(_)) => {}
                // The app's own items for tickets the test opened may come first.
                Ok(Message::Text(text))
                    if serde_json::from_str::<FeedItem>(text.as_str())
                        .is_ok_and(|i| i.event_id.0.get_version_num() == 7) => {}
                Ok(other) => panic!("expected a close frame, got {other:?}"),
                Err(e) => panic!("no close frame: {e}"),
            }
        }
    }
}

/// Somebody with a session.
struct Person {
    id: String,
    org_id: String,
    session: Session,
}

fn person(app: &TestApp, creator: &str, email: &str, role: &str, extra: Value) -> Person {
    let user = app.create_user(creator, email, email, role, extra);
    Person {
        id: user["id"].as_str().unwrap().to_owned(),
        org_id: user["org_id"].as_str().unwrap().to_owned(),
        session: app.login(email, PASSWORD),
    }
}

fn uuid(v: &Value) -> Uuid {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .parse()
        .unwrap()
}

/// A feed item about `incident` (its JSON from the API) in `org`.
fn item_of(org: &str, incident: &Value, kind: &str, internal: bool) -> FeedItem {
    FeedItem {
        // Version 4, unlike the server's (version 7) event ids: see `Feed::next_item`.
        event_id: EventId(Uuid::new_v4()),
        org_id: OrgId(org.parse().unwrap()),
        kind: kind.into(),
        occurred_at: DateTime::from_timestamp(unix_now(), 0).unwrap(),
        actor_id: None,
        ticket: FeedTicket {
            id: IncidentId(uuid(&incident["id"])),
            kind: servicedesk_core::tickets::TicketKind::Incident,
            reference: incident["reference"].as_str().unwrap().to_owned(),
            number: incident["number"].as_i64().unwrap(),
            title: incident["title"].as_str().unwrap().to_owned(),
            status: incident["status"].as_str().unwrap().to_owned(),
            priority: incident["priority"].as_str().unwrap().to_owned(),
            requester_id: UserId(uuid(&incident["requester_id"])),
            team_id: incident["team_id"]
                .as_str()
                .map(|t| TeamId(t.parse().unwrap())),
            assignee_id: incident["assignee_id"]
                .as_str()
                .map(|u| UserId(u.parse().unwrap())),
        },
        internal,
    }
}

/// Claims of a valid access token of `who` (as the app signs them).
fn claims(who: &Person, exp_in_secs: i64) -> Value {
    let now = unix_now();
    json!({
        "sub": who.id,
        "org": who.org_id,
        "jti": Uuid::new_v4().to_string(),
        "typ": "access",
        "iat": now,
        "nbf": now,
        "exp": now + exp_in_secs,
        "iss": JWT_ISSUER,
        "aud": JWT_AUDIENCE,
    })
}

#[track_caller]
fn is_unauthenticated(r: &Refused, what: &str) {
    assert_eq!(r.status, 401, "{what}: {r:?}");
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "{what}: {r:?}"
    );
    assert_eq!(
        r.body["type"], "urn:servicedesk:problem:unauthenticated",
        "{what}: {r:?}"
    );
    assert!(r.body["request_id"].is_string(), "{what}: {r:?}");
}

fn stream_refuses_before_the_upgrade_without_a_valid_token(backend: Backend) {
    let app = TestApp::start(backend);
    let addr = addr_of(&app);
    let admin = app.admin();
    let rita = person(
        &app,
        &admin.access,
        "rita@servicedesk.test",
        "requester",
        json!({}),
    );

    for (auth, what) in [
        (Auth::None, "no token"),
        (Auth::Header("not-a-jwt"), "garbage in the header"),
        (Auth::Query("not-a-jwt"), "garbage in the query"),
        (Auth::Query(""), "an empty query token"),
    ] {
        is_unauthenticated(&refused(addr, &auth, what), what);
    }
    // Signed with another key; expired a minute ago.
    let forged = sign_jwt(
        b"another-key-another-key-another-key",
        JWT_KID,
        &claims(&rita, 600),
    );
    is_unauthenticated(
        &refused(addr, &Auth::Header(&forged), "wrong key"),
        "wrong key",
    );
    let expired = sign_jwt(&app.config.jwt_secret, JWT_KID, &claims(&rita, -60));
    is_unauthenticated(&refused(addr, &Auth::Query(&expired), "expired"), "expired");
    // A header that is there but invalid is not rescued by a valid query token.
    let valid = rita.session.access.clone();
    let url = format!("ws://{addr}/api/v1/stream?access_token={valid}");
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", "Bearer not-a-jwt".parse().unwrap());
    let stream = TcpStream::connect(addr).unwrap();
    match tungstenite::client(request, stream) {
        Err(HandshakeError::Failure(tungstenite::Error::Http(r))) => {
            assert_eq!(r.status().as_u16(), 401);
        }
        other => panic!("expected 401, got {:?}", other.map(|(_, r)| r.status())),
    }

    // Valid tokens upgrade, from the header or the query.
    drop(open(addr, &Auth::Header(&valid)));
    drop(open(addr, &Auth::Query(&valid)));
    // A forged token with the app's key and correct claims is as good as an issued one
    // (the control for the refusals above).
    let control = sign_jwt(&app.config.jwt_secret, JWT_KID, &claims(&rita, 600));
    drop(open(addr, &Auth::Header(&control)));

    // An authenticated request that is not an upgrade: 400, not 500.
    app.request("GET", &api("/stream"))
        .bearer(&valid)
        .send()
        .problem(400);
    // Unauthenticated plain GET: 401 first.
    app.request("GET", &api("/stream")).send().problem(401);

    // After logout the token no longer opens a socket.
    app.post(&valid, "/auth/logout", json!({})).status_is(204);
    is_unauthenticated(
        &refused(addr, &Auth::Header(&valid), "logged out"),
        "logged out",
    );

    // The endpoint is documented: 101 and 401.
    let doc = app.request("GET", "/api/openapi.json").send().body;
    let op = &doc["paths"]["/api/v1/stream"]["get"];
    for status in ["101", "401"] {
        assert!(op["responses"][status].is_object(), "{status} in {op}");
    }
    let query = op["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "access_token")
        .unwrap_or_else(|| panic!("?access_token documented: {op}"));
    assert_eq!(query["in"], "query", "{query}");
}

fn stream_sends_each_user_only_what_they_may_see(backend: Backend) {
    let app = TestApp::start(backend);
    let addr = addr_of(&app);
    let feed = app.running().feed.clone();
    let admin = app.admin();
    let org = app.get(&admin.access, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let team = app.post(&admin.access, "/teams", json!({ "name": "Network" }));
    team.status_is(201);
    let team_id = team.body["id"].as_str().unwrap().to_owned();
    let agent = person(
        &app,
        &admin.access,
        "agent@servicedesk.test",
        "agent",
        json!({ "team_ids": [team_id] }),
    );
    let r1 = person(
        &app,
        &admin.access,
        "r1@servicedesk.test",
        "requester",
        json!({}),
    );
    let r2 = person(
        &app,
        &admin.access,
        "r2@servicedesk.test",
        "requester",
        json!({}),
    );
    // Another organization with a requester and a ticket of their own.
    let other = app.post(&admin.access, "/organizations", json!({ "name": "Acme" }));
    other.status_is(201);
    let other_org = other.body["id"].as_str().unwrap().to_owned();
    let outsider = person(
        &app,
        &admin.access,
        "req@acme.test",
        "requester",
        json!({ "org_id": other_org }),
    );
    assert_eq!(outsider.org_id, other_org);

    let i1 = app.open_incident(&r1.session.access, "VPN down", "high", "medium");
    let r = app.post(
        &admin.access,
        &format!("/incidents/{}/assign", i1["id"].as_str().unwrap()),
        json!({ "team_id": team_id }),
    );
    r.status_is(200);
    let i1 = r.body;
    assert_eq!(i1["team_id"], team_id.as_str());
    let i2 = app.open_incident(&r2.session.access, "Printer jam", "low", "low");
    let i3 = app.open_incident(&outsider.session.access, "Acme's mail", "low", "low");

    let mut s_r1 = open(addr, &Auth::Query(&r1.session.access));
    let mut s_r2 = open(addr, &Auth::Header(&r2.session.access));
    let mut s_agent = open(addr, &Auth::Header(&agent.session.access));
    let mut s_out = open(addr, &Auth::Query(&outsider.session.access));

    // r2's ticket (unassigned: in every team member's triage queue), an internal note on
    // r1's ticket, an item claiming r1's ticket but of another organization, then a public
    // update of r1's ticket.
    let a = item_of(&org, &i2, "incident.created", false);
    let b = item_of(&org, &i1, "incident.comment_added", true);
    let x = item_of(&other_org, &i1, "incident.updated", false);
    let c = item_of(&org, &i1, "incident.updated", false);
    for it in [&a, &b, &x, &c] {
        feed.publish(it).unwrap();
    }

    // The requester of i1: only the public item of their own ticket.
    let got = s_r1.next_item();
    assert_eq!(got, c, "r1 receives c first: a, b and x were not sent");
    // The frame is exactly the item's serialization.
    assert_eq!(got.ticket.title, "VPN down");

    // The agent of the team: the team's ticket with its internal note, and the unassigned
    // one; never the other organization's.
    assert_eq!(s_agent.next_item(), a);
    assert_eq!(s_agent.next_item(), b);
    assert_eq!(s_agent.next_item(), c);

    // The other requester: their own ticket only; a marker about it proves c was skipped.
    assert_eq!(s_r2.next_item(), a);
    let marker_r2 = item_of(&org, &i2, "incident.updated", false);
    feed.publish(&marker_r2).unwrap();
    assert_eq!(s_r2.next_item(), marker_r2);

    // The other organization's requester received nothing of the above: the first thing it
    // receives is a marker about its own ticket.
    let marker_out = item_of(&other_org, &i3, "incident.updated", false);
    feed.publish(&marker_out).unwrap();
    assert_eq!(s_out.next_item(), marker_out);
    // …and r1 nothing of that organization or of r2's ticket: its next is its own.
    let marker_r1 = item_of(&org, &i1, "incident.status_changed", false);
    feed.publish(&marker_r1).unwrap();
    assert_eq!(s_r1.next_item(), marker_r1);

    // The agent saw the markers of its organization's tickets, in order, and not the other
    // organization's.
    assert_eq!(s_agent.next_item(), marker_r2);
    assert_eq!(s_agent.next_item(), marker_r1);

    // Internal work on r1's own ticket (assignment, SLA) is staff-only: not sent to r1.
    for kind in ["incident.assigned", "sla.breached", "task.created"] {
        feed.publish(&item_of(&org, &i1, kind, false)).unwrap();
    }
    // The raw frame is a text frame holding the FeedItem JSON, field for field.
    let raw_item = item_of(&org, &i1, "incident.updated", false);
    feed.publish(&raw_item).unwrap();
    let text = loop {
        match s_r1.ws.read().unwrap() {
            // The app's own items for the tickets opened above (version-7 event ids) may
            // still arrive late (PostgreSQL relays them): skip them.
            Message::Text(t)
                if serde_json::from_str::<FeedItem>(t.as_str())
                    .is_ok_and(|i| i.event_id.0.get_version_num() == 7) => {}
            Message::Text(t) => break t.as_str().to_owned(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("{other:?}"),
        }
    };
    let frame: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(frame, serde_json::to_value(&raw_item).unwrap());
}

fn stream_answers_pings_and_client_close(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let mut s = open(addr_of(&app), &Auth::Header(&admin.access));
    s.ws.send(Message::Ping(b"are you there".to_vec().into()))
        .unwrap();
    loop {
        match s.ws.read().unwrap() {
            Message::Pong(p) => {
                assert_eq!(&p[..], b"are you there");
                break;
            }
            Message::Ping(_) => {}
            other => panic!("expected a pong, got {other:?}"),
        }
    }
    // Text from the client is ignored; the socket stays open.
    s.ws.send(Message::Text("hello".into())).unwrap();
    // The client closes: the server answers the close.
    s.ws.close(None).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "the server did not answer the close"
        );
        match s.ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
}

fn stream_closes_when_the_access_token_expires(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let me = app.get(&admin.access, "/users/me").body;
    let admin_person = Person {
        id: me["id"].as_str().unwrap().to_owned(),
        org_id: me["org_id"].as_str().unwrap().to_owned(),
        session: admin.clone(),
    };
    let short = sign_jwt(&app.config.jwt_secret, JWT_KID, &claims(&admin_person, 3));
    let started = Instant::now();
    let mut s = open(addr_of(&app), &Auth::Header(&short));
    // It works while the token is valid.
    let incident = app.open_incident(&admin.access, "Short-lived", "low", "low");
    let it = item_of(&admin_person.org_id, &incident, "incident.created", false);
    app.running().feed.publish(&it).unwrap();
    assert_eq!(s.next_item(), it);
    // Then the server closes it: 1008 (policy), saying why.
    let frame = s.close_frame().expect("a close frame with a reason");
    assert_eq!(frame.code, CloseCode::Policy);
    assert!(frame.reason.contains("expired"), "{frame:?}");
    let after = started.elapsed();
    assert!(
        after >= Duration::from_millis(1500) && after < Duration::from_secs(10),
        "closed at expiry (about 3 s), after {after:?}"
    );
}

/// PostgreSQL: two server processes on one database. An item published through either
/// reaches sockets on both (NOTIFY from one, LISTEN in each).
#[test]
fn postgres_two_servers_share_the_feed() {
    if !pg_enabled() {
        println!("skipped: {PG_ENV} not set");
        return;
    }
    let app = TestApp::start(Backend::Postgres);
    let b = servicedesk::start(app.config.clone()).unwrap();
    assert_ne!(b.addr, addr_of(&app));
    let admin = app.admin();
    let org = app.get(&admin.access, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r1 = person(
        &app,
        &admin.access,
        "r1@servicedesk.test",
        "requester",
        json!({}),
    );
    let mine = app.open_incident(&r1.session.access, "Laptop broken", "medium", "medium");
    let theirs = app.open_incident(&admin.access, "Admin's own", "low", "low");

    // Sockets on B (token issued by A: the servers share keys and database) and on A.
    let mut on_b = open(b.addr, &Auth::Query(&r1.session.access));
    let mut on_a = open(addr_of(&app), &Auth::Header(&r1.session.access));

    // Published on A: an item r1 may not see, then one it may; both sockets get the second.
    let hidden = item_of(&org, &theirs, "incident.created", false);
    let seen = item_of(&org, &mine, "incident.updated", false);
    app.running().feed.publish(&hidden).unwrap();
    app.running().feed.publish(&seen).unwrap();
    assert_eq!(on_b.next_item(), seen, "A → B");
    assert_eq!(on_a.next_item(), seen, "A → A");

    // Published on B: reaches A too.
    let from_b = item_of(&org, &mine, "incident.status_changed", false);
    b.feed.publish(&from_b).unwrap();
    assert_eq!(on_a.next_item(), from_b, "B → A");
    assert_eq!(on_b.next_item(), from_b, "B → B");

    // A real write through A's API reaches the socket on B.
    app.post(
        &r1.session.access,
        &format!("/incidents/{}/comments", mine["id"].as_str().unwrap()),
        json!({ "body": "Still broken", "internal": false }),
    )
    .status_is(201);
    loop {
        let item = on_b.next_any();
        if item.kind == "incident.comment_added" {
            assert_eq!(item.ticket.id.to_string(), mine["id"].as_str().unwrap());
            break;
        }
    }

    // Stopping B closes its sockets ("going away"); A's keep working.
    b.stop();
    let frame = on_b.close_frame().expect("a close frame");
    assert_eq!(frame.code, CloseCode::Away);
    let last = item_of(&org, &mine, "incident.updated", false);
    app.running().feed.publish(&last).unwrap();
    assert_eq!(on_a.next_item(), last);
}

/// Browsers send `Origin` on every WebSocket handshake, same-origin pages included: the
/// page served from the API's own origin and the configured CORS origins may connect.
fn stream_accepts_browsers_of_allowed_origins(backend: Backend) {
    let app = TestApp::with(
        backend,
        crate::common::Options {
            cors_origins: vec!["https://desk.example.test".into()],
            ..crate::common::Options::default()
        },
    )
    .unwrap();
    let addr = addr_of(&app);
    let admin = app.admin();
    let token = Auth::Query(&admin.access);
    for origin in ["https://desk.example.test", &format!("http://{addr}")] {
        let r = connect_from(addr, &token, Some(origin));
        assert!(r.is_ok(), "from {origin}: {:?}", r.err());
    }
}
