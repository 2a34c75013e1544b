//! Cross-cutting request handling: request ids, security headers, the per-user rate limit and
//! request metrics.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::AppState;
pub use crate::metrics::Metrics;
use crate::problem::{ApiError, PROBLEM_JSON};
use servicedesk_core::Error;

/// The request's id, in the request extensions and the `X-Request-Id` response header.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A fresh request id for `now`: a UUID v7 whose random bits come from the thread's
/// generator. `Uuid::now_v7` asks the kernel (`getrandom`) once or twice per id, a system
/// call on every request; an id that only tells requests apart needs neither that nor its
/// ordering within a millisecond.
fn new_request_id(now: chrono::DateTime<chrono::Utc>) -> String {
    servicedesk_core::ports::random_v7(now).to_string()
}

/// Assigns the request id (a client's `X-Request-Id` is kept when it is short and printable),
/// sets security headers, counts the request, and stamps problem documents with the id.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map_or_else(
            || {
                new_request_id(
                    state
                        .as_ref()
                        .map_or_else(Default::default, |s| s.clock.now()),
                )
            },
            str::to_owned,
        );
    req.extensions_mut().insert(RequestId(id.clone()));
    let docs_page = req.path().starts_with("/api/docs");
    let metrics = state.map(|s| s.metrics.clone());
    let started = Instant::now();
    if let Some(m) = &metrics {
        m.started();
    }
    let result = next.call(req).await;
    let mut res = match result {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            if let Some(m) = &metrics {
                m.abandoned();
            }
            return Err(e);
        }
    };
    if let Some(m) = &metrics {
        // The route's pattern (`/api/v1/incidents/{id}`), never the path: one series per
        // route whatever ids or made-up paths clients send. A resource that served the
        // request consumed the whole path; with some left, no route did (a default
        // service), and asking actix for the pattern would walk every route again (about
        // 25 µs for a 404 under /api/v1, against ~50 ns for a matched request).
        let req = res.request();
        let route = if req.match_info().unprocessed().is_empty() {
            req.match_pattern()
        } else {
            None
        };
        m.finished(
            route.as_deref().unwrap_or(crate::metrics::UNMATCHED),
            req.method(),
            res.status().as_u16(),
            started.elapsed(),
        );
    }
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, v);
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cross-origin-opener-policy", "same-origin"),
    ] {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        // The API answers data only; the docs page runs the bundled Swagger UI from our own
        // origin (its stylesheet sets inline styles, its logo is a data: URL).
        let policy = if docs_page {
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; frame-ancestors 'none'"
        } else {
            "default-src 'none'; frame-ancestors 'none'"
        };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !is_problem {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let stamped = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.insert("request_id".into(), serde_json::Value::String(id));
            serde_json::to_vec(&map).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    Ok(ServiceResponse::new(
        req,
        head.set_body(BoxBody::new(stamped)),
    ))
}

/// A per-client request budget: per minute, keyed by the signed-in user or, for requests
/// without a valid token, by client address.
pub struct RateLimit {
    limiter: DefaultKeyedRateLimiter<String>,
    seen: AtomicU64,
}

impl RateLimit {
    /// `per_minute` requests per key; `None` when 0 (limiting off).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let n = NonZeroU32::new(per_minute)?;
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            seen: AtomicU64::new(0),
        })
    }

    /// Ok, or the seconds to wait.
    pub fn check(&self, key: String) -> Result<(), u64> {
        // Forget idle keys now and then so memory stays bounded.
        if self.seen.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            wait.as_secs().max(1)
        })
    }
}

/// Applies the rate limit; 429 with `Retry-After` past it.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let Some((state, limit)) = state.and_then(|s| s.rate_limit.clone().map(|l| (s.clone(), l))) {
        // One budget per user, however many sessions or tokens they hold; requests without
        // a valid token (made-up ones included) share their client address's budget (the
        // peer, or what a trusted proxy says: see `extract::client_ip`).
        let user = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|token| state.auth.token_subject(token.trim()));
        let key = match user {
            Some(user) => format!("user:{user}"),
            None => format!("ip:{}", crate::extract::client_ip(req.request())),
        };
        if let Err(secs) = limit.check(key) {
            let res = ApiError::from(Error::RateLimited {
                retry_after_secs: secs,
            })
            .error_response();
            return Ok(req.into_response(res));
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::new_request_id;

    #[test]
    fn request_ids_are_distinct_v7_uuids_of_their_time() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T15:04:05.678Z")
            .unwrap()
            .to_utc();
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| new_request_id(now)).collect();
        assert_eq!(
            ids.len(),
            10_000,
            "ids of the same millisecond still differ"
        );
        for id in ids.iter().take(50) {
            let u = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(u.get_version_num(), 7, "{id}");
            let (secs, nanos) = u.get_timestamp().expect("v7 carries its time").to_unix();
            assert_eq!((secs, nanos / 1_000_000), (1_796_310_245, 678), "{id}");
        }
    }
}
