//! Operations surface of the running app (issue 4, PLT-5): `/healthz`, `/readyz`,
//! `/metrics` in Prometheus text (issue 12: the series docs/operations.md lists, labelled by
//! route pattern and never by raw path, and `promtool check metrics` clean), request ids and
//! security headers on every answer, and CORS limited to the configured origins.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;
use tungstenite::client::IntoClientRequest;

use crate::common::*;

api_tests!(
    health_readiness_and_metrics,
    metrics_series_by_route_pattern_pass_promtool,
    request_ids_and_security_headers,
    cors_allows_only_configured_origins
);

/// The value of `servicedesk_http_requests_total{class="<class>"}`.
fn counter(metrics: &str, class: &str) -> u64 {
    let prefix = format!("servicedesk_http_requests_total{{class=\"{class}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {prefix} line in:\n{metrics}"))
        .trim()
        .parse()
        .unwrap()
}

fn health_readiness_and_metrics(backend: Backend) {
    let app = TestApp::start(backend);
    let r = app.request("GET", "/healthz").send();
    r.status_is(200);
    assert_eq!(r.text.trim(), "ok");
    let r = app.request("GET", "/readyz").send();
    r.status_is(200);

    // Some traffic of each class.
    let admin = app.admin();
    app.get(&admin.access, "/users/me").status_is(200);
    app.request("GET", "/api/v1/nope").send().status_is(404);

    let r = app.request("GET", "/metrics").send();
    r.status_is(200);
    let ct = r.header("content-type").unwrap_or_default();
    assert!(
        ct.starts_with("text/plain"),
        "Prometheus text format, got {ct:?}"
    );
    assert!(
        r.text.contains("servicedesk_http_requests_total"),
        "{}",
        r.text
    );
    assert!(
        r.text
            .contains("# TYPE servicedesk_http_requests_total counter"),
        "{}",
        r.text
    );
    assert!(counter(&r.text, "2xx") >= 3, "{}", r.text);
    assert!(counter(&r.text, "4xx") >= 1, "{}", r.text);
    // Every sample line is `name{labels} value` or `name value`.
    for line in r
        .text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "not a sample line: {line:?}");
    }
    // Counting goes on.
    let before = counter(&r.text, "2xx");
    app.request("GET", "/healthz").send().status_is(200);
    let r = app.request("GET", "/metrics").send();
    assert!(counter(&r.text, "2xx") > before, "{}", r.text);
}

/// The value of the sample `series` (its name and labels exactly as written, e.g.
/// `x_total{class="2xx"}`), if present.
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

/// [`sample`], failing when the series is missing.
#[track_caller]
fn value(metrics: &str, series: &str) -> f64 {
    sample(metrics, series).unwrap_or_else(|| panic!("no {series} in:\n{metrics}"))
}

/// `promtool check metrics` on `text` when promtool is on PATH (Debian's `prometheus`);
/// without it a skip note, or a failure when `SERVICEDESK_TEST_PROMTOOL=1` (CI sets it).
fn promtool_check(text: &str) {
    let child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert_ne!(
                std::env::var("SERVICEDESK_TEST_PROMTOOL").as_deref(),
                Ok("1"),
                "SERVICEDESK_TEST_PROMTOOL=1 but promtool is not on PATH (apt-get install prometheus)"
            );
            println!(
                "skipped: promtool check metrics (promtool not on PATH; SERVICEDESK_TEST_PROMTOOL=1 requires it)"
            );
            return;
        }
        Err(e) => panic!("cannot run promtool: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics: {}\n{}{}\n--- the exposition:\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Opens `GET /api/v1/stream` as `token`.
fn open_socket(app: &TestApp, token: &str) -> tungstenite::WebSocket<TcpStream> {
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
    tungstenite::client(request, stream).unwrap().0
}

fn metrics_series_by_route_pattern_pass_promtool(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let incident = app.open_incident(&admin.access, "Metrics probe", "low", "low");
    let id = incident["id"].as_str().unwrap().to_owned();
    let route = r#"servicedesk_http_request_duration_seconds_count{class="2xx",method="GET",route="/api/v1/incidents/{id}"}"#;
    let before = sample(&app.request("GET", "/metrics").send().text, route).unwrap_or(0.0);
    for _ in 0..3 {
        app.get(&admin.access, &format!("/incidents/{id}"))
            .status_is(200);
    }
    // Made-up paths (API and console) and a made-up method: one fixed label, not their text.
    let junk = format!("no-such-thing-{}", uuid::Uuid::new_v4().simple());
    app.request("GET", &format!("/api/v1/{junk}/{id}"))
        .send()
        .status_is(404);
    app.request("GET", &format!("/{junk}"))
        .send()
        .status_is(404);
    // A method the route does not serve: no route served it either.
    app.request("DELETE", "/healthz").send().status_is(405);
    let socket = open_socket(&app, &admin.access);

    let r = app.request("GET", "/metrics").send();
    r.status_is(200);
    assert!(
        r.header("content-type")
            .unwrap_or_default()
            .starts_with("text/plain; version=0.0.4"),
        "{:?}",
        r.header("content-type")
    );
    let m = &r.text;
    // Requests by route pattern: the three reads counted under the pattern, no raw id or
    // made-up path anywhere in the exposition.
    assert!(value(m, route) >= before + 3.0, "{m}");
    assert!(
        value(
            m,
            r#"servicedesk_http_request_duration_seconds_count{class="4xx",method="GET",route="unmatched"}"#
        ) >= 2.0,
        "{m}"
    );
    assert!(
        value(
            m,
            r#"servicedesk_http_request_duration_seconds_count{class="4xx",method="DELETE",route="unmatched"}"#
        ) >= 1.0,
        "{m}"
    );
    assert!(
        m.contains(r#"servicedesk_http_request_duration_seconds_bucket{class="2xx",method="GET",route="/api/v1/incidents/{id}",le="+Inf"}"#),
        "a histogram: {m}"
    );
    assert!(!m.contains(&id), "a raw id is in a label:\n{m}");
    assert!(!m.contains(&junk), "a raw path is in a label:\n{m}");
    let org = app.get(&admin.access, "/users/me").body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!m.contains(&org), "an organization is in a label:\n{m}");
    // The three series of before keep their meaning.
    assert!(
        value(m, r#"servicedesk_http_requests_total{class="2xx"}"#) >= 5.0,
        "{m}"
    );
    assert!(
        value(m, r#"servicedesk_http_requests_total{class="4xx"}"#) >= 2.0,
        "{m}"
    );
    assert!(
        value(m, "servicedesk_http_in_flight") >= 1.0,
        "this scrape is in flight: {m}"
    );

    // The pool (the test app runs 4 connections).
    assert_eq!(value(m, "servicedesk_db_pool_connections_max"), 4.0, "{m}");
    let in_use = value(m, "servicedesk_db_pool_connections_in_use");
    let idle = value(m, "servicedesk_db_pool_connections_idle");
    assert!((0.0..=4.0).contains(&in_use) && in_use + idle <= 4.0, "{m}");
    for counter in [
        "servicedesk_db_pool_waits_total",
        "servicedesk_db_pool_wait_seconds_total",
        "servicedesk_db_pool_timeouts_total",
    ] {
        assert!(value(m, counter) >= 0.0, "{m}");
    }
    // Queues: the incident's events went through the outbox; nothing is dead.
    for gauge in [
        "servicedesk_outbox_pending_messages",
        "servicedesk_outbox_oldest_pending_age_seconds",
        "servicedesk_deliveries_pending",
        "servicedesk_deliveries_oldest_pending_age_seconds",
        "servicedesk_sla_monitor_lag_seconds",
    ] {
        assert!(value(m, gauge) >= 0.0, "{gauge}: {m}");
    }
    assert_eq!(value(m, "servicedesk_outbox_dead_letters"), 0.0, "{m}");
    assert_eq!(value(m, "servicedesk_deliveries_dead_letters"), 0.0, "{m}");
    // Workers.
    assert!(
        value(m, "servicedesk_sla_sweep_duration_seconds_count") >= 1.0,
        "{m}"
    );
    assert!(value(m, "servicedesk_sla_warnings_total") >= 0.0, "{m}");
    assert!(value(m, "servicedesk_sla_breaches_total") >= 0.0, "{m}");
    assert_eq!(
        value(
            m,
            r#"servicedesk_worker_errors_total{worker="sla_monitor"}"#
        ),
        0.0,
        "{m}"
    );
    assert!(
        sample(
            m,
            r#"servicedesk_outbox_messages_total{outcome="delivered"}"#
        )
        .is_some(),
        "{m}"
    );
    assert_eq!(value(m, "servicedesk_websocket_connections"), 1.0, "{m}");
    // The process.
    assert!(value(m, "process_resident_memory_bytes") > 1e6, "{m}");
    assert!(value(m, "process_cpu_seconds_total") > 0.0, "{m}");
    let started = value(m, "process_start_time_seconds");
    let now = unix_now() as f64;
    assert!(
        started > now - 86_400.0 && started <= now + 1.0,
        "{started} vs {now}"
    );
    assert!(value(m, "process_open_fds") >= 3.0, "{m}");

    promtool_check(m);

    // Counting goes on; the socket's close is seen.
    drop(socket);
    app.get(&admin.access, &format!("/incidents/{id}"))
        .status_is(200);
    eventually("the closed socket to leave the gauge", || {
        let m = app.request("GET", "/metrics").send().text;
        value(&m, "servicedesk_websocket_connections") == 0.0
    });
    let m = app.request("GET", "/metrics").send().text;
    assert!(value(&m, route) >= before + 4.0, "{m}");
}

fn request_ids_and_security_headers(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin();
    let answers = [
        app.request("GET", "/healthz").send(),
        app.get(&admin.access, "/users/me"),
        app.request("GET", "/api/v1/users/me").send(),
        app.post_anon(
            "/auth/login",
            json!({ "email": "x@y.z", "password": "nope-nope-nope" }),
        ),
    ];
    let mut ids = std::collections::HashSet::new();
    for r in &answers {
        let id = r
            .header("x-request-id")
            .unwrap_or_else(|| panic!("{} {}: no X-Request-Id", r.method, r.path));
        assert!(!id.is_empty());
        assert!(ids.insert(id), "request ids are unique");
        assert_eq!(
            r.header("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{} {}",
            r.method,
            r.path
        );
        assert!(
            r.header("x-frame-options").is_some(),
            "{} {}: X-Frame-Options",
            r.method,
            r.path
        );
        if r.path.starts_with("/api/v1") {
            assert_eq!(
                r.header("cache-control").as_deref(),
                Some("no-store"),
                "{} {}: API answers are not cached",
                r.method,
                r.path
            );
        }
    }
    // A client's own short request id is kept (and quoted in problems); a hostile one is not.
    let r = app
        .request("GET", "/api/v1/users/me")
        .header("x-request-id", "client-abc-123")
        .send();
    r.problem(401);
    assert_eq!(r.header("x-request-id").as_deref(), Some("client-abc-123"));
    assert_eq!(r.body["request_id"], "client-abc-123");
    let r = app
        .request("GET", "/healthz")
        .header("x-request-id", "evil\tvalue<script>")
        .send();
    assert_ne!(
        r.header("x-request-id").as_deref(),
        Some("evil\tvalue<script>")
    );
}

fn cors_allows_only_configured_origins(backend: Backend) {
    let app = TestApp::with(
        backend,
        Options {
            cors_origins: vec!["https://desk.example.test".into()],
            ..Options::default()
        },
    )
    .unwrap();
    let preflight = |origin: &str| {
        app.request("OPTIONS", "/api/v1/incidents")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let ok = preflight("https://desk.example.test");
    assert!(
        ok.status < 300,
        "preflight from the allowed origin: {} {}",
        ok.status,
        ok.text
    );
    assert_eq!(
        ok.header("access-control-allow-origin").as_deref(),
        Some("https://desk.example.test")
    );
    let allowed = ok
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("authorization"),
        "allowed headers: {allowed}"
    );

    let evil = preflight("https://evil.example");
    assert!(
        evil.header("access-control-allow-origin").is_none(),
        "a foreign origin must not be allowed: {:?}",
        evil.headers
    );
    let r = app
        .request("GET", "/healthz")
        .header("origin", "https://evil.example")
        .send();
    assert!(r.header("access-control-allow-origin").is_none());
    let r = app
        .request("GET", "/healthz")
        .header("origin", "https://desk.example.test")
        .send();
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("https://desk.example.test")
    );
    let exposed = r
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        exposed.contains("etag"),
        "ETag is exposed to browser clients: {exposed:?}"
    );
}
