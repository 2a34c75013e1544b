//! Operations surface of the running app (issue 4, PLT-5): `/healthz`, `/readyz`,
//! `/metrics` in Prometheus text, request ids and security headers on every answer, and
//! CORS limited to the configured origins.

#![allow(clippy::unwrap_used)]

use serde_json::json;

use crate::common::*;

api_tests!(
    health_readiness_and_metrics,
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
