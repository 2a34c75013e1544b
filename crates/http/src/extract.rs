//! Extractors: the signed-in user, the client address, `If-Match`, and problem+json errors
//! for bodies, queries and paths the framework could not read.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use servicedesk_core::Actor;
use servicedesk_core::Error;
use servicedesk_core::ports::Claims;

use crate::AppState;
use crate::problem::{ApiError, Problem};

/// The authenticated caller: a handler that takes it cannot run unauthenticated.
pub struct AuthUser {
    /// Who acts.
    pub actor: Actor,
    /// The verified token.
    pub claims: Claims,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(Error::Unauthenticated.into());
            };
            AuthUser::verify(&state, token).await
        })
    }
}

impl AuthUser {
    /// Verifies an access token (on the blocking pool: the check reads the store) and
    /// builds the caller it stands for. The one way a token becomes an [`AuthUser`].
    ///
    /// # Errors
    /// 401 for a missing, invalid, expired or revoked token.
    pub async fn verify(state: &web::Data<AppState>, token: String) -> Result<Self, ApiError> {
        // Answered from the store's caches nearly always: on this thread, without the two
        // thread switches of the blocking pool; a cache miss is run there.
        if let Some(verdict) =
            servicedesk_core::ports::inline::attempt(|| state.auth.authenticate(&token))
        {
            let (actor, claims) = verdict?;
            return Ok(AuthUser { actor, claims });
        }
        let state = state.clone();
        let (actor, claims) = web::block(move || state.auth.authenticate(&token))
            .await
            .map_err(ApiError::internal)??;
        Ok(AuthUser { actor, claims })
    }
}

/// The token of an `Authorization: Bearer <token>` header, if any.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_owned())
}

/// The networks of the reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are
/// believed (`SERVICEDESK_TRUSTED_PROXIES`: addresses and CIDRs). Empty by default: the
/// peer address is the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// A `SERVICEDESK_TRUSTED_PROXIES` entry that is not an address or a CIDR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an IP address or CIDR: {0:?}")]
pub struct BadProxy(pub String);

impl TrustedProxies {
    /// Parses a comma- or space-separated list of addresses (`10.0.0.7`, `::1`) and CIDRs
    /// (`10.0.0.0/8`, `fd00::/8`).
    ///
    /// # Errors
    /// [`BadProxy`] naming the first entry that is neither.
    pub fn parse(list: &str) -> Result<Self, BadProxy> {
        let mut nets = Vec::new();
        for item in list.split([',', ' ', '\n', '\t']).filter(|i| !i.is_empty()) {
            let bad = || BadProxy(item.to_owned());
            let (addr, prefix) = match item.split_once('/') {
                Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
                None => (item, None),
            };
            let addr = addr.parse::<IpAddr>().map_err(|_| bad())?.to_canonical();
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(max);
            if prefix > max {
                return Err(bad());
            }
            nets.push((addr, prefix));
        }
        Ok(Self(nets))
    }

    /// True when `ip` is inside one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, prefix)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => masked(
                u128::from(n.to_bits()),
                u128::from(i.to_bits()),
                *prefix,
                32,
            ),
            (IpAddr::V6(n), IpAddr::V6(i)) => masked(n.to_bits(), i.to_bits(), *prefix, 128),
            _ => false,
        })
    }

    /// True when no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn masked(net: u128, ip: u128, prefix: u8, bits: u32) -> bool {
    let shift = bits.saturating_sub(u32::from(prefix));
    if shift >= bits {
        return true;
    }
    (net >> shift) == (ip >> shift)
}

/// The hops a `Forwarded` (RFC 7239 `for=`) or `X-Forwarded-For` header lists, client first.
fn forwarded_hops(req: &HttpRequest) -> Vec<String> {
    let headers = req.headers();
    let forwarded: Vec<String> = headers
        .get_all(header::FORWARDED)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| v.trim().trim_matches('"').to_owned())
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .collect()
}

/// A hop as an address: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`, `2001:db8::1`.
fn hop_ip(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest
            .split(']')
            .next()?
            .parse::<IpAddr>()
            .ok()
            .map(|i| i.to_canonical());
    }
    hop.parse::<std::net::SocketAddr>()
        .ok()
        .map(|a| a.ip().to_canonical())
}

/// The client's address for throttling and the failed-sign-in list. The peer address,
/// unless the peer is a trusted proxy: then the rightmost hop of `Forwarded` (or
/// `X-Forwarded-For`) that is not itself a trusted proxy. Hops left of it were written by
/// the client and are never believed.
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip().to_canonical()) else {
        return "unknown".to_owned();
    };
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.trusted_proxies.clone());
    let Some(trusted) = trusted.filter(|t| t.contains(peer)) else {
        return peer.to_string();
    };
    let hops = forwarded_hops(req);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop_ip(hop) {
            Some(ip) if trusted.contains(ip) => client = ip,
            Some(ip) => return ip.to_string(),
            // A hop a trusted proxy wrote but nobody can read: the client is unknown
            // beyond it; count it as that proxy.
            None => return client.to_string(),
        }
    }
    client.to_string()
}

/// The version named by `If-Match` (`"3"` or `W/"3"`), if any.
///
/// # Errors
/// 400 for an `If-Match` that is not a version tag.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("If-Match must be an entity tag"))?
        .trim();
    let tag = text.strip_prefix("W/").unwrap_or(text);
    // A bare number (`3`, as clients that drop the quotes send) names the same version.
    tag.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag)
        .parse::<i64>()
        .ok()
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request("If-Match must be an entity tag like \"3\" from the ETag header")
        })
}

/// The `ETag` of a version.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A JSON body: not JSON → 415, too big → 413, not well-formed → 400, well-formed but
/// the wrong shape (types, unknown enum values, missing fields) → 422. Syntax is checked
/// before shape so a truncated document is always 400, whatever its first bytes look like.
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    /// The parsed body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            });
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(crate::DEFAULT_BODY_LIMIT, |s| s.body_limit);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::new(Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "send the body as application/json",
                )));
            }
            let bytes =
                bytes
                    .await
                    .map_err(|e| match e.as_error::<actix_web::error::PayloadError>() {
                        Some(actix_web::error::PayloadError::Overflow) => too_large(limit),
                        _ => ApiError::bad_request("the body could not be read"),
                    })?;
            if bytes.len() > limit {
                return Err(too_large(limit));
            }
            let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-json",
                    "Malformed JSON",
                    e.to_string(),
                ))
            })?;
            serde_json::from_value(value).map(ApiJson).map_err(|e| {
                ApiError::new(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                    e.to_string(),
                ))
            })
        })
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Payload too large",
        format!("the body is larger than {limit} bytes"),
    ))
}

/// JSON bodies read by `web::Json` (kept for embedders): the same mapping as [`ApiJson`]
/// as far as actix reports it.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _| {
            let problem = match &err {
                JsonPayloadError::Overflow { .. }
                | JsonPayloadError::OverflowKnownLength { .. } => Problem::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "Payload too large",
                    format!("the body is larger than {limit} bytes"),
                ),
                JsonPayloadError::ContentType => Problem::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "send the body as application/json",
                ),
                JsonPayloadError::Deserialize(e) if e.is_data() => Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                    "Invalid input",
                    e.to_string(),
                ),
                other => Problem::new(
                    StatusCode::BAD_REQUEST,
                    "malformed-json",
                    "Malformed JSON",
                    other.to_string(),
                ),
            };
            ApiError::new(problem).into()
        })
}

/// Query strings that do not parse → 422.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _| {
        ApiError::new(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid query",
            err.to_string(),
        ))
        .into()
    })
}

/// Path segments that do not parse (e.g. a malformed id) → 404: no such resource.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|e: PathError, req| {
        match crate::fallback::literal_path_refusal(req) {
            Some(refusal) => actix_web::error::InternalError::from_response(e, refusal).into(),
            None => ApiError::not_found("resource").into(),
        }
    })
}

/// The `Idempotency-Key` header of a creating request, if any (TKT-12; the use case checks
/// its length and characters).
///
/// # Errors
/// 422 on `idempotency_key` when the header is not visible ASCII.
pub fn idempotency_key(req: &actix_web::HttpRequest) -> Result<Option<String>, ApiError> {
    req.headers()
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map(str::to_owned).map_err(|_| {
                ApiError::invalid("idempotency_key", "invalid", "must be printable ASCII")
            })
        })
        .transpose()
}
