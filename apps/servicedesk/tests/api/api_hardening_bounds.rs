//! Bounded reads (issue 9, point 13), black-box on both backends: at most 10 open
//! live-feed sockets per user and server process (429 with `Retry-After` on the 11th
//! upgrade, a slot back when one closes); comments, history and tasks are paged like
//! `/incidents` (`{items, next_cursor}`, default 50, `limit` 1–200).

#![allow(clippy::unwrap_used)]

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::client::IntoClientRequest;
use tungstenite::{HandshakeError, WebSocket};

use crate::common::*;

api_tests!(
    the_eleventh_socket_of_a_user_is_refused_with_429,
    comments_history_and_tasks_are_paged,
);

type Socket = WebSocket<TcpStream>;

/// Opens `GET /stream` as `token`: the socket, or the refusal's status and headers.
fn connect(app: &TestApp, token: &str) -> Result<Socket, (u16, Option<String>, Value)> {
    let addr = app.running().addr;
    let mut request = format!("ws://{addr}/api/v1/stream")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    match tungstenite::client(request, stream) {
        Ok((ws, _)) => Ok(ws),
        Err(HandshakeError::Failure(tungstenite::Error::Http(response))) => Err((
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            response
                .body()
                .as_deref()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or(Value::Null),
        )),
        Err(e) => panic!("WebSocket handshake failed: {e}"),
    }
}

fn the_eleventh_socket_of_a_user_is_refused_with_429(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    app.create_user(&admin, "ws@example.test", "Ws", "agent", json!({}));
    let agent = app.login("ws@example.test", PASSWORD).access;

    let mut open: Vec<Socket> = (0..10)
        .map(|i| connect(&app, &agent).unwrap_or_else(|r| panic!("socket {i}: {r:?}")))
        .collect();
    let Err((status, retry_after, body)) = connect(&app, &agent) else {
        panic!("the 11th socket upgraded");
    };
    assert_eq!(status, 429);
    assert!(
        retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n > 0)),
        "Retry-After is set"
    );
    assert_eq!(body["status"], json!(429), "{body}");
    // Another user is not affected.
    let admin_socket = connect(&app, &admin).expect("another user's socket");

    // Closing one gives its slot back (the server notices the close asynchronously).
    let mut first = open.remove(0);
    first.close(None).unwrap();
    while first.read().is_ok() {}
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        match connect(&app, &agent) {
            Ok(s) => break s,
            Err((429, _, _)) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(r) => panic!("a freed slot is usable again: {r:?}"),
        }
    };
    open.push(again);
    assert!(
        connect(&app, &agent).is_err(),
        "ten again: the next is refused"
    );
    drop(admin_socket);
}

/// Every row of a paged list, following `next_cursor` with `limit`; returns the pages.
fn pages(app: &TestApp, token: &str, path: &str, limit: u32) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let r = app.get(token, &url);
        r.status_is(200);
        let items = r.body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} answers {{items, next_cursor}}: {}", r.text))
            .clone();
        assert!(items.len() <= limit as usize);
        out.push(items);
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(r.body["next_cursor"].is_null());
                return out;
            }
        }
        assert!(out.len() < 100, "paging ends");
    }
}

fn comments_history_and_tasks_are_paged(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let incident = app.open_incident(&admin, "Paged", "low", "low");
    let id = incident["id"].as_str().unwrap();
    for n in 0..7 {
        app.post(
            &admin,
            &format!("/incidents/{id}/comments"),
            json!({ "body": format!("comment {n}"), "internal": false }),
        )
        .status_is(201);
        app.post(
            &admin,
            &format!("/incidents/{id}/tasks"),
            json!({ "title": format!("task {n}") }),
        )
        .status_is(201);
    }

    // Comments: oldest first, no row twice or missing across pages of 3.
    let got = pages(&app, &admin, &format!("/incidents/{id}/comments"), 3);
    assert_eq!(got.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    let bodies: Vec<_> = got.concat().iter().map(|c| c["body"].clone()).collect();
    assert_eq!(
        bodies,
        (0..7)
            .map(|n| json!(format!("comment {n}")))
            .collect::<Vec<_>>()
    );
    // Tasks likewise.
    let got = pages(&app, &admin, &format!("/incidents/{id}/tasks"), 2);
    assert_eq!(got.len(), 4);
    let titles: Vec<_> = got.concat().iter().map(|t| t["title"].clone()).collect();
    assert_eq!(
        titles,
        (0..7)
            .map(|n| json!(format!("task {n}")))
            .collect::<Vec<_>>()
    );
    // History: every row once (a status row at opening, one per task).
    let all = pages(&app, &admin, &format!("/incidents/{id}/history"), 200).concat();
    let paged = pages(&app, &admin, &format!("/incidents/{id}/history"), 2).concat();
    assert_eq!(paged, all);
    assert!(all.len() >= 8, "{all:?}");

    // Default page size 50, limit at most 200, bad cursors and limits are 422.
    for n in 0..50 {
        app.post(
            &admin,
            &format!("/incidents/{id}/comments"),
            json!({ "body": format!("more {n}"), "internal": false }),
        )
        .status_is(201);
    }
    let r = app.get(&admin, &format!("/incidents/{id}/comments"));
    r.status_is(200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 50);
    assert!(r.body["next_cursor"].is_string());
    for path in ["comments", "history", "tasks"] {
        for bad in ["limit=0", "limit=201", "limit=x", "cursor=nope"] {
            app.get(&admin, &format!("/incidents/{id}/{path}?{bad}"))
                .problem(422);
        }
    }
    // A cursor of one list does not page another.
    let r = app.get(&admin, &format!("/incidents/{id}/comments?limit=1"));
    let c = r.body["next_cursor"].as_str().unwrap().to_owned();
    app.get(&admin, &format!("/incidents/{id}/tasks?cursor={c}"))
        .problem(422);
}
